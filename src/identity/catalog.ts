/**
 * Service catalog endpoint selection, as keystoneauth's `ServiceCatalogV3` does
 * (keystoneauth1/access/service_catalog.py): match the service type, the interface
 * (public/internal/admin) and the region (`region_id`, falling back to `region`).
 */
import type { Interface } from '../config/options.js';

/** One catalog entry as Keystone v3 returns it in `token.catalog`. */
export interface CatalogService {
  type: string;
  name?: string;
  id?: string;
  endpoints: { id?: string; interface: string; region_id?: string | null; region?: string | null; url: string }[];
}

/** No endpoint matched; the message names what was asked for and what exists. */
export class EndpointNotFoundError extends Error {
  override readonly name = 'EndpointNotFoundError';
}

/**
 * The URL of the `type` service's endpoint for `iface` in `region` (any region when not given,
 * as long as only one region offers it).
 * @returns the endpoint URL without a trailing slash
 * @throws EndpointNotFoundError with a message naming service, interface, region and what exists
 */
export function selectEndpoint(catalog: CatalogService[], type: string, iface: Interface, region?: string): string {
  const services = catalog.filter((s) => s.type === type);
  if (services.length === 0) {
    const types = [...new Set(catalog.map((s) => s.type))].sort();
    throw new EndpointNotFoundError(
      catalog.length === 0
        ? `The service catalog is empty, so there is no ${type} endpoint: is the token scoped to a project (OS_PROJECT_NAME / OS_PROJECT_ID)?`
        : `The service catalog has no '${type}' service (it has: ${types.join(', ')}).`,
    );
  }
  const all = services.flatMap((s) => s.endpoints);
  const regionOf = (e: (typeof all)[number]) => e.region_id ?? e.region ?? '';
  const byIface = all.filter((e) => e.interface === iface);
  const matches = region ? byIface.filter((e) => regionOf(e) === region) : byIface;
  const regions = [...new Set(matches.map(regionOf))];
  if (matches.length > 0 && (region || regions.length === 1)) return matches[0].url.replace(/\/+$/, '');
  if (matches.length > 0) {
    throw new EndpointNotFoundError(
      `The ${type} service has ${iface} endpoints in several regions (${regions.join(', ')}); choose one with --os-region-name or OS_REGION_NAME.`,
    );
  }
  const offered = all.map((e) => `${e.interface}@${regionOf(e) || '(no region)'}`);
  throw new EndpointNotFoundError(
    `No ${iface} endpoint for the ${type} service${region ? ` in region '${region}'` : ''}; the catalog offers ${[...new Set(offered)].join(', ')} (set --os-interface / --os-region-name).`,
  );
}
