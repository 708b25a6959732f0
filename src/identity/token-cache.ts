/**
 * The token cache: the OS keychain (Secret Service on Linux, Keychain on macOS, Credential
 * Manager on Windows, through @napi-rs/keyring) when one answers, else one 0600 file per entry
 * under `<cache dir>/tokens/` (see {@link ../config/cache-files.ts}). An entry holds what a run
 * needs to call Nova without talking to Keystone: the token, its expiry, the catalog entries ncli
 * uses, and a verifier of the secret that obtained it ({@link ./secret-verifier.ts}). Keyed by a
 * hash of auth URL, user, domain, scope and region (the same inputs as openstacksdk's
 * `auth.get_cache_id()` and gtema's `osc`, minus the secret): a token is handed out only when the
 * run's password or application credential secret matches the entry's verifier.
 *
 * @napi-rs/keyring is a prebuilt N-API module (no build step, no libsecret at run time), loaded
 * lazily and only when a keychain may answer: when it fails to load or no keychain answers (no
 * D-Bus session, no Secret Service, a locked keyring), ncli falls back silently to the file and
 * says why in one `--debug` line.
 */
import { readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { cacheDir, readJsonFile, writePrivateFile } from '../config/cache-files.js';
import { acquireLock, type HeldLock, type LockOptions } from '../config/file-lock.js';
import type { AuthOptions } from '../config/options.js';
import { scopeKey } from '../config/scope-key.js';
import type { CatalogService } from './catalog.js';
import { longLivedSecrets, makeVerifier, verifierMatches, type SecretVerifier } from './secret-verifier.js';

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

/**
 * A stored entry: the token and, for auth methods with a long-lived secret (password,
 * application credential), the verifier of that secret. Entries of the format before verifiers
 * have none, and are misses for those methods.
 */
export interface CacheEntry extends CachedToken {
  verifier?: SecretVerifier;
}

/** Storage behind the cache. Every method resolves; failures are misses. */
export interface TokenStore {
  readonly kind: 'keychain' | 'file';
  get(key: string): Promise<CacheEntry | undefined>;
  set(key: string, value: CacheEntry): Promise<void>;
  delete(key: string): Promise<void>;
  /** Drops every entry; returns how many were dropped. */
  clear(): Promise<number>;
  /**
   * Takes the login lock of `key` (a lock file in the 0700 cache folder, whatever the backend), so
   * that of several processes missing the same entry at once one logs in and the others wait for
   * its entry. Undefined when no lock can be had (the caller logs in anyway).
   */
  lock?(key: string): Promise<HeldLock | undefined>;
}

/**
 * The cache key: sha256 hex of auth URL, auth method, user (or application credential, or a hash
 * of the token given), user domain, scope and region. Never contains a secret, so a password
 * change keeps the key (and the completion names cache filed under the same scope key).
 */
export function cacheKey(auth: AuthOptions, region: string | undefined): string {
  return scopeKey(auth, region, 'token/1');
}

/**
 * The verifier a fresh token of `auth` is stored with: undefined for methods without a long-lived
 * secret (token, TOTP). Costs one scrypt derivation (about 8 ms off the main thread): start it
 * while Keystone is asked. Never rejects (undefined on failure: the entry is then a miss next time).
 */
export function entryVerifier(auth: AuthOptions): Promise<SecretVerifier | undefined> {
  const secrets = longLivedSecrets(auth);
  if (secrets.length === 0) return Promise.resolve(undefined);
  return makeVerifier(secrets).catch(() => undefined);
}

/**
 * The token of `entry` if this run may use it: always for methods without a long-lived secret,
 * else only when the entry's verifier matches the run's password / application credential secret
 * (one scrypt derivation). Returns the token without the verifier; undefined is a miss.
 */
export async function usableEntry(entry: CacheEntry | undefined, auth: AuthOptions): Promise<CachedToken | undefined> {
  if (!entry) return undefined;
  const { verifier, ...token } = entry;
  const secrets = longLivedSecrets(auth);
  if (secrets.length > 0 && !(await verifierMatches(verifier, secrets))) return undefined;
  return token;
}

function isEntry(v: unknown): v is CacheEntry {
  const e = v as CacheEntry;
  return !!e && typeof e.token === 'string' && typeof e.expiresAt === 'number' && Array.isArray(e.catalog);
}

/** One JSON file per key in `<dir>` (0700), each 0600, atomic writes; login locks `<key>.lock` beside them. */
export class FileTokenStore implements TokenStore {
  readonly kind = 'file' as const;
  /**
   * @param dir the folder of the entries
   * @param debug `--debug` sink (for the login lock's lines)
   * @param lockOptions the login lock's timings (tests)
   */
  constructor(
    readonly dir: string,
    private readonly debug?: (m: string) => void,
    private readonly lockOptions: Omit<LockOptions, 'debug'> = {},
  ) {}
  private path(key: string) {
    return join(this.dir, `${key}.json`);
  }
  get(key: string): Promise<CacheEntry | undefined> {
    const v = readJsonFile<unknown>(this.path(key));
    return Promise.resolve(isEntry(v) ? v : undefined);
  }
  /** Rejects with the file system's error (the caller treats a failed write as nothing cached). */
  set(key: string, value: CacheEntry): Promise<void> {
    // (a throw in the executor becomes the rejection)
    return new Promise((resolve) => resolve(writePrivateFile(this.path(key), JSON.stringify(value))));
  }
  /** Rejects with the file system's error (a folder that is not one, say). */
  delete(key: string): Promise<void> {
    return new Promise((resolve) => resolve(rmSync(this.path(key), { force: true })));
  }
  /** @see TokenStore.lock: `<dir>/<key>.lock`, stale after 10 s without its holder's refresh. */
  lock(key: string): Promise<HeldLock | undefined> {
    return acquireLock(join(this.dir, `${key}.lock`), {
      ...this.lockOptions,
      ...(this.debug ? { debug: this.debug } : {}),
    });
  }
  clear(): Promise<number> {
    let n = 0;
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return Promise.resolve(0);
    }
    for (const f of names) {
      if (f.endsWith('.json')) {
        rmSync(join(this.dir, f), { force: true });
        n++;
      }
    }
    return Promise.resolve(n);
  }
}

