/**
 * Console-token renewal with many local connections at once (issue 18 §5, the soak's finding):
 * a fake nova-novncproxy whose tokens expire on demand and which, like the real one on a loaded
 * machine, answers the upgrade at once but refuses an expired token only after a while (each
 * refusal later than the last), and the real `cachingResolver` asking a fake Nova.
 */
import type { IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { forwardLocal } from '../../../src/tunnel/forwarder.js';
import { cachingResolver } from '../../../src/tunnel/url-source.js';
import { connectClient, startFakeProxy, testOptions, tokenOf, until, type FakeProxy } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A fake Nova handing out console tokens, and a proxy that refuses expired ones slowly. */
async function consoleCloud(refusalGapMs: number) {
  let issued = 0;
  const valid = new Set<string>();
  /** Every token a WebSocket was opened with, in order. */
  const dialled: string[] = [];
  let refusals = 0;
  const proxy: FakeProxy = await startFakeProxy({
    onSession: (ws: WebSocket, req: IncomingMessage) => {
      const token = tokenOf(req.url ?? '') ?? '';
      dialled.push(token);
      if (valid.has(token)) {
        // the RFB security proxy connects to the VNC server first: the greeting comes a bit later
        setTimeout(() => ws.send(Buffer.from('RFB 003.008\n')), 150);
        ws.on('message', (d: Buffer) => {
          if (d.toString() === 'RFB 003.008\n') ws.send(Buffer.from([1, 1]));
        });
      } else {
        // 101 done; the token lookup comes later, one refusal after another
        refusals += 1;
        setTimeout(() => ws.terminate(), refusals * refusalGapMs);
      }
    },
  });
  cleanups.push(() => proxy.close());
  return {
    proxy,
    /** Asks "Nova" for a console URL: a new token each time. */
    fetchUrl: async (): Promise<string> => {
      issued += 1;
      const token = `t${issued}`;
      valid.add(token);
      return proxy.url(token);
    },
    issued: () => issued,
    /** Every token issued so far expires (CONSOLE_TOKEN_TTL passed). */
    expireAll: () => {
      valid.clear();
      refusals = 0;
    },
    dialled,
  };
}

/** `n` RFB viewers at once: each reads the greeting, answers it and reads the security types. */
async function viewersAtOnce(port: number, n: number): Promise<string[]> {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const c = await connectClient(port);
      let closed = false;
      void c.closed.then(() => (closed = true));
      const read = async (n: number): Promise<Buffer> => {
        await until(() => c.received >= n || closed, 15_000, `${n} bytes`);
        if (c.received < n) throw new Error(`closed after ${c.received} of ${n} bytes`);
        return c.data();
      };
      try {
        const greeting = (await read(12)).subarray(0, 12).toString();
        c.sock.write(greeting);
        const all = await read(14);
        return `${greeting.trim()} types ${[...all.subarray(12, 14)].join(',')}`;
      } catch (e) {
        return `failed: ${(e as Error).message}`;
      } finally {
        c.sock.destroy();
      }
    }),
  );
}

describe('console-token renewal with many connections at once', () => {
  it('eight viewers refused one after another with the same expired token share one fresh console URL', async () => {
    // refusals 500 ms apart: the last comes 4 s after the first, far past the rejection window
    const cloud = await consoleCloud(500);
    const lines: string[] = [];
    const resolveUrl = cachingResolver(cloud.fetchUrl, (l) => lines.push(l));
    await resolveUrl(false); // what `console tunnel` asks before listening
    const ac = new AbortController();
    const t = testOptions(resolveUrl, { signal: ac.signal, rejectWindowMs: 200 });
    const fwd = forwardLocal({ host: '127.0.0.1', port: 0 }, t.opts);
    cleanups.push(async () => {
      ac.abort();
      await fwd.done.catch(() => {});
    });
    const { port } = await fwd.ready;

    // while the first token lives: no renewal
    expect(await viewersAtOnce(port, 2)).toEqual(Array(2).fill('RFB 003.008 types 1,1'));
    expect(cloud.issued()).toBe(1);

    cloud.expireAll();
    expect(await viewersAtOnce(port, 8)).toEqual(Array(8).fill('RFB 003.008 types 1,1'));
    expect(cloud.issued()).toBe(2);
    // each of the eight dialled once with the expired token and once with the fresh one; never
    // the expired one twice
    expect(cloud.dialled.slice(2).filter((tk) => tk === 't1')).toHaveLength(8);
    expect(cloud.dialled.slice(2).filter((tk) => tk === 't2')).toHaveLength(8);

    // and again when the fresh one expired in its turn
    cloud.expireAll();
    expect(await viewersAtOnce(port, 8)).toEqual(Array(8).fill('RFB 003.008 types 1,1'));
    expect(cloud.issued()).toBe(3);
    expect(cloud.dialled.slice(18).filter((tk) => tk === 't2')).toHaveLength(8);
    expect(cloud.dialled.slice(18).filter((tk) => tk === 't3')).toHaveLength(8);

    expect(t.err.text()).toBe('');
    expect(lines.filter((l) => l.includes('asking Nova for a fresh console URL'))).toHaveLength(2);
    expect(lines.join('\n')).not.toMatch(/token=t\d/);
  }, 60_000);
});
