/**
 * The token cache: its key, the secret verifier (a cached token only for the secret that obtained
 * it, keystoneauth1/identity/v3/password.py `get_cache_id_elements`), the file and keychain stores,
 * which store a run opens, and the Authenticator reading and writing entries against a mocked
 * Keystone that accepts one password / application credential secret and refuses others (401).
 */
import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AuthOptions, ResolvedConfig } from '../../src/config/options.js';
import { Transport } from '../../src/http/transport.js';
import type { CatalogService } from '../../src/identity/catalog.js';
import { Authenticator } from '../../src/identity/keystone.js';
import { longLivedSecrets, makeVerifier, SCRYPT_LOG2_N, verifierMatches } from '../../src/identity/secret-verifier.js';
import {
  cacheKey,
  entryVerifier,
  FileTokenStore,
  KeychainTokenStore,
  openTokenStore,
  usableEntry,
  type CacheEntry,
  type Keyring,
} from '../../src/identity/token-cache.js';
import { KEYSTONE, mockAgent, tokenBody } from '../support/mock-nova.js';

const catalog: CatalogService[] = [
  { type: 'compute', endpoints: [{ interface: 'public', region_id: 'R1', url: 'https://nova/v2.1' }] },
];
const entry: CacheEntry = { token: 'gAAAA-secret', expiresAt: Date.now() + 3600_000, catalog };
const tmp = (p: string) => mkdtempSync(join(tmpdir(), p));

const pw = (password: string, extra: Partial<AuthOptions> = {}): AuthOptions => ({
  authUrl: `${KEYSTONE}/v3`,
  method: { type: 'password', username: 'alice', password, userDomainName: 'Default' },
  scope: { project: { name: 'demo', domainName: 'Default' } },
  ...extra,
});
const appcred = (secret: string): AuthOptions => ({
  authUrl: `${KEYSTONE}/v3`,
  method: { type: 'application_credential', id: 'ac1', secret },
});

describe('cacheKey', () => {
  const a: AuthOptions = {
    authUrl: 'http://k/v3',
    method: { type: 'password', username: 'u', password: 'p1', userDomainId: 'default' },
    scope: { project: { name: 'x', domainId: 'default' } },
  };
  it('is stable, secret-free, and differs by user, scope and region', () => {
    const k = cacheKey(a, 'R1');
    expect(k).toMatch(/^[0-9a-f]{64}$/);
    expect(cacheKey({ ...a, method: { ...a.method, password: 'other' } as never }, 'R1')).toBe(k);
    expect(cacheKey(a, 'R2')).not.toBe(k);
    expect(cacheKey({ ...a, scope: { project: { name: 'y', domainId: 'default' } } }, 'R1')).not.toBe(k);
    expect(cacheKey({ ...a, method: { ...a.method, username: 'v' } as never }, 'R1')).not.toBe(k);
  });
  it('does not change with the application credential secret', () => {
    expect(cacheKey(appcred('s1'), undefined)).toBe(cacheKey(appcred('s2'), undefined));
  });
});

