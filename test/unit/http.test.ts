import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { MockAgent } from 'undici';
import { selfSignedCert } from '../support/tls.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { ApiError, NetworkError, TimeoutError } from '../../src/http/errors.js';
import { messageFor } from '../../src/cli/errors.js';
import { readCaBundle } from '../../src/config/options.js';
import { ConfigError } from '../../src/errors.js';
import { redactBody, redactHeaders, redactUrl } from '../../src/redact.js';
import { parseRetryAfter, retryDelay } from '../../src/http/retry.js';
import { Session, type TokenProvider } from '../../src/http/session.js';
import { Transport } from '../../src/http/transport.js';
import { Authenticator } from '../../src/identity/keystone.js';

const NOVA = 'http://nova.test:8774';

function mock() {
  const agent = new MockAgent();
  agent.disableNetConnect();
  return { agent, pool: agent.get(NOVA) };
}

function transport(agent: MockAgent, extra: Partial<ConstructorParameters<typeof Transport>[0]> = {}) {
  const sleeps: number[] = [];
  const t = new Transport({
    timeoutSeconds: 5,
    dispatcher: agent,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...extra,
  });
  return { t, sleeps };
}

describe('retry policy', () => {
  it('retries idempotent methods only, on 503/429 and connection errors, bounded', () => {
    expect(retryDelay({ attempt: 1, method: 'GET', status: 503 }, undefined, () => 0.5)).toBe(500);
    expect(retryDelay({ attempt: 2, method: 'GET', status: 503 }, undefined, () => 0.5)).toBe(1000);
    expect(retryDelay({ attempt: 1, method: 'DELETE', code: 'ECONNRESET' })).not.toBeNull();
    expect(retryDelay({ attempt: 1, method: 'POST', status: 503 })).toBeNull();
    expect(retryDelay({ attempt: 1, method: 'GET', status: 500 })).toBeNull();
    expect(retryDelay({ attempt: 4, method: 'GET', status: 503 })).toBeNull();
  });
  it('honours Retry-After, in seconds or as a date, and gives up when it is too long', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(retryDelay({ attempt: 1, method: 'GET', status: 429, retryAfterMs: 2000 })).toBe(2000);
    expect(retryDelay({ attempt: 1, method: 'GET', status: 429, retryAfterMs: 3_600_000 })).toBeNull();
  });
});

