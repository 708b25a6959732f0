/**
 * Servers: `GET /servers/detail` with filters and pagination, `GET /servers/{id}`
 * (api-ref compute "List Servers Detailed", "Show Server Details"; api-guide
 * `paginated_collections.rst`).
 */
import type { ComputeClient, Query } from './client.js';
import type { Link, Server } from './types.js';

export interface ServerFilters {
  /** Nova treats it as a regular expression (unanchored). */
  name?: string;
  status?: string;
  allProjects?: boolean;
  /** At most this many servers; all when undefined or negative. */
  limit?: number;
  /** Start after the server with this ID. */
  marker?: string;
}

/** The `marker` of a collection's `rel=next` link, or undefined at the end. */
export function nextMarker(links: Link[] | undefined): string | undefined {
  const next = links?.find((l) => l.rel === 'next');
  if (!next) return undefined;
  try {
    return new URL(next.href).searchParams.get('marker') ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * Walks a paginated collection (`servers`/`servers_links`, `flavors`/`flavors_links`) by marker
 * until the end or `limit` items.
 */
export async function paginate<T extends { id: string }>(
  client: ComputeClient,
  path: string,
  key: string,
  query: Query,
  limit?: number,
): Promise<T[]> {
  const out: T[] = [];
  let marker = query.marker as string | undefined;
  const want = limit !== undefined && limit >= 0 ? limit : undefined;
  for (let page = 0; page < 100_000; page++) {
    const q: Query = { ...query, marker };
    if (want !== undefined) q.limit = want - out.length;
    const body = await client.get<Record<string, unknown>>(path, q);
    const items = (body[key] as T[] | undefined) ?? [];
    out.push(...items);
    if (want !== undefined && out.length >= want) return out.slice(0, want);
    const m = nextMarker(body[`${key}_links`] as Link[] | undefined);
    if (!m || items.length === 0 || m === marker) return out;
    marker = m;
  }
  return out;
}

/** Lists servers with details. @throws ApiError, NetworkError */
export function listServers(client: ComputeClient, f: ServerFilters = {}): Promise<Server[]> {
  return paginate<Server>(
    client,
    '/servers/detail',
    'servers',
    { name: f.name, status: f.status?.toUpperCase(), all_tenants: f.allProjects ? 1 : undefined, marker: f.marker },
    f.limit,
  );
}

/** One server by ID. @throws ApiError (404 when absent) */
export async function getServer(client: ComputeClient, id: string): Promise<Server> {
  return (await client.get<{ server: Server }>(`/servers/${encodeURIComponent(id)}`)).server;
}

/** Human name of `OS-EXT-STS:power_state` (nova/compute/power_state.py). */
export function powerStateName(s: number | undefined): string {
  const names: Record<number, string> = {
    0: 'NOSTATE',
    1: 'Running',
    3: 'Paused',
    4: 'Shutdown',
    6: 'Crashed',
    7: 'Suspended',
  };
  return s === undefined ? '' : (names[s] ?? String(s));
}

/** `addresses` as openstackclient prints it: `net1=10.0.0.5, fd00::5; net2=…`. */
export function formatNetworks(addresses: Server['addresses']): string {
  return Object.entries(addresses ?? {})
    .map(([net, addrs]) => `${net}=${addrs.map((a) => a.addr).join(', ')}`)
    .join('; ');
}
