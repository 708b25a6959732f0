/**
 * `--stdio` sessions that keep going when the remote side drops them (serial consoles after a
 * proxy restart or a token expiry): a fresh URL, a marker line, bounded attempts; never after `~.`,
 * EOF or an abort, and never when the very first connection fails.
 */
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { getConsoleUrl } from '../../../src/compute/consoles.js';
import { forwardLocal, forwardStdio } from '../../../src/tunnel/forwarder.js';
import { cachingResolver, isTransientFailure } from '../../../src/tunnel/url-source.js';
import { ApiError, NetworkError } from '../../../src/http/errors.js';
import { mockNova, type MockNova } from '../../support/mock-nova.js';
import {
  closedPort,
  collectingPassThrough,
  connectClient,
  startFakeProxy,
  testOptions,
  until,
  type FakeProxy,
} from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function proxy(onSession: (ws: WebSocket, n: number) => void): Promise<FakeProxy> {
  let n = 0;
  const p = await startFakeProxy({ onSession: (ws) => onSession(ws, ++n) });
  cleanups.push(() => p.close());
  return p;
}

describe('forwardStdio with reconnect', () => {
  it('reconnects with a fresh URL after a drop, says so, and carries stdin over', async () => {
    const got: string[] = [];
    const p = await proxy((ws, n) => {
      ws.send(Buffer.from(`login ${n}: `));
      ws.on('message', (d: Buffer) => got.push(`${n}:${d.toString()}`));
      if (n === 1) setTimeout(() => ws.terminate(), 100); // a dropped session
    });
    const fresh: boolean[] = [];
    const stdin = new PassThrough();
    const out = collectingPassThrough();
    const ends: string[] = [];
    let opens = 0;
    const t = testOptions(
      async (f) => {
        fresh.push(f);
        return p.wsUrl('t');
      },
      {
        stdin,
        stdout: out.stream,
        reconnect: { attempts: 3, baseDelayMs: 20 },
        onOpen: () => opens++,
        onSessionEnd: (why: string) => ends.push(why),
      },
    );
    const run = forwardStdio(t.opts);
    await until(() => opens === 2, 5000, 'the second session');
    stdin.end('root\n');
    await run;
    expect(out.data().toString()).toBe('login 1: login 2: ');
    expect(got).toEqual(['2:root\n']);
    expect(fresh).toEqual([false, true]);
    const lines = t.err.lines();
    expect(lines[0]).toMatch(
      /^--- console lost \(Lost the connection to the console proxy at ws:\/\/127\.0\.0\.1:\d+: .*after 9 bytes received\); reconnecting in 0\.0 s \(attempt 1 of 3\) ---$/,
    );
    expect(lines[1]).toBe('--- reconnected to the console ---');
    expect(ends).toHaveLength(2);
  });

  it('does not reconnect when the first connection fails', async () => {
    const dead = await closedPort();
    const stdin = new PassThrough();
    const out = collectingPassThrough();
    let calls = 0;
    const t = testOptions(
      async () => {
        calls++;
        return `ws://127.0.0.1:${dead}/?token=x`;
      },
      { stdin, stdout: out.stream, reconnect: { attempts: 3, baseDelayMs: 1 } },
    );
    await expect(forwardStdio(t.opts)).rejects.toMatchObject({ code: 'UNREACHABLE' });
    expect(calls).toBe(1);
  });

  it('gives up after the attempts, with the last error', async () => {
    const p = await proxy((ws, n) => {
      if (n === 1) {
        ws.send(Buffer.from('hi'));
        setTimeout(() => ws.terminate(), 50);
      } else ws.terminate(); // refused from then on
    });
    const stdin = new PassThrough();
    const out = collectingPassThrough();
    const t = testOptions(async () => p.wsUrl('t'), {
      stdin,
      stdout: out.stream,
      reconnect: { attempts: 2, baseDelayMs: 10 },
    });
    await expect(forwardStdio(t.opts)).rejects.toMatchObject({ code: 'TOKEN_REJECTED' });
    expect(t.err.lines().filter((l) => l.startsWith('--- console'))).toHaveLength(2);
  });

  it('~. leaves at once, without reconnecting', async () => {
    const p = await proxy((ws) => ws.send(Buffer.from('login: ')));
    const stdin = new PassThrough();
    const out = collectingPassThrough();
    const t = testOptions(async () => p.wsUrl('t'), {
      stdin,
      stdout: out.stream,
      escape: true,
      reconnect: { attempts: 3, baseDelayMs: 1 },
    });
    const run = forwardStdio(t.opts);
    await until(() => out.data().length > 0, 5000, 'output');
    stdin.write('~.');
    await run;
    expect(p.accepted).toHaveLength(1);
    expect(t.err.text()).toBe('Connected to console (type "~." to disconnect)\n');
  });

  it('an abort during the wait before reconnecting ends at once', async () => {
    const p = await proxy((ws) => {
      ws.send(Buffer.from('x'));
      setTimeout(() => ws.terminate(), 30);
    });
    const ac = new AbortController();
    const stdin = new PassThrough();
    const out = collectingPassThrough();
    const t = testOptions(async () => p.wsUrl('t'), {
      stdin,
      stdout: out.stream,
      signal: ac.signal,
      reconnect: { attempts: 3, baseDelayMs: 5_000 },
    });
    const run = forwardStdio(t.opts);
    await until(() => t.err.text().includes('reconnecting'), 5000, 'the marker');
    const t0 = Date.now();
    ac.abort();
    await run;
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});

const SERVER = 'a03f8dfa-4f5d-4b93-90ce-7985cdd455b1';
const CONSOLES = `/v2.1/servers/${SERVER}/remote-consoles`;

/** Nova (MockAgent) handing out console URLs of `p`: each helper queues the next answer to the console POST. */
function novaConsoles(p: FakeProxy): {
  nova: MockNova;
  ok: (token: string) => void;
  refused: () => void;
  status: (code: number) => void;
  resolveUrl: (fresh: boolean) => Promise<string>;
} {
  const nova = mockNova();
  const ok = (token: string): void =>
    nova.answer('POST', CONSOLES, 200, { remote_console: { protocol: 'serial', type: 'serial', url: p.wsUrl(token) } });
  // the API restarting: nothing listens on its port
  const refused = (): void => {
    nova.pool
      .intercept({ path: CONSOLES, method: 'POST' })
      .replyWithError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8774'), { code: 'ECONNREFUSED' }));
  };
  const status = (code: number): void =>
    nova.answer('POST', CONSOLES, code, { computeFault: { code, message: `HTTP ${code} from Nova` } });
  const resolveUrl = cachingResolver(
    async () => (await getConsoleUrl(nova.client, SERVER, 'serial', { serverLabel: 'vm1' })).url,
  );
  return { nova, ok, refused, status, resolveUrl };
}

describe('forwardStdio reconnecting while the API is down too', () => {
  it('counts each transient failure of the console-URL request as one attempt and comes back', async () => {
    const p = await proxy((ws, n) => {
      ws.send(Buffer.from(`login ${n}: `));
      if (n === 1) setTimeout(() => ws.terminate(), 50); // nova-serialproxy restarts
    });
    const n = novaConsoles(p);
    n.ok('t1');
    n.refused(); // nova-api restarting as well
    n.status(503);
    n.status(502);
    n.ok('t2');
    const stdin = new PassThrough();
    const out = collectingPassThrough();
    let opens = 0;
    const t = testOptions(n.resolveUrl, {
      stdin,
      stdout: out.stream,
      reconnect: { attempts: 8, baseDelayMs: 5 },
      onOpen: () => opens++,
    });
    const run = forwardStdio(t.opts);
    await until(() => opens === 2, 10_000, 'the second session');
    stdin.end();
    await run;
    expect(out.data().toString()).toBe('login 1: login 2: ');
    const markers = t.err.lines();
    expect(markers).toHaveLength(5);
    expect(markers[0]).toMatch(/^--- console lost \(Lost the connection .*\(attempt 1 of 8\) ---$/);
    expect(markers[1]).toMatch(
      /^--- console lost \(Cannot reach http:\/\/nova\.test:8774 \(POST .*remote-consoles\): connection refused\); reconnecting in 0\.0 s \(attempt 2 of 8\) ---$/,
    );
    expect(markers[2]).toMatch(/HTTP 503.*\(attempt 3 of 8\) ---$/);
    expect(markers[3]).toMatch(/HTTP 502.*\(attempt 4 of 8\) ---$/);
    expect(markers[4]).toBe('--- reconnected to the console ---');
    expect(p.accepted.map((a) => new URL(a.url, 'http://x').searchParams.get('token'))).toEqual(['t1', 't2']);
  });

  it('ends on a definitive answer (the server is gone), with attempts left', async () => {
    const p = await proxy((ws, n) => {
      ws.send(Buffer.from('x'));
      if (n === 1) setTimeout(() => ws.terminate(), 50);
    });
    const n = novaConsoles(p);
    n.ok('t1');
    n.refused();
    n.status(404);
    const stdin = new PassThrough();
    const out = collectingPassThrough();
    const t = testOptions(n.resolveUrl, { stdin, stdout: out.stream, reconnect: { attempts: 8, baseDelayMs: 5 } });
    await expect(forwardStdio(t.opts)).rejects.toMatchObject({
      code: 'CONSOLE',
      message: expect.stringMatching(/^Server vm1 no longer exists/) as unknown,
    });
    expect(t.err.lines()).toHaveLength(2);
  });

  it('gives up after the attempts when the API stays down', async () => {
    const p = await proxy((ws, n) => {
      ws.send(Buffer.from('x'));
      if (n === 1) setTimeout(() => ws.terminate(), 50);
    });
    const n = novaConsoles(p);
    n.ok('t1');
    for (let i = 0; i < 3; i++) n.refused();
    const stdin = new PassThrough();
    const out = collectingPassThrough();
    const t = testOptions(n.resolveUrl, { stdin, stdout: out.stream, reconnect: { attempts: 3, baseDelayMs: 5 } });
    await expect(forwardStdio(t.opts)).rejects.toMatchObject({ code: 'NETWORK' });
    expect(t.err.lines()).toHaveLength(3);
  });
});

describe('forwardLocal token refresh while the API is down', () => {
  it('tries the refresh again after transient failures and the viewer gets its console', async () => {
    const good = await startFakeProxy({
      onSession: (ws, req) => {
        if (req.url?.includes('expired'))
          ws.terminate(); // nova-novncproxy refusing a token
        else ws.send(Buffer.from('RFB 003.008\n'));
      },
    });
    cleanups.push(() => good.close());
    const n = novaConsoles(good);
    n.ok('expired');
    n.refused();
    n.status(503);
    n.ok('good');
    await n.resolveUrl(false); // what `console tunnel` asks before listening
    const ac = new AbortController();
    const t = testOptions(n.resolveUrl, { signal: ac.signal, urlRetry: { attempts: 8, baseDelayMs: 5 } });
    const { ready, done } = forwardLocal({ host: '127.0.0.1', port: 0 }, t.opts);
    const { port } = await ready;
    const client = await connectClient(port);
    expect((await client.waitFor(12, 10_000)).toString()).toBe('RFB 003.008\n');
    const lines = t.err.lines();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^--- getting a console URL failed \(Cannot reach http:\/\/nova\.test:8774 .*connection refused\); trying again in 0\.0 s \(attempt 1 of 8\) ---$/,
    );
    expect(lines[1]).toMatch(/HTTP 503.*\(attempt 2 of 8\) ---$/);
    client.sock.destroy();
    ac.abort();
    await done;
  });
});

describe('isTransientFailure', () => {
  const api = (status: number): ApiError =>
    new ApiError({ status, method: 'POST', url: 'u', serverMessage: 'm', service: 'compute' });
  it('calls refused, reset, timeouts, 5xx and 429 transient; 4xx and the rest definitive', () => {
    expect(isTransientFailure(new NetworkError('POST', 'u', 'ECONNREFUSED', 'x'))).toBe(true);
    expect(isTransientFailure(new NetworkError('POST', 'u', 'ECONNRESET', 'x'))).toBe(true);
    expect(isTransientFailure(api(500))).toBe(true);
    expect(isTransientFailure(api(503))).toBe(true);
    expect(isTransientFailure(api(429))).toBe(true);
    expect(isTransientFailure(api(401))).toBe(false);
    expect(isTransientFailure(api(404))).toBe(false);
    expect(isTransientFailure(new NetworkError('POST', 'u', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'x'))).toBe(false);
    expect(isTransientFailure(new Error('bug'))).toBe(false);
  });
});
