/**
 * Where ncli keeps its caches, and how its folders are made: `$XDG_CACHE_HOME/ncli` (default
 * `~/.cache/ncli`), every folder 0700. Its own module, without the rest of cache-files.ts (and
 * its `node:crypto`), because bin/ncli needs it at every start on Node >= 22.1 for V8's compile
 * cache.
 */
import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, relative } from 'node:path';

/**
 * Cache folders and the folder each must be made below ({@link cacheDir} records them): the home
 * folder for `~/.cache/ncli`; for `$XDG_CACHE_HOME/ncli`, the folder holding `$XDG_CACHE_HOME`
 * (the XDG Base Directory spec lets a program make that one missing folder, 0700).
 */
const roots = new Map<string, string>();

/**
 * `$XDG_CACHE_HOME/ncli` or `~/.cache/ncli`. Also records the folder that must already exist for
 * {@link ensurePrivateDir} to make it: ncli makes its cache folders only below an existing home
 * (or in the existing parent of `$XDG_CACHE_HOME`), never a whole missing path
 * (`HOME=/nonexistent/home`): there it runs without a cache.
 */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const root = env.XDG_CACHE_HOME ? dirname(env.XDG_CACHE_HOME) : env.HOME || homedir();
  const dir = join(env.XDG_CACHE_HOME || join(root, '.cache'), 'ncli');
  roots.set(dir, root);
  return dir;
}

/** The folder that must exist before `dir` (a cache folder or one inside it) is made, if any. */
function rootOf(dir: string): string | undefined {
  for (const [cache, root] of roots) {
    const rel = relative(cache, dir);
    if (rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))) return root;
  }
  return undefined;
}

/**
 * Creates `dir` (and its missing parents, 0700 too) and forces it to mode 0700. Inside ncli's
 * cache ({@link cacheDir}) only the levels below the home folder (or the parent of
 * `$XDG_CACHE_HOME`) are made: when that folder does not exist, nothing is.
 * @throws the error of the first level that cannot be made (ENOENT, EACCES, EROFS, ENOTDIR…);
 *   ENOENT when the home folder (or the parent of `$XDG_CACHE_HOME`) does not exist
 */
export function ensurePrivateDir(dir: string): void {
  const root = rootOf(dir);
  if (root !== undefined && !existsSync(root)) {
    throw Object.assign(new Error(`no such file or directory: ${root} (ncli makes no home folder)`), {
      code: 'ENOENT',
      path: root,
    });
  }
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
