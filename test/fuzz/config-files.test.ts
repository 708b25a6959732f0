/**
 * Files ncli reads, filled with hostile bytes: clouds.yaml and secure.yaml (src/config/clouds.ts,
 * through resolveConfig: a one-line configuration error or a configuration, never anything else),
 * the token cache, the names cache and the version cache (src/identity/token-cache.ts,
 * src/completion/names-cache.ts, src/config/cache-files.ts: corrupt, truncated or of another type
 * → ignored and rewritten, never "internal error").
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { NcliError } from '../../src/errors.js';
import { resolveConfig } from '../../src/config/options.js';
import { versionCache } from '../../src/config/cache-files.js';
import { FileTokenStore } from '../../src/identity/token-cache.js';
import { readNames, readNamesFile, writeNames } from '../../src/config/names-cache.js';
import { runNcli } from '../support/io.js';
import { KEYSTONE, NOVA, mockAgent, tokenBody, versionDocument } from '../support/mock-nova.js';
import { params, timeout } from './fuzz.js';

const work = mkdtempSync(join(tmpdir(), 'ncli-fuzz-files-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => {
  const d = join(work, String(n++));
  mkdirSync(d, { recursive: true, mode: 0o700 });
  return d;
};

/** Any YAML/JSON scalar or small structure. */
const scalar = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(
    'http://keystone.test:5000/v3',
    'admin',
    'RegionOne',
    'public',
    'true',
    '2.93',
    '/nonexistent/ca.pem',
  ),
);
const value = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(fc.string(), tie('v'), { maxKeys: 3 }),
  ),
})).v;

const KEYS = [
  'auth_url',
  'username',
  'password',
  'project_name',
  'project_id',
  'user_domain_name',
  'project_domain_name',
  'application_credential_id',
  'application_credential_secret',
  'token',
  'passcode',
];
const CLOUD_KEYS = [
  'region_name',
  'interface',
  'verify',
  'cacert',
  'compute_api_version',
  'auth_type',
  'identity_api_version',
];

/** A clouds.yaml-shaped document with hostile values where strings are expected. */
const cloudsDoc = fc.record({
  clouds: fc.oneof(
    fc.record({
      c: fc.oneof(
        fc.record(
          {
            auth: fc.oneof(fc.dictionary(fc.constantFrom(...KEYS), value), value),
            ...Object.fromEntries(CLOUD_KEYS.map((k) => [k, value])),
          },
          { requiredKeys: [] },
        ),
        value,
      ),
    }),
    value,
  ),
});

/** Bytes of a YAML file: a document, a truncated one, or noise. */
const yamlFile = fc.oneof(
  cloudsDoc.map((d) => stringify(d)),
  fc.tuple(cloudsDoc, fc.nat()).map(([d, cut]) => {
    const s = stringify(d);
    return s.slice(0, cut % (s.length + 1));
  }),
  fc.string({ unit: 'binary' }),
  fc.constantFrom(
    'clouds: [',
    'clouds:\n  c: &a\n    auth: *a\n',
    'clouds: !!binary xyz',
    '\uFEFFclouds: {c: {auth: 1}}',
    ':::',
  ),
);

function oneLineNcliError(e: unknown): void {
  expect(e).toBeInstanceOf(NcliError);
  expect((e as Error).message).not.toMatch(/\n/);
  expect((e as Error).message.length).toBeGreaterThan(0);
}

describe('clouds.yaml and secure.yaml (fuzz)', () => {
  it(
    'resolve to a configuration or to one line naming the problem, whatever they hold',
    async () => {
      await fc.assert(
        fc.asyncProperty(yamlFile, fc.option(yamlFile), async (clouds, secure) => {
          const dir = fresh();
          writeFileSync(join(dir, 'clouds.yaml'), clouds);
          const env: NodeJS.ProcessEnv = {
            OS_CLOUD: 'c',
            OS_CLIENT_CONFIG_FILE: join(dir, 'clouds.yaml'),
            OS_CLIENT_SECURE_FILE: join(dir, secure === null ? 'none.yaml' : 'secure.yaml'),
            HOME: dir,
          };
          if (secure !== null) writeFileSync(join(dir, 'secure.yaml'), secure);
          try {
            const cfg = await resolveConfig({}, env, dir);
            expect(typeof cfg.auth.authUrl).toBe('string');
          } catch (e) {
            oneLineNcliError(e);
          }
        }),
        params(150),
      );
    },
    timeout(150, 10),
  );

  // Found by the property above: an alias inside its own anchor made a cyclic object, and merging
  // secure.yaml over it overflowed the stack ("internal error: Maximum call stack size exceeded").
  it('refuses an alias inside its own anchor in one line', async () => {
    const dir = fresh();
    const cyclic = 'clouds:\n  c: &a\n    auth: *a\n';
    writeFileSync(join(dir, 'clouds.yaml'), cyclic);
    writeFileSync(join(dir, 'secure.yaml'), cyclic);
    for (const secure of ['secure.yaml', 'none.yaml']) {
      const env = {
        OS_CLOUD: 'c',
        OS_CLIENT_CONFIG_FILE: join(dir, 'clouds.yaml'),
        OS_CLIENT_SECURE_FILE: join(dir, secure),
        HOME: dir,
      };
      await expect(resolveConfig({}, env, dir)).rejects.toThrow(
        `${join(dir, 'clouds.yaml')} holds a YAML alias inside its own anchor (*a within &a); write that part out.`,
      );
    }
  });
});

