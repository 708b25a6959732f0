import https from 'node:https';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { dialConsole } from '../../../src/tunnel/websocket.js';
import { messageFor } from '../../../src/cli/errors.js';
import { TunnelError } from '../../../src/tunnel/errors.js';
import { selfSignedCert } from '../../support/tls.js';
import { closedPort, startFakeProxy, type FakeProxy } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function proxy(opts: Parameters<typeof startFakeProxy>[0]): Promise<FakeProxy> {
  const p = await startFakeProxy(opts);
  cleanups.push(() => p.close());
  return p;
}

async function dialError(p: Promise<unknown>): Promise<TunnelError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(TunnelError);
    return e as TunnelError;
  }
  throw new Error('expected the dial to fail');
}

describe('dialConsole', () => {
  it('offers the binary subprotocol and keeps it when the server selects it', async () => {
    const p = await proxy({ onSession: () => {} });
    const ws = await dialConsole({ url: p.wsUrl('T') });
    cleanups.push(() => ws.terminate());
    expect(ws.protocol).toBe('binary');
    expect(p.accepted).toHaveLength(1);
    expect(p.accepted[0].headers['sec-websocket-protocol']).toBe('binary');
  });

  it('retries once without a subprotocol when the server selects none', async () => {
    const p = await proxy({ onSession: () => {}, selectProtocol: false });
    const ws = await dialConsole({ url: new URL(p.wsUrl('T')) });
    cleanups.push(() => ws.terminate());
    expect(ws.protocol).toBe('');
    // The server completed both upgrades: the first (offering binary) was
    // dropped by the client for lack of a subprotocol, the retry offered none.
    expect(p.accepted).toHaveLength(2);
    expect(p.accepted[0].headers['sec-websocket-protocol']).toBe('binary');
    expect(p.accepted[1].headers['sec-websocket-protocol']).toBeUndefined();
  });

  it('hands the socket over paused so that data sent with the 101 is not lost', async () => {
    const p = await proxy({ onSession: (ws) => ws.send(Buffer.from('RFB 003.008\n')) });
    const ws = await dialConsole({ url: p.wsUrl('T') });
    cleanups.push(() => ws.terminate());
    expect(ws.isPaused).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    const got = new Promise<string>((resolve) => ws.once('message', (d: Buffer) => resolve(d.toString())));
    ws.resume();
    expect(await got).toBe('RFB 003.008\n');
  });

  it('sends no Origin unless asked, and the given Origin and headers when asked', async () => {
    const p = await proxy({ onSession: () => {} });
    const a = await dialConsole({ url: p.wsUrl('T') });
    const b = await dialConsole({
      url: p.wsUrl('T'),
      origin: 'http://127.0.0.1:6080',
      headers: { 'User-Agent': 'ncli-test' },
    });
    cleanups.push(
      () => a.terminate(),
      () => b.terminate(),
    );
    expect(p.accepted[0].headers.origin).toBeUndefined();
    expect(p.accepted[1].headers.origin).toBe('http://127.0.0.1:6080');
    expect(p.accepted[1].headers['user-agent']).toBe('ncli-test');
    expect(p.accepted[0].headers['sec-websocket-extensions']).toBeUndefined();
  });

  it('reports connection refused as UNREACHABLE, naming the proxy but not the token', async () => {
    const port = await closedPort();
    const e = await dialError(dialConsole({ url: `ws://127.0.0.1:${port}/?token=SECRET` }));
    expect(e.code).toBe('UNREACHABLE');
    expect(e.message).toBe(`Cannot reach the console proxy at ws://127.0.0.1:${port}: connection refused.`);
  });

  it('reports DNS failure as UNREACHABLE', async () => {
    const e = await dialError(dialConsole({ url: 'ws://no-such-host.invalid:6080/?token=SECRET' }));
    expect(e.code).toBe('UNREACHABLE');
    expect(e.message).toMatch(
      /^Cannot reach the console proxy at ws:\/\/no-such-host\.invalid:6080: (host name not found|temporary DNS failure)\.$/,
    );
  });

  it('reports a non-101 HTTP answer as HANDSHAKE with the status', async () => {
    const srv = net.createServer((s) => {
      s.once('data', () => s.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'));
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => srv.close(() => r())));
    const port = (srv.address() as net.AddressInfo).port;
    const e = await dialError(dialConsole({ url: `ws://127.0.0.1:${port}/?token=SECRET` }));
    expect(e.code).toBe('HANDSHAKE');
    expect(e.message).toBe(
      `The console proxy at ws://127.0.0.1:${port} answered HTTP 404 Not Found instead of a WebSocket upgrade; check the console URL and type.`,
    );
  });

  it('times out a handshake that never completes', async () => {
    const socks: net.Socket[] = [];
    const srv = net.createServer((s) => socks.push(s)); // accepts TCP, never answers
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    cleanups.push(() => {
      socks.forEach((s) => s.destroy());
      return new Promise<void>((r) => srv.close(() => r()));
    });
    const port = (srv.address() as net.AddressInfo).port;
    const t0 = Date.now();
    const e = await dialError(dialConsole({ url: `ws://127.0.0.1:${port}/`, handshakeTimeoutMs: 300 }));
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(e.code).toBe('UNREACHABLE');
    expect(e.message).toBe(
      `Cannot reach the console proxy at ws://127.0.0.1:${port}: no WebSocket handshake within 0.3 s.`,
    );
  });

  it('can be aborted while connecting', async () => {
    const socks: net.Socket[] = [];
    const srv = net.createServer((s) => socks.push(s));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    cleanups.push(() => {
      socks.forEach((s) => s.destroy());
      return new Promise<void>((r) => srv.close(() => r()));
    });
    const port = (srv.address() as net.AddressInfo).port;
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const e = await dialError(dialConsole({ url: `ws://127.0.0.1:${port}/`, signal: ac.signal }));
    expect(e.code).toBe('ABORTED');
  });

  it('rejects non-ws URLs with BAD_URL', async () => {
    const e = await dialError(dialConsole({ url: 'http://127.0.0.1:1/' }));
    expect(e.code).toBe('BAD_URL');
  });

  describe('TLS', () => {
    const { cert, key } = selfSignedCert();

    async function tlsProxy(): Promise<number> {
      const server = https.createServer({ cert, key });
      const wss = new WebSocketServer({ server, handleProtocols: () => 'binary' });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      cleanups.push(async () => {
        for (const c of wss.clients) c.terminate();
        server.closeAllConnections();
        await new Promise<void>((r) => server.close(() => r()));
      });
      return (server.address() as net.AddressInfo).port;
    }

    it('reports an untrusted self-signed certificate as TLS', async () => {
      const port = await tlsProxy();
      const e = await dialError(dialConsole({ url: `wss://127.0.0.1:${port}/?token=SECRET` }));
      expect(e.code).toBe('TLS');
      expect(e.hint).toBe('trust-ca');
      expect(messageFor(e)).toMatch(
        new RegExp(
          `^Cannot verify the TLS connection to the console proxy at wss://127\\.0\\.0\\.1:${port}: .*self.signed.*; trust its CA .*--insecure\\.$`,
        ),
      );
      expect(e.message).not.toContain('SECRET');
    });

    it('connects with ca or insecure', async () => {
      const port = await tlsProxy();
      const a = await dialConsole({ url: `wss://127.0.0.1:${port}/`, ca: cert });
      const b = await dialConsole({ url: `wss://127.0.0.1:${port}/`, insecure: true });
      cleanups.push(
        () => a.terminate(),
        () => b.terminate(),
      );
      expect(a.protocol).toBe('binary');
      expect(b.protocol).toBe('binary');
    });
  });
});
