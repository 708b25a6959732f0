/**
 * Server groups (api-ref compute "Server groups (os-server-groups)";
 * nova/api/openstack/compute/server_groups.py): list (offset paging, `all_projects` for an admin),
 * find by ID or exact name, create and delete. From compute API 2.64 a group is created with one
 * `policy` and optional `rules`; before, with a `policies` list of one (soft policies from 2.15).
 * The create is sent once (the transport never repeats a POST).
 */
import * as v from 'valibot';
import { NcliError, NotFoundError } from '../errors.js';
import { ApiError } from '../http/errors.js';
import type { ComputeClient } from './client.js';
import { quotaRefusal } from './quotas.js';
import { findResource, listResource } from './resource.js';
import { SERVER_GROUP, ServerGroupSchema, type ServerGroup } from './resources/server-group.js';
import { hasMicroversion, requireMicroversion } from './versions.js';

/** The policies of a server group (nova/api/openstack/compute/schemas/server_groups.py). */
export const SERVER_GROUP_POLICIES = ['affinity', 'anti-affinity', 'soft-affinity', 'soft-anti-affinity'] as const;
export type ServerGroupPolicy = (typeof SERVER_GROUP_POLICIES)[number];

/** Nova refused a server group request (`REFUSED`): over quota (403), a bad rule (400). */
export class ServerGroupRefusedError extends NcliError {
  override readonly name = 'ServerGroupRefusedError';
  constructor(message: string, cause: ApiError) {
    super('REFUSED', message, { cause });
  }
}

/** `(HTTP 403, request req-…)`. */
function said(e: ApiError): string {
  return `(HTTP ${e.status}${e.requestId ? `, request ${e.requestId}` : ''})`;
}

/** Whether this run shows and creates groups with one `policy` and `rules` (2.64+). */
export function hasPolicyField(client: ComputeClient): Promise<boolean> {
  return hasMicroversion(client, '2.64');
}

/**
 * Server groups of this project (or of every project with `allProjects`, admin), all of them
 * unless `limit`; `offset` skips that many first.
 * @throws ApiError, NetworkError, NcliError `BAD_RESPONSE`
 */
export function listServerGroups(
  client: ComputeClient,
  opts: { allProjects?: boolean; limit?: number; offset?: number } = {},
): Promise<ServerGroup[]> {
  return listResource(client, SERVER_GROUP, {
    query: { all_projects: opts.allProjects ? 'True' : undefined },
    limit: opts.limit,
    marker: opts.offset ? String(opts.offset) : undefined,
  });
}

/**
 * A server group by ID or exact name (names are looked up in this project's listing).
 * @throws NotFoundError (`NOT_FOUND`, `AMBIGUOUS`), ApiError, NetworkError
 */
export function findServerGroup(client: ComputeClient, ref: string): Promise<ServerGroup> {
  return findResource(client, SERVER_GROUP, ref);
}

/** What {@link createServerGroup} sends. */
export interface ServerGroupRequest {
  name: string;
  policy: ServerGroupPolicy;
  /** `max_server_per_host` (2.64, anti-affinity only); digits are sent as a number. */
  rules?: Record<string, string>;
}

/**
 * `POST /os-server-groups`: `{"name", "policy", "rules"}` from 2.64, `{"name", "policies": [p]}`
 * before. Sent once.
 * @throws ConfigError `MICROVERSION` (a soft policy before 2.15, rules before 2.64),
 *   ServerGroupRefusedError (403 over the server_groups quota, 400 a rule Nova refuses), ApiError
 */
export async function createServerGroup(client: ComputeClient, req: ServerGroupRequest): Promise<ServerGroup> {
  if (req.policy.startsWith('soft-')) await requireMicroversion(client, '2.15', `The ${req.policy} policy`);
  const rules = req.rules && Object.keys(req.rules).length ? req.rules : undefined;
  if (rules) await requireMicroversion(client, '2.64', 'A server group rule (--rule)');
  const group: Record<string, unknown> = { name: req.name };
  if (await hasPolicyField(client)) {
    group.policy = req.policy;
    if (rules) {
      group.rules = Object.fromEntries(Object.entries(rules).map(([k, x]) => [k, /^\d+$/.test(x) ? Number(x) : x]));
    }
  } else {
    group.policies = [req.policy];
  }
  try {
    const body = await client.read(
      'POST',
      '/os-server-groups',
      v.looseObject({ server_group: ServerGroupSchema }),
      'a created server group',
      { body: { server_group: group } },
    );
    return body.server_group;
  } catch (e) {
    const over = quotaRefusal(e, `creating server group ${req.name}`);
    if (over !== e) throw over;
    if (e instanceof ApiError && (e.status === 400 || e.status === 403)) {
      throw new ServerGroupRefusedError(
        `Nova refused server group '${req.name}': ${e.serverMessage.replace(/\.$/, '')} ${said(e)}.`,
        e,
      );
    }
    throw e;
  }
}

/** `DELETE /os-server-groups/{id}`. @throws NotFoundError (gone meanwhile), ApiError */
export async function deleteServerGroup(client: ComputeClient, group: Pick<ServerGroup, 'id' | 'name'>): Promise<void> {
  try {
    await client.send('DELETE', SERVER_GROUP.show!.path(group.id));
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      throw new NotFoundError(`Server group ${group.name ?? ''} (${group.id}) no longer exists.`, { cause: e });
    }
    throw e;
  }
}
