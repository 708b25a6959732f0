/**
 * Keystone's answers, made hostile (src/identity/keystone.ts, src/identity/catalog.ts): token
 * bodies and auth receipts of any shape, headers missing or odd, catalogs with any services,
 * interfaces, regions and URLs. Whatever Keystone says, `ncli` ends with a result or with one
 * line naming the problem — never "internal error", never a stack trace.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { selectEndpoint } from '../../src/identity/catalog.js';
import { runNcli } from '../support/io.js';
import { KEYSTONE, NOVA, mockAgent, tokenBody, versionDocument } from '../support/mock-nova.js';
import { params, timeout } from './fuzz.js';

const ENV = {
  OS_AUTH_URL: `${KEYSTONE}/v3`,
  OS_USERNAME: 'alice',
  OS_PASSWORD: 'pw',
  OS_PROJECT_NAME: 'demo',
  OS_USER_DOMAIN_NAME: 'Default',
  OS_PROJECT_DOMAIN_NAME: 'Default',
  OS_CACHE: 'false',
};

/** What the mocked Keystone answers to `POST /v3/auth/tokens`. */
interface Answer {
  status: number;
  body: string;
  headers: Record<string, string>;
}

const json = fc.jsonValue({ maxDepth: 4 });
/** A value where a string is expected, mostly a string. */
const str = fc.oneof({ weight: 4, arbitrary: fc.string() }, { weight: 1, arbitrary: json });
/** URLs: Nova's (with odd tails) or strings that are no URL at all (a valid URL elsewhere would leave the mock). */
const url = fc.oneof(
  fc.constantFrom(`${NOVA}/v2.1`, `${NOVA}/v2.1/`, `${NOVA}/v2.1//`, `${NOVA}/v2.1?x=1`, `${NOVA}/v2.1#f`),
  fc.string().filter((s) => !URL.canParse(s)),
  fc.constantFrom('', 'nova', 'http://[::1', 'http://', '://x'),
);
const endpoint = fc.record(
  {
    id: str,
    interface: fc.oneof(fc.constantFrom('public', 'internal', 'admin', 'PUBLIC', ''), str),
    region_id: fc.oneof(fc.constantFrom('RegionOne', 'RegionTwo', null), str),
    region: fc.oneof(fc.constantFrom('RegionOne', 'RegionTwo', null), str),
    url,
  },
  { requiredKeys: [] },
);
const service = fc.record(
  {
    type: fc.oneof(fc.constantFrom('compute', 'identity', 'image', ''), str),
    name: str,
    id: str,
    endpoints: fc.oneof({ weight: 4, arbitrary: fc.array(endpoint, { maxLength: 4 }) }, { weight: 1, arbitrary: json }),
  },
  { requiredKeys: [] },
);
/** A service with the types the schema wants, and values anywhere from right to odd. */
const wellTypedService = fc.record(
  {
    type: fc.oneof(
      { weight: 3, arbitrary: fc.constant('compute') },
      { weight: 1, arbitrary: fc.constantFrom('identity', 'Compute', '') },
    ),
    endpoints: fc.array(
      fc.record(
        {
          interface: fc.constantFrom('public', 'internal', 'admin', 'PUBLIC', 'publicURL'),
          region_id: fc.constantFrom('RegionOne', 'RegionTwo', null, 'Region\nThree'),
          region: fc.constantFrom('RegionOne', 'RegionTwo', null),
          url,
        },
        { requiredKeys: ['interface', 'url'] },
      ),
      { maxLength: 4 },
    ),
  },
  { requiredKeys: ['type', 'endpoints'] },
);
const catalog = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.oneof(wellTypedService, service), { maxLength: 4 }) },
  { weight: 1, arbitrary: json },
);

