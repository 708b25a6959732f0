/**
 * The cache folder and its private files: `$XDG_CACHE_HOME/ncli` (default `~/.cache/ncli`),
 * mode 0700, each file 0600, written atomically (a temp file in the same folder, then
 * `rename(2)`), so that several ncli processes at once never see half a file.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, ensurePrivateDir } from './cache-dir.js';

export { cacheDir, ensurePrivateDir };

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
  // node:crypto when first used, not when this module loads (a TAB loads it, src/config/names-index.ts)
  const file = (endpoint: string) =>
    join(
      dir,
      process.getBuiltinModule('node:crypto').createHash('sha256').update(endpoint).digest('hex').slice(0, 32) +
        '.json',
    );
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
