/**
 * The names cache shell completion reads: the servers, flavors and images (ID and name) this cloud
 * and project last showed, so that TAB can offer them without calling the API (and `server list`
 * can name images without asking Glance each time). Every list and show
 * refreshes it as a side effect (`ctx.rememberNames`), the way python-novaclient's
 * `completion_cache` (novaclient/base.py `Manager.completion_cache`, read by
 * tools/nova.bash_completion) wrote the UUIDs and names of what a command had listed.
 *
 * One file per scope and kind: `<cache dir>/names/<scope key>.<kind>.json`, mode 0600 in folders
 * of mode 0700, written atomically (src/config/cache-files.ts, as the token cache). The scope key
 * is a hash of what the resolved configuration says, with no network: Keystone URL, region,
 * user (or application credential, or a hash of the token) and project scope; so TAB can
 * compute it from clouds.yaml, the environment and the `--os-*` options typed.
 */
import { join } from 'node:path';
import { cacheDir, ensurePrivateDir, readJsonFile, writePrivateFile } from './cache-files.js';
import type { ResolvedConfig } from './options.js';
import type { NameKind } from '../name-kinds.js';
import { scopeKey } from './scope-key.js';

export type { NameKind };

/** One resource: its ID and (if it has one) its name. */
export interface NamedItem {
  id: string;
  name?: string;
}

/** The file's contents. `updatedAt` is epoch milliseconds. */
export interface NamesFile {
  version: 1;
  kind: NameKind;
  updatedAt: number;
  items: NamedItem[];
}

/** At most this many items are kept per file (a merge past it drops the oldest). */
export const MAX_ITEMS = 20_000;

/**
 * The scope key: sha256 hex of the Keystone URL, region, identity (user ID or name and domain,
 * application credential, or a hash of the token: never a secret) and project scope of `cfg`.
 */
export function namesScopeKey(cfg: Pick<ResolvedConfig, 'auth' | 'regionName'>): string {
  return scopeKey(cfg.auth, cfg.regionName, 'names/1');
}

/** `<cache dir>/names`. */
export function namesDir(env: NodeJS.ProcessEnv): string {
  return join(cacheDir(env), 'names');
}

/** The file of one scope and kind. */
export function namesPath(env: NodeJS.ProcessEnv, key: string, kind: NameKind): string {
  return join(namesDir(env), `${key}.${kind}.json`);
}

function clean(items: readonly NamedItem[]): NamedItem[] {
  const out: NamedItem[] = [];
  for (const it of items) {
    if (!it || typeof it.id !== 'string' || !it.id) continue;
    out.push(typeof it.name === 'string' && it.name ? { id: it.id, name: it.name } : { id: it.id });
  }
  return out;
}

/**
 * The cached items of one scope and kind; [] when there is no file or it is unreadable (a miss,
 * never an error).
 */
export function readNames(env: NodeJS.ProcessEnv, key: string, kind: NameKind): NamedItem[] {
  const f = readJsonFile<NamesFile>(namesPath(env, key, kind));
  return f && f.version === 1 && Array.isArray(f.items) ? clean(f.items) : [];
}

/**
 * The cached items of one scope and kind with the time the file was last written (epoch
 * milliseconds), or undefined when there is none (a miss, never an error).
 */
export function readNamesFile(
  env: NodeJS.ProcessEnv,
  key: string,
  kind: NameKind,
): { items: NamedItem[]; updatedAt: number } | undefined {
  const f = readJsonFile<NamesFile>(namesPath(env, key, kind));
  if (!f || f.version !== 1 || !Array.isArray(f.items)) return undefined;
  return { items: clean(f.items), updatedAt: typeof f.updatedAt === 'number' ? f.updatedAt : 0 };
}

/**
 * Records what a command saw. `complete: true` (an unfiltered listing of everything the scope
 * holds) replaces the set; otherwise the items are merged in by ID (a show, or a filtered or
 * truncated listing), newest last; `forget` drops these IDs first (deleted servers). Creates the
 * folders 0700 and the file 0600 (atomic).
 * @throws on a file system error (callers ignore it: the cache is a convenience)
 */
export function writeNames(
  env: NodeJS.ProcessEnv,
  key: string,
  kind: NameKind,
  items: readonly NamedItem[],
  opts: { complete: boolean; forget?: readonly string[] },
): void {
  const fresh = clean(items);
  let next: NamedItem[];
  if (opts.complete) next = fresh;
  else {
    const byId = new Map(readNames(env, key, kind).map((it) => [it.id, it]));
    for (const id of opts.forget ?? []) byId.delete(id);
    for (const it of fresh) {
      byId.delete(it.id);
      byId.set(it.id, it);
    }
    next = [...byId.values()];
  }
  if (next.length > MAX_ITEMS) next = next.slice(next.length - MAX_ITEMS);
  ensurePrivateDir(cacheDir(env));
  ensurePrivateDir(namesDir(env));
  const file: NamesFile = { version: 1, kind, updatedAt: Date.now(), items: next };
  writePrivateFile(namesPath(env, key, kind), JSON.stringify(file));
}

/**
 * {@link writeNames} for the scope of a resolved configuration (what `ctx.rememberNames` calls).
 * Does nothing when the cache is off (`--no-cache`, `OS_CACHE=false`).
 * @throws on a file system error
 */
export function rememberNames(
  env: NodeJS.ProcessEnv,
  cfg: ResolvedConfig,
  kind: NameKind,
  items: readonly NamedItem[],
  opts: { complete: boolean; forget?: readonly string[] },
): void {
  if (!cfg.cache) return;
  writeNames(env, namesScopeKey(cfg), kind, items, opts);
}

/**
 * The cached items of a resolved configuration's scope (what `server list` reads for image
 * names), with the file's age; undefined when the cache is off or holds nothing.
 */
export function cachedNames(
  env: NodeJS.ProcessEnv,
  cfg: ResolvedConfig,
  kind: NameKind,
): { items: NamedItem[]; updatedAt: number } | undefined {
  if (!cfg.cache) return undefined;
  return readNamesFile(env, namesScopeKey(cfg), kind);
}
