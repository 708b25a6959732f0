import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { selectEndpoint, type CatalogService } from '../../src/identity/catalog.js';
import { authRequestBody } from '../../src/identity/keystone.js';
import { cacheKey, entryVerifier, FileTokenStore } from '../../src/identity/token-cache.js';
import type { AuthOptions } from '../../src/config/options.js';
import { messageFor } from '../../src/cli/errors.js';
import { NcliError } from '../../src/errors.js';

/** The NcliError `fn` throws. */
function catchError(fn: () => unknown): NcliError {
  try {
    fn();
  } catch (e) {
    if (e instanceof NcliError) return e;
    throw e;
  }
  throw new Error('did not throw');
}

const catalog: CatalogService[] = [
  {
    type: 'compute',
    endpoints: [
      { interface: 'public', region_id: 'R1', url: 'https://pub.r1/v2.1/' },
      { interface: 'internal', region_id: 'R1', url: 'http://int.r1/v2.1' },
      { interface: 'public', region: 'R2', url: 'https://pub.r2/v2.1' },
    ],
  },
  { type: 'image', endpoints: [{ interface: 'public', region_id: 'R1', url: 'https://img' }] },
];

describe('selectEndpoint', () => {
  it('matches type, interface and region (region_id, then region)', () => {
    expect(selectEndpoint(catalog, 'compute', 'public', 'R1')).toBe('https://pub.r1/v2.1');
    expect(selectEndpoint(catalog, 'compute', 'internal', 'R1')).toBe('http://int.r1/v2.1');
    expect(selectEndpoint(catalog, 'compute', 'public', 'R2')).toBe('https://pub.r2/v2.1');
    expect(selectEndpoint(catalog, 'compute', 'internal')).toBe('http://int.r1/v2.1');
  });
  it('asks for a region when several offer the interface', () => {
    const e = catchError(() => selectEndpoint(catalog, 'compute', 'public'));
    expect(e.code).toBe('ENDPOINT_NOT_FOUND');
    expect(messageFor(e)).toMatch(/several regions \(R1, R2\).*--os-region-name/);
  });
  it('names what is missing and what exists', () => {
    expect(() => selectEndpoint(catalog, 'compute', 'admin', 'R1')).toThrow(
      /No admin endpoint for the compute service in region 'R1'; the catalog offers public@R1, internal@R1, public@R2/,
    );
    expect(() => selectEndpoint(catalog, 'volumev3', 'public')).toThrow(
      /no 'volumev3' service \(it has: compute, image\)/,
    );
    expect(messageFor(catchError(() => selectEndpoint([], 'compute', 'public')))).toMatch(
      /catalog is empty.*OS_PROJECT_NAME/,
    );
  });
});

describe('authRequestBody', () => {
  it('password with project scope', () => {
    const auth: AuthOptions = {
      authUrl: 'http://k/v3',
      method: { type: 'password', username: 'u', password: 'p', userDomainName: 'D' },
      scope: { project: { name: 'pr', domainId: 'default' } },
    };
    expect(authRequestBody(auth)).toEqual({
      auth: {
        identity: { methods: ['password'], password: { user: { name: 'u', domain: { name: 'D' }, password: 'p' } } },
        scope: { project: { name: 'pr', domain: { id: 'default' } } },
      },
    });
  });
  it('application credential never carries a scope', () => {
    const body = authRequestBody({
      authUrl: 'x',
      method: { type: 'application_credential', id: 'i', secret: 's' },
      scope: { project: { id: 'p' } },
    });
    expect(body).toEqual({
      auth: { identity: { methods: ['application_credential'], application_credential: { id: 'i', secret: 's' } } },
    });
  });
  it('token with domain scope', () => {
    expect(
      authRequestBody({ authUrl: 'x', method: { type: 'token', token: 't' }, scope: { domain: { id: 'd' } } }),
    ).toEqual({
      auth: { identity: { methods: ['token'], token: { id: 't' } }, scope: { domain: { id: 'd' } } },
    });
  });
});

