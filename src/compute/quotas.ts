/**
 * Compute quotas, limits and quota refusals (api-ref compute "Quota sets (os-quota-sets)",
 * "Quota class sets (os-quota-class-sets)", "Limits (limits)"; nova/api/openstack/compute/
 * quota_sets.py, quota_classes.py, limits.py). Keys as Nova names them (`cores`, `key_pairs`,
 * `metadata_items`…); {@link QUOTA_NAMES} maps them to openstackclient's words
 * (openstackclient/common/quota.py `COMPUTE_QUOTAS`, `NOVA_NETWORK_QUOTAS`). Which keys Nova
 * answers depends on the microversion: the network ones go at 2.36, the injected-file ones at
 * 2.57; quota classes show server groups from 2.50.
 */
import * as v from 'valibot';
import { NcliError } from '../errors.js';
import { ApiError } from '../http/errors.js';
import type { ComputeClient } from './client.js';
import { adminRefusal } from './policy.js';

/** Nova's quota key → openstackclient's name (`quota show` keys and `quota set` flags). */
export const QUOTA_NAMES: Readonly<Record<string, string>> = {
  cores: 'cores',
  fixed_ips: 'fixed-ips',
  injected_file_content_bytes: 'injected-file-size',
  injected_file_path_bytes: 'injected-path-size',
  injected_files: 'injected-files',
  instances: 'instances',
  key_pairs: 'key-pairs',
  metadata_items: 'properties',
  ram: 'ram',
  server_groups: 'server-groups',
  server_group_members: 'server-group-members',
  floating_ips: 'floating-ips',
  security_group_rules: 'secgroup-rules',
  security_groups: 'secgroups',
};

/** A quota set as Nova answers it: `{id, cores: 20, ram: 51200, …}` (numbers; -1 is unlimited). */
export type QuotaSet = Record<string, unknown> & { id?: string };

const QuotaSetSchema = v.looseObject({ quota_set: v.looseObject({ id: v.optional(v.string()) }) });
const QuotaClassSchema = v.looseObject({ quota_class_set: v.looseObject({ id: v.optional(v.string()) }) });

/**
 * The quotas of a project (`GET /os-quota-sets/{id}`), the defaults new projects get
 * (`…/{id}/defaults`), or each quota's `{limit, in_use, reserved}` (`…/{id}/detail`). Nova does
 * not check that the project exists.
 * @throws ApiError, NetworkError
 */
export async function getQuotaSet(
  client: ComputeClient,
  projectId: string,
  which: 'quotas' | 'defaults' | 'detail' = 'quotas',
): Promise<QuotaSet> {
  const path = `/os-quota-sets/${encodeURIComponent(projectId)}${which === 'quotas' ? '' : `/${which}`}`;
  return (await client.read('GET', path, QuotaSetSchema, 'a quota set')).quota_set;
}

/** The quotas of a quota class (`GET /os-quota-class-sets/{class}`; `default` is the one Nova uses). @throws ApiError */
export async function getQuotaClass(client: ComputeClient, name: string): Promise<QuotaSet> {
  const path = `/os-quota-class-sets/${encodeURIComponent(name)}`;
  return (await client.read('GET', path, QuotaClassSchema, 'a quota class set')).quota_class_set;
}

/**
 * Sets quotas of a project (`PUT /os-quota-sets/{id}`, `force`: also below what is in use) or of a
 * class (`PUT /os-quota-class-sets/{class}`). Values by Nova's keys.
 * @throws AdminRequiredError (403), NcliError `REFUSED` (400: a limit below the use without force,
 *   a key this microversion does not take), ApiError
 */
export async function setQuotas(
  client: ComputeClient,
  target: { projectId: string } | { className: string },
  values: Record<string, number>,
  force = false,
): Promise<void> {
  const [path, body, label] =
    'projectId' in target
      ? [
          `/os-quota-sets/${encodeURIComponent(target.projectId)}`,
          { quota_set: { ...values, ...(force ? { force: true } : {}) } },
          `the quotas of project ${target.projectId}`,
        ]
      : [
          `/os-quota-class-sets/${encodeURIComponent(target.className)}`,
          { quota_class_set: values },
          `the quotas of class ${target.className}`,
        ];
  try {
    await client.send('PUT', path, { body });
  } catch (e) {
    if (e instanceof ApiError && e.status === 400) {
      throw new NcliError(
        'REFUSED',
        `Nova refused to set ${label}: ${e.serverMessage.replace(/\.$/, '')} (HTTP 400${e.requestId ? `, request ${e.requestId}` : ''}).`,
        { cause: e },
      );
    }
    throw adminRefusal(e, 'Setting quotas');
  }
}

