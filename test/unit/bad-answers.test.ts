/**
 * Broken answers become one line naming the request and what was wrong, exit 1 — never
 * "internal error": a Nova or Keystone answering `null`, a body of the wrong shape, no JSON at all,
 * an HTML page, or a redirect (followed for a GET to the same origin; refused, without sending the
 * token, to another host). Against a node:http fake (test/support/fake-cloud.ts), in-process.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runNcli } from '../support/io.js';
import { startFakeCloud, type FakeCloud } from '../support/fake-cloud.js';

let cloud: FakeCloud;
beforeEach(async () => {
  cloud = await startFakeCloud();
});
afterEach(() => cloud.close());

const run = (argv: string[]) => runNcli(argv, cloud.env);

/** The run failed with exactly one line on stderr, matching `re`, and no internal error. */
function oneLine(r: { code: number; stdout: string; stderr: string }, re: RegExp): void {
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  expect(r.stderr).not.toMatch(/internal error/);
  expect(r.stderr).toMatch(re);
}

describe('Nova answering something ncli cannot use', () => {
  it('null', async () => {
    cloud.on('GET', '/compute/v2.1/servers/detail', () => ({
      status: 200,
      text: 'null',
      headers: { 'content-type': 'application/json' },
    }));
    oneLine(
      await run(['server', 'list']),
      /^ncli: GET http:\/\/127\.0\.0\.1:\d+\/compute\/v2\.1\/servers\/detail answered JSON that is not a list of servers \(null where an object was expected\); is that endpoint really the compute API\?\n$/,
    );
  });

  it('{"servers": {…}} (a map where a list belongs)', async () => {
    cloud.on('GET', '/compute/v2.1/servers/detail', () => ({ status: 200, body: { servers: { a: 1 } } }));
    oneLine(
      await run(['server', 'list']),
      /answered JSON that is not a list of servers \(servers: an object where an array was expected\)/,
    );
  });

  it('a server without an id', async () => {
    cloud.on('GET', '/compute/v2.1/servers/detail', () => ({
      status: 200,
      body: { servers: [{ name: 'x', status: 'ACTIVE' }] },
    }));
    oneLine(await run(['server', 'list']), /\(servers\[0\]\.id is missing\)/);
  });

  it('an empty body where a server belongs', async () => {
    cloud.on('GET', '/compute/v2.1/servers/11111111-2222-3333-4444-555555555555', () => ({ status: 200, text: '' }));
    oneLine(
      await run(['server', 'show', '11111111-2222-3333-4444-555555555555']),
      /answered JSON that is not a server \(nothing where an object was expected\)/,
    );
  });

  it('an HTML page with status 200 (a proxy or a wrong endpoint)', async () => {
    cloud.on('GET', '/compute/v2.1/flavors/detail', () => ({
      status: 200,
      text: '<html><title>Welcome to nginx!</title></html>',
    }));
    oneLine(
      await run(['flavor', 'list']),
      /answered an HTML page \("Welcome to nginx!"\) instead of JSON; check that the compute endpoint URL points at the API\.\n$/,
    );
  });

  it("a version document that is another API's", async () => {
    cloud.on('GET', '/compute/v2.1/', () => ({ status: 200, body: { versions: { values: [] } } }));
    oneLine(
      await run(['server', 'list']),
      /answered JSON that is not Nova's version document \(versions: an object where an array was expected\)/,
    );
  });

  it('a console without a URL', async () => {
    const id = '11111111-2222-3333-4444-555555555555';
    cloud.on('GET', `/compute/v2.1/servers/${id}`, () => ({
      status: 200,
      body: { server: { id, name: 'vm1', status: 'ACTIVE' } },
    }));
    cloud.on('POST', `/compute/v2.1/servers/${id}/remote-consoles`, () => ({
      status: 200,
      body: { remote_console: null },
    }));
    oneLine(
      await run(['console', 'get-vnc', id]),
      /answered JSON that is not a remote console \(remote_console: null where an object was expected\)/,
    );
  });
});

