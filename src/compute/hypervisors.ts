/**
 * Hypervisors (api-ref compute "Hypervisors"; nova/api/openstack/compute/hypervisors.py): the
 * listing and its hostname search, one hypervisor as `openstack hypervisor show` prints it (with
 * its aggregates and uptime), and the statistics Nova served up to 2.87. Every call is admin-only
 * by default policy: a 403 becomes one line saying an admin role is needed.
 */
import * as v from 'valibot';
import { ApiError } from '../http/errors.js';
import type { ComputeClient } from './client.js';
import { asAdmin } from './policy.js';
import { findResource, listResource } from './resource.js';
import { AGGREGATE, type Aggregate } from './resources/aggregate.js';
import { HYPERVISOR, type Hypervisor } from './resources/hypervisor.js';
import { cappedVersion, hasMicroversion, requireAtMost } from './versions.js';

/** Filters and paging of {@link listHypervisors}. */
export interface HypervisorFilter {
  /** A substring of the hostname (`hypervisor_hostname_pattern` from 2.53, `…/{pattern}/search` before). */
  matching?: string;
  /** At most this many (paged from 2.33; all when undefined or negative). */
  limit?: number;
  /** Start after this hypervisor ID (2.33+). */
  marker?: string;
}

/**
 * The hypervisors, following the pages (2.33+) to the end or `limit`. A `matching` pattern that
 * matches nothing (Nova answers 404) is an empty list. Before 2.53 the search answers the short
 * form (ID, hostname, state, status).
 * @throws AdminRequiredError (403), ApiError, NetworkError
 */
export function listHypervisors(client: ComputeClient, f: HypervisorFilter = {}): Promise<Hypervisor[]> {
  return asAdmin('Listing hypervisors', async () => {
    if (f.matching === undefined) {
      const paged = await hasMicroversion(client, '2.33');
      return listResource(client, HYPERVISOR, { limit: f.limit, marker: f.marker, paged });
    }
    const modern = await hasMicroversion(client, '2.53');
    try {
      return await listResource(client, HYPERVISOR, {
        paged: false,
        ...(modern
          ? { query: { hypervisor_hostname_pattern: f.matching } }
          : { path: `/os-hypervisors/${encodeURIComponent(f.matching)}/search` }),
      });
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return [];
      throw e;
    }
  });
}

/**
 * A hypervisor by ID or exact hostname (`hypervisor_hostname_pattern` narrows the search from 2.53).
 * @throws NotFoundError (`NOT_FOUND`, `AMBIGUOUS`), AdminRequiredError (403), ApiError, NetworkError
 */
export function findHypervisor(client: ComputeClient, ref: string): Promise<Hypervisor> {
  return asAdmin('Showing a hypervisor', () => findResource(client, HYPERVISOR, ref));
}

/** `uptime`'s usual shape: `17:37:14 up  2:33,  3 users,  load average: 0.33, 0.36, 0.34` (openstackclient's pattern). */
const UPTIME = /^\s*(.+)\sup\s+(.+),\s+(.+)\susers?,\s+load average:\s(.+)/;

/**
 * `uptime` split as openstackclient splits it: `host_time`, `uptime`, `users`, `load_average`;
 * a line of another shape is kept whole as `uptime`; null stays `uptime: null` (the driver has none).
 */
export function uptimeFields(line: string | null): Record<string, string | null> {
  const m = line === null ? null : UPTIME.exec(line);
  if (!m) return { uptime: line };
  return { host_time: m[1], uptime: m[2], users: m[3], load_average: m[4] };
}

const UptimeSchema = v.looseObject({ hypervisor: v.looseObject({ uptime: v.optional(v.nullable(v.string())) }) });

/**
 * The uptime line before 2.88 (`GET /os-hypervisors/{id}/uptime`, served ≤ 2.87); undefined when
 * the driver has none (501: the fake driver), the node's service is down (400) or gone (404): the
 * show goes on without it, as openstackclient's does on a 501.
 * @throws ApiError (other statuses), NetworkError
 */