/**
 * A quota set as `openstack quota show -f json` prints its compute part: openstackclient's names
 * ({@link QUOTA_NAMES}; other keys as Nova names them), `project` for Nova's `id`, and
 * `project_name` when known, sorted by key.
 */
export function quotaFields(q: QuotaSet, projectName?: string | null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(q)) {
    if (k === 'id') out.project = val;
    else out[QUOTA_NAMES[k] ?? k] = val;
  }
  if (projectName !== undefined) out.project_name = projectName;
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** What `GET /limits` answers: `absolute` (`maxTotalInstances`, `totalInstancesUsed`…) and `rate` (empty since Newton). */
export const LimitsSchema = v.looseObject({
  absolute: v.record(v.string(), v.unknown()),
  rate: v.optional(
    v.array(
      v.looseObject({
        uri: v.optional(v.string()),
        regex: v.optional(v.string()),
        limit: v.optional(v.array(v.looseObject({}))),
      }),
    ),
  ),
});
export type Limits = v.InferOutput<typeof LimitsSchema>;

/**
 * The compute limits of this project, or of `projectId` (admin: `tenant_id`); `reserved` asks for
 * reserved resources to count as used.
 * @throws ApiError, NetworkError
 */
export async function getLimits(
  client: ComputeClient,
  opts: { projectId?: string; reserved?: boolean } = {},
): Promise<Limits> {
  const query = { tenant_id: opts.projectId, reserved: opts.reserved ? 1 : undefined };
  return (await client.read('GET', '/limits', v.looseObject({ limits: LimitsSchema }), 'limits', { query })).limits;
}

/** Nova refused a request over a quota (`REFUSED`, HTTP 403 or 413). */
export class QuotaExceededError extends NcliError {
  override readonly name = 'QuotaExceededError';
  constructor(
    message: string,
    /** The quotas over their limit, by Nova's keys (`instances`, `cores`, `ram`). */
    readonly quotas: string[],
    cause: ApiError,
  ) {
    super('REFUSED', message, { cause });
  }
}

// nova/exception.py TooManyInstances: "Quota exceeded for %(overs)s: Requested %(req)s, but
// already used %(used)s of %(allowed)s %(overs)s" (comma-joined when several quotas are over)
const TOO_MANY = /^Quota exceeded for ([\w, ]+): Requested ([\w, -]+), but already used ([\d, ]+) of ([-\d, ]+) /;

/**
 * `e` worded for a person when Nova refused it over a quota (HTTP 403, or 413 from older
 * clouds): "Over the instances quota of this project creating server web-1: its limit is 10 and
 * 10 are in use; 1 more were asked for (HTTP 403, request req-…); delete some or have an admin
 * raise the quota." Anything else is returned unchanged.
 * @param what the refused request as a sentence part (`creating server web-1`)
 */
export function quotaRefusal(e: unknown, what: string): unknown {
  if (!(e instanceof ApiError) || (e.status !== 403 && e.status !== 413)) return e;
  const said = `(HTTP ${e.status}${e.requestId ? `, request ${e.requestId}` : ''})`;
  const m = TOO_MANY.exec(e.serverMessage);
  if (m) {
    const split = (s: string) => s.split(',').map((x) => x.trim());
    const [overs, reqs, used, allowed] = [split(m[1]), split(m[2]), split(m[3]), split(m[4])];
    const parts = overs.map(
      (q, i) => `${q}: limit ${allowed[i] ?? '?'}, in use ${used[i] ?? '?'}, asked for ${reqs[i] ?? '?'} more`,
    );
    return new QuotaExceededError(
      `Over quota ${what} (${parts.join('; ')}) ${said}; delete unused resources or have an admin raise the quota.`,
      overs,
      e,
    );
  }
  if (/quota exceeded/i.test(e.serverMessage)) {
    return new QuotaExceededError(
      `Over quota ${what}: ${e.serverMessage.replace(/\.$/, '')} ${said}; delete unused resources or have an admin raise the quota.`,
      [],
      e,
    );
  }
  return e;
}
