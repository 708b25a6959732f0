/**
 * The flavor resource (api-ref compute "Flavors": `GET /flavors/detail`, `GET /flavors/{id}`),
 * with the columns of `openstack flavor list` (openstackclient/compute/v2/flavor.py `ListFlavor`:
 * ID, Name, RAM, Disk, Ephemeral, VCPUs, Is Public; `--long` adds Swap, RXTX Factor, Properties).
 * Flavor IDs need not be UUIDs, so every ref is tried as an ID first.
 */
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
    column('Properties', (f) => f.extra_specs ?? {}, { long: true }),
  ],
});