describe('Keystone answering something ncli cannot use', () => {
  it('a token body without expires_at', async () => {
    cloud.on('POST', '/identity/v3/auth/tokens', () => ({
      status: 201,
      headers: { 'x-subject-token': 't' },
      body: { token: {} },
    }));
    oneLine(
      await run(['server', 'list']),
      /POST http:\/\/127\.0\.0\.1:\d+\/identity\/v3\/auth\/tokens answered JSON that is not a Keystone v3 token \(token\.expires_at is missing\); is that endpoint really the identity API\?/,
    );
  });

  it('null', async () => {
    cloud.on('POST', '/identity/v3/auth/tokens', () => ({
      status: 201,
      headers: { 'x-subject-token': 't' },
      text: 'null',
    }));
    oneLine(await run(['token', 'issue']), /answered JSON that is not a Keystone v3 token/);
  });

  it('no X-Subject-Token', async () => {
    cloud.on('POST', '/identity/v3/auth/tokens', () => ({
      status: 201,
      body: { token: { expires_at: '2030-01-01T00:00:00Z' } },
    }));
    oneLine(await run(['token', 'issue']), /answered without an X-Subject-Token header; is this really Keystone v3\?/);
  });
});

describe('redirects', () => {
  it('follows a GET redirect to the same origin, with the token', async () => {
    cloud.on('GET', '/compute/v2.1/flavors/detail', () => ({
      status: 302,
      headers: { location: '/compute/v2.1/flavors/moved' },
    }));
    let token: string | undefined;
    cloud.on('GET', '/compute/v2.1/flavors/moved', (req) => {
      token = req.headers['x-auth-token'] as string;
      return { status: 200, body: { flavors: [{ id: '1', name: 'm1', ram: 1, disk: 1, vcpus: 1 }] } };
    });
    const r = await run(['flavor', 'list', '-f', 'value', '-c', 'Name']);
    expect(r).toEqual({ code: 0, stdout: 'm1\n', stderr: '' });
    expect(token).toBe('gAAAAfake');
  });

  it('refuses a redirect to another host and never sends it the token', async () => {
    const seen: http.IncomingHttpHeaders[] = [];
    const other = http.createServer((req, res) => {
      seen.push(req.headers);
      res.end('{}');
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    const otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    try {
      cloud.on('GET', '/compute/v2.1/servers/detail', () => ({
        status: 302,
        headers: { location: `${otherUrl}/steal` },
      }));
      oneLine(
        await run(['server', 'list']),
        new RegExp(
          `^ncli: GET http://127\\.0\\.0\\.1:\\d+/compute/v2\\.1/servers/detail was redirected \\(HTTP 302\\) to ${otherUrl.replace(/\./g, '\\.')}; ncli does not follow a redirect to another host, which would receive the token: use the service's own URL\\.\\n$`,
        ),
      );
      expect(seen).toEqual([]);
    } finally {
      other.close();
    }
  });

  it('does not repeat a POST at a redirect target', async () => {
    cloud.on('POST', '/identity/v3/auth/tokens', () => ({
      status: 307,
      headers: { location: '/identity/v3/auth/tokens2' },
    }));
    oneLine(
      await run(['token', 'issue']),
      /POST .*\/auth\/tokens was redirected \(HTTP 307\) to http:\/\/127\.0\.0\.1:\d+; ncli does not send a POST again to another address/,
    );
    expect(cloud.requests.filter((r) => r.startsWith('POST'))).toHaveLength(1);
  });

  it('stops a redirect loop', async () => {
    cloud.on('GET', '/compute/v2.1/servers/detail', () => ({
      status: 301,
      headers: { location: '/compute/v2.1/servers/detail' },
    }));
    oneLine(await run(['server', 'list']), /was redirected more than 5 times\.\n$/);
  });
});

describe('clouds.yaml that does not parse', () => {
  it('names the file and the line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ncli-bad-yaml-'));
    const file = join(dir, 'clouds.yaml');
    writeFileSync(file, 'clouds:\n  prod:\n    auth: {auth_url: [x}\n');
    const r = await runNcli(['--os-cloud', 'prod', 'server', 'list'], { OS_CLIENT_CONFIG_FILE: file });
    oneLine(
      r,
      new RegExp(`^ncli: ${file.replace(/\./g, '\\.')} is not valid YAML \\(line 3, column \\d+\\): .+\\.\\n$`),
    );
  });
});