describe('redaction', () => {
  it('removes token headers, token query values and secret JSON fields', () => {
    expect(redactHeaders({ 'X-Auth-Token': 'gAAAA', 'x-subject-token': 'gBBBB', Accept: 'a' })).toEqual({
      'X-Auth-Token': '<redacted>',
      'x-subject-token': '<redacted>',
      Accept: 'a',
    });
    expect(redactUrl('http://h:6080/vnc_auto.html?path=%3Ftoken%3Dabc-123&x=1')).toBe(
      'http://h:6080/vnc_auto.html?path=%3Ftoken%3D<redacted>&x=1',
    );
    expect(redactUrl('ws://h:6083/?token=abc')).toBe('ws://h:6083/?token=<redacted>');
    const body = JSON.stringify({
      auth: {
        identity: {
          password: { user: { name: 'u', password: 'hunter2' } },
          token: { id: 'gAAAA' },
          application_credential: { id: 'ac', secret: 's3' },
        },
      },
    });
    const red = redactBody(body);
    expect(red).not.toMatch(/hunter2|gAAAA|s3"/);
    expect(red).toContain('"name":"u"');
    expect(red).toContain('"id":"ac"');
    expect(redactBody('{"remote_console":{"url":"http://h/?token=zzz"}}')).not.toContain('zzz');
  });
});

describe('Transport', () => {
  it('turns a Nova fault into one line with the server message and request id', async () => {
    const { agent, pool } = mock();
    pool
      .intercept({ path: '/v2.1/servers/x', method: 'GET' })
      .reply(
        404,
        { itemNotFound: { code: 404, message: 'Instance x could not be found.' } },
        { headers: { 'x-openstack-request-id': 'req-1' } },
      );
    const { t } = transport(agent);
    const err = await t.request({ method: 'GET', url: `${NOVA}/v2.1/servers/x`, service: 'compute' }).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(404);
    expect(err.fault).toBe('itemNotFound');
    expect(err.message).toBe(
      'GET http://nova.test:8774/v2.1/servers/x failed: Instance x could not be found. (HTTP 404, request req-1)',
    );
  });

  it('says so when a proxy answers with an HTML page', async () => {
    const { agent, pool } = mock();
    pool
      .intercept({ path: '/v2.1/servers/detail', method: 'GET' })
      .reply(502, '<html><head><title>502 Bad Gateway</title></head></html>', {
        headers: { 'content-type': 'text/html' },
      });
    const err = await transport(agent)
      .t.request({ method: 'GET', url: `${NOVA}/v2.1/servers/detail`, service: 'compute' })
      .catch((e) => e);
    expect(err.message).toMatch(/502 Bad Gateway \(an HTML page, not an API answer: check the endpoint URL\)/);
  });

  it('retries a GET after 503 with Retry-After, then succeeds', async () => {
    const { agent, pool } = mock();
    pool.intercept({ path: '/v2.1/flavors', method: 'GET' }).reply(503, 'busy', { headers: { 'retry-after': '1' } });
    pool.intercept({ path: '/v2.1/flavors', method: 'GET' }).reply(200, { flavors: [] });
    const { t, sleeps } = transport(agent);
    const res = await t.request({ method: 'GET', url: `${NOVA}/v2.1/flavors`, service: 'compute' });
    expect(res.status).toBe(200);
    expect(sleeps).toEqual([1000]);
  });

  it('retries a POST only when the caller marks it safe to repeat', async () => {
    const { agent, pool } = mock();
    pool.intercept({ path: '/v3/auth/tokens', method: 'POST' }).reply(503, 'busy');
    pool.intercept({ path: '/v3/auth/tokens', method: 'POST' }).reply(201, '{}');
    const { t, sleeps } = transport(agent);
    const res = await t.request({
      method: 'POST',
      url: `${NOVA}/v3/auth/tokens`,
      json: {},
      service: 'identity',
      idempotent: true,
    });
    expect(res.status).toBe(201);
    expect(sleeps).toHaveLength(1);
  });

  it('never retries a POST', async () => {
    const { agent, pool } = mock();
    pool.intercept({ path: '/v2.1/servers/a/action', method: 'POST' }).reply(503, 'busy');
    const { t, sleeps } = transport(agent);
    await expect(
      t.request({ method: 'POST', url: `${NOVA}/v2.1/servers/a/action`, json: {}, service: 'compute' }),
    ).rejects.toMatchObject({ status: 503 });
    expect(sleeps).toEqual([]);
  });

  it('maps a dropped connection to a NetworkError and retries a GET', async () => {
    const { agent, pool } = mock();
    pool
      .intercept({ path: '/x', method: 'GET' })
      .replyWithError(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }))
      .times(4);
    const { t, sleeps } = transport(agent);
    const err = await t.request({ method: 'GET', url: `${NOVA}/x`, service: 'compute' }).catch((e) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect(err.message).toMatch(/Cannot reach http:\/\/nova.test:8774 .*connection reset/);
    expect(sleeps.length).toBe(3);
  });

  it('times out a slow server', async () => {
    const { agent, pool } = mock();
    pool.intercept({ path: '/slow', method: 'GET' }).reply(200, 'late').delay(3000);
    const t = new Transport({
      timeoutSeconds: 0.2,
      dispatcher: agent,
      retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1 },
    });
    await expect(t.request({ method: 'GET', url: `${NOVA}/slow`, service: 'compute' })).rejects.toBeInstanceOf(
      TimeoutError,
    );
  });

  it('logs requests under --debug with secrets redacted', async () => {
    const { agent, pool } = mock();
    pool
      .intercept({ path: '/v3/auth/tokens', method: 'POST' })
      .reply(201, { token: { expires_at: 'x' } }, { headers: { 'x-subject-token': 'gAAAAsecret' } });
    const lines: string[] = [];
    const t = new Transport({ timeoutSeconds: 5, dispatcher: agent, debug: (l) => lines.push(l) });
    await t.request({
      method: 'POST',
      url: `${NOVA}/v3/auth/tokens`,
      json: { password: 'hunter2' },
      headers: { 'X-Auth-Token': 'gAAAAold' },
      service: 'identity',
    });
    const all = lines.join('\n');
    expect(all).toContain('REQ: POST http://nova.test:8774/v3/auth/tokens');
    expect(all).toContain('x-subject-token: <redacted>');
    expect(all).not.toMatch(/hunter2|gAAAA/);
  });
});