/** A token body: Keystone's, with parts replaced by hostile values. */
const tokenAnswer: fc.Arbitrary<Answer> = fc
  .record(
    {
      expires_at: fc.oneof(
        fc.constantFrom(new Date(Date.now() + 3_600_000).toISOString(), '2000-01-01T00:00:00Z', 'soon', ''),
        str,
      ),
      user: fc.oneof(fc.record({ id: str, name: str }, { requiredKeys: [] }), json),
      project: fc.oneof(fc.record({ id: str, name: str }, { requiredKeys: [] }), json),
      catalog,
    },
    { requiredKeys: [] },
  )
  .chain((token) =>
    fc.record({
      status: fc.constantFrom(200, 201),
      body: fc.oneof(
        { weight: 5, arbitrary: fc.constant(JSON.stringify({ token })) },
        { weight: 1, arbitrary: json.map((j) => JSON.stringify(j)) },
        { weight: 1, arbitrary: fc.nat().map((n) => JSON.stringify({ token }).slice(0, n % 200)) },
      ),
      headers: fc.record(
        {
          'x-subject-token': fc.oneof(
            fc.constant('tokFUZZ'),
            fc.string({ minLength: 1 }).filter((s) => /^[\x21-\x7e]+$/.test(s)),
          ),
          'content-type': fc.constantFrom('application/json', 'text/html', 'application/json; charset=utf-8'),
        },
        { requiredKeys: [] },
      ),
    }),
  );

/** A 401 with an auth receipt (keystone/auth/core.py), its body made hostile. */
const receiptAnswer: fc.Arbitrary<Answer> = fc
  .record(
    {
      receipt: fc.oneof(
        fc.record(
          { methods: fc.oneof(fc.array(fc.constantFrom('password', 'totp', 'mapped', '')), json), expires_at: str },
          { requiredKeys: [] },
        ),
        json,
      ),
      required_auth_methods: fc.oneof(
        fc.array(fc.array(fc.constantFrom('password', 'totp', 'application_credential', 'x')), { maxLength: 3 }),
        json,
      ),
    },
    { requiredKeys: [] },
  )
  .chain((b) =>
    fc.record({
      status: fc.constant(401),
      body: fc.oneof(fc.constant(JSON.stringify(b)), fc.string()),
      headers: fc.constant({ 'openstack-auth-receipt': 'rcpt', 'content-type': 'application/json' }),
    }),
  );

/** Errors in Keystone's shape or not. */
const errorAnswer: fc.Arbitrary<Answer> = fc.record({
  status: fc.constantFrom(300, 400, 401, 403, 404, 409, 413, 500),
  body: fc.oneof(
    json.map((j) => JSON.stringify(j)),
    fc
      .record({ error: fc.record({ code: json, title: str, message: str }, { requiredKeys: [] }) })
      .map((j) => JSON.stringify(j)),
    fc.string(),
  ),
  headers: fc.constant({ 'content-type': 'application/json' }),
});

const answer = fc.oneof(
  { weight: 4, arbitrary: tokenAnswer },
  { weight: 2, arbitrary: receiptAnswer },
  { weight: 1, arbitrary: errorAnswer },
);

/** A mocked Keystone answering `current`, and a Nova with an empty server list. */
function cloud() {
  const agent = mockAgent();
  const state: { current: Answer } = {
    current: {
      status: 201,
      body: JSON.stringify(tokenBody()),
      headers: { 'x-subject-token': 'tok', 'content-type': 'application/json' },
    },
  };
  agent
    .get(KEYSTONE)
    .intercept({ path: '/v3/auth/tokens', method: 'POST' })
    .reply(() => ({
      statusCode: state.current.status,
      data: state.current.body,
      responseOptions: { headers: state.current.headers },
    }))
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
  return { agent, state };
}

/** ncli's result is a success or one line naming the problem (exit 1), never an internal error. */
function expectClearOutcome(r: { code: number; stdout: string; stderr: string }): void {
  expect(r.stderr, r.stderr).not.toMatch(/internal error|\n {4}at /);
  if (r.code === 0) return;
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr, r.stderr).toMatch(/^ncli: [^\n]+\n$/);
}