// cacheKey, the stores and the secret verifier: test/unit/token-cache.test.ts

describe('Authenticator with a stale cached catalog', () => {
  it('authenticates once more when the cached catalog lacks the endpoint, and only then gives up', async () => {
    const { MockAgent } = await import('undici');
    const { Transport } = await import('../../src/http/transport.js');
    const { Authenticator } = await import('../../src/identity/keystone.js');
    const agent = new MockAgent();
    agent.disableNetConnect();
    const freshCatalog: CatalogService[] = [
      { type: 'compute', endpoints: [{ interface: 'public', region_id: 'R1', url: 'http://nova.new/v2.1' }] },
    ];
    agent
      .get('http://ks.test')
      .intercept({ path: '/v3/auth/tokens', method: 'POST' })
      .reply(
        201,
        { token: { expires_at: new Date(Date.now() + 3600_000).toISOString(), catalog: freshCatalog } },
        { headers: { 'x-subject-token': 'fresh' } },
      );
    const store = new FileTokenStore(join(mkdtempSync(join(tmpdir(), 'ncli-stale-')), 'tokens'));
    const cfg = {
      auth: {
        authUrl: 'http://ks.test/v3',
        method: { type: 'password', username: 'u', password: 'p', userDomainId: 'default' },
      },
      regionName: 'R1',
      interface: 'public',
      insecure: false,
      cache: true,
      timeoutSeconds: 5,
    };
    await store.set(cacheKey(cfg.auth as AuthOptions, 'R1'), {
      token: 'old',
      expiresAt: Date.now() + 3600_000,
      catalog: [{ type: 'image', endpoints: [] }],
      verifier: await entryVerifier(cfg.auth as AuthOptions),
    });
    const auth = new Authenticator(cfg as never, new Transport({ timeoutSeconds: 5, dispatcher: agent }), store);
    expect(await auth.endpoint('compute')).toBe('http://nova.new/v2.1');
    expect(auth.authCount).toBe(1);
    expect(await auth.getToken()).toBe('fresh');
    // a fresh catalog without it: the error, no second authentication
    await expect(auth.endpoint('volumev3')).rejects.toThrow(/no 'volumev3' service/);
    expect(auth.authCount).toBe(1);
  });

  it('does not log in again when the cached catalog has the service in several regions and none was chosen', async () => {
    const { MockAgent } = await import('undici');
    const { Transport } = await import('../../src/http/transport.js');
    const { Authenticator } = await import('../../src/identity/keystone.js');
    const agent = new MockAgent();
    agent.disableNetConnect(); // a POST /v3/auth/tokens would fail the test: no interceptor
    const store = new FileTokenStore(join(mkdtempSync(join(tmpdir(), 'ncli-ambiguous-')), 'tokens'));
    const cfg = {
      auth: {
        authUrl: 'http://ks.test/v3',
        method: { type: 'password', username: 'u', password: 'p', userDomainId: 'default' },
      },
      interface: 'public',
      insecure: false,
      cache: true,
      timeoutSeconds: 5,
    };
    await store.set(cacheKey(cfg.auth as AuthOptions, undefined), {
      token: 'cached',
      expiresAt: Date.now() + 3600_000,
      catalog, // compute public in R1 and R2
      verifier: await entryVerifier(cfg.auth as AuthOptions),
    });
    const auth = new Authenticator(cfg as never, new Transport({ timeoutSeconds: 5, dispatcher: agent }), store);
    await expect(auth.endpoint('compute')).rejects.toMatchObject({
      code: 'ENDPOINT_NOT_FOUND',
      hint: 'region',
      message: 'The compute service has public endpoints in several regions (R1, R2).',
    });
    expect(auth.authCount).toBe(0);
    // the cached token stays for the next run
    expect((await store.get(cacheKey(cfg.auth as AuthOptions, undefined)))?.token).toBe('cached');
    await agent.close();
  });
});