describe('secret verifier', () => {
  it('matches the secret it was made from and no other', async () => {
    const v = await makeVerifier(['right']);
    expect(await verifierMatches(v, ['right'])).toBe(true);
    expect(await verifierMatches(v, ['wrong'])).toBe(false);
    expect(await verifierMatches(v, ['righ'])).toBe(false);
    expect(await verifierMatches(v, ['right', ''])).toBe(false);
    expect(await verifierMatches(v, [])).toBe(false);
  });
  it('holds neither the secret nor a fast hash of it, and is salted per entry', async () => {
    const secret = 'correct horse battery staple';
    const v1 = await makeVerifier([secret]);
    const v2 = await makeVerifier([secret]);
    expect(v1.alg).toBe('scrypt');
    expect(v1.ln).toBe(SCRYPT_LOG2_N);
    expect(v1.ln).toBeGreaterThanOrEqual(12);
    expect(Buffer.from(v1.salt, 'base64url')).toHaveLength(16);
    expect(v1.salt).not.toBe(v2.salt);
    expect(v1.hash).not.toBe(v2.hash);
    const text = JSON.stringify(v1);
    const fast = [
      createHash('sha256').update(secret).digest(),
      createHmac('sha256', Buffer.from(v1.salt, 'base64url')).update(secret).digest(),
    ];
    expect(text).not.toContain(secret);
    for (const h of fast) {
      for (const enc of ['hex', 'base64', 'base64url'] as const) expect(text).not.toContain(h.toString(enc));
    }
  });
  it('treats missing, malformed, tampered or out-of-range verifiers as no match', async () => {
    const v = await makeVerifier(['s']);
    expect(await verifierMatches(undefined, ['s'])).toBe(false);
    expect(await verifierMatches({}, ['s'])).toBe(false);
    expect(await verifierMatches({ ...v, alg: 'sha256' }, ['s'])).toBe(false);
    expect(
      await verifierMatches({ ...v, hash: v.hash.slice(0, -2) + (v.hash.endsWith('A') ? 'BB' : 'AA') }, ['s']),
    ).toBe(false);
    expect(await verifierMatches({ ...v, hash: 'c2hvcnQ' }, ['s'])).toBe(false);
    // a hostile entry cannot make ncli spend gigabytes or hours
    const t0 = performance.now();
    expect(await verifierMatches({ ...v, ln: 30 }, ['s'])).toBe(false);
    expect(await verifierMatches({ ...v, ln: 1 }, ['s'])).toBe(false);
    expect(performance.now() - t0).toBeLessThan(50);
  });
  it('takes the long-lived secrets of the auth method, never a one-time passcode', () => {
    expect(longLivedSecrets(pw('p'))).toEqual(['p']);
    expect(longLivedSecrets(appcred('s'))).toEqual(['s']);
    expect(longLivedSecrets({ authUrl: 'x', method: { type: 'token', token: 't' } })).toEqual([]);
    expect(longLivedSecrets({ authUrl: 'x', method: { type: 'totp', username: 'u', passcode: '123456' } })).toEqual([]);
    expect(
      longLivedSecrets(pw('p', { secondFactor: { type: 'totp', username: 'alice', passcode: '123456' } })),
    ).toEqual(['p']);
  });
  it('an entry is usable only with its secret; token logins need none; old entries are misses', async () => {
    const sealed: CacheEntry = { ...entry, verifier: await entryVerifier(pw('right')) };
    expect(await usableEntry(sealed, pw('right'))).toEqual(entry);
    expect(await usableEntry(sealed, pw('wrong'))).toBeUndefined();
    // written before verifiers existed
    expect(await usableEntry(entry, pw('right'))).toBeUndefined();
    expect(await usableEntry(entry, appcred('s'))).toBeUndefined();
    const token: AuthOptions = { authUrl: 'x', method: { type: 'token', token: 't' } };
    expect(await entryVerifier(token)).toBeUndefined();
    expect(await usableEntry(entry, token)).toEqual(entry);
  });
});

describe('FileTokenStore', () => {
  it('writes 0600 files in a 0700 folder, atomically, and reads them back', async () => {
    const dir = join(tmp('ncli-cache-'), 'ncli', 'tokens');
    const s = new FileTokenStore(dir);
    await s.set('k1', entry);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'k1.json')).mode & 0o777).toBe(0o600);
    expect(await s.get('k1')).toEqual(entry);
    expect(readdirSync(dir)).toEqual(['k1.json']);
    await s.set('k2', entry);
    expect(await s.clear()).toBe(2);
    expect(await s.get('k1')).toBeUndefined();
  });
  it('survives many concurrent writers without a torn file', async () => {
    const dir = join(tmp('ncli-cache-'), 'tokens');
    const s = new FileTokenStore(dir);
    await Promise.all(Array.from({ length: 50 }, (_, i) => s.set('k', { ...entry, token: `t${i}` })));
    const got = await s.get('k');
    expect(got?.token).toMatch(/^t\d+$/);
    expect(readdirSync(dir)).toEqual(['k.json']);
  });
  it('keeps the verifier in the entry, not in the file name', async () => {
    const dir = join(tmp('ncli-cache-'), 'tokens');
    const s = new FileTokenStore(dir);
    const key = cacheKey(pw('hunter2'), 'R1');
    await s.set(key, { ...entry, verifier: await entryVerifier(pw('hunter2')) });
    expect(readdirSync(dir)).toEqual([`${key}.json`]);
    const text = readFileSync(join(dir, `${key}.json`), 'utf8');
    expect(text).not.toContain('hunter2');
    expect(await usableEntry(await s.get(key), pw('hunter2'))).toEqual(entry);
  });
});

