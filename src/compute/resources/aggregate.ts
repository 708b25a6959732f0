/**
 * The host aggregate resource (api-ref compute "Host Aggregates": `GET /os-aggregates`,
 * `GET /os-aggregates/{id}`; nova/api/openstack/compute/aggregates.py), with the columns of
 * `openstack aggregate list` (openstackclient/compute/v2/aggregate.py `ListAggregate`: ID, Name,
 * Availability Zone; `--long` adds Properties and Hosts) and the fields of `aggregate show`.
 *
 * Aggregate IDs are integers (Nova validates them as such), so only digits are tried as an ID;
 * `uuid` exists from 2.41. The listing is not paged. Nova keeps the availability zone both in
 * `availability_zone` and as the `availability_zone` key of `metadata`: openstackclient leaves that
 * key out of Properties, and so does ncli.
 */
import * as v from 'valibot';
import { column, defineResource } from '../resource.js';

const optionalString = v.optional(v.nullable(v.string()));

/** One aggregate. `POST /os-aggregates` answers without `hosts` and `metadata`. */
export const AggregateSchema = v.looseObject({
  id: v.number(),
  name: v.string(),
  availability_zone: optionalString,
  hosts: v.optional(v.nullable(v.array(v.string()))),
  metadata: v.optional(v.nullable(v.record(v.string(), v.nullable(v.string())))),
  created_at: optionalString,
  updated_at: optionalString,
  deleted_at: optionalString,
  deleted: v.optional(v.boolean()),
  /** From 2.41. */
  uuid: v.optional(v.string()),
});
export type Aggregate = v.InferOutput<typeof AggregateSchema>;

/** The aggregate's metadata without the `availability_zone` key, as openstackclient shows Properties. */
export function propertiesOf(a: Aggregate): Record<string, string | null> {
  const { availability_zone: _zone, ...rest } = a.metadata ?? {};
  return rest;
}

/**
 * An aggregate as `openstack aggregate show -f json` prints it (openstacksdk's `Aggregate` fields,
 * sorted, `metadata` renamed `properties`, `deleted` renamed `is_deleted`).
 */
export function aggregateFields(a: Aggregate): Record<string, unknown> {
  return {
    availability_zone: a.availability_zone ?? null,
    created_at: a.created_at ?? null,
    deleted_at: a.deleted_at ?? null,
    hosts: a.hosts ?? [],
    id: a.id,
    is_deleted: a.deleted ?? false,
    name: a.name,
    properties: propertiesOf(a),
    updated_at: a.updated_at ?? null,
    uuid: a.uuid ?? null,
  };
}

export const AGGREGATE = defineResource<Aggregate>({
  kind: 'aggregate',
  path: '/os-aggregates',
  key: 'aggregates',
  item: AggregateSchema,
  paging: 'none',
  show: { path: (ref) => `/os-aggregates/${encodeURIComponent(ref)}`, key: 'aggregate' },
  idPattern: /^\d+$/,
  columns: [
    column('ID', (a) => a.id),
    column('Name', (a) => a.name),
    column('Availability Zone', (a) => a.availability_zone ?? null),
    column('Properties', (a) => propertiesOf(a), { long: true }),
    column('Hosts', (a) => a.hosts ?? [], { long: true }),
  ],
});
