/**
 * Shapes of Nova resources as the API returns them (api-ref compute "Servers", "Flavors"), as
 * valibot schemas that check the fields ncli reads and keep everything else as it came; the types
 * are inferred from them.
 */
import * as v from 'valibot';

const optionalString = v.optional(v.nullable(v.string()));

/** A `*_links` entry of a paginated collection. */
export const LinkSchema = v.looseObject({ rel: v.string(), href: v.string() });
export type Link = v.InferOutput<typeof LinkSchema>;

/**
 * A server's `fault` (nova/api/openstack/compute/views/servers.py `_get_fault`): `message` always,
 * `details` (a traceback) only for admins or non-500 faults.
 */
export const ServerFaultSchema = v.looseObject({
  code: v.optional(v.number()),
  message: optionalString,
  details: optionalString,
  created: optionalString,
});
export type ServerFault = v.InferOutput<typeof ServerFaultSchema>;

/**
 * A server (`GET /servers/detail` item, `GET /servers/{id}`). `flavor` is `{id, links}` before 2.47
 * and `{original_name, vcpus, ram, …}` from 2.47; `image` is `""` for a server booted from a volume.
 */
export const ServerSchema = v.looseObject({
  id: v.string(),
  name: v.string(),
  status: v.string(),
  addresses: v.optional(
    v.nullable(v.record(v.string(), v.array(v.looseObject({ addr: v.string(), version: v.optional(v.number()) })))),
  ),
  image: v.optional(v.union([v.looseObject({ id: v.optional(v.string()) }), v.string(), v.null()])),
  flavor: v.optional(v.looseObject({ id: v.optional(v.string()), original_name: v.optional(v.string()) })),
  tenant_id: optionalString,
  user_id: optionalString,
  created: optionalString,
  'OS-EXT-STS:task_state': optionalString,
  'OS-EXT-STS:power_state': v.optional(v.nullable(v.number())),
  'OS-EXT-AZ:availability_zone': optionalString,
  'OS-EXT-SRV-ATTR:host': optionalString,
  'OS-EXT-STS:vm_state': optionalString,
  /** Percent done of a build, resize or snapshot (0–100), when the driver reports it. */
  progress: v.optional(v.nullable(v.number())),
  /** Why the server is in ERROR (present only then, and for DELETED servers). */
  fault: v.optional(v.nullable(ServerFaultSchema)),
  /** From 2.9. */
  locked: v.optional(v.nullable(v.boolean())),
  /** From 2.73. */
  locked_reason: optionalString,
  /** From 2.26. */
  tags: v.optional(v.nullable(v.array(v.string()))),
  updated: optionalString,
});
export type Server = v.InferOutput<typeof ServerSchema>;

/**
 * One instance action (api-ref compute "Servers actions (servers, os-instance-actions)",
 * `GET /servers/{id}/os-instance-actions`): what was asked of a server, by which request.
 * `updated_at` from 2.58.
 */
export const InstanceActionSchema = v.looseObject({
  action: v.string(),
  request_id: v.string(),
  instance_uuid: optionalString,
  user_id: optionalString,
  project_id: optionalString,
  start_time: optionalString,
  message: optionalString,
  updated_at: optionalString,
});
export type InstanceAction = v.InferOutput<typeof InstanceActionSchema>;

/**
 * One event of an instance action (`GET /servers/{id}/os-instance-actions/{request_id}`,
 * `instanceAction.events[]`): visible to non-admins from 2.51; `host`/`hostId` from 2.62;
 * `details` (why it failed, for non-admins too) from 2.84; `traceback` for admins.
 */
export const InstanceActionEventSchema = v.looseObject({
  event: v.string(),
  start_time: optionalString,
  finish_time: optionalString,
  /** `Success`, `Error`, or null while it runs. */
  result: optionalString,
  traceback: optionalString,
  host: optionalString,
  hostId: optionalString,
  details: optionalString,
});
export type InstanceActionEvent = v.InferOutput<typeof InstanceActionEventSchema>;

/** An instance action with its events (`instanceAction`). */
export const InstanceActionDetailSchema = v.looseObject({
  ...InstanceActionSchema.entries,
  events: v.optional(v.nullable(v.array(InstanceActionEventSchema))),
});
export type InstanceActionDetail = v.InferOutput<typeof InstanceActionDetailSchema>;

/** A flavor (`GET /flavors/detail` item, `GET /flavors/{id}`). */
export const FlavorSchema = v.looseObject({
  id: v.string(),
  name: v.string(),
  ram: v.number(),
  disk: v.number(),
  vcpus: v.number(),
  'OS-FLV-EXT-DATA:ephemeral': v.optional(v.number()),
  'os-flavor-access:is_public': v.optional(v.boolean()),
  description: optionalString,
  /** MB, or "" for none (Nova answers "" rather than 0). */
  swap: v.optional(v.union([v.number(), v.string()])),
  rxtx_factor: v.optional(v.nullable(v.number())),
  /** From 2.61 (for users allowed to see them). */
  extra_specs: v.optional(v.nullable(v.record(v.string(), v.string()))),
});
export type Flavor = v.InferOutput<typeof FlavorSchema>;
