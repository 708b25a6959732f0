/**
 * The server resource (api-ref compute "Servers": `GET /servers/detail`, `GET /servers/{id}`),
 * with the columns of `openstack server list` (openstackclient/compute/v2/server.py
 * `ListServer.take_action`: ID, Name, Status, Networks, Image, Flavor; `--long` adds Task State,
 * Power State, Image Name, Image ID, Availability Zone, Host, Properties, Host Status; below 2.47
 * Flavor Name and Flavor ID; `-c` adds Project ID, User ID, Created At, Security Groups, and any
 * --long column it names), and the
 * fields of `openstack server show` ({@link serverDetail}, `_prep_server_detail`).
 */
import { Formatted, dictCell, listCell } from '../../formatted.js';
import { UUID } from '../../ids.js';
import { escapeRegex } from '../by-name.js';
import { column, defineResource, type Column } from '../resource.js';
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

/** `addresses` as openstackclient prints it in a table: `net1=10.0.0.5, fd00::5; net2=…` (networks sorted). */
export function formatNetworks(addresses: Server['addresses']): string {
  return Object.entries(addresses ?? {})
    .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
    .map(([net, addrs]) => `${net}=${addrs.map((a) => a.addr).join(', ')}`)
    .join('; ');
}

/** The server's image ID, or undefined for a server booted from a volume (`image` is ""). */
export function imageIdOf(s: Server): string | undefined {
  return s.image && typeof s.image === 'object' && s.image.id ? s.image.id : undefined;
}

/**
 * A server's addresses as novaclient's `Server.networks` (network names sorted, addresses as
 * strings) and format_columns.DictListColumn: `{"private": ["10.0.0.5"]}` in `-f json`,
 * `private=10.0.0.5` in a table.
 */
export function networksCell(addresses: Server['addresses']): Formatted {
  const nets = Object.fromEntries(
    Object.keys(addresses ?? {})
      .sort()
      .map((n) => [n, (addresses ?? {})[n].map((a) => a.addr)]),
  );
  return new Formatted(nets, formatNetworks(addresses));
}

/** `OS-EXT-STS:power_state` as openstackclient's PowerStateColumn: the number in `-f json`, `Running` in a table. */
export function powerStateCell(s: number | null | undefined): Formatted {
  return new Formatted(s ?? null, powerStateName(s));
}

/** A server with the fields openstackclient adds to Nova's (security group names, host status). */
type ServerRow = Server & {
  metadata?: Record<string, string> | null;
  security_groups?: { name?: string }[] | null;
  host_status?: string | null;
};

const imageName = (s: Server, names: Parameters<Column<Server>['value']>[1]) => {
  const id = imageIdOf(s);
  return id ? (names('image', id) ?? id) : BOOTED_FROM_VOLUME;
};
const flavorName = (s: Server, names: Parameters<Column<Server>['value']>[1]) =>
  s.flavor?.original_name ?? (s.flavor?.id ? (names('flavor', s.flavor.id) ?? s.flavor.id) : '');

const ID = column<Server>('ID', (s) => s.id);
const NAME = column<Server>('Name', (s) => s.name);
const STATUS = column<Server>('Status', (s) => s.status);
const TASK = column<Server>('Task State', (s) => s['OS-EXT-STS:task_state'] ?? null, { long: true });
const POWER = column<Server>('Power State', (s) => powerStateCell(s['OS-EXT-STS:power_state']), { long: true });
const NETWORKS = column<Server>('Networks', (s) => networksCell(s.addresses));
const IMAGE = column<Server>('Image', imageName);
const IMAGE_NAME = column<Server>('Image Name', imageName, { long: true });
const IMAGE_ID = column<Server>('Image ID', (s) => imageIdOf(s) ?? BOOTED_FROM_VOLUME, { long: true });
const FLAVOR = column<Server>('Flavor', flavorName);
const FLAVOR_NAME = column<Server>('Flavor Name', flavorName, { long: true });
const FLAVOR_ID = column<Server>('Flavor ID', (s) => s.flavor?.id ?? '', { long: true });
const AZ = column<Server>('Availability Zone', (s) => s['OS-EXT-AZ:availability_zone'] ?? '', { long: true });
const HOST = column<Server>('Host', (s) => s['OS-EXT-SRV-ATTR:host'] ?? '', { long: true });
const PROPERTIES = column<Server>('Properties', (s) => dictCell((s as ServerRow).metadata), { long: true });
const HOST_STATUS = column<Server>('Host Status', (s) => (s as ServerRow).host_status ?? '', { long: true });

