/**
 * The compute service resource (api-ref compute "Compute services (os-services)":
 * `GET /os-services`; nova/api/openstack/compute/services.py `_get_service_detail`), with the
 * columns of `openstack compute service list` (openstackclient/compute/v2/service.py
 * `ListService`: ID, Binary, Host, Zone, Status, State, Updated At; `--long` adds Disabled
 * Reason and, from 2.11, Forced Down). The ID is a number before 2.53 and a UUID from 2.53;
 * services have no names (a service is its host and binary) and no show path.
 */
import * as v from 'valibot';
import { column, defineResource } from '../resource.js';

const optionalString = v.optional(v.nullable(v.string()));

/** One compute service (`services[]` of `GET /os-services`). `forced_down` from 2.11. */
export const ComputeServiceSchema = v.looseObject({
  id: v.union([v.string(), v.number()]),
  binary: v.string(),
  host: v.string(),
  zone: optionalString,
  /** `enabled` or `disabled` (`UNKNOWN` for a service of a cell that does not answer, 2.69). */
  status: v.string(),
  /** `up` or `down` (absent for a service of a cell that does not answer). */
  state: optionalString,
  updated_at: optionalString,
  disabled_reason: optionalString,
  forced_down: v.optional(v.nullable(v.boolean())),
});
export type ComputeService = v.InferOutput<typeof ComputeServiceSchema>;

/** The `Forced Down` column's name (shown only from 2.11, as openstackclient does). */
export const FORCED_DOWN = 'Forced Down';

export const COMPUTE_SERVICE = defineResource<ComputeService>({
  kind: 'compute-service',
  noun: 'compute service',
  path: '/os-services',
  key: 'services',
  item: ComputeServiceSchema,
  paging: 'none',
  idOf: (s) => String(s.id),
  nameOf: () => undefined,
  columns: [
    column('ID', (s) => s.id),
    column('Binary', (s) => s.binary),
    column('Host', (s) => s.host),
    column('Zone', (s) => s.zone ?? ''),
    column('Status', (s) => s.status),
    column('State', (s) => s.state ?? ''),
    column('Updated At', (s) => s.updated_at ?? ''),
    column('Disabled Reason', (s) => s.disabled_reason ?? null, { long: true }),
    column(FORCED_DOWN, (s) => s.forced_down ?? false, { long: true }),
  ],
});
