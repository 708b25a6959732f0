/**
 * @napi-rs/keyring inside the single executable: its prebuilt N-API module (`keyring.node`,
 * linux-x64-gnu) travels as an asset of the executable (scripts/build-sea.mjs) and is written,
 * on first use, to `<cache>/ncli/sea/keyring-<version>.node` in a private folder (0700, the file
 * 0600), then loaded with `process.dlopen`. A file already there is used only when its bytes are
 * the asset's; otherwise it is written again (to a temporary name, then renamed).
 *
 * When the folder cannot be made or written (a read-only home, a `noexec` mount), the load throws
 * and src/identity/token-cache.ts falls back to the file cache with its `--debug` line naming the
 * cause.
 */
import { closeSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { getRawAsset, isSea } from 'node:sea';
import { cacheDir, ensurePrivateDir } from '../config/cache-dir.js';

/** The asset's key in the executable (scripts/build-sea.mjs `assets`). */
export const KEYRING_ASSET = 'keyring.node';

/** The bytes of an asset of the running executable (a view of them, not a copy). */
function assetBytes(key: string): Uint8Array {
  if (!isSea()) throw new Error('not running as a single executable');
  const raw = getRawAsset(key);
  return typeof raw === 'string' ? Buffer.from(raw) : new Uint8Array(raw);
}

/** True when `file` holds exactly `bytes`. */
function sameBytes(file: string, bytes: Uint8Array): boolean {
  try {
    return Buffer.compare(readFileSync(file), bytes) === 0;
  } catch {
    return false;
  }
}

/**
 * Extracts the keyring's native module (when needed) and loads it.
 * @param version ncli's version, in the file's name (so that two executables do not rewrite one file in turn)
 * @returns what `require('@napi-rs/keyring')` returns (AsyncEntry, findCredentialsAsync, …)
 * @throws Error naming the folder and the cause when it cannot be written or loaded
 */
export function loadSeaKeyring(version: string, env: NodeJS.ProcessEnv = process.env): unknown {
  const bytes = assetBytes(KEYRING_ASSET);
  const dir = join(cacheDir(env), 'sea');
  const file = join(dir, `keyring-${version}.node`);
  try {
    ensurePrivateDir(dir);
    if (!sameBytes(file, bytes)) {
      const tmp = `${file}.${process.pid}.tmp`;
      const fd = openSync(tmp, 'wx', 0o600);
      try {
        writeSync(fd, bytes);
      } finally {
        closeSync(fd);
      }
      try {
        renameSync(tmp, file);
      } catch (e) {
        rmSync(tmp, { force: true });
        throw e;
      }
    }
  } catch (e) {
    throw new Error(`cannot write the keychain module to ${dir}: ${(e as Error).message}`, { cause: e });
  }
  const mod = { exports: {} as unknown };
  process.dlopen(mod, file);
  return mod.exports;
}
