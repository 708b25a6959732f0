/**
 * Shapes of Nova resources as the API returns them (api-ref compute "Servers", "Flavors"),
 * limited to the fields ncli reads; everything else is kept as it came.
 */

/** `GET /servers/detail` item. `flavor` is `{id, links}` before 2.47 and `{original_name, vcpus, ram, …}` from 2.47. */
export interface Server {
  id: string;
  name: string;
  status: string;
  addresses?: Record<string, { addr: string; version?: number; 'OS-EXT-IPS:type'?: string }[]>;
  image?: { id?: string } | '' | null;
  flavor?: { id?: string; original_name?: string };
  tenant_id?: string;
  user_id?: string;
  created?: string;
  'OS-EXT-STS:task_state'?: string | null;
  'OS-EXT-STS:power_state'?: number;
  'OS-EXT-AZ:availability_zone'?: string;
  'OS-EXT-SRV-ATTR:host'?: string | null;
  [field: string]: unknown;
}

/** `GET /flavors/detail` item. */
export interface Flavor {
  id: string;
  name: string;
  ram: number;
  disk: number;
  vcpus: number;
  'OS-FLV-EXT-DATA:ephemeral'?: number;
  'os-flavor-access:is_public'?: boolean;
  swap?: number | '';
  rxtx_factor?: number;
  description?: string | null;
  [field: string]: unknown;
}

/** A `*_links` entry of a paginated collection. */
export interface Link {
  rel: string;
  href: string;
}