/** A keychain in memory that can be made to fail like a Secret Service that went away. */
function fakeKeyring() {
  const mem = new Map<string, string>();
  const state = { broken: false };
  const check = () => {
    if (state.broken) throw new Error('Platform failure: DBus error: Failed to connect to socket /run/bus');
  };
  const keyring: Keyring = {
    get: async (a) => (check(), mem.get(a) ?? null),
    set: async (a, v) => (check(), void mem.set(a, v)),
    delete: async (a) => (check(), mem.delete(a)),
    accounts: async () => (check(), [...mem.keys()]),
  };
  return { mem, state, keyring };
}

describe('KeychainTokenStore', () => {
  it('uses the keychain, and falls back to the file when it fails (one debug line)', async () => {
    const { mem, state, keyring } = fakeKeyring();
    const file = new FileTokenStore(join(tmp('ncli-kc-'), 'tokens'));
    const debug: string[] = [];
    const s = new KeychainTokenStore(keyring, file, (m) => debug.push(m));
    await s.set('k', entry);
    expect(JSON.parse(mem.get('k')!)).toEqual(entry);
    expect(await file.get('k')).toBeUndefined();
    expect(await s.get('k')).toEqual(entry);
    state.broken = true;
    await s.set('k2', entry);
    await s.set('k3', entry);
    expect(s.kind).toBe('file');
    expect(await file.get('k2')).toEqual(entry);
    expect(debug).toEqual([
      `keychain unavailable (Platform failure: DBus error: Failed to connect to socket /run/bus); token cache in ${file.dir}`,
    ]);
  });
  it('finds what a keychain-less run wrote to the file, and moves it to the keychain on the next write', async () => {
    const { mem, keyring } = fakeKeyring();
    const file = new FileTokenStore(join(tmp('ncli-kc-'), 'tokens'));
    await file.set('k', entry);
    const s = new KeychainTokenStore(keyring, file);
    expect(await s.get('k')).toEqual(entry);
    await s.set('k', { ...entry, token: 'newer' });
    expect(JSON.parse(mem.get('k')!).token).toBe('newer');
    expect(await file.get('k')).toBeUndefined();
    expect(s.kind).toBe('keychain');
  });
  it('clear() drops keychain and file entries and counts both', async () => {
    const { mem, keyring } = fakeKeyring();
    const file = new FileTokenStore(join(tmp('ncli-kc-'), 'tokens'));
    await file.set('f1', entry);
    const s = new KeychainTokenStore(keyring, file);
    await s.set('k1', entry);
    await s.set('k2', entry);
    expect(await s.clear()).toBe(3);
    expect(mem.size).toBe(0);
    expect(readdirSync(file.dir)).toEqual([]);
  });
});