/**
 * The few keychain operations the cache needs, on entries of one service ({@link KEYCHAIN_SERVICE});
 * `account` is the cache key. Implemented by {@link napiKeyring}; every method rejects when the
 * keychain cannot be used (no Secret Service, locked, refused).
 */
export interface Keyring {
  /** The stored secret, or null when there is none. */
  get(account: string): Promise<string | null>;
  set(account: string, secret: string): Promise<void>;
  /** Whether an entry was deleted. */
  delete(account: string): Promise<boolean>;
  /** The accounts stored under the service. */
  accounts(): Promise<string[]>;
}

/** The keychain service name entries are stored under. */
export const KEYCHAIN_SERVICE = 'ncli';

/** The parts of @napi-rs/keyring's API (index.d.ts, 2.x) used here. */
type KeyringModule = Pick<typeof import('@napi-rs/keyring'), 'AsyncEntry' | 'findCredentialsAsync'>;

/**
 * {@link Keyring} over @napi-rs/keyring's `AsyncEntry` (work on libuv's thread pool). On Linux
 * the entry is pinned to the Secret Service: the library would otherwise fall back to the kernel
 * keyring (keyutils), which forgets everything at reboot and is not what a desktop user expects;
 * ncli's own fallback is the 0600 file. `getSecret` is used rather than `getPassword` because it
 * rejects on a locked or unreadable store instead of answering null.
 */
export function napiKeyring(mod: KeyringModule): Keyring {
  const entry = (account: string) =>
    new mod.AsyncEntry(KEYCHAIN_SERVICE, account, { linux: { store: 'secret-service' } });
  return {
    async get(account) {
      const bytes = await entry(account).getSecret();
      return bytes === null ? null : Buffer.from(bytes).toString('utf8');
    },
    set: (account, secret) => entry(account).setPassword(secret),
    delete: (account) => entry(account).deleteCredential(),
    accounts: async () => (await mod.findCredentialsAsync(KEYCHAIN_SERVICE)).map((c) => c.account),
  };
}

/**
 * Keychain first, file on any keychain failure (for the rest of the process). A key the keychain
 * does not hold is looked up in the file too (written by a run when the keychain was locked or
 * absent), and a successful keychain write removes that file copy. `clear()` and `delete()` act
 * on both, so a logout also removes what an earlier keychain-less run wrote.
 */
