/**
 * Where ncli keeps its caches, and how its folders are made: `$XDG_CACHE_HOME/ncli` (default
 * `~/.cache/ncli`), every folder 0700. Its own module, without the rest of cache-files.ts (and
 * its `node:crypto`), because bin/ncli needs it at every start on Node >= 22.1 for V8's compile
 * cache.
 */
import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** `$XDG_CACHE_HOME/ncli` or `~/.cache/ncli`. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache');
  return join(base, 'ncli');
}

/**
 * Creates `dir` (and its missing parents, 0700 too) and forces it to mode 0700.
 * @throws the error of the first level that cannot be made (ENOENT, EACCES, EROFS, ENOTDIR…)
 */
export function ensurePrivateDir(dir: string): void {
  // One level at a time from the deepest that exists, not mkdirSync's `recursive`, which spins
  // forever on Node 22+ where a parent exists but refuses children with ENOENT (/proc/…).
  const missing: string[] = [];
  for (let d = dir; !existsSync(d); d = dirname(d)) {
    if (dirname(d) === d) break;
    missing.unshift(d);
  }
  for (const d of missing) {
    try {
      mkdirSync(d, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  if ((statSync(dir).mode & 0o777) !== 0o700) chmodSync(dir, 0o700);
}