/** Hostile contents of a cache file: JSON of any type, a truncated entry, or noise. */
function cacheFile(valid: unknown) {
  const text = JSON.stringify(valid);
  return fc.oneof(
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.nat().map((cut) => text.slice(0, cut % text.length)),
    fc.string({ unit: 'binary' }),
    // the right shape with values of the wrong types
    fc
      .dictionary(fc.constantFrom(...Object.keys(valid as object)), fc.jsonValue())
      .map((o) => JSON.stringify({ ...(valid as object), ...o })),
  );
}

describe('cache files (fuzz)', () => {
  const entry = {
    token: 'tok',
    expiresAt: Date.now() + 3_600_000,
    catalog: [],
    userId: 'u1',
    projectId: 'p1',
    verifier: 'x',
  };

  it('a token cache file of any content is a miss or an entry, never an error', async () => {
    const dir = fresh();
    const store = new FileTokenStore(dir);
    await fc.assert(
      fc.asyncProperty(cacheFile(entry), async (content) => {
        writeFileSync(join(dir, 'k.json'), content);
        const got = await store.get('k');
        if (got !== undefined) {
          expect(typeof got.token).toBe('string');
          expect(typeof got.expiresAt).toBe('number');
        }
      }),
      params(200),
    );
  });

  it('names cache files of any content read as [] or clean items, and are rewritten whole by the next write', () => {
    const home = fresh();
    const env = { XDG_CACHE_HOME: home };
    const valid = { version: 1, kind: 'server', updatedAt: 1, items: [{ id: 'a', name: 'vm' }] };
    let path: string | undefined;
    fc.assert(
      fc.property(cacheFile(valid), fc.boolean(), (content, complete) => {
        writeNames(env, 'scope', 'server', [{ id: 'seed' }], { complete: true });
        path ??= join(home, 'ncli', 'names', readdirSync(join(home, 'ncli', 'names'))[0]);
        writeFileSync(path, content);
        for (const it of readNames(env, 'scope', 'server')) {
          expect(typeof it.id).toBe('string');
          if ('name' in it) expect(typeof it.name).toBe('string');
        }
        readNamesFile(env, 'scope', 'server');
        writeNames(env, 'scope', 'server', [{ id: 'new', name: 'n' }], { complete });
        const after = JSON.parse(readFileSync(path, 'utf8')) as { version: number; items: unknown[] };
        expect(after.version).toBe(1);
        expect(after.items).toContainEqual({ id: 'new', name: 'n' });
      }),
      params(100),
    );
  });

  it('version cache files of any content are a miss or a range', () => {
    const dir = fresh();
    const cache = versionCache(dir);
    cache.write('http://nova', { min: '2.1', max: '2.93' });
    const file = join(dir, readdirSync(dir)[0]);
    fc.assert(
      fc.property(cacheFile({ min: '2.1', max: '2.93', fetchedAt: Date.now() }), (content) => {
        writeFileSync(file, content);
        const hit = cache.read('http://nova');
        if (hit) expect([typeof hit.min, typeof hit.max]).toEqual(['string', 'string']);
      }),
      params(200),
    );
  });

  it(
    'ncli server list with a hostile token cache logs in again, rewrites the entry and succeeds',
    async () => {
      const home = fresh();
      const tokens = join(home, 'ncli', 'tokens');
      const agent = mockAgent();
      let logins = 0;
      agent
        .get(KEYSTONE)
        .intercept({ path: '/v3/auth/tokens', method: 'POST' })
        .reply(() => {
          logins++;
          return {
            statusCode: 201,
            data: JSON.stringify(tokenBody()),
            responseOptions: { headers: { 'x-subject-token': 'tokFUZZ', 'content-type': 'application/json' } },
          };
        })
        .persist();
      const nova = agent.get(NOVA);
      nova
        .intercept({ path: '/v2.1/', method: 'GET' })
        .reply(200, JSON.stringify(versionDocument('2.93')))
        .persist();
      nova
        .intercept({ path: (p) => p.startsWith('/v2.1/servers/detail'), method: 'GET' })
        .reply(200, JSON.stringify({ servers: [] }), { headers: { 'content-type': 'application/json' } })
        .persist();
      const env = {
        OS_AUTH_URL: `${KEYSTONE}/v3`,
        OS_USERNAME: 'alice',
        OS_PASSWORD: 'pw',
        OS_PROJECT_NAME: 'demo',
        OS_USER_DOMAIN_NAME: 'Default',
        OS_PROJECT_DOMAIN_NAME: 'Default',
        XDG_CACHE_HOME: home,
        HOME: home,
        NCLI_KEYCHAIN: '0',
      };
      const deps = { dispatcher: agent, tokenStore: new FileTokenStore(tokens) };
      const first = await runNcli(['server', 'list', '-f', 'json'], env, deps);
      expect(first, first.stderr).toMatchObject({ code: 0, stdout: '[]\n' });
      const file = join(
        tokens,
        readdirSync(tokens).find((f) => f.endsWith('.json'))!,
      );
      const valid = JSON.parse(readFileSync(file, 'utf8')) as object;
      await fc.assert(
        fc.asyncProperty(cacheFile(valid), async (content) => {
          writeFileSync(file, content);
          const before = logins;
          const r = await runNcli(['server', 'list', '-f', 'json'], env, deps);
          expect(r, r.stderr).toEqual({ code: 0, stdout: '[]\n', stderr: '' });
          const now = JSON.parse(readFileSync(file, 'utf8')) as { token?: string };
          if (logins > before) expect(now.token).toBe('tokFUZZ');
        }),
        params(20),
      );
    },
    timeout(20, 100),
  );
});
