import { randomBytes, createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { forwardLocal, forwardStdio } from '../../../src/tunnel/forwarder.js';
import { REPLAY_LIMIT, type TunnelOptions } from '../../../src/tunnel/bridge.js';
import { TunnelError } from '../../../src/tunnel/errors.js';
import { fixedResolver } from '../../../src/tunnel/url-source.js';
import { messageFor } from '../../../src/cli/errors.js';
import {
  closedPort,
  collectingPassThrough,
  connectClient,
  settles,
  sha256,
  sleep,
  startFakeProxy,
  testOptions,
  tokenOf,
  until,
  type FakeProxy,
} from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function proxy(opts: Parameters<typeof startFakeProxy>[0]): Promise<FakeProxy> {
  const p = await startFakeProxy(opts);
  cleanups.push(() => p.close());
  return p;
}

/** Starts forwardLocal on 127.0.0.1:0 and registers an abort for cleanup. */
async function tunnel(
  resolveUrl: (fresh: boolean) => Promise<string>,
  extra: Partial<TunnelOptions> = {},
  listen = { host: '127.0.0.1', port: 0 },
) {
  const ac = new AbortController();
  const t = testOptions(resolveUrl, { signal: ac.signal, ...extra });
  const fwd = forwardLocal(listen, t.opts);
  cleanups.push(async () => {
    ac.abort();
    await fwd.done.catch(() => {});
  });
  return { ...t, ...fwd, ac };
}

/** A proxy that echoes every binary message back. */
const echo = (ws: WebSocket): void => {
  ws.on('message', (d: Buffer) => ws.send(d));
};

/** Mimics nova-novncproxy refusing a token: 101 done, then TCP dropped, no close frame, no data. */
const rejectBad = (handler: (ws: WebSocket) => void) => (ws: WebSocket, req: IncomingMessage) => {
  if (tokenOf(req.url ?? '') !== 'good') {
    ws.terminate();
    return;
  }
  handler(ws);
};

describe('forwardLocal', () => {
  it('prints kubectl-style status lines with the real port and forwards bytes', async () => {
    const p = await proxy({ onSession: echo });
    const t = await tunnel(async () => p.url('good'));
    const { host, port } = await t.ready;
    expect(host).toBe('127.0.0.1');
    expect(port).toBeGreaterThan(0);
    const c = await connectClient(port);
    c.sock.write('RFB 003.008\n');
    expect((await c.waitFor(12)).toString()).toBe('RFB 003.008\n');
    expect(t.out.lines()).toEqual([
      `Forwarding from 127.0.0.1:${port} -> vm1 (vnc)`,
      `Handling connection for ${port}`,
    ]);
    expect(t.err.text()).toBe('');
    expect(p.accepted[0].url).toBe('/?token=good');
    expect(p.accepted[0].protocol).toBe('binary');
  });

  it('sends the given handshake headers and no Origin by default', async () => {
    const p = await proxy({ onSession: echo });
    const t = await tunnel(async () => p.url('good'), { headers: { 'User-Agent': 'ncli/0.1.0' } });
    const { port } = await t.ready;
    const c = await connectClient(port);
    c.sock.write('x');
    await c.waitFor(1);
    expect(p.accepted[0].headers['user-agent']).toBe('ncli/0.1.0');
    expect(p.accepted[0].headers.origin).toBeUndefined();
  });

  it('never passes a token to debug', async () => {
    const p = await proxy({ onSession: rejectBad(echo) });
    const urls = [p.url('bad-SECRET1'), p.wsUrl('good')];
    const t = await tunnel(async (fresh) => (fresh ? urls[1] : urls[0]));
    const { port } = await t.ready;
    const c = await connectClient(port);
    c.sock.write('x');
    await c.waitFor(1);
    expect(t.debugLines.length).toBeGreaterThan(3);
    expect(t.debugLines.join('\n')).not.toMatch(/SECRET1|token=good/);
    expect(t.debugLines.join('\n')).toContain('token=<redacted>');
  });

  it('refreshes a rejected token once and replays the bytes the client already sent', async () => {
    const received: Buffer[] = [];
    const p = await proxy({
      onSession: rejectBad((ws) => {
        ws.on('message', (d: Buffer) => received.push(d));
        ws.send(Buffer.from('RFB 003.008\n'));
      }),
    });
    const calls: boolean[] = [];
    const t = await tunnel(async (fresh) => {
      calls.push(fresh);
      return fresh ? p.url('good') : p.url('expired');
    });
    const { port } = await t.ready;
    const c = await connectClient(port);
    c.sock.write('hello ');
    c.sock.write('world');
    expect((await c.waitFor(12)).toString()).toBe('RFB 003.008\n');
    await until(() => Buffer.concat(received).length >= 11, 3000, 'replayed bytes');
    expect(Buffer.concat(received).toString()).toBe('hello world');
    expect(calls).toEqual([false, true]);
    expect(p.accepted.map((a) => tokenOf(a.url))).toEqual(['expired', 'good']);
    expect(t.err.text()).toBe('');
    // Bytes sent after the retry flow normally.
    c.sock.write('!');
    await until(() => Buffer.concat(received).toString() === 'hello world!', 3000, 'live bytes');
  });

  it('reports a token rejected twice as one line and closes only that connection', async () => {
    const p = await proxy({ onSession: rejectBad(echo) });
    let n = 0;
    const t = await tunnel(async () => p.url(`bad${++n}`));
    const { port } = await t.ready;
    const c = await connectClient(port);
    c.sock.write('abc');
    await c.closed;
    expect(n).toBe(2);
    expect(t.err.lines()).toEqual([
      `The console proxy at ws://127.0.0.1:${p.port} refused the console token (invalid or expired).`,
    ]);
    // The listener is still up.
    const c2 = await connectClient(port);
    await c2.closed;
    expect(t.err.lines()).toHaveLength(2);
  });

  it('names the Origin as a possible cause when one was sent', async () => {
    const p = await proxy({ onSession: (ws) => ws.terminate() });
    const t = await tunnel(async () => p.url('x'), { origin: 'http://evil.example' });
    const { port } = await t.ready;
    const c = await connectClient(port);
    await c.closed;
    expect(t.err.text()).toContain('(or refused the Origin http://evil.example)');
    expect(p.accepted[0].headers.origin).toBe('http://evil.example');
  });

  it('reports an unreachable proxy per connection and keeps listening', async () => {
    const dead = await closedPort();
    const t = await tunnel(async () => `ws://127.0.0.1:${dead}/?token=abc`);
    const { port } = await t.ready;
    const c = await connectClient(port);
    await c.closed;
    expect(t.err.lines()).toEqual([`Cannot reach the console proxy at ws://127.0.0.1:${dead}: connection refused.`]);
  });

  it('reports resolveUrl failures per connection', async () => {
    const t = await tunnel(async () => {
      throw new Error('Nova said no: server vm1 is SHUTOFF.');
    });
    const { port } = await t.ready;
    const c = await connectClient(port);
    await c.closed;
    expect(t.err.lines()).toEqual(['Nova said no: server vm1 is SHUTOFF.']);
  });

  it('reports a mid-session drop after data flowed as LOST, not as a rejected token', async () => {
    const p = await proxy({
      onSession: (ws) => {
        ws.send(Buffer.from('RFB 003.008\n'));
        setTimeout(() => ws.terminate(), 50);
      },
    });
    let calls = 0;
    const t = await tunnel(async () => {
      calls += 1;
      return p.url('good');
    });
    const { port } = await t.ready;
    const c = await connectClient(port);
    await c.ended;
    expect(c.data().toString()).toBe('RFB 003.008\n');
    await until(() => t.err.text() !== '', 3000, 'error line');
    expect(calls).toBe(1);
    expect(t.err.lines()).toEqual([
      `Lost the connection to the console proxy at ws://127.0.0.1:${p.port}: it dropped without a close frame, after 12 bytes received.`,
    ]);
  });

  it('treats a drop without data after the rejection window, once the client had spoken, as LOST (no replay)', async () => {
    const received: Buffer[] = [];
    const p = await proxy({
      onSession: (ws) => {
        ws.on('message', (d: Buffer) => received.push(d));
        setTimeout(() => ws.terminate(), 800);
      },
    });
    let calls = 0;
    const t = await tunnel(
      async () => {
        calls += 1;
        return p.url('good');
      },
      { rejectWindowMs: 100 },
    );
    const { port } = await t.ready;
    const c = await connectClient(port);
    c.sock.write('ls\r');
    await c.closed;
    await until(() => t.err.text() !== '', 3000, 'error line');
    expect(calls).toBe(1);
    expect(p.accepted).toHaveLength(1);
    expect(Buffer.concat(received).toString()).toBe('ls\r');
    expect(t.err.text()).toMatch(/^Lost the connection/);
  });

  it('takes a drop after the rejection window as a refused token while neither side has spoken (a slow proxy), once', async () => {
    // nova-novncproxy answers the upgrade first and looks the token up afterwards: with many
    // connections at once on a loaded machine, the refusal comes after seconds
    const p = await proxy({
      onSession: (ws, req) => {
        if (tokenOf(req.url ?? '') === 'good') ws.send(Buffer.from('RFB 003.008\n'));
        else setTimeout(() => ws.terminate(), 400);
      },
    });
    const calls: boolean[] = [];
    const t = await tunnel(
      async (fresh) => {
        calls.push(fresh);
        return p.url(fresh ? 'good' : 'expired');
      },
      { rejectWindowMs: 100 },
    );
    const { port } = await t.ready;
    const c = await connectClient(port);
    expect((await c.waitFor(12)).toString()).toBe('RFB 003.008\n');
    expect(calls).toEqual([false, true]);
    expect(t.err.text()).toBe('');

    // a proxy that keeps dropping silently: one retry, then a lost session (not a refused token)
    const q = await proxy({ onSession: (ws) => setTimeout(() => ws.terminate(), 400) });
    let n = 0;
    const u = await tunnel(
      async () => {
        n += 1;
        return q.url('good');
      },
      { rejectWindowMs: 100 },
    );
    const d = await connectClient((await u.ready).port);
    await d.closed;
    await until(() => u.err.text() !== '', 3000, 'error line');
    expect(n).toBe(2);
    expect(u.err.lines()).toEqual([
      `Lost the connection to the console proxy at ws://127.0.0.1:${q.port}: it dropped without a close frame, after 0 bytes received.`,
    ]);
  });

  it('rejects ready and done with EADDRINUSE naming host and port', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => blocker.close(() => r())));
    const busy = (blocker.address() as net.AddressInfo).port;
    const t = testOptions(async () => 'ws://127.0.0.1:1/');
    const fwd = forwardLocal({ host: '127.0.0.1', port: busy }, t.opts);
    const msg = `Port ${busy} is already in use on 127.0.0.1.`;
    await expect(fwd.ready).rejects.toThrow(msg);
    await expect(fwd.done).rejects.toMatchObject({ code: 'EADDRINUSE', message: msg, hint: 'local-port' });
    expect(messageFor(await fwd.done.catch((e: unknown) => e))).toBe(
      `Port ${busy} is already in use on 127.0.0.1; pick another with --local PORT, or --local 0 for a free one.`,
    );
    expect(t.out.text()).toBe('');
  });

  it('warns when listening on a non-loopback address', async () => {
    const p = await proxy({ onSession: echo });
    const t = await tunnel(async () => p.url('good'), {}, { host: '0.0.0.0', port: 0 });
    const { port } = await t.ready;
    expect(t.err.lines()).toEqual([
      `Warning: listening on 0.0.0.0:${port} makes the console reachable from the network, without a password; use 127.0.0.1 unless you mean it.`,
    ]);
    expect(t.out.lines()).toEqual([`Forwarding from 0.0.0.0:${port} -> vm1 (vnc)`]);
  });

  it('listens on IPv6 loopback and prints it in brackets', async () => {
    const p = await proxy({ onSession: echo });
    const t = await tunnel(async () => p.url('good'), {}, { host: '::1', port: 0 });
    const { port } = await t.ready;
    expect(t.out.lines()).toEqual([`Forwarding from [::1]:${port} -> vm1 (vnc)`]);
    const c = await connectClient(port, '::1');
    c.sock.write('six');
    expect((await c.waitFor(3)).toString()).toBe('six');
    expect(t.err.text()).toBe('');
  });

  it('gives every accepted connection its own WebSocket, several at once', async () => {
    const p = await proxy({
      onSession: (ws) => {
        ws.on('message', (d: Buffer) =>
          ws.send(Buffer.concat([Buffer.from(`${p.accepted.findIndex((a) => a.ws === ws)}:`), d])),
        );
      },
    });
    const t = await tunnel(async () => p.url('good'));
    const { port } = await t.ready;
    const clients = await Promise.all([0, 1, 2, 3, 4].map(() => connectClient(port)));
    await until(() => p.accepted.length === 5, 3000, '5 websockets');
    clients.forEach((c, i) => c.sock.write(`client${i}`));
    const replies = await Promise.all(clients.map((c, i) => c.waitFor(`n:client${i}`.length)));
    const seen = new Set<string>();
    replies.forEach((r, i) => {
      const [ws, body] = r.toString().split(':');
      expect(body).toBe(`client${i}`);
      seen.add(ws);
    });
    expect(seen.size).toBe(5);
    expect(t.out.lines().filter((l) => l.startsWith('Handling connection for'))).toHaveLength(5);
  });

  it('carries 20 MB of random bytes each way intact (sha256)', { timeout: 30_000 }, async () => {
    const SIZE = 20 * 1024 * 1024;
    const up = randomBytes(SIZE);
    const down = randomBytes(SIZE);
    const serverHash = createHash('sha256');
    let serverGot = 0;
    const p = await proxy({
      onSession: (ws) => {
        ws.on('message', (d: Buffer) => {
          serverHash.update(d);
          serverGot += d.length;
        });
        // Send in 64 KiB frames like websockify.
        for (let off = 0; off < SIZE; off += 65536) ws.send(down.subarray(off, off + 65536));
      },
    });
    const t = await tunnel(async () => p.url('good'));
    const { port } = await t.ready;
    const c = await connectClient(port);
    c.sock.write(up);
    const got = await c.waitFor(SIZE, 25_000);
    await until(() => serverGot === SIZE, 25_000, 'upload');
    expect(got.length).toBe(SIZE);
    expect(sha256(got)).toBe(sha256(down));
    expect(serverHash.digest('hex')).toBe(sha256(up));
  });

  it('flushes to the local client before ending it when the proxy closes', async () => {
    const payload = randomBytes(3 * 1024 * 1024);
    const p = await proxy({
      onSession: (ws) => {
        for (let off = 0; off < payload.length; off += 65536) ws.send(payload.subarray(off, off + 65536));
        ws.close(1000, 'Target closed');
      },
    });
    const t = await tunnel(async () => p.url('good'));
    const { port } = await t.ready;
    const c = await connectClient(port);
    // Read slowly at first so that the close arrives while data is still queued.
    c.sock.pause();
    await sleep(200);
    c.sock.resume();
    await c.ended;
    expect(sha256(c.data())).toBe(sha256(payload));
    expect(t.err.text()).toBe('');
  });

  it('sends every local byte before closing the WebSocket when the client ends', async () => {
    const payload = randomBytes(3 * 1024 * 1024);
    const got: Buffer[] = [];
    let closeCode = 0;
    let resolveClosed!: () => void;
    const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
    const p = await proxy({
      onSession: (ws) => {
        ws.on('message', (d: Buffer) => got.push(d));
        ws.on('close', (code) => {
          closeCode = code;
          resolveClosed();
        });
      },
    });
    // The proxy never speaks: going past REPLAY_LIMIT must not stall the upload.
    const t = await tunnel(async () => p.url('good'), { closeWaitMs: 50 });
    const { port } = await t.ready;
    const c = await connectClient(port);
    c.sock.end(payload);
    await closed;
    expect(closeCode).toBe(1000);
    expect(sha256(Buffer.concat(got))).toBe(sha256(payload));
    await c.closed;
  });

  it('gives up the replay (no refresh) once more than REPLAY_LIMIT bytes went out before a rejection', async () => {
    let got = 0;
    const p = await proxy({
      onSession: (ws) => {
        ws.on('message', (d: Buffer) => {
          got += d.length;
          if (got > REPLAY_LIMIT) ws.terminate();
        });
      },
    });
    const calls: boolean[] = [];
    const t = await tunnel(async (fresh) => {
      calls.push(fresh);
      return p.url('x');
    });
    const { port } = await t.ready;
    const c = await connectClient(port);
    c.sock.write(randomBytes(REPLAY_LIMIT * 2));
    await c.closed;
    await until(() => t.err.text() !== '', 3000, 'error line');
    expect(calls).toEqual([false]);
    expect(t.err.text()).toMatch(/refused the console token/);
    expect(t.debugLines.join('\n')).toContain('no replay possible');
  });

  it('once: stops listening after the first connection and resolves done when it ends', async () => {
    const p = await proxy({
      onSession: (ws) => {
        ws.send(Buffer.from('bye'));
        ws.close(1000);
      },
    });
    const t = testOptions(async () => p.url('good'));
    const fwd = forwardLocal({ host: '127.0.0.1', port: 0 }, { ...t.opts, once: true });
    const { port } = await fwd.ready;
    const c = await connectClient(port);
    await fwd.done;
    expect(c.data().toString()).toBe('bye');
    await expect(connectClient(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('once: rejects done with the session error instead of printing it', async () => {
    const p = await proxy({ onSession: (ws) => ws.terminate() });
    const t = testOptions(async () => p.url('bad'));
    const fwd = forwardLocal({ host: '127.0.0.1', port: 0 }, { ...t.opts, once: true });
    const { port } = await fwd.ready;
    await connectClient(port);
    await expect(fwd.done).rejects.toMatchObject({ code: 'TOKEN_REJECTED' });
    expect(t.err.text()).toBe('');
  });

  it('abort: closes the listener and every session cleanly, then resolves done', async () => {
    const closes: number[] = [];
    const p = await proxy({
      onSession: (ws) => {
        ws.send(Buffer.from('hi'));
        ws.on('close', (code) => closes.push(code));
      },
    });
    const ac = new AbortController();
    const t = testOptions(async () => p.url('good'), { signal: ac.signal });
    const fwd = forwardLocal({ host: '127.0.0.1', port: 0 }, t.opts);
    const { port } = await fwd.ready;
    const a = await connectClient(port);
    const b = await connectClient(port);
    await a.waitFor(2);
    await b.waitFor(2);
    ac.abort();
    await fwd.done;
    await Promise.all([a.ended, b.ended]);
    await until(() => closes.length === 2, 3000, 'server-side closes');
    expect(closes).toEqual([1000, 1000]);
    await expect(connectClient(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(t.err.text()).toBe('');
  });

  it('abort before listening rejects ready with ABORTED and resolves done', async () => {
    const ac = new AbortController();
    ac.abort();
    const t = testOptions(async () => 'ws://127.0.0.1:1/', { signal: ac.signal });
    const fwd = forwardLocal({ host: '127.0.0.1', port: 0 }, t.opts);
    await expect(fwd.ready).rejects.toMatchObject({ code: 'ABORTED' });
    await expect(fwd.done).resolves.toBeUndefined();
  });

  it('sends client pings periodically', async () => {
    let pings = 0;
    const p = await proxy({ onSession: (ws) => ws.on('ping', () => (pings += 1)) });
    const t = await tunnel(async () => p.url('good'), { pingIntervalMs: 40 });
    const { port } = await t.ready;
    await connectClient(port);
    await until(() => pings >= 3, 3000, '3 pings');
    expect(pings).toBeGreaterThanOrEqual(3);
  });

  it('pauses the WebSocket while the local reader stalls (bounded buffering)', async () => {
    // The proxy sends as fast as ws lets it; the local client does not read.
    let sent = 0;
    let stop = false;
    const p = await proxy({
      onSession: (ws) => {
        const chunk = Buffer.alloc(65536, 7);
        const pump = (): void => {
          while (!stop && ws.readyState === 1 && ws.bufferedAmount < 4 * 1024 * 1024) {
            ws.send(chunk);
            sent += chunk.length;
          }
          if (!stop && ws.readyState === 1) setTimeout(pump, 5);
        };
        pump();
      },
    });
    const t = await tunnel(async () => p.url('good'));
    const { port } = await t.ready;
    const c = await connectClient(port);
    c.sock.pause();
    // Once every buffer is full the proxy can no longer send: growth stops,
    // at kernel buffers + ws's 4 MiB + a few of our chunks.
    const settled = await settles(() => sent);
    stop = true;
    expect(settled).toBeLessThan(64 * 1024 * 1024);
    c.sock.destroy();
  });
});

describe('forwardStdio', () => {
  it('stdin ended at once: waits for a slow proxy to refuse the token before closing, and reports it', async () => {
    // a loaded nova-novncproxy refuses a bad token seconds after the upgrade, later than the close-wait
    const p = await proxy({ onSession: (ws) => setTimeout(() => ws.terminate(), 400) });
    const stdin = new PassThrough();
    const out = collectingPassThrough();
    const t = testOptions(fixedResolver(p.wsUrl('expired'), `ws://127.0.0.1:${p.port}`), {
      stdin,
      stdout: out.stream,
      closeWaitMs: 50,
    });
    stdin.end('RFB 003.008\n');
    await expect(forwardStdio(t.opts)).rejects.toMatchObject({ code: 'TOKEN_REJECTED' });
    expect(p.accepted).toHaveLength(1);
  });

  it('bridges stdin/stdout and resolves after stdin ends and the remote had time to answer', async () => {
    const p = await proxy({
      onSession: (ws) =>
        ws.on('message', (d: Buffer) => setTimeout(() => ws.send(Buffer.from(d.toString().toUpperCase())), 50)),
    });
    const stdin = new PassThrough();
    const out = collectingPassThrough();
    const t = testOptions(async () => p.wsUrl('good'), { stdin, stdout: out.stream, closeWaitMs: 1000 });
    const run = forwardStdio(t.opts);
    stdin.write('hello\n');
    stdin.end();
    await run;
    expect(out.data().toString()).toBe('HELLO\n');
    expect(t.err.text()).toBe('');
  });

  it('resolves when the remote closes, with everything written to stdout', async () => {
    const payload = randomBytes(1024 * 1024);
    const p = await proxy({
      onSession: (ws) => {
        ws.send(payload);
        ws.close(1000);
      },
    });
    const stdin = new PassThrough();
    const out = collectingPassThrough();
    const t = testOptions(async () => p.wsUrl('good'), { stdin, stdout: out.stream });
    await forwardStdio(t.opts);
    expect(sha256(out.data())).toBe(sha256(payload));
    expect(stdin.isPaused()).toBe(true);
  });

  it('refreshes a rejected token and replays stdin bytes', async () => {
    const got: Buffer[] = [];
    const p = await proxy({
      onSession: rejectBad((ws) => {
        ws.on('message', (d: Buffer) => {
          got.push(d);
          ws.send(Buffer.from('ok'));
          ws.close(1000);
        });
      }),
    });
    const stdin = new PassThrough();
    const out = collectingPassThrough();
    const calls: boolean[] = [];
    const t = testOptions(
      async (fresh) => {
        calls.push(fresh);
        return p.wsUrl(fresh ? 'good' : 'stale');
      },
      { stdin, stdout: out.stream },
    );
    stdin.write('typed early');
    await forwardStdio(t.opts);
    expect(calls).toEqual([false, true]);
    expect(Buffer.concat(got).toString()).toBe('typed early');
    expect(out.data().toString()).toBe('ok');
  });

  it('rejects with TOKEN_REJECTED when the fresh token is refused too', async () => {
    const p = await proxy({ onSession: (ws) => ws.terminate() });
    const stdin = new PassThrough();
    const out = collectingPassThrough();
    const t = testOptions(async () => p.wsUrl('bad'), { stdin, stdout: out.stream });
    const e = await forwardStdio(t.opts).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TunnelError);
    expect((e as TunnelError).code).toBe('TOKEN_REJECTED');
    expect((e as TunnelError).message).toBe(
      `The console proxy at ws://127.0.0.1:${p.port} refused the console token (invalid or expired).`,
    );
  });

  it('escape: onOpen once connected, ~~ sends one ~, ~. after a newline disconnects', async () => {
    const got: Buffer[] = [];
    let closeCode = 0;
    const p = await proxy({
      onSession: (ws) => {
        ws.on('message', (d: Buffer) => got.push(d));
        ws.on('close', (c) => (closeCode = c));
      },
    });
    const stdin = new PassThrough();
    const out = collectingPassThrough();
    let opened = 0;
    const t = testOptions(async () => p.wsUrl('good'), {
      stdin,
      stdout: out.stream,
      escape: true,
      onOpen: () => opened++,
    });
    const run = forwardStdio(t.opts);
    await until(() => t.err.text() !== '', 3000, 'connected line');
    expect(t.err.text()).toBe('Connected to console (type "~." to disconnect)\n');
    expect(opened).toBe(1);
    stdin.write('~~ok\r');
    stdin.write('~');
    await sleep(20);
    stdin.write('.ignored');
    await run;
    expect(Buffer.concat(got).toString()).toBe('~ok\r');
    expect(opened).toBe(1);
    await until(() => closeCode !== 0, 3000, 'server close');
    expect(closeCode).toBe(1000);
  });

  it('escape: onOpen is not called while dialling, nor when the dial fails; no process handlers', async () => {
    const dead = await closedPort();
    const stdin = new PassThrough();
    const out = collectingPassThrough();
    let opened = 0;
    const t = testOptions(async () => `ws://127.0.0.1:${dead}/?token=x`, {
      stdin,
      stdout: out.stream,
      escape: true,
      onOpen: () => opened++,
    });
    const before = ['SIGINT', 'SIGTERM', 'SIGHUP', 'exit'].map((s) => process.listenerCount(s));
    const run = forwardStdio(t.opts);
    expect(['SIGINT', 'SIGTERM', 'SIGHUP', 'exit'].map((s) => process.listenerCount(s))).toEqual(before);
    await expect(run).rejects.toMatchObject({ code: 'UNREACHABLE' });
    expect(opened).toBe(0);
  });

  it('escape: ~. typed while still dialling cancels at once', async () => {
    const stdin = new PassThrough();
    const out = collectingPassThrough();
    let resolveUrlCalled = false;
    let opened = 0;
    const t = testOptions(
      () => {
        resolveUrlCalled = true;
        return new Promise<string>((resolve) => setTimeout(() => resolve('ws://127.0.0.1:1/'), 10_000));
      },
      { stdin, stdout: out.stream, escape: true, onOpen: () => opened++ },
    );
    const t0 = Date.now();
    const run = forwardStdio(t.opts);
    stdin.write('~.');
    await run;
    expect(resolveUrlCalled).toBe(true);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(opened).toBe(0);
  });

  it('without escape, ~. is plain data and nothing is printed', async () => {
    const got: Buffer[] = [];
    const p = await proxy({ onSession: (ws) => ws.on('message', (d: Buffer) => got.push(d)) });
    const stdin = new PassThrough();
    const out = collectingPassThrough();
    const t = testOptions(async () => p.wsUrl('good'), { stdin, stdout: out.stream, closeWaitMs: 20 });
    const run = forwardStdio(t.opts);
    stdin.end('~.\n~.');
    await run;
    expect(Buffer.concat(got).toString()).toBe('~.\n~.');
    expect(t.err.text()).toBe('');
  });

  it('applies backpressure from a stalled stdout to the WebSocket', async () => {
    let sent = 0;
    let stop = false;
    const p = await proxy({
      onSession: (ws) => {
        const chunk = Buffer.alloc(65536, 1);
        const pump = (): void => {
          while (!stop && ws.readyState === 1 && ws.bufferedAmount < 4 * 1024 * 1024) {
            ws.send(chunk);
            sent += chunk.length;
          }
          if (!stop && ws.readyState === 1) setTimeout(pump, 5);
        };
        pump();
      },
    });
    const stdin = new PassThrough();
    const stdout = new PassThrough(); // nobody reads it
    const ac = new AbortController();
    const t = testOptions(async () => p.wsUrl('good'), { stdin, stdout, signal: ac.signal });
    const run = forwardStdio(t.opts);
    const settled = await settles(() => sent);
    stop = true;
    expect(settled).toBeLessThan(64 * 1024 * 1024);
    expect(stdout.readableLength).toBeLessThan(1024 * 1024);
    ac.abort();
    await run;
  });
});
