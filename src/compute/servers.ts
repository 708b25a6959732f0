/**
 * Servers: `GET /servers/detail` with filters and pagination, `GET /servers/{id}`
 * (api-ref compute "List Servers Detailed", "Show Server Details"; api-guide
 * `paginated_collections.rst`).
 */
import type { ComputeClient } from './client.js';
import { v } from '../http/shape.js';
import { ServerSchema, type Server } from './types.js';

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

/** Lists servers with details. @throws ApiError, NetworkError */
export function listServers(client: ComputeClient, f: ServerFilters = {}): Promise<Server[]> {
  return client.paginate(
    '/servers/detail',
    'servers',
    ServerSchema,
    'a list of servers',
    { name: f.name, status: f.status?.toUpperCase(), all_tenants: f.allProjects ? 1 : undefined, marker: f.marker },
    f.limit,
  );
}

/** One server by ID. @throws ApiError (404 when absent) */
export async function getServer(client: ComputeClient, id: string): Promise<Server> {
  const path = `/servers/${encodeURIComponent(id)}`;
  return (await client.read('GET', path, v.object({ server: ServerSchema }), 'a server')).server;
}
