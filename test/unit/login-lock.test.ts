/**
 * Concurrent cold runs share one login: of several Authenticators missing the same cache entry at
 * once, one asks Keystone while the others wait on its lock file (src/config/file-lock.ts) and take
 * the token it stored, with the file store and with the keychain store alike; a lock left by a
 * process that is gone, or no longer refreshed, is taken over.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, statSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock } from '../../src/config/file-lock.js';
import type { AuthOptions, ResolvedConfig } from '../../src/config/options.js';
import { Transport } from '../../src/http/transport.js';
import { Authenticator } from '../../src/identity/keystone.js';
import {
  cacheKey,
  FileTokenStore,
  KeychainTokenStore,
  type Keyring,
  type TokenStore,
} from '../../src/identity/token-cache.js';
import { KEYSTONE, mockAgent, tokenBody } from '../support/mock-nova.js';

const tmp = (p: string) => mkdtempSync(join(tmpdir(), p));
const auth: AuthOptions = {
  authUrl: `${KEYSTONE}/v3`,
  method: { type: 'password', username: 'alice', password: 'pw', userDomainName: 'Default' },
  scope: { project: { name: 'demo', domainName: 'Default' } },
};
const cfg: ResolvedConfig = {
  auth,
  regionName: 'RegionOne',
  interface: 'public',
  insecure: false,
  cache: true,
  timeoutSeconds: 5,
};

/** A Keystone that answers each login after `delayMs` with a new token `tok-<n>`. */
function slowKeystone(delayMs: number) {
  const agent = mockAgent();
  let n = 0;
  agent
    .get(KEYSTONE)
    .intercept({ path: '/v3/auth/tokens', method: 'POST' })
    .reply(() => ({
      statusCode: 201,
      data: JSON.stringify(tokenBody()),
      responseOptions: { headers: { 'content-type': 'application/json', 'x-subject-token': `tok-${++n}` } },
    }))
    .delay(delayMs)
    .persist();
  return { agent, logins: () => n };
}

/** One keychain shared by every "process" (a Map), as the Secret Service is. */
function sharedKeyring(): Keyring {
  const mem = new Map<string, string>();
  return {
    get: async (a) => mem.get(a) ?? null,
    set: async (a, s) => void mem.set(a, s),
    delete: async (a) => mem.delete(a),
    accounts: async () => [...mem.keys()],
  };
}

async function coldRuns(stores: TokenStore[]): Promise<{ tokens: string[]; logins: number }> {
  const ks = slowKeystone(150);
  const transport = new Transport({ timeoutSeconds: 5, dispatcher: ks.agent });
  const tokens = await Promise.all(stores.map((s) => new Authenticator(cfg, transport, s).getToken()));
  return { tokens, logins: ks.logins() };
}

describe('concurrent cold runs', () => {
  it('make one token request with the file store; the others take its token', async () => {
    const dir = join(tmp('ncli-lock-'), 'tokens');
    const { tokens, logins } = await coldRuns(Array.from({ length: 8 }, () => new FileTokenStore(dir)));
    expect(logins).toBe(1);
    expect(new Set(tokens)).toEqual(new Set(['tok-1']));
    expect(existsSync(join(dir, `${cacheKey(auth, 'RegionOne')}.lock`))).toBe(false);
  });

  it('make one token request with the keychain store (the lock file stands in the cache folder)', async () => {
    const dir = join(tmp('ncli-lock-kc-'), 'tokens');
    const keyring = sharedKeyring();
    const { tokens, logins } = await coldRuns(
      Array.from({ length: 8 }, () => new KeychainTokenStore(keyring, new FileTokenStore(dir))),
    );
    expect(logins).toBe(1);
    expect(new Set(tokens)).toEqual(new Set(['tok-1']));
  });

  it('a run that missed the cache just before another stored its token takes that token, not a login', async () => {
    const dir = join(tmp('ncli-lock-late-'), 'tokens');
    const ks = slowKeystone(50);
    const transport = new Transport({ timeoutSeconds: 5, dispatcher: ks.agent });
    expect(await new Authenticator(cfg, transport, new FileTokenStore(dir)).getToken()).toBe('tok-1');
    // the late run read the cache before the first stored its token, and takes the lock after the
    // first released it: nothing to wait for, yet the token is there now
    const late = new FileTokenStore(dir);
    let reads = 0;
    const get = late.get.bind(late);
    late.get = (key: string) => (++reads === 1 ? Promise.resolve(undefined) : get(key));
    expect(await new Authenticator(cfg, transport, late).getToken()).toBe('tok-1');
    expect([ks.logins(), reads]).toEqual([1, 2]);
  });
});

describe('acquireLock', () => {
  it('waits for a live holder and then says it waited', async () => {
    const path = join(tmp('ncli-lock-'), 'x.lock');
    const first = await acquireLock(path);
    expect(first?.waited).toBe(false);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    let second: Awaited<ReturnType<typeof acquireLock>>;
    const p = acquireLock(path, { pollMs: 10 }).then((l) => (second = l));
    await new Promise((r) => setTimeout(r, 100));
    expect(second).toBeUndefined(); // still waiting
    first!.release();
    await p;
    expect(second?.waited).toBe(true);
    second!.release();
    expect(existsSync(path)).toBe(false);
  });

  it('takes over at once a lock whose process is gone', async () => {
    const path = join(tmp('ncli-lock-'), 'x.lock');
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(path, JSON.stringify({ pid: Number(gone), host: hostname(), id: 'x' }), { mode: 0o600 });
    const debug: string[] = [];
    const t0 = Date.now();
    const l = await acquireLock(path, { debug: (m) => debug.push(m) });
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(l?.waited).toBe(false);
    expect(debug[0]).toMatch(new RegExp(`is stale \\(process ${gone} is gone\\); taking it over$`));
    l!.release();
  });

  it('takes over a lock no longer refreshed (another machine, a frozen holder) after staleMs', async () => {
    const path = join(tmp('ncli-lock-'), 'x.lock');
    writeFileSync(path, JSON.stringify({ pid: 1, host: 'elsewhere', id: 'x' }), { mode: 0o600 });
    const old = new Date(Date.now() - 60_000);
    utimesSync(path, old, old);
    const l = await acquireLock(path, { staleMs: 10_000 });
    expect(l).toBeDefined();
    l!.release();
    // a fresh one of another machine is waited for, up to maxWaitMs
    writeFileSync(path, JSON.stringify({ pid: 1, host: 'elsewhere', id: 'y' }), { mode: 0o600 });
    expect(await acquireLock(path, { staleMs: 10_000, pollMs: 10, maxWaitMs: 100 })).toBeUndefined();
  });

  it('keeps its lock fresh while held', async () => {
    const path = join(tmp('ncli-lock-'), 'x.lock');
    const l = await acquireLock(path, { staleMs: 200 });
    const old = new Date(Date.now() - 60_000);
    utimesSync(path, old, old);
    await new Promise((r) => setTimeout(r, 150));
    expect(Date.now() - statSync(path).mtimeMs).toBeLessThan(1000);
    l!.release();
  });

  it('goes on without a lock where none can be made', async () => {
    const file = join(tmp('ncli-lock-'), 'plain');
    writeFileSync(file, '');
    expect(await acquireLock(join(file, 'x.lock'))).toBeUndefined();
  });
});