async function uptimeBefore288(client: ComputeClient, id: string): Promise<string | null | undefined> {
  try {
    const body = await client.read(
      'GET',
      `/os-hypervisors/${encodeURIComponent(id)}/uptime`,
      UptimeSchema,
      'an uptime',
      {
        microversion: await cappedVersion(client, '2.87'),
      },
    );
    return body.hypervisor.uptime ?? null;
  } catch (e) {
    if (e instanceof ApiError && (e.status === 501 || e.status === 404 || e.status === 400)) return undefined;
    throw e;
  }
}

/** The names of the aggregates holding `serviceHost` (`cell@host` in a multi-cell listing: same cell prefix). */
export function aggregatesOf(aggregates: readonly Aggregate[], serviceHost: string): string[] {
  const at = serviceHost.indexOf('@');
  const cell = at >= 0 ? serviceHost.slice(0, at) : undefined;
  const host = at >= 0 ? serviceHost.slice(at + 1) : serviceHost;
  return aggregates
    .filter((a) => (a.hosts ?? []).includes(host) && (cell === undefined || a.name.includes(cell)))
    .map((a) => a.name);
}

/**
 * A hypervisor as `openstack hypervisor show -f json` prints it
 * (openstackclient/compute/v2/hypervisor.py `ShowHypervisor`): the cloud's fields, sorted, with
 * `aggregates` (the names of the aggregates holding its host), `service_id` and `service_host` in
 * place of `service`, `cpu_info` as an object (a JSON string before 2.28), and the uptime: before
 * 2.88 from `GET …/uptime` when the driver has one, from 2.88 the item's own `uptime`, split into
 * `host_time`, `uptime`, `users`, `load_average` when it has the usual shape. From 2.88 the
 * resource counters are absent because the cloud no longer sends them.
 * @throws AdminRequiredError (403), ApiError, NetworkError
 */
export function showHypervisor(client: ComputeClient, h: Hypervisor): Promise<Record<string, unknown>> {
  return asAdmin('Showing a hypervisor', async () => {
    const modern = await hasMicroversion(client, '2.88');
    const [aggregates, uptime] = await Promise.all([
      listResource(client, AGGREGATE),
      modern ? Promise.resolve(h.uptime ?? null) : uptimeBefore288(client, String(h.id)),
    ]);
    const { service, uptime: _own, ...rest } = h;
    const out: Record<string, unknown> = { ...rest, aggregates: service ? aggregatesOf(aggregates, service.host) : [] };
    if (uptime !== undefined) Object.assign(out, uptimeFields(uptime));
    if (service) Object.assign(out, { service_id: service.id, service_host: service.host });
    if (typeof out.cpu_info === 'string') out.cpu_info = parseCpuInfo(out.cpu_info);
    return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  });
}

/** `cpu_info` before 2.28: a JSON string (`{}` when empty; kept as text when it is not JSON). */
function parseCpuInfo(s: string): unknown {
  if (!s) return {};
  try {
    return JSON.parse(s) as unknown;
  } catch {
    return s;
  }
}

const StatsSchema = v.looseObject({ hypervisor_statistics: v.record(v.string(), v.unknown()) });

/**
 * The cloud's hypervisor totals (`GET /os-hypervisors/statistics`, removed in 2.88), sent at 2.87
 * when the run negotiated a newer version; keys sorted as openstackclient prints them.
 * @param requested the run's `--os-compute-api-version`, if any
 * @param instead what to use instead when the cloud or the run is past 2.87, as a sentence
 * @throws ConfigError `MICROVERSION` (the run asked for 2.88+, or the cloud serves only 2.88+),
 *   AdminRequiredError (403), ApiError, NetworkError
 */
export async function hypervisorStats(
  client: ComputeClient,
  requested: string | undefined,
  instead?: string,
): Promise<Record<string, unknown>> {
  await requireAtMost(client, '2.87', 'The hypervisor statistics API', requested, instead);
  const body = await asAdmin('Showing hypervisor statistics', async () =>
    client.read('GET', '/os-hypervisors/statistics', StatsSchema, 'hypervisor statistics', {
      microversion: await cappedVersion(client, '2.87'),
    }),
  );
  const stats = body.hypervisor_statistics;
  return Object.fromEntries(
    Object.keys(stats)
      .sort()
      .map((k) => [k, stats[k]]),
  );
}
