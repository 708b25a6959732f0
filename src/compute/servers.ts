/**
 * Servers: `GET /servers/detail` with filters and pagination, `GET /servers/{id}`, `POST /servers`
 * and `DELETE /servers/{id}` (api-ref compute "List Servers Detailed", "Show Server Details",
 * "Create Server", "Delete Server"; api-guide `paginated_collections.rst`), and the microversion a
 * feature needs.
 */
import { NcliError } from '../errors.js';
import type { ComputeClient, Query } from './client.js';
import { escapeRegex } from './by-name.js';
import { getResource, listResource } from './resource.js';
import { SERVER } from './resources/server.js';
import { ApiError, NetworkError, TimeoutError } from '../http/errors.js';
import * as v from 'valibot';
import { checkShape } from '../http/shape.js';
import { parseJson } from '../http/transport.js';
import { hasMicroversion, requireMicroversion } from './versions.js';
import { quotaRefusal } from './quotas.js';

export { hasMicroversion, requireMicroversion } from './versions.js';
import type { Server } from './types.js';

/** One server-side sort key and its direction (`sort_key`/`sort_dir`, repeated in order). */
export interface SortKey {
  /** A Nova sort key: `display_name`, `created_at`, `vm_state`, `host`… (nova/api/openstack/compute/schemas/servers.py). */
  key: string;
  dir?: 'asc' | 'desc';
}

/** The filters of `GET /servers/detail` (api-ref "List Servers Detailed", query parameters). */
export interface ServerFilters {
  /** Nova treats it as a regular expression (unanchored). */
  name?: string;
  status?: string;
  allProjects?: boolean;
  /** At most this many servers; all when undefined or negative. */
  limit?: number;
  /** Start after the server with this ID. */
  marker?: string;
  /** A flavor ID. */
  flavor?: string;
  /** An image ID. */
  image?: string;
  /** A compute host name (admin). */
  host?: string;
  /** A regular expression matched against the IPv4 addresses. */
  ip?: string;
  /** ISO 8601: only servers changed at or after it (deleted ones included, as Nova does). */
  changesSince?: string;
  /** ISO 8601: only servers changed at or before it (2.66). */
  changesBefore?: string;
  /** Only locked (true) or unlocked (false) servers (2.73). */
  locked?: boolean;
  /** Only servers with all of these tags (2.26). */
  tags?: readonly string[];
  /** Only servers without all of these tags (2.26). */
  notTags?: readonly string[];
  /** Only deleted servers (admin). */
  deleted?: boolean;
  /** Server-side order. */
  sort?: readonly SortKey[];
  /** The servers of one multiple-create request (`r-…`). */
  reservationId?: string;
}

/** The query of {@link listServers}, after the microversion checks. */
async function serverQuery(client: ComputeClient, f: ServerFilters): Promise<Query> {
  if (f.locked !== undefined) await requireMicroversion(client, '2.73', 'Filtering servers by lock state');
  if (f.tags?.length || f.notTags?.length) await requireMicroversion(client, '2.26', 'Filtering servers by tag');
  if (f.changesBefore) await requireMicroversion(client, '2.66', 'Filtering servers by changes-before');
  return {
    name: f.name,
    status: f.status?.toUpperCase(),
    all_tenants: f.allProjects ? 1 : undefined,
    flavor: f.flavor,
    image: f.image,
    host: f.host,
    ip: f.ip,
    'changes-since': f.changesSince,
    'changes-before': f.changesBefore,
    locked: f.locked === undefined ? undefined : String(f.locked),
    tags: f.tags?.length ? f.tags.join(',') : undefined,
    'not-tags': f.notTags?.length ? f.notTags.join(',') : undefined,
    deleted: f.deleted ? 'true' : undefined,
    reservation_id: f.reservationId,
    sort_key: f.sort?.length ? f.sort.map((s) => s.key) : undefined,
    sort_dir: f.sort?.length ? f.sort.map((s) => s.dir ?? 'desc') : undefined,
  };
}

/**
 * Lists servers with details, every page unless `limit` says otherwise.
 * @throws ConfigError `MICROVERSION` for a filter the cloud (or the run) is too old for; ApiError,
 *   NetworkError
 */
export async function listServers(client: ComputeClient, f: ServerFilters = {}): Promise<Server[]> {
  return listResource(client, SERVER, { query: await serverQuery(client, f), limit: f.limit, marker: f.marker });
}

/** One server by ID. @throws ApiError (404 when absent) */
export function getServer(client: ComputeClient, id: string): Promise<Server> {
  return getResource(client, SERVER, id);
}

/**
 * One server by ID, or null when Nova answers 404 (what a wait for a deletion polls).
 * @throws ApiError (other statuses), NetworkError
 */