describe('openTokenStore', () => {
  const load = () => {
    const calls: string[] = [];
    const mod = {
      AsyncEntry: class {
        constructor(service: string, account: string, opts: unknown) {
          calls.push(`${service}/${account} ${JSON.stringify(opts)}`);
        }
        getSecret() {
          return Promise.resolve(null);
        }
      },
      findCredentialsAsync: () => Promise.resolve([]),
    };
    return { calls, load: () => Promise.resolve(mod as never) };
  };
  it('uses the file without loading the keychain library when no D-Bus session is announced', async () => {
    const cache = tmp('ncli-open-');
    const debug: string[] = [];
    const s = await openTokenStore(
      { XDG_CACHE_HOME: cache },
      (m) => debug.push(m),
      'linux',
      () => {
        throw new Error('must not be loaded');
      },
    );
    expect(s.kind).toBe('file');
    expect(debug).toEqual([
      `keychain not used (no D-Bus session bus: DBUS_SESSION_BUS_ADDRESS is not set); token cache in ${join(cache, 'ncli', 'tokens')}`,
    ]);
    const off = await openTokenStore(
      { XDG_CACHE_HOME: cache, NCLI_KEYCHAIN: '0', DBUS_SESSION_BUS_ADDRESS: 'x' },
      undefined,
      'linux',
    );
    expect(off.kind).toBe('file');
  });
  it('opens the Secret Service (pinned, no kernel-keyring fallback) when a bus is announced, and the Keychain on macOS', async () => {
    const l = load();
    const s = await openTokenStore(
      { XDG_CACHE_HOME: tmp('ncli-open-'), DBUS_SESSION_BUS_ADDRESS: 'unix:path=/x' },
      undefined,
      'linux',
      l.load,
    );
    expect(s.kind).toBe('keychain');
    expect(await s.get('k')).toBeUndefined();
    expect(l.calls).toEqual(['ncli/k {"linux":{"store":"secret-service"}}']);
    const mac = await openTokenStore({ XDG_CACHE_HOME: tmp('ncli-open-') }, undefined, 'darwin', l.load);
    expect(mac.kind).toBe('keychain');
  });
  it('falls back to the file, with one debug line, when the library does not load', async () => {
    const debug: string[] = [];
    const s = await openTokenStore(
      { XDG_CACHE_HOME: tmp('ncli-open-'), DBUS_SESSION_BUS_ADDRESS: 'unix:path=/x' },
      (m) => debug.push(m),
      'linux',
      () => Promise.reject(new Error("Cannot find module '@napi-rs/keyring-linux-x64-gnu'\nRequire stack: …")),
    );
    expect(s.kind).toBe('file');
    expect(debug).toHaveLength(1);
    expect(debug[0]).toMatch(
      /^keychain library @napi-rs\/keyring not available \(Cannot find module '@napi-rs\/keyring-linux-x64-gnu'\); token cache in /,
    );
  });
});

/**
 * A Keystone that issues a token for each accepted password or application credential secret
 * (`tok-<secret>-<n>`) and answers 401 as Keystone does for any other.
 */
function keystone(accepted: Set<string>) {
  const agent = mockAgent();
  const sent: string[] = [];
  agent
    .get(KEYSTONE)
    .intercept({ path: '/v3/auth/tokens', method: 'POST' })
    .reply((req) => {
      const id = (
        JSON.parse(req.body as string) as {
          auth: { identity: Record<string, { user?: { password?: string }; secret?: string }> };
        }
      ).auth.identity;
      const secret = id.password?.user?.password ?? id.application_credential?.secret ?? '';
      sent.push(secret);
      if (!accepted.has(secret)) {
        return {
          statusCode: 401,
          data: JSON.stringify({
            error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' },
          }),
          responseOptions: { headers: { 'content-type': 'application/json' } },
        };
      }
      return {
        statusCode: 201,
        data: JSON.stringify(tokenBody()),
        responseOptions: {
          headers: { 'content-type': 'application/json', 'x-subject-token': `tok-${secret}-${sent.length}` },
        },
      };
    })
    .persist();
  return { agent, sent };
}

function cfgOf(auth: AuthOptions): ResolvedConfig {
  return { auth, regionName: 'RegionOne', interface: 'public', insecure: false, cache: true, timeoutSeconds: 5 };
}