/** The columns `-c` adds to `server list` when named (openstackclient's "additional columns"). */
const EXTRA: readonly [readonly string[], Column<Server>][] = [
  [['Project ID', 'project_id'], column('Project ID', (s) => s.tenant_id ?? '')],
  [['User ID', 'user_id'], column('User ID', (s) => s.user_id ?? '')],
  [['Created At', 'created_at'], column('Created At', (s) => s.created ?? '')],
  [
    ['Security Groups', 'security_groups'],
    column('Security Groups', (s) => listCell(((s as ServerRow).security_groups ?? []).map((g) => g.name ?? ''))),
  ],
  [['Task State', 'task_state'], TASK],
  [['Power State', 'power_state'], POWER],
  [['Image ID', 'image_id'], IMAGE_ID],
  [['Flavor ID', 'flavor_id'], FLAVOR_ID],
  [['Availability Zone', 'availability_zone'], AZ],
  [['Host', 'host'], HOST],
  [['Properties', 'properties'], PROPERTIES],
];

/**
 * The columns of `server list`, as openstackclient 6 picks them: by `--long`, by the
 * microversion (the embedded flavor of 2.47 has no ID: one Flavor column of its original name),
 * the extra columns `-c` names, and Host Status with `--long` when any server has it (2.16, admin).
 * @param wanted the `-c` names
 */
export function serverListColumns(
  servers: readonly Server[],
  opts: { long?: boolean; embeddedFlavor: boolean; wanted?: readonly string[] },
): Column<Server>[] {
  const cols: Column<Server>[] = [ID, NAME, STATUS];
  if (opts.long) cols.push(TASK, POWER);
  cols.push(NETWORKS);
  cols.push(...(opts.long ? [IMAGE_NAME, IMAGE_ID] : [IMAGE]));
  if (opts.embeddedFlavor || !opts.long) cols.push(FLAVOR);
  else cols.push(FLAVOR_NAME, FLAVOR_ID);
  if (opts.long) cols.push(AZ, HOST, PROPERTIES);
  // (openstackclient adds a --long column named by -c a second time: here once)
  for (const [names, c] of EXTRA) {
    if (opts.wanted?.some((w) => names.includes(w)) && !cols.some((x) => x.name === c.name)) cols.push(c);
  }
  if (opts.long && servers.some((s) => (s as ServerRow).host_status !== undefined)) cols.push(HOST_STATUS);
  return cols;
}

/**
 * A server's fields as `openstack server show -f json` prints them (openstackclient
 * compute/v2/server.py `_prep_server_detail`): Nova's fields, with `image` as `NAME (ID)` (the ID
 * alone when Glance does not name it; `N/A (booted from volume)`), `flavor` as `NAME (ID)` before
 * 2.47 and Nova's embedded flavor object from 2.47, `addresses` as `{network: [address…]}`,
 * `metadata` as `properties`, `tenant_id` as `project_id`, `os-extended-volumes:volumes_attached`
 * as `volumes_attached`, and no `links`. `OS-EXT-STS:power_state` stays a number in `-f json`.
 * @param names the image's and the flavor's names, when looked up
 */
export function serverDetail(server: Server, names: { image?: string; flavor?: string } = {}): Record<string, unknown> {
  const info: Record<string, unknown> = { ...server };
  const imageId = imageIdOf(server);
  info.image = imageId ? (names.image ? `${names.image} (${imageId})` : imageId) : BOOTED_FROM_VOLUME;
  const flavor = server.flavor;
  if (flavor && flavor.id) info.flavor = names.flavor ? `${names.flavor} (${flavor.id})` : flavor.id;
  else if (flavor) info.flavor = dictCell(flavor);
  if ('os-extended-volumes:volumes_attached' in info) {
    info.volumes_attached = info['os-extended-volumes:volumes_attached'];
    delete info['os-extended-volumes:volumes_attached'];
  }
  if (Array.isArray(info.tags)) info.tags = listCell(info.tags as unknown[]);
  info.addresses = networksCell(server.addresses);
  info.properties = dictCell((server as ServerRow).metadata);
  delete info.metadata;
  if ('tenant_id' in info) {
    info.project_id = info.tenant_id;
    delete info.tenant_id;
  }
  if ('OS-EXT-STS:power_state' in info)
    info['OS-EXT-STS:power_state'] = powerStateCell(server['OS-EXT-STS:power_state']);
  delete info.links;
  return info;
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
  // the default and --long columns at 2.47+; `server list` picks its own (serverListColumns)
  columns: [ID, NAME, STATUS, TASK, POWER, NETWORKS, IMAGE, IMAGE_ID, FLAVOR, AZ, HOST, PROPERTIES],
});
