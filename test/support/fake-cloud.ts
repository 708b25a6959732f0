/**
 * A fake Keystone + Nova on one node:http server (127.0.0.1, a free port), for what a real cloud
 * will not do on demand: answer `null`, a body of the wrong shape, an HTML page, a redirect to
 * another host. The healthy answers are shaped like the real cloud's (../shared/notes/real-cloud.md);
 * a test overrides one route with `on(method, path, handler)`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a route answers. */
export interface FakeAnswer {
  status: number;
  body?: unknown;
  /** Raw text instead of JSON. */
  text?: string;
  headers?: Record<string, string>;
}

export type Route = (req: http.IncomingMessage, body: string) => FakeAnswer;

export interface FakeCloud {
  url: string;
  /** OS_* variables for this cloud (password auth, no token cache). */
  env: NodeJS.ProcessEnv;
  /** Every request seen, as `METHOD path`. */
  requests: string[];
  /** Replaces the answer of `METHOD path` (path without query). */
  on(method: string, path: string, route: Route): void;
  close(): Promise<void>;
}

/** Starts the fake cloud. */
export async function startFakeCloud(): Promise<FakeCloud> {
  const routes = new Map<string, Route>();
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0];
      requests.push(`${req.method} ${req.url}`);
      const route = routes.get(`${req.method} ${path}`);
      const a: FakeAnswer = route
        ? route(req, body)
        : { status: 404, body: { itemNotFound: { code: 404, message: 'no route' } } };
      const text = a.text ?? (a.body === undefined ? '' : JSON.stringify(a.body));
      res.writeHead(a.status, {
        'content-type': a.text === undefined ? 'application/json' : 'text/html',
        ...a.headers,
      });
      res.end(text);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const nova = `${url}/compute/v2.1`;
  routes.set('POST /identity/v3/auth/tokens', () => ({
    status: 201,
    headers: { 'x-subject-token': 'gAAAAfake' },
    body: {
      token: {
        expires_at: new Date(Date.now() + 3_600_000).toISOString(),
        user: { id: 'u1', name: 'alice' },
        project: { id: 'p1', name: 'demo' },
        catalog: [{ type: 'compute', endpoints: [{ interface: 'public', region_id: 'RegionOne', url: nova }] }],
      },
    },
  }));
  routes.set('GET /compute/v2.1/', () => ({
    status: 200,
    body: { version: { id: 'v2.1', status: 'CURRENT', version: '2.93', min_version: '2.1' } },
  }));
  routes.set('GET /compute/v2.1/servers/detail', () => ({ status: 200, body: { servers: [] } }));
  routes.set('GET /compute/v2.1/flavors/detail', () => ({ status: 200, body: { flavors: [] } }));
  return {
    url,
    requests,
    env: {
      OS_AUTH_URL: `${url}/identity/v3`,
      OS_USERNAME: 'alice',
      OS_PASSWORD: 'pw',
      OS_PROJECT_NAME: 'demo',
      OS_CACHE: 'false',
    },
    on: (method, path, route) => routes.set(`${method} ${path}`, route),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
