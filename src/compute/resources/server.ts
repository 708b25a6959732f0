/**
 * The server resource (api-ref compute "Servers": `GET /servers/detail`, `GET /servers/{id}`),
 * with the columns of `openstack server list` (openstackclient/compute/v2/server.py
 * `ListServer.take_action`: ID, Name, Status, Networks, Image, Flavor; `--long` adds Task State,
 * Power State, Image ID, Flavor ID, Availability Zone, Host, Properties …).
 */
import { UUID } from '../../ids.js';
import { escapeRegex } from '../by-name.js';
import { column, defineResource } from '../resource.js';
import { ServerSchema, type Server } from '../types.js';

/** What openstackclient shows for a server booted from a volume (openstackclient `IMAGE_STRING_FOR_BFV`). */
export const BOOTED_FROM_VOLUME = 'N/A (booted from volume)';

/** Human name of `OS-EXT-STS:power_state` (nova/compute/power_state.py), as openstackclient shows it. */
export function powerStateName(s: number | null | undefined): string {
  const names: Record<number, string> = {
    0: 'NOSTATE',
    1: 'Running',
    3: 'Paused',
    4: 'Shutdown',
    6: 'Crashed',
    7: 'Suspended',
  };
  return s === undefined || s === null ? '' : (names[s] ?? String(s));
}

/** `addresses` as openstackclient prints it: `net1=10.0.0.5, fd00::5; net2=…`. */
export function formatNetworks(addresses: Server['addresses']): string {
  return Object.entries(addresses ?? {})
    .map(([net, addrs]) => `${net}=${addrs.map((a) => a.addr).join(', ')}`)
    .join('; ');
}

/** The server's image ID, or undefined for a server booted from a volume (`image` is ""). */
export function imageIdOf(s: Server): string | undefined {
  return s.image && typeof s.image === 'object' && s.image.id ? s.image.id : undefined;
}

export const SERVER = defineResource<Server>({
  kind: 'server',
  path: '/servers/detail',
  key: 'servers',
  item: ServerSchema,
  paging: 'links',
  show: { path: (id) => `/servers/${encodeURIComponent(id)}`, key: 'server' },
  idPattern: UUID,
  // Nova's name filter is an unanchored regular expression: anchor and escape it
  nameQuery: (name) => ({ name: `^${escapeRegex(name)}$` }),
  columns: [
    column('ID', (s) => s.id),
    column('Name', (s) => s.name),
    column('Status', (s) => s.status),
    column('Task State', (s) => s['OS-EXT-STS:task_state'] ?? '', { long: true }),
    column('Power State', (s) => powerStateName(s['OS-EXT-STS:power_state']), { long: true }),
    column('Networks', (s) => formatNetworks(s.addresses)),
    column('Image', (s, names) => {
      const id = imageIdOf(s);
      return id ? (names('image', id) ?? id) : BOOTED_FROM_VOLUME;
    }),
    column('Image ID', (s) => imageIdOf(s) ?? BOOTED_FROM_VOLUME, { long: true }),
    column('Flavor', (s) => s.flavor?.original_name ?? s.flavor?.id ?? ''),
    column('Flavor ID', (s) => s.flavor?.id ?? '', { long: true }),
    column('Availability Zone', (s) => s['OS-EXT-AZ:availability_zone'] ?? '', { long: true }),
    column('Host', (s) => s['OS-EXT-SRV-ATTR:host'] ?? '', { long: true }),
    column('Project ID', (s) => s.tenant_id ?? '', { long: true }),
    column('Created', (s) => s.created ?? '', { long: true }),
  ],
});
