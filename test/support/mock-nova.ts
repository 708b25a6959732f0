/**
 * A mocked Nova (and Keystone) on undici's MockAgent, shaped by the real cloud's answers
 * (../shared/notes/real-cloud.md: version document, token body, fault bodies), for unit tests:
 * - `mockNova()` gives a ComputeClient over the mock, for tests of src/compute;
 * - `mockCloud()` adds Keystone (POST /v3/auth/tokens with a catalog pointing at the mock Nova)
 *   and the OS_* environment for it, for tests that run whole commands through `main()`.
 * Every agent made here is checked after each test (test/support/setup.ts): an interceptor that
 * was set up but never called fails the test, as gh's httpmock `Verify()` does.
 */
import { MockAgent, type Interceptable } from 'undici';
import { ComputeClient, type VersionCache } from '../../src/compute/client.js';
import { Session } from '../../src/http/session.js';
import { Transport } from '../../src/http/transport.js';

export const NOVA = 'http://nova.test:8774';
export const KEYSTONE = 'http://keystone.test:5000';

/** Agents to verify after the current test (see test/support/setup.ts). */
export const agentsToVerify: MockAgent[] = [];

/** A request the mock answered, as the client sent it. */
export interface Seen {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
}

/** Header lists (undici gives arrays or objects) as one lower-case map. */
export function lowerHeaders(h: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(h)) for (let i = 0; i < h.length; i += 2) out[String(h[i]).toLowerCase()] = String(h[i + 1]);
  else for (const [k, v] of Object.entries((h ?? {}) as Record<string, unknown>)) out[k.toLowerCase()] = String(v);
  return out;
}

/** A new MockAgent with the network off, verified after the test. */
export function mockAgent(): MockAgent {
  const agent = new MockAgent();
  agent.disableNetConnect();
  agentsToVerify.push(agent);
  return agent;
}

export interface MockNovaOptions {
  /** The version document's maximum microversion ('' = a cloud without microversions); default 2.93. */
  max?: string;
  /** `--os-compute-api-version`. */
  requestedVersion?: string;
  /** Version cache for the client. */
  versions?: VersionCache;
  /** Serve the version document (default true; false when the test expects it cached). */
  versionDoc?: boolean;
  /** An agent to add Nova to (default: a new one). */
  agent?: MockAgent;
}

export interface MockNova {
  agent: MockAgent;
  /** Nova's interceptable pool, for `.intercept(…)`. */
  pool: Interceptable;
  /** A compute client over the mock (token `tok`, endpoint NOVA/v2.1). */
  client: ComputeClient;
  /** Every request answered by {@link answer}, in order. */
  seen: Seen[];
  /** How many times the version document was fetched. */
  versionRequests: () => number;
  /** Answers the next `method path` with `status` and `body` (JSON), recording the request. */
  answer(method: string, path: string | RegExp, status: number, body: unknown, headers?: Record<string, string>): void;
}

/** Nova's version document at `max` (as `GET /v2.1/` answers). */
export function versionDocument(max: string): unknown {
  return max
    ? { version: { id: 'v2.1', status: 'CURRENT', version: max, min_version: '2.1' } }
    : { version: { id: 'v2.0', status: 'SUPPORTED', version: '', min_version: '' } };
}

