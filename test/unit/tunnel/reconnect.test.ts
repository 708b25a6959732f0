/**
 * `--stdio` sessions that keep going when the remote side drops them (serial consoles after a
 * proxy restart or a token expiry): a fresh URL, a marker line, bounded attempts; never after `~.`,
 * EOF or an abort, and never when the very first connection fails.
 */
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { forwardStdio } from '../../../src/tunnel/forwarder.js';
import { closedPort, collectingPassThrough, startFakeProxy, testOptions, until, type FakeProxy } from './helpers.js';

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
