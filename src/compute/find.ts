/**
 * Name-or-ID resolution, as python-novaclient's `utils.find_resource` and openstacksdk's
 * `Resource.find` do: try the value as an ID, else search by name and keep exact matches only
 * (Nova's `?name=` is an unanchored regex: `web.1` would also match `webX1`).
 */
import { NotFoundError } from '../errors.js';
import { ApiError } from '../http/errors.js';
import type { ComputeClient } from './client.js';
import { getFlavor, listFlavors } from './flavors.js';
import { getServer, listServers } from './servers.js';
import type { Flavor, Server } from './types.js';

/** Several resources have that name (`AMBIGUOUS`, with their IDs). */
function ambiguous(kind: string, ref: string, ids: string[]): NotFoundError {
  return new NotFoundError(
    `More than one ${kind} is named '${ref}' (${ids.join(', ')}); use an ID to be more specific.`,
    {
      ids,
    },
  );
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** Escapes regular-expression metacharacters for Nova's REGEXP name filter. */
export function escapeRegex(s: string): string {
  return s.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
}

function isNotFound(e: unknown): boolean {
  return e instanceof ApiError && (e.status === 404 || e.status === 400);
}

/**
 * A server by ID or exact name. With `refetch`, a server found by name is fetched again by ID, so
 * that it has every field `GET /servers/{id}` gives.
 * @throws NotFoundError "No server with a name or ID of 'x' exists.", NotFoundError `AMBIGUOUS`, ApiError
 */
export async function findServer(
  client: ComputeClient,
  ref: string,
  opts: { allProjects?: boolean; refetch?: boolean } = {},
): Promise<Server> {
  if (!ref) throw new NotFoundError('A server name or ID is required.');
  if (UUID.test(ref)) {
    try {
      return await getServer(client, ref);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
  const candidates = await listServers(client, { name: `^${escapeRegex(ref)}$`, allProjects: opts.allProjects });
  const exact = candidates.filter((s) => s.name === ref);
  // A list item lacks a few fields GET /servers/{id} has (e.g. server_groups from 2.71): refetch for a full show.
  if (exact.length === 1) return opts.refetch ? getServer(client, exact[0].id) : exact[0];
  if (exact.length > 1)
    throw ambiguous(
      'server',
      ref,
      exact.map((s) => s.id),
    );
  throw new NotFoundError(`No server with a name or ID of '${ref}' exists.`);
}

/**
 * A flavor by ID (tried first: flavor IDs need not be UUIDs) or exact name.
 * @throws NotFoundError (`NOT_FOUND` or `AMBIGUOUS`), ApiError
 */
export async function findFlavor(client: ComputeClient, ref: string): Promise<Flavor> {
  if (!ref) throw new NotFoundError('A flavor name or ID is required.');
  try {
    return await getFlavor(client, ref);
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  const all = await listFlavors(client, true);
  const exact = all.filter((f) => f.name === ref);
  if (exact.length === 1) return exact[0];
  if (exact.length > 1)
    throw ambiguous(
      'flavor',
      ref,
      exact.map((f) => f.id),
    );
  throw new NotFoundError(`No flavor with a name or ID of '${ref}' exists.`);
}
