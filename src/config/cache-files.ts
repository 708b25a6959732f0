/**
 * The cache folder and its private files: `$XDG_CACHE_HOME/ncli` (default `~/.cache/ncli`),
 * mode 0700, each file 0600, written atomically (a temp file in the same folder, then
 * `rename(2)`), so that several ncli processes at once never see half a file.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** `$XDG_CACHE_HOME/ncli` or `~/.cache/ncli`. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache');
  return join(base, 'ncli');
}

/** Creates `dir` (and parents) and forces it to mode 0700. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
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
