/**
 * The token cache: the OS keychain through keytar when a Secret Service answers, else one 0600
 * file per entry under `<cache dir>/tokens/` (see {@link ../config/cache-files.ts}). An entry holds
 * what a run needs to call Nova without talking to Keystone: the token, its expiry and the
 * catalog entries ncli uses. Keyed by a hash of auth URL, user, domain, scope and region
 * (the same inputs as openstacksdk's `auth.get_cache_id()` and gtema's `osc`).
 *
 * keytar is an optional native dependency, loaded lazily: when it is missing, fails to load, or
 * no keychain answers (no D-Bus session, locked keyring), ncli falls back silently to the file.
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, readJsonFile, writePrivateFile } from '../config/cache-files.js';
import type { AuthOptions } from '../config/options.js';
import { scopeKey } from '../config/scope-key.js';
import type { CatalogService } from './catalog.js';

/** What is cached for one identity + scope + region. Times are epoch milliseconds. */
export interface CachedToken {
  token: string;
  expiresAt: number;
  userId?: string;
  projectId?: string;
  projectName?: string;
  /** Only the catalog entries ncli uses (compute, image). */
  catalog: CatalogService[];
}

/** Storage behind the cache. Every method resolves; failures are misses. */
export interface TokenStore {
  readonly kind: 'keychain' | 'file';
  get(key: string): Promise<CachedToken | undefined>;
  set(key: string, value: CachedToken): Promise<void>;
  delete(key: string): Promise<void>;
  /** Drops every entry; returns how many were dropped. */
  clear(): Promise<number>;
}

/**
 * The cache key: sha256 hex of auth URL, auth method, user (or application credential, or a hash
 * of the token given), user domain, scope and region. Never contains a secret.
 */
export function cacheKey(auth: AuthOptions, region: string | undefined): string {
  return scopeKey(auth, region, 'token/1');
}

function isEntry(v: unknown): v is CachedToken {
  const e = v as CachedToken;
  return !!e && typeof e.token === 'string' && typeof e.expiresAt === 'number' && Array.isArray(e.catalog);
}

/** One JSON file per key in `<dir>` (0700), each 0600, atomic writes. */
export class FileTokenStore implements TokenStore {
  readonly kind = 'file' as const;
  constructor(readonly dir: string) {}
  private path(key: string) {
    return join(this.dir, `${key}.json`);
  }
  async get(key: string) {
    const v = readJsonFile<unknown>(this.path(key));
    return isEntry(v) ? v : undefined;
  }
  async set(key: string, value: CachedToken) {
    writePrivateFile(this.path(key), JSON.stringify(value));
  }
  async delete(key: string) {
    rmSync(this.path(key), { force: true });
  }
  async clear() {
    let n = 0;
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return 0;
    }
    for (const f of names) {
      if (f.endsWith('.json')) {
        rmSync(join(this.dir, f), { force: true });
        n++;
      }
    }
    return n;
  }
}

interface Keytar {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
  findCredentials(service: string): Promise<{ account: string; password: string }[]>;
}

/** The keychain service name entries are stored under. */
export const KEYCHAIN_SERVICE = 'ncli';

/**
 * Keychain first, file on any keychain failure (for the rest of the process). `clear()` and
 * `delete()` act on both, so a logout also removes what an earlier keychain-less run wrote.
 */
export class KeychainTokenStore implements TokenStore {
  kind: 'keychain' | 'file' = 'keychain';
  private broken = false;
  constructor(
    private readonly keytar: Keytar,
    private readonly file: FileTokenStore,
    private readonly debug?: (m: string) => void,
  ) {}
  private fail(e: unknown) {
    if (!this.broken) this.debug?.(`keychain unavailable (${(e as Error).message}); using the cache file`);
    this.broken = true;
    this.kind = 'file';
  }
  async get(key: string) {
    if (!this.broken) {
      try {
        const s = await this.keytar.getPassword(KEYCHAIN_SERVICE, key);
        if (s === null) return undefined;
        const v = JSON.parse(s) as unknown;
        return isEntry(v) ? v : undefined;
      } catch (e) {
        this.fail(e);
      }
    }
    return this.file.get(key);
  }
  async set(key: string, value: CachedToken) {
    if (!this.broken) {
      try {
        await this.keytar.setPassword(KEYCHAIN_SERVICE, key, JSON.stringify(value));
        return;
      } catch (e) {
        this.fail(e);
      }
    }
    await this.file.set(key, value);
  }
  async delete(key: string) {
    if (!this.broken) {
      try {
        await this.keytar.deletePassword(KEYCHAIN_SERVICE, key);
      } catch (e) {
        this.fail(e);
      }
    }
    await this.file.delete(key);
  }
  async clear() {
    let n = 0;
    if (!this.broken) {
      try {
        for (const c of await this.keytar.findCredentials(KEYCHAIN_SERVICE)) {
          if (await this.keytar.deletePassword(KEYCHAIN_SERVICE, c.account)) n++;
        }
      } catch (e) {
        this.fail(e);
      }
    }
    return n + (await this.file.clear());
  }
}

/**
 * Opens the token store for this process: the keychain when a D-Bus session bus is announced
 * (`DBUS_SESSION_BUS_ADDRESS`) and keytar loads, else the file store. `NCLI_KEYCHAIN=0` forces
 * the file. Never throws.
 */
export async function openTokenStore(
  env: NodeJS.ProcessEnv = process.env,
  debug?: (m: string) => void,
): Promise<TokenStore> {
  const file = new FileTokenStore(join(cacheDir(env), 'tokens'));
  if (!env.DBUS_SESSION_BUS_ADDRESS || env.NCLI_KEYCHAIN === '0') return file;
  try {
    const mod = (await import('keytar')) as { default?: Keytar } & Keytar;
    const keytar = mod.default ?? mod;
    if (typeof keytar.getPassword !== 'function') return file;
    return new KeychainTokenStore(keytar, file, debug);
  } catch (e) {
    debug?.(`keytar not available (${(e as Error).message.split('\n')[0]}); using the cache file`);
    return file;
  }
}