export async function serverOrNull(client: ComputeClient, id: string): Promise<Server | null> {
  try {
    return await getServer(client, id);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}

/** What `POST /servers` is asked for (api-ref "Create Server", request body `server`). */
export interface CreateServerRequest {
  name: string;
  imageRef: string;
  flavorRef: string;
  /**
   * `auto` / `none` (2.37+), or network UUIDs; undefined: `auto` from 2.37 (where Nova needs a
   * value, as openstackclient does), nothing before.
   */
  networks?: 'auto' | 'none' | readonly (string | { uuid?: string; port?: string; fixed_ip?: string; tag?: string })[];
  /** Security group IDs (or names): `security_groups` `[{"name": …}]`. */
  securityGroups?: readonly string[];
  /** `block_device_mapping_v2` entries (`--boot-from-volume`; then `imageRef` is `''`). */
  blockDeviceMappingV2?: readonly Record<string, unknown>[];
  keyName?: string;
  /** The user data, not yet base64-encoded (at most 65535 bytes once encoded). */
  userData?: Buffer;
  /** `metadata` key/value pairs (`--property`). */
  metadata?: Record<string, string>;
  /** Several servers at once (`min_count`/`max_count`); Nova names them `<name>-1`, `<name>-2`… */
  minCount?: number;
  maxCount?: number;
  /** `AZ`, `AZ:HOST` or `AZ:HOST:NODE` (a host or node: admin), as Nova parses `availability_zone`. */
  availabilityZone?: string;
  /** 2.19. */
  description?: string;
  /** 2.52. */
  tags?: readonly string[];
  /** A config drive (`config_drive`). */
  configDrive?: boolean;
  /** `os:scheduler_hints` (`--hint`): `group` (a server group ID), `same_host`, … */
  schedulerHints?: Record<string, string | string[]>;
}

/** What `POST /servers` answered: the first server's ID, or the reservation of a multiple create. */
export interface CreatedServer {
  /** The new server's ID (for one server). */
  id?: string;
  /** The reservation (`r-…`) of a multiple create: list it with `reservationId`. */
  reservationId?: string;
  /** Nova's request ID: the `create` instance action's `request_id`. */
  requestId?: string;
}

const CreateAnswerSchema = v.looseObject({
  server: v.optional(v.looseObject({ id: v.string() })),
  reservation_id: v.optional(v.string()),
});

/**
 * `POST /servers`. Sent once: the transport never retries a POST, and neither does this (a lost
 * answer leaves it unknown whether Nova created the server; see {@link findCreatedServers}).
 * Several servers (`maxCount` > 1) ask for `return_reservation_id`, so that all of them can be
 * listed afterwards (the answer otherwise names only the first).
 * @throws QuotaExceededError (403/413 over a quota: which, its limit and use), ApiError (400 bad
 *   request, 403 policy, 404 image/flavor/network not found, 409),
 *   NetworkError, TimeoutError, NcliError `BAD_RESPONSE`
 */
export async function createServer(client: ComputeClient, req: CreateServerRequest): Promise<CreatedServer> {
  const at237 = await hasMicroversion(client, '2.37');
  const networks =
    req.networks === undefined
      ? at237
        ? 'auto'
        : undefined
      : typeof req.networks === 'string'
        ? req.networks
        : req.networks.map((n) => (typeof n === 'string' ? { uuid: n } : n));
  const multi = (req.maxCount ?? 1) > 1 || (req.minCount ?? 1) > 1;
  const server: Record<string, unknown> = {
    name: req.name,
    imageRef: req.imageRef,
    flavorRef: req.flavorRef,
    ...(networks === undefined ? {} : { networks }),
    ...(req.keyName ? { key_name: req.keyName } : {}),
    ...(req.userData ? { user_data: req.userData.toString('base64') } : {}),
    ...(req.metadata && Object.keys(req.metadata).length ? { metadata: req.metadata } : {}),
    ...(req.securityGroups?.length ? { security_groups: req.securityGroups.map((name) => ({ name })) } : {}),
    ...(req.blockDeviceMappingV2?.length ? { block_device_mapping_v2: req.blockDeviceMappingV2 } : {}),
    ...(req.minCount !== undefined ? { min_count: req.minCount } : {}),
    ...(req.maxCount !== undefined ? { max_count: req.maxCount } : {}),
    ...(multi ? { return_reservation_id: true } : {}),
    ...(req.availabilityZone ? { availability_zone: req.availabilityZone } : {}),
    ...(req.description !== undefined ? { description: req.description } : {}),
    ...(req.tags?.length ? { tags: req.tags } : {}),
    ...(req.configDrive !== undefined ? { config_drive: req.configDrive } : {}),
  };
  const hints = req.schedulerHints && Object.keys(req.schedulerHints).length ? req.schedulerHints : undefined;
  const res = await client
    .send('POST', '/servers', { body: { server, ...(hints ? { 'os:scheduler_hints': hints } : {}) } })
    .catch((e: unknown) => {
      throw quotaRefusal(e, `creating server ${req.name}`);
    });
  const url = `${client.endpoint}/servers`;
  const body = checkShape(CreateAnswerSchema, parseJson(res, 'POST', url, 'compute'), {
    method: 'POST',
    url,
    service: 'compute',
    expected: 'a created server',
  });
  if (body.server) return { id: body.server.id, requestId: res.requestId };
  if (body.reservation_id) return { reservationId: body.reservation_id, requestId: res.requestId };
  throw new NcliError('BAD_RESPONSE', `POST ${url} answered neither a server nor a reservation ID.`);
}

/**
 * The servers a `POST /servers` whose answer was lost may have made: named `name` (or `name-N`
 * for a multiple create) and created at or after `since` less `skewSeconds` (clocks differ), so
 * that ncli can wait for them instead of posting again.
 * @param since when the POST was sent (this machine's clock)
 * @throws ApiError, NetworkError
 */
export async function findCreatedServers(
  client: ComputeClient,
  name: string,
  since: Date,
  opts: { multi?: boolean; skewSeconds?: number } = {},
): Promise<Server[]> {
  const from = new Date(since.getTime() - (opts.skewSeconds ?? 120) * 1000);
  const pattern = `^${escapeRegex(name)}${opts.multi ? '(-[0-9]+)?' : ''}$`;
  const found = await listServers(client, { name: pattern, changesSince: from.toISOString().replace(/\.\d+Z$/, 'Z') });
  const exact = opts.multi ? new RegExp(`^${escapeRegex(name)}(-\\d+)?$`) : undefined;
  return found.filter(
    (s) =>
      (exact ? exact.test(s.name) : s.name === name) && (!s.created || Date.parse(s.created) >= from.getTime() - 1000),
  );
}

/** What {@link createOnce} made. */
export interface CreateOutcome {
  /** The new servers (NAME-1, NAME-2, … in order for a multiple create). */
  servers: Server[];
  /** Nova's request ID of the create, when its answer came. */
  requestId?: string;
  /** Set when the answer was lost and the servers were found by name and creation time: one line saying so. */
  recovered?: string;
}

/**
 * Creates servers once: `send` (a {@link createServer}) is called once; the answer's server is
 * read back, or the reservation's servers listed. When the answer is lost (a dropped
 * connection, a timeout), the servers are looked up by name and creation time
 * ({@link findCreatedServers}) instead of posting again.
 * @throws NcliError (the network error's code) when the answer was lost and no server appeared;
 *   what `send` throws otherwise; ApiError, NetworkError of the reads
 */
export async function createOnce(
  client: ComputeClient,
  name: string,
  send: () => Promise<CreatedServer>,
  multi: boolean,
): Promise<CreateOutcome> {
  const sentAt = new Date();
  let created: CreatedServer;
  try {
    created = await send();
  } catch (e) {
    if (!(e instanceof NetworkError || e instanceof TimeoutError)) throw e;
    const found = await findCreatedServers(client, name, sentAt, { multi });
    const why = e.message.replace(/\.$/, '');
    if (!found.length) {
      throw new NcliError(
        e.code,
        `The answer to the create of server ${name} was lost (${why}) and no server named ${name} has appeared since; ncli does not send a create twice: check with \`ncli server list --name '^${name}'\` and run it again if none is there.`,
        { cause: e },
      );
    }
    return {
      servers: found,
      recovered: `the answer to the create of server ${name} was lost (${why}); found ${found.map((s) => `${s.name} (${s.id})`).join(', ')} by name and creation time: not created again.`,
    };
  }
  if (created.id) return { servers: [await getServer(client, created.id)], requestId: created.requestId };
  const servers = await listServers(client, { reservationId: created.reservationId });
  // NAME-1, NAME-2, … in order (Nova lists the newest first)
  servers.sort((x, y) => x.name.localeCompare(y.name, undefined, { numeric: true }));
  return { servers, requestId: created.requestId };
}

/**
 * `DELETE /servers/{id}` (204). Idempotent: the transport may send it again after a dropped
 * connection, and a 404 then means the first one worked.
 * @returns Nova's request ID (the `delete` instance action's `request_id`)
 * @throws ApiError (404 gone, 409 locked or in a state that cannot be deleted, 403 policy), NetworkError
 */
export async function deleteServer(client: ComputeClient, id: string): Promise<string | undefined> {
  const res = await client.send('DELETE', `/servers/${encodeURIComponent(id)}`);
  return res.requestId;
}