export class KeychainTokenStore implements TokenStore {
  kind: 'keychain' | 'file' = 'keychain';
  private broken = false;
  constructor(
    private readonly keyring: Keyring,
    private readonly file: FileTokenStore,
    private readonly debug?: (m: string) => void,
  ) {}
  private fail(e: unknown) {
    if (!this.broken) {
      const why = (e instanceof Error ? e.message : String(e)).split('\n')[0];
      this.debug?.(`keychain unavailable (${why}); token cache in ${this.file.dir}`);
    }
    this.broken = true;
    this.kind = 'file';
  }
  async get(key: string) {
    if (!this.broken) {
      try {
        const s = await this.keyring.get(key);
        if (s !== null) {
          const v = JSON.parse(s) as unknown;
          return isEntry(v) ? v : undefined;
        }
      } catch (e) {
        this.fail(e);
      }
    }
    return this.file.get(key);
  }
  async set(key: string, value: CacheEntry) {
    if (!this.broken) {
      try {
        await this.keyring.set(key, JSON.stringify(value));
        await this.file.delete(key);
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
        await this.keyring.delete(key);
      } catch (e) {
        this.fail(e);
      }
    }
    await this.file.delete(key);
  }
  /** @see TokenStore.lock: the keychain has no locks; the file store's lock file stands for it. */
  lock(key: string): Promise<HeldLock | undefined> {
    return this.file.lock(key);
  }
  async clear() {
    let n = 0;
    if (!this.broken) {
      try {
        for (const account of await this.keyring.accounts()) {
          if (await this.keyring.delete(account)) n++;
        }
      } catch (e) {
        this.fail(e);
      }
    }
    return n + (await this.file.clear());
  }
}

/**
 * Whether a keychain may answer, without loading anything: on macOS and Windows always (Keychain,
 * Credential Manager); elsewhere only when a D-Bus session bus is announced
 * (`DBUS_SESSION_BUS_ADDRESS`), as the Secret Service lives on it. `NCLI_KEYCHAIN=0` says no.
 * @returns undefined when it may, else the reason (for `--debug`)
 */
export function keychainUnavailableReason(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string | undefined {
  if (env.NCLI_KEYCHAIN === '0') return 'NCLI_KEYCHAIN=0';
  if (platform === 'darwin' || platform === 'win32') return undefined;
  if (!env.DBUS_SESSION_BUS_ADDRESS) return 'no D-Bus session bus: DBUS_SESSION_BUS_ADDRESS is not set';
  return undefined;
}

/**
 * Opens the token store for this process: the keychain when {@link keychainUnavailableReason}
 * allows and @napi-rs/keyring loads (it is imported only then: about 10 ms), else the file store,
 * with one `--debug` line saying why. Never throws.
 * @param load imports the keychain library (tests pass a fake or a failing import)
 */
export async function openTokenStore(
  env: NodeJS.ProcessEnv = process.env,
  debug?: (m: string) => void,
  platform: NodeJS.Platform = process.platform,
  load: () => Promise<KeyringModule> = loadKeyringModule,
): Promise<TokenStore> {
  const file = new FileTokenStore(join(cacheDir(env), 'tokens'), debug);
  const reason = keychainUnavailableReason(env, platform);
  if (reason) {
    debug?.(`keychain not used (${reason}); token cache in ${file.dir}`);
    return file;
  }
  try {
    return new KeychainTokenStore(napiKeyring(await load()), file, debug);
  } catch (e) {
    const why = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    debug?.(`keychain library @napi-rs/keyring not available (${why}); token cache in ${file.dir}`);
    return file;
  }
}

/**
 * Loads @napi-rs/keyring with `require` (it is CommonJS): about 4 ms against 14 ms for `import()`,
 * which first has Node's CommonJS lexer scan its 29 KB loader for named exports.
 */
function loadKeyringModule(): Promise<KeyringModule> {
  try {
    const m = createRequire(import.meta.url)('@napi-rs/keyring') as KeyringModule;
    if (typeof m.AsyncEntry !== 'function') throw new Error('it has no AsyncEntry');
    return Promise.resolve(m);
  } catch (e) {
    return Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
}
