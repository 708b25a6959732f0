/**
 * The server group resource (api-ref compute "Server groups (os-server-groups)":
 * `GET /os-server-groups[?all_projects=True]`, paged by `limit` + `offset` with no links,
 * `GET /os-server-groups/{id}`). From compute API 2.64 a group has one `policy` and `rules`
 * (`{"max_server_per_host": N}`) instead of a `policies` list. Names need not be unique and Nova
 * has no name filter: a name is matched exactly over the listing. Columns and `-f json` keys as
 * `openstack server group list|show` (openstackclient/compute/v2/server_group.py: ID, Name,
 * Policy — Policies before 2.64 —, `--long` Members, Project Id, User Id; show hides
 * `metadata`, names `member_ids` `members`).
 */
import * as v from 'valibot';
import { column, defineResource, type Column } from '../resource.js';

const optionalString = v.optional(v.nullable(v.string()));

export const ServerGroupSchema = v.looseObject({
  id: v.string(),
  name: v.nullable(v.string()),
  /** Before 2.64: the policies, one of them. */
  policies: v.optional(v.nullable(v.array(v.string()))),
  /** From 2.64: `affinity`, `anti-affinity`, `soft-affinity`, `soft-anti-affinity`. */
  policy: optionalString,
  /** From 2.64: `{"max_server_per_host": N}` for anti-affinity, else `{}`. */
  rules: v.optional(v.nullable(v.record(v.string(), v.unknown()))),
  /** The IDs of the servers in the group. */
  members: v.optional(v.nullable(v.array(v.string()))),
  metadata: v.optional(v.nullable(v.record(v.string(), v.unknown()))),
  project_id: optionalString,
  user_id: optionalString,
});
export type ServerGroup = v.InferOutput<typeof ServerGroupSchema>;

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** The columns of `server group list`: `Policy` from 2.64 (`policy` is set), `Policies` before. */
export function serverGroupColumns(policy: boolean): readonly Column<ServerGroup>[] {
  return [
    column('ID', (g) => g.id),
    column('Name', (g) => g.name ?? ''),
    policy ? column('Policy', (g) => g.policy ?? '') : column('Policies', (g) => g.policies ?? []),
    column('Members', (g) => g.members ?? [], { long: true }),
    column('Project Id', (g) => g.project_id ?? '', { long: true }),
    column('User Id', (g) => g.user_id ?? '', { long: true }),
  ];
}

export const SERVER_GROUP = defineResource<ServerGroup>({
  kind: 'server-group',
  path: '/os-server-groups',
  key: 'server_groups',
  item: ServerGroupSchema,
  paging: 'offset',
  show: { path: (id) => `/os-server-groups/${encodeURIComponent(id)}`, key: 'server_group' },
  idPattern: UUID,
  columns: serverGroupColumns(true),
});

/**
 * A server group as `openstack server group show|create -f json` prints it: `id`, `members`,
 * `name`, `policy` and `rules` (2.64+) or `policies` (before), `project_id`, `user_id`; Nova's
 * other fields too, except `metadata` (always empty; openstackclient hides it).
 * @param policy whether the run's microversion is 2.64 or newer
 */
export function serverGroupFields(g: ServerGroup, policy: boolean): Record<string, unknown> {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { metadata, members, policies, rules, ...rest } = g;
  const out: Record<string, unknown> = { ...rest, id: g.id, members: members ?? [], name: g.name ?? '' };
  if (policy) {
    out.policy = g.policy ?? null;
    out.rules = rules ?? {};
  } else {
    out.policies = policies ?? [];
  }
  out.project_id = g.project_id ?? null;
  out.user_id = g.user_id ?? null;
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}