/** A mocked Nova at {@link NOVA} with its version document, and a ComputeClient over it. */
export function mockNova(opts: MockNovaOptions = {}): MockNova {
  const agent = opts.agent ?? mockAgent();
  const pool = agent.get(NOVA);
  let docs = 0;
  if (opts.versionDoc !== false) {
    pool
      .intercept({ path: '/v2.1/', method: 'GET' })
      .reply(() => {
        docs++;
        return { statusCode: 200, data: JSON.stringify(versionDocument(opts.max ?? '2.93')) };
      })
      .persist();
  }
  const seen: Seen[] = [];
  const transport = new Transport({ timeoutSeconds: 5, dispatcher: agent, sleep: async () => {} });
  const session = new Session(transport, { getToken: async () => 'tok', invalidate: async () => undefined });
  const client = new ComputeClient(session, `${NOVA}/v2.1`, {
    requestedVersion: opts.requestedVersion,
    versions: opts.versions,
  });
  return {
    agent,
    pool,
    client,
    seen,
    versionRequests: () => docs,
    answer(method, path, status, body, headers = {}) {
      pool.intercept({ path, method }).reply((req) => {
        const text = typeof req.body === 'string' ? req.body : undefined;
        seen.push({
          method,
          path: req.path,
          headers: lowerHeaders(req.headers),
          body: text ? (JSON.parse(text) as unknown) : undefined,
        });
        return {
          statusCode: status,
          data: typeof body === 'string' ? body : JSON.stringify(body),
          responseOptions: { headers: { 'content-type': 'application/json', ...headers } },
        };
      });
    },
  };
}

/** A Keystone v3 token body with a catalog whose compute endpoint is the mock Nova. */
export function tokenBody(expiresAt = new Date(Date.now() + 3_600_000)): unknown {
  return {
    token: {
      methods: ['password'],
      expires_at: expiresAt.toISOString(),
      user: { id: 'u1', name: 'alice', domain: { id: 'default', name: 'Default' } },
      project: { id: 'p1', name: 'demo', domain: { id: 'default', name: 'Default' } },
      catalog: [
        {
          type: 'compute',
          name: 'nova',
          id: 'c1',
          endpoints: [
            { id: 'e1', interface: 'public', region_id: 'RegionOne', region: 'RegionOne', url: `${NOVA}/v2.1` },
          ],
        },
        {
          type: 'image',
          name: 'glance',
          id: 'i1',
          endpoints: [
            {
              id: 'e2',
              interface: 'public',
              region_id: 'RegionOne',
              region: 'RegionOne',
              url: 'http://glance.test:9292',
            },
          ],
        },
      ],
    },
  };
}

export interface MockCloud extends MockNova {
  /** The OS_* environment of the mock cloud (password auth, no token cache). */
  env: NodeJS.ProcessEnv;
  /** How many tokens Keystone issued. */
  tokensIssued: () => number;
}

/** The OS_* environment of {@link mockCloud}: alice of project demo at the mock Keystone, no token cache. */
export const MOCK_CLOUD_ENV: Readonly<NodeJS.ProcessEnv> = {
  OS_AUTH_URL: `${KEYSTONE}/v3`,
  OS_USERNAME: 'alice',
  OS_PASSWORD: 'pw',
  OS_PROJECT_NAME: 'demo',
  OS_REGION_NAME: 'RegionOne',
  OS_CACHE: 'false',
};

/** A service {@link mockCloud} adds to the token's catalog (public, RegionOne). */
export interface MockService {
  /** `network`, `block-storage`, … */
  type: string;
  name: string;
  url: string;
}

/** Keystone and Nova mocked on one agent, for running whole commands with `main(argv, io, {dispatcher})`. */
export function mockCloud(opts: Omit<MockNovaOptions, 'agent'> & { services?: MockService[] } = {}): MockCloud {
  const agent = mockAgent();
  let issued = 0;
  const body = tokenBody() as { token: { catalog: unknown[] } };
  for (const s of opts.services ?? []) {
    body.token.catalog.push({
      type: s.type,
      name: s.name,
      id: s.name,
      endpoints: [{ id: s.url, interface: 'public', region_id: 'RegionOne', region: 'RegionOne', url: s.url }],
    });
  }
  agent
    .get(KEYSTONE)
    .intercept({ path: '/v3/auth/tokens', method: 'POST' })
    .reply(() => {
      issued++;
      return {
        statusCode: 201,
        data: JSON.stringify(body),
        responseOptions: { headers: { 'content-type': 'application/json', 'x-subject-token': `tok${issued}` } },
      };
    })
    .persist();
  const nova = mockNova({ ...opts, agent });
  return {
    ...nova,
    tokensIssued: () => issued,
    env: { ...MOCK_CLOUD_ENV },
  };
}