describe('Authenticator and the token cache: a cached token only for the secret that obtained it', () => {
  const cases: [string, (s: string) => AuthOptions][] = [
    ['password', (s) => pw(s)],
    ['application credential secret', appcred],
  ];
  for (const [what, authOf] of cases) {
    it(`a wrong ${what} misses, is refused by Keystone, and leaves the right one's entry untouched`, async () => {
      const ks = keystone(new Set(['right']));
      const transport = new Transport({ timeoutSeconds: 5, dispatcher: ks.agent });
      const store = new FileTokenStore(join(tmp('ncli-auth-'), 'tokens'));
      const run = (secret: string) => new Authenticator(cfgOf(authOf(secret)), transport, store);

      const first = run('right');
      expect(await first.getToken()).toBe('tok-right-1');
      expect(first.authCount).toBe(1);
      const key = cacheKey(authOf('right'), 'RegionOne');
      const stored = readFileSync(join(store.dir, `${key}.json`), 'utf8');
      expect(stored).not.toContain('"right"');

      const wrong = run('wrong');
      await expect(wrong.getToken()).rejects.toThrow(
        /^Keystone at http:\/\/keystone\.test:5000\/v3 refused .*: The request you have made requires authentication\. \(HTTP 401\)/,
      );
      expect(wrong.authCount).toBe(1);
      expect(ks.sent).toEqual(['right', 'wrong']);
      expect(readFileSync(join(store.dir, `${key}.json`), 'utf8')).toBe(stored);

      const again = run('right');
      expect(await again.getToken()).toBe('tok-right-1');
      expect(again.authCount).toBe(0);
      expect(ks.sent).toEqual(['right', 'wrong']);
    });
  }

  it('a new valid password replaces the entry; the old one then misses', async () => {
    const ks = keystone(new Set(['old', 'new']));
    const transport = new Transport({ timeoutSeconds: 5, dispatcher: ks.agent });
    const store = new FileTokenStore(join(tmp('ncli-auth-'), 'tokens'));
    const run = async (secret: string) => {
      const a = new Authenticator(cfgOf(pw(secret)), transport, store);
      return [await a.getToken(), a.authCount] as const;
    };
    expect(await run('old')).toEqual(['tok-old-1', 1]);
    expect(await run('new')).toEqual(['tok-new-2', 1]);
    expect(readdirSync(store.dir)).toHaveLength(1);
    expect(await run('new')).toEqual(['tok-new-2', 0]);
    expect(await run('old')).toEqual(['tok-old-3', 1]);
  });

  it('an entry in the old format (no verifier) is a miss and is rewritten with one', async () => {
    const ks = keystone(new Set(['right']));
    const store = new FileTokenStore(join(tmp('ncli-auth-'), 'tokens'));
    const key = cacheKey(pw('right'), 'RegionOne');
    await store.set(key, { ...entry, token: 'from-an-old-ncli' });
    const a = new Authenticator(cfgOf(pw('right')), new Transport({ timeoutSeconds: 5, dispatcher: ks.agent }), store);
    expect(await a.getToken()).toBe('tok-right-1');
    expect(a.authCount).toBe(1);
    expect((await store.get(key))?.verifier?.alg).toBe('scrypt');
  });

  it('a changing TOTP passcode next to the password still finds the cached token', async () => {
    const ks = keystone(new Set(['right']));
    const transport = new Transport({ timeoutSeconds: 5, dispatcher: ks.agent });
    const store = new FileTokenStore(join(tmp('ncli-auth-'), 'tokens'));
    const withCode = (passcode: string) =>
      new Authenticator(
        cfgOf(pw('right', { secondFactor: { type: 'totp', username: 'alice', userDomainName: 'Default', passcode } })),
        transport,
        store,
      );
    const a = withCode('111111');
    expect(await a.getToken()).toBe('tok-right-1');
    const b = withCode('222222');
    expect(await b.getToken()).toBe('tok-right-1');
    expect(b.authCount).toBe(0);
  });

  it('token logins keep using entries without a verifier', async () => {
    const store = new FileTokenStore(join(tmp('ncli-auth-'), 'tokens'));
    const auth: AuthOptions = { authUrl: `${KEYSTONE}/v3`, method: { type: 'token', token: 'given' } };
    await store.set(cacheKey(auth, 'RegionOne'), entry);
    const a = new Authenticator(cfgOf(auth), new Transport({ timeoutSeconds: 5 }), store);
    expect(await a.getToken()).toBe(entry.token);
    expect(a.authCount).toBe(0);
  });
});