describe('Keystone answers (fuzz)', () => {
  it(
    'ncli server list ends with servers or one line, whatever the token, receipt or catalog',
    async () => {
      const { agent, state } = cloud();
      // once as it should be: every interceptor is used
      expect(
        await runNcli(['server', 'list', '-f', 'json'], ENV, { dispatcher: agent, tokenStore: null }),
      ).toMatchObject({
        code: 0,
        stdout: '[]\n',
      });
      await fc.assert(
        fc.asyncProperty(answer, fc.boolean(), async (a, passcode) => {
          state.current = a;
          const env = passcode ? { ...ENV, OS_PASSCODE: '123456' } : ENV;
          expectClearOutcome(
            await runNcli(['server', 'list', '-f', 'json'], env, { dispatcher: agent, tokenStore: null }),
          );
        }),
        params(80),
      );
    },
    timeout(80, 40),
  );

  it(
    'ncli server list with a good token and any catalog: servers or one line naming the endpoint problem',
    async () => {
      const { agent, state } = cloud();
      expect((await runNcli(['server', 'list'], ENV, { dispatcher: agent, tokenStore: null })).code).toBe(0);
      const good = JSON.parse(JSON.stringify(tokenBody())) as { token: Record<string, unknown> };
      const outcomes = new Set<string>();
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.oneof({ weight: 3, arbitrary: wellTypedService }, { weight: 1, arbitrary: service }), {
            maxLength: 4,
          }),
          fc.constantFrom(undefined, 'RegionOne', 'RegionTwo', ''),
          fc.constantFrom(undefined, 'public', 'internal', 'admin', 'publicURL'),
          async (services, region, iface) => {
            state.current = {
              status: 201,
              body: JSON.stringify({ token: { ...good.token, catalog: services } }),
              headers: { 'x-subject-token': 'tokCAT', 'content-type': 'application/json' },
            };
            const env = { ...ENV, OS_REGION_NAME: region, OS_INTERFACE: iface };
            const r = await runNcli(['server', 'list', '-f', 'json'], env, { dispatcher: agent, tokenStore: null });
            expectClearOutcome(r);
            outcomes.add(r.code === 0 ? 'ok' : r.stderr.slice(0, 300));
          },
        ),
        params(80),
      );
      // the catalogs reached the endpoint selection, both ways
      expect(outcomes.has('ok'), [...outcomes].join('\n')).toBe(true);
      expect([...outcomes].some((o) => /endpoint|catalog/.test(o))).toBe(true);
    },
    timeout(80, 40),
  );

  it(
    'ncli token issue ends with a token or one line, whatever Keystone answers',
    async () => {
      const { agent, state } = cloud();
      expect((await runNcli(['server', 'list'], ENV, { dispatcher: agent, tokenStore: null })).code).toBe(0);
      await fc.assert(
        fc.asyncProperty(answer, async (a) => {
          state.current = a;
          const r = await runNcli(['token', 'issue', '-f', 'json'], ENV, { dispatcher: agent, tokenStore: null });
          expectClearOutcome(r);
          expect(r.stdout + r.stderr).not.toContain('pw"');
        }),
        params(50),
      );
    },
    timeout(50, 40),
  );

  // Found by the catalog property: a region name holding a newline split the error in two lines.
  it('names catalog regions and types on one line, control characters shown as spaces', () => {
    const ep = (region_id: string) => ({ interface: 'public', region_id, url: `${NOVA}/v2.1` });
    const catalog = [{ type: 'compute', endpoints: [ep('Region\nThree'), ep('RegionOne')] }];
    expect(() => selectEndpoint(catalog, 'compute', 'public')).toThrow(
      'The compute service has public endpoints in several regions (Region Three, RegionOne).',
    );
    expect(() => selectEndpoint(catalog, 'compute', 'admin')).toThrow(
      'No admin endpoint for the compute service; the catalog offers public@Region Three, public@RegionOne.',
    );
    expect(() => selectEndpoint([{ type: 'com\npute', endpoints: [] }], 'compute', 'public')).toThrow(
      "The service catalog has no 'compute' service (it has: com pute).",
    );
  });
});
