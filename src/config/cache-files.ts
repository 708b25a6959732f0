/**
 * The cache folder and its private files: `$XDG_CACHE_HOME/ncli` (default `~/.cache/ncli`),
 * mode 0700, each file 0600, written atomically (a temp file in the same folder, then
 * `rename(2)`), so that several ncli processes at once never see half a file.
 */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

let seq = 0;

/** Writes `data` to `path` with mode 0600 via temp file + rename. Creates the folder 0700. */
export function writePrivateFile(path: string, data: string): void {
  const dir = join(path, '..');
  ensurePrivateDir(dir);
  const tmp = `${path}.${process.pid}.${Date.now()}.${seq++}.tmp`;
  try {
    writeFileSync(tmp, data, { mode: 0o600 });
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Reads a JSON file; undefined when absent or unreadable/corrupt (a cache miss, never an error). */
export function readJsonFile<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** How long a compute version document stays fresh, milliseconds (one day). */
export const VERSION_CACHE_TTL_MS = 24 * 3600 * 1000;

/**
 * Compute version documents kept between runs (`<cache dir>/discovery/<sha256(endpoint)>.json`,
 * 0600), fresh for {@link VERSION_CACHE_TTL_MS}; implements src/compute/client.ts `VersionCache`.
 * A file that cannot be read is a miss; one that cannot be written only makes the next run slower.
 * @param dir `<cache dir>/discovery`
 * @param now clock, epoch milliseconds
 */
export function versionCache(
  dir: string,
  now: () => number = Date.now,
): {
  read(endpoint: string): { min: string; max: string } | undefined;
  write(endpoint: string, range: { min: string; max: string }): void;
} {
  const file = (endpoint: string) =>
    join(dir, createHash('sha256').update(endpoint).digest('hex').slice(0, 32) + '.json');
  return {
    read(endpoint) {
      const hit = readJsonFile<{ min: string; max: string; fetchedAt: number }>(file(endpoint));
      const t = now();
      if (!hit || typeof hit.fetchedAt !== 'number' || typeof hit.max !== 'string' || typeof hit.min !== 'string')
        return undefined;
      return t - hit.fetchedAt < VERSION_CACHE_TTL_MS && t >= hit.fetchedAt
        ? { min: hit.min, max: hit.max }
        : undefined;
    },
    write(endpoint, range) {
      try {
        writePrivateFile(file(endpoint), JSON.stringify({ ...range, fetchedAt: now() }));
      } catch {
        /* a cache that cannot be written is only slower */
      }
    },
  };
}