class Tokens implements TokenProvider {
  n = 0;
  current?: string;
  auths = 0;
  async getToken() {
    if (!this.current) {
      this.auths++;
      await new Promise((r) => setTimeout(r, 10));
      this.current = `tok${++this.n}`;
    }
    return this.current;
  }
  async invalidate(t: string) {
    if (this.current === t) this.current = undefined;
  }
}

describe('Session', () => {
  it('re-authenticates once on 401 and replays the request with the new token', async () => {
    const { agent, pool } = mock();
    pool
      .intercept({ path: '/s', method: 'GET', headers: { 'x-auth-token': 'tok1' } })
      .reply(401, { error: { code: 401, message: 'The request you have made requires authentication.' } });
    pool.intercept({ path: '/s', method: 'GET', headers: { 'x-auth-token': 'tok2' } }).reply(200, '{"ok":true}');
    const tokens = new Tokens();
    const s = new Session(transport(agent).t, tokens);
    const res = await s.request({ method: 'GET', url: `${NOVA}/s`, service: 'compute' });
    expect(res.text).toBe('{"ok":true}');
    expect(tokens.auths).toBe(2);
    expect(s.reauthCount).toBe(1);
  });

  it('gives up after the replay also gets 401 (no loop)', async () => {
    const { agent, pool } = mock();
    pool
      .intercept({ path: '/s', method: 'GET' })
      .reply(401, { error: { code: 401, message: 'nope' } })
      .times(2);
    const tokens = new Tokens();
    const s = new Session(transport(agent).t, tokens);
    await expect(s.request({ method: 'GET', url: `${NOVA}/s`, service: 'compute' })).rejects.toMatchObject({
      status: 401,
    });
    expect(tokens.auths).toBe(2);
  });

  it('shares one re-authentication among concurrent requests (real Authenticator)', async () => {
    const { agent, pool } = mock();
    const ks = agent.get('http://ks.test:5000');
    let issued = 0;
    ks.intercept({ path: '/v3/auth/tokens', method: 'POST' })
      .reply(() => ({
        statusCode: 201,
        data: { token: { expires_at: new Date(Date.now() + 3600_000).toISOString(), catalog: [] } },
        responseOptions: { headers: { 'x-subject-token': `tok${++issued}` } },
      }))
      .times(3);
    pool
      .intercept({ path: /\/c\d/, method: 'GET', headers: { 'x-auth-token': 'tok1' } })
      .reply(401, { error: { code: 401, message: 'expired' } })
      .times(5);
    pool
      .intercept({ path: /\/c\d/, method: 'GET', headers: { 'x-auth-token': 'tok2' } })
      .reply(200, '{}')
      .times(5);
    const t = transport(agent).t;
    const cfg = {
      auth: {
        authUrl: 'http://ks.test:5000/v3',
        method: { type: 'password', username: 'u', password: 'p', userDomainId: 'default' },
      },
      interface: 'public',
      insecure: false,
      cache: false,
      timeoutSeconds: 5,
    } as const;
    const auth = new Authenticator(cfg, t, null);
    await auth.getToken();
    const s = new Session(t, auth);
    await Promise.all(
      [1, 2, 3, 4, 5].map((i) => s.request({ method: 'GET', url: `${NOVA}/c${i}`, service: 'compute' })),
    );
    expect(auth.authCount).toBe(2);
    expect(issued).toBe(2);
  });
});

