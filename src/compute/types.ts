/**
 * Shapes of Nova resources as the API returns them (api-ref compute "Servers", "Flavors"), as
 * valibot schemas that check the fields ncli reads and keep everything else as it came; the types
 * are inferred from them.
 */
import { v } from '../http/shape.js';

const optionalString = v.optional(v.nullable(v.string()));

/** A `*_links` entry of a paginated collection. */
export const LinkSchema = v.looseObject({ rel: v.string(), href: v.string() });
export type Link = v.InferOutput<typeof LinkSchema>;

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
});
export type Server = v.InferOutput<typeof ServerSchema>;

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
});
export type Flavor = v.InferOutput<typeof FlavorSchema>;
