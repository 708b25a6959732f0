/**
 * Name-or-ID resolution, as python-novaclient's `utils.find_resource` and openstacksdk's
 * `Resource.find` do: try the value as an ID, else search by name and keep exact matches only
 * (Nova's `?name=` is an unanchored regex: `web.1` would also match `webX1`).
 */
import { NotFoundError } from '../errors.js';
import { UUID } from '../ids.js';
import { escapeRegex, exactlyOne } from './by-name.js';
import { ApiError } from '../http/errors.js';
import type { ComputeClient } from './client.js';
import { findResource } from './resource.js';
import { FLAVOR } from './resources/flavor.js';
import { SERVER } from './resources/server.js';
import { getServer, listServers } from './servers.js';
import type { Flavor, Server } from './types.js';

function isNotFound(e: unknown): boolean {
  return e instanceof ApiError && (e.status === 404 || e.status === 400);
}

/** Options of {@link findServer}. */
export interface FindServerOptions {
  allProjects?: boolean;
  /** A server found by name is fetched again by ID, to have every field `GET /servers/{id}` gives. */
  refetch?: boolean;
  /**
   * With `refetch`: the ID this name had last time (the names cache). `GET /servers/{id}` for it
   * is sent together with the name search, so that a far-away cloud costs one round trip, not two;
   * its answer is used only when the search finds exactly that server (else it is fetched again).
   */
  guessId?: string;
}

/**
 * A server by ID or exact name ({@link findResource} with the server resource). With `refetch`,
 * a server found by name is fetched again by ID, so that it has every field `GET /servers/{id}`
 * gives (a list item lacks a few, e.g. server_groups from 2.71); with `guessId` too, that GET is
 * sent together with the name search (see {@link FindServerOptions}).
 * @throws NotFoundError "No server with a name or ID of 'x' exists.", NotFoundError `AMBIGUOUS`, ApiError
 */
export async function findServer(client: ComputeClient, ref: string, opts: FindServerOptions = {}): Promise<Server> {
  // a failed guess (deleted, renamed, another error) is only a lost guess: the search decides
  const guess =
    opts.refetch && opts.guessId && !UUID.test(ref)
      ? getServer(client, opts.guessId).catch(() => undefined)
      : undefined;
  const server = await findResource(client, SERVER, ref, { query: { all_tenants: opts.allProjects ? 1 : undefined } });
  if (!opts.refetch || server.id === ref) return server;
  const guessed = await guess;
  return guessed && guessed.id === server.id ? guessed : getServer(client, server.id);
}

/** The shortest common prefix {@link findServers} searches by (a shorter one could match too much). */
export const MIN_SHARED_PREFIX = 3;
/** At most this many servers are read for a shared-prefix search; past it, one search per name. */
export const PREFIX_SEARCH_LIMIT = 200;

/** The longest common prefix of some strings. */
export function commonPrefix(words: readonly string[]): string {
  if (!words.length) return '';
  let p = words[0];
  for (const w of words) while (!w.startsWith(p)) p = p.slice(0, -1);
  return p;
}

/**
 * Several servers by ID or exact name, resolved as {@link findServer} resolves each, in few
 * requests: a `GET /servers/{id}` per UUID; for names that share a prefix of at least
 * {@link MIN_SHARED_PREFIX} characters (`web-1`, `web-2`, …), one search `?name=^web-` read up to
 * {@link PREFIX_SEARCH_LIMIT} servers and matched exactly here; otherwise one `^name$` search per
 * name. (A single `^(a|b)$` search would do, but Nova on MySQL escapes `|`: nova/db/main/api.py
 * `_safe_regex_mysql`.)
 * @returns for each distinct ref, its server or the NotFoundError (`NOT_FOUND` / `AMBIGUOUS`)
 *   {@link findServer} would throw for it
 * @throws ApiError, NetworkError (a request failed as a whole)
 */
export async function findServers(
  client: ComputeClient,
  refs: readonly string[],
  opts: { allProjects?: boolean } = {},
): Promise<Map<string, Server | NotFoundError>> {
  const out = new Map<string, Server | NotFoundError>();
  const unique = [...new Set(refs)];
  for (const ref of unique) if (!ref) out.set(ref, new NotFoundError('A server name or ID is required.'));
  const byId = await Promise.all(
    unique
      .filter((r) => UUID.test(r))
      .map(async (id) => {
        try {
          return [id, await getServer(client, id)] as const;
        } catch (e) {
          if (!isNotFound(e)) throw e;
          return [id, undefined] as const;
        }
      }),
  );
  for (const [id, s] of byId) if (s) out.set(id, s);
  let names = unique.filter((r) => r && !out.has(r));
  const prefix = commonPrefix(names);
  if (names.length > 1 && prefix.length >= MIN_SHARED_PREFIX) {
    const found = await listServers(client, {
      name: `^${escapeRegex(prefix)}`,
      allProjects: opts.allProjects,
      limit: PREFIX_SEARCH_LIMIT + 1,
    });
    if (found.length <= PREFIX_SEARCH_LIMIT) {
      for (const ref of names) out.set(ref, exactlyOne('server', ref, found));
      names = [];
    }
  }
  const each = await Promise.all(
    names.map(async (ref) => {
      const found = await listServers(client, { name: `^${escapeRegex(ref)}$`, allProjects: opts.allProjects });
      return [ref, exactlyOne('server', ref, found)] as const;
    }),
  );
  for (const [ref, r] of each) out.set(ref, r);
  return out;
}

/**
 * A flavor by ID (tried first: flavor IDs need not be UUIDs) or exact name, among every flavor
 * the caller may see (`is_public=None`).
 * @throws NotFoundError (`NOT_FOUND` or `AMBIGUOUS`), ApiError
 */
export function findFlavor(client: ComputeClient, ref: string): Promise<Flavor> {
  return findResource(client, FLAVOR, ref, { query: { is_public: 'None' } });
}