describe('Transport over TLS', () => {
  const tls = selfSignedCert();
  let server: https.Server;
  let url: string;
  beforeAll(async () => {
    server = https.createServer({ cert: tls.cert, key: tls.key }, (_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end('{"ok":true}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/v2.1/`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });
  const noRetry = { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1 };

  it('verifies certificates by default and says how to trust one', async () => {
    const t = new Transport({ timeoutSeconds: 5, retry: noRetry });
    const err = await t.request({ method: 'GET', url, service: 'compute' }).catch((e) => e);
    await t.close();
    expect(err).toBeInstanceOf(NetworkError);
    expect(err.code).toBe('TLS');
    expect(messageFor(err)).toMatch(
      /TLS certificate not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\)\.?; trust its CA with --os-cacert FILE \(or OS_CACERT\), or skip verification with --insecure\.$/,
    );
  });
  it('trusts the CA given with --os-cacert', async () => {
    const t = new Transport({ timeoutSeconds: 5, ca: readFileSync(tls.certFile), retry: noRetry });
    expect((await t.request({ method: 'GET', url, service: 'compute' })).text).toBe('{"ok":true}');
    await t.close();
  });
  it('skips verification with --insecure', async () => {
    const t = new Transport({ timeoutSeconds: 5, insecure: true, retry: noRetry });
    expect((await t.request({ method: 'GET', url, service: 'compute' })).status).toBe(200);
    await t.close();
  });
  it('names an unreadable CA file, in words for people', () => {
    const err = (() => {
      try {
        readCaBundle('/nonexistent/ca.pem');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('CA_BUNDLE');
    expect(messageFor(err)).toBe(
      'Cannot read the CA bundle /nonexistent/ca.pem (--os-cacert / OS_CACERT / clouds.yaml cacert): no such file or directory: /nonexistent.',
    );
  });
});

describe('Transport through an HTTP proxy', () => {
  let target: http.Server;
  let proxy: http.Server;
  let targetUrl: string;
  let proxyUrl: string;
  const seen: string[] = [];
  beforeAll(async () => {
    target = http.createServer((req, res) => res.end(JSON.stringify({ path: req.url })));
    // a forward proxy: CONNECT tunnels (what undici's ProxyAgent asks for) and absolute-form requests
    proxy = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      const up = http.request(req.url!, { method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode!, r.headers);
        r.pipe(res);
      });
      req.pipe(up);
    });
    proxy.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
      seen.push(`CONNECT ${req.url}`);
      const [host, port] = req.url!.split(':');
      const up = net.connect(Number(port), host, () => {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        up.write(head);
        up.pipe(socket);
        socket.pipe(up);
      });
      up.on('error', () => socket.destroy());
      socket.on('error', () => up.destroy());
    });
    await Promise.all([target, proxy].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
    targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    for (const s of [target, proxy]) {
      s.closeAllConnections();
      s.close();
    }
  });

  it('goes through HTTPS_PROXY/HTTP_PROXY, and around it for NO_PROXY hosts', async () => {
    const via = new Transport({ timeoutSeconds: 5, env: { HTTP_PROXY: proxyUrl } });
    expect(
      JSON.parse((await via.request({ method: 'GET', url: `${targetUrl}/v2.1/servers`, service: 'compute' })).text),
    ).toEqual({ path: '/v2.1/servers' });
    await via.close();
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatch(new RegExp(`^(CONNECT ${targetUrl.slice(7)}|GET ${targetUrl}/v2.1/servers)$`));
    const around = new Transport({ timeoutSeconds: 5, env: { http_proxy: proxyUrl, NO_PROXY: '127.0.0.1' } });
    await around.request({ method: 'GET', url: `${targetUrl}/v2.1/flavors`, service: 'compute' });
    await around.close();
    expect(seen).toHaveLength(1);
  });
});
