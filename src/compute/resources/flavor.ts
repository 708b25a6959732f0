/**
 * The flavor resource (api-ref compute "Flavors": `GET /flavors/detail`, `GET /flavors/{id}`),
 * with the columns of `openstack flavor list` (openstackclient/compute/v2/flavor.py `ListFlavor`:
 * ID, Name, RAM, Disk, Ephemeral, VCPUs, Is Public; `--long` adds Swap, RXTX Factor, Properties).
 * Flavor IDs need not be UUIDs, so every ref is tried as an ID first.
 */
import { dictCell } from '../../formatted.js';
import { column, defineResource } from '../resource.js';
import { FlavorSchema, type Flavor } from '../types.js';

export const FLAVOR = defineResource<Flavor>({
  kind: 'flavor',
  path: '/flavors/detail',
  key: 'flavors',
  item: FlavorSchema,
  paging: 'links',
  show: { path: (id) => `/flavors/${encodeURIComponent(id)}`, key: 'flavor' },
  columns: [
    column('ID', (f) => f.id),
    column('Name', (f) => f.name),
    column('RAM', (f) => f.ram),
    column('Disk', (f) => f.disk),
    column('Ephemeral', (f) => f['OS-FLV-EXT-DATA:ephemeral'] ?? 0),
    column('VCPUs', (f) => f.vcpus),
    column('Is Public', (f) => f['os-flavor-access:is_public'] ?? true),
    column('Swap', (f) => (f.swap === '' || f.swap === undefined ? 0 : f.swap), { long: true }),
    column('RXTX Factor', (f) => f.rxtx_factor ?? 1.0, { long: true }),
    column('Properties', (f) => dictCell(f.extra_specs), { long: true }),
  ],
});

/**
 * A flavor's fields as `openstack flavor show|create -f json` prints them (openstackclient
 * compute/v2/flavor.py `_get_flavor_columns`): Nova's fields with `extra_specs` as `properties`
 * (a dict), no `links`, and for `show` `access_project_ids` (the projects of a private flavor,
 * null for a public one). `swap` is Nova's answer at the run's microversion (0 from 2.75, "" before).
 * @param access the projects of a private flavor (`show`); undefined leaves the field out (`create`)
 * @param specs the extra specs when the flavor does not embed them (before 2.61)
 */
export function flavorDetail(
  f: Flavor,
  opts: { access?: string[] | null; specs?: Record<string, string> } = {},
): Record<string, unknown> {
  const info: Record<string, unknown> = {
    'OS-FLV-DISABLED:disabled': false,
    'OS-FLV-EXT-DATA:ephemeral': 0,
    description: null,
    ...f,
  };
  info.properties = dictCell(f.extra_specs ?? opts.specs ?? {});
  delete info.extra_specs;
  delete info.links;
  if (opts.access !== undefined) info.access_project_ids = opts.access;
  return info;
}
