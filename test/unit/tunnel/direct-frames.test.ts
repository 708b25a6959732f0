/**
 * receiveBinaryDirect (src/tunnel/direct-frames.ts) against a hand-made WebSocket server, so that
 * frames can be split anywhere and can break the rules: every payload byte in order, control
 * frames and text frames still handled by `ws`, protocol errors still reported by `ws`.
 */
import { createHash } from 'node:crypto';
import https from 'node:https';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { selfSignedCert } from '../../support/tls.js';
import { clientFrames, wsFrame } from '../../support/ws-frames.js';
import { receiveBinaryDirect } from '../../../src/tunnel/direct-frames.js';
import { dialConsole } from '../../../src/tunnel/websocket.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function pattern(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return b;
}

/** A raw WebSocket server: answers the upgrade by hand, then gives the socket to `onSession`. */
async function rawServer(onSession: (sock: net.Socket) => void): Promise<{ url: string; received: () => Buffer }> {
  let received = Buffer.alloc(0);
  const server = net.createServer((sock) => {
    sock.on('error', () => {});
    let head = Buffer.alloc(0);
    const onData = (d: Buffer): void => {
      head = Buffer.concat([head, d]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      sock.removeListener('data', onData);
      const req = head.subarray(0, end).toString('latin1');
      received = Buffer.from(head.subarray(end + 4));
      sock.on('data', (more: Buffer) => (received = Buffer.concat([received, more])));
      const key = /sec-websocket-key:\s*(\S+)/i.exec(req)![1];
      const accept = createHash('sha1')
        .update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11')
        .digest('base64');
      sock.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: binary\r\n\r\n`,
      );
      onSession(sock);
    };
    sock.on('data', onData);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => {
    server.close();
  });
  return {
    url: `ws://127.0.0.1:${(server.address() as net.AddressInfo).port}/`,
    received: () => received,
  };
}

interface Client {
  ws: WebSocket;
  data: () => Buffer;
  messages: { data: Buffer; isBinary: boolean }[];
  errors: (Error & { code?: string })[];
  closed: Promise<number>;
}

async function client(url: string, maxPayload = 16 * 1024 * 1024): Promise<Client & { installed: boolean }> {
  const ws = await dialConsole({ url, maxPayload });
  cleanups.push(() => ws.terminate());
  const pieces: Buffer[] = [];
  const messages: Client['messages'] = [];
  const errors: Client['errors'] = [];
  ws.on('message', (data, isBinary) => messages.push({ data: data as Buffer, isBinary }));
  ws.on('error', (e) => errors.push(e));
  const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
  // keeps every piece: a reused read buffer must then not be overwritten
  const installed = receiveBinaryDirect(
    ws,
    (p) => {
      pieces.push(p);
      return true;
    },
    maxPayload,
  );
  ws.resume();
  return { ws, data: () => Buffer.concat(pieces), messages, errors, closed, installed };
}

/** Writes `buf` in pieces of the given sizes (cycled), letting each go out on its own. */
async function writeSplit(sock: net.Socket, buf: Buffer, sizes: number[]): Promise<void> {
  let off = 0;
  for (let i = 0; off < buf.length; i++) {
    const n = sizes[i % sizes.length];
    sock.write(buf.subarray(off, off + n));
    off += n;
    await sleep(1);
  }
}

describe('receiveBinaryDirect', () => {
  it('delivers the payload of binary frames of every length class, split anywhere, without message events', async () => {
    const sizes = [0, 1, 2, 125, 126, 127, 65535, 65536, 65546, 200_000];
    const payloads = sizes.map((n, i) => pattern(n, i));
    const wire = Buffer.concat(payloads.map((p) => wsFrame(0x2, p)));
    const expected = Buffer.concat(payloads);
    const s = await rawServer((sock) => {
      void (async () => {
        await writeSplit(sock, wire.subarray(0, 600), [1]); // byte by byte, through several headers
        await writeSplit(sock, wire.subarray(600), [3, 7, 10, 11, 4093, 65536, 9]);
      })();
    });
    const c = await client(s.url);
    expect(c.installed).toBe(true);
    for (let i = 0; i < 500 && c.data().length < expected.length; i++) await sleep(20);
    expect(c.data().equals(expected)).toBe(true);
    expect(c.messages).toHaveLength(0);
    expect(c.errors).toHaveLength(0);
  });

  it('reuses the read buffer for pieces that were not kept, and not for kept ones', async () => {
    const payloads = Array.from({ length: 64 }, (_, i) => pattern(65536, i));
    const wire = Buffer.concat(payloads.map((p) => wsFrame(0x2, p)));
    const s = await rawServer((sock) => void writeSplit(sock, wire, [65536 * 3, 1000, 70_000]));
    const ws = await dialConsole({ url: s.url });
    cleanups.push(() => ws.terminate());
    const copies: Buffer[] = [];
    const kept: Buffer[] = [];
    const backing = new Set<ArrayBufferLike>();
    let n = 0;
    const installed = receiveBinaryDirect(
      ws,
      (p) => {
        backing.add(p.buffer);
        copies.push(Buffer.from(p));
        // keep every 7th piece by reference: its buffer must never be overwritten
        if (n++ % 7 === 0) {
          kept.push(p);
          return true;
        }
        return false;
      },
      16 << 20,
    );
    ws.resume();
    expect(installed).toBe(true);
    const expected = Buffer.concat(payloads);
    for (let i = 0; i < 500 && Buffer.concat(copies).length < expected.length; i++) await sleep(10);
    expect(Buffer.concat(copies).equals(expected)).toBe(true);
    // the kept pieces still hold what they held (each is somewhere in the stream, in order)
    let at = 0;
    const all = Buffer.concat(copies);
    for (const k of kept) {
      const i = all.indexOf(k, at);
      expect(i).toBeGreaterThanOrEqual(0);
      at = i + k.length;
    }
    // far fewer read buffers than reads: the ones not kept were reused
    expect(backing.size).toBeLessThan(n);
  });

  it('passes pings between fragments to ws (which answers pong), text frames as messages, and the close handshake', async () => {
    const part = (n: number, s: number): Buffer => pattern(n, s);
    const wire = Buffer.concat([
      wsFrame(0x2, part(70_000, 1), { fin: false }),
      wsFrame(0x9, Buffer.from('hi')),
      wsFrame(0x0, part(10, 2), { fin: false }),
      wsFrame(0x0, part(3000, 3)),
      wsFrame(0x1, Buffer.from('text')),
      wsFrame(0x2, part(5, 4)),
      wsFrame(0x8, Buffer.from([0x03, 0xe8])),
    ]);
    let serverSock!: net.Socket;
    const s = await rawServer((sock) => {
      serverSock = sock;
      void writeSplit(sock, wire, [5, 1, 65536, 2, 3]);
    });
    const c = await client(s.url);
    expect(c.installed).toBe(true);
    expect(await c.closed).toBe(1000);
    expect(c.data().equals(Buffer.concat([part(70_000, 1), part(10, 2), part(3000, 3), part(5, 4)]))).toBe(true);
    expect(c.messages).toEqual([{ data: Buffer.from('text'), isBinary: false }]);
    expect(c.errors).toHaveLength(0);
    const frames = clientFrames(s.received());
    expect(frames[0]).toEqual({ opcode: 0xa, payload: Buffer.from('hi') });
    expect(frames[1]).toEqual({ opcode: 0x8, payload: Buffer.from([0x03, 0xe8]) });
    serverSock.destroy();
  });

  it('leaves a frame that breaks the rules to ws, which fails the connection as usual', async () => {
    const good = pattern(1000, 5);
    const s = await rawServer((sock) => {
      sock.write(Buffer.concat([wsFrame(0x2, good), wsFrame(0x2, pattern(10, 6), { rsv: 4 }), wsFrame(0x2, good)]));
    });
    const c = await client(s.url);
    expect(await c.closed).toBe(1006);
    expect(c.errors.map((e) => e.code)).toEqual(['WS_ERR_UNEXPECTED_RSV_1']);
    expect(c.data().equals(good)).toBe(true);
  });

  it('leaves a message over maxPayload to ws (1009)', async () => {
    const s = await rawServer((sock) => {
      sock.write(Buffer.concat([wsFrame(0x2, pattern(100, 7)), wsFrame(0x2, pattern(2000, 8))]));
    });
    const c = await client(s.url, 1024);
    expect(await c.closed).toBe(1006);
    expect(c.errors.map((e) => e.code)).toEqual(['WS_ERR_UNSUPPORTED_MESSAGE_LENGTH']);
    expect(c.data().equals(pattern(100, 7))).toBe(true);
  });

  it('parses what a paused socket still buffered when it is destroyed', async () => {
    // With the reused read buffer a paused socket leaves unread data in the kernel; data can still
    // wait in the socket's stream (what came with the 101, reads before the claim): pushed here.
    const payloads = [pattern(30_000, 9), pattern(40_000, 10), pattern(7, 11)];
    const s = await rawServer(() => {});
    const c = await client(s.url);
    await sleep(50);
    c.ws.pause();
    const raw = (c.ws as unknown as { _socket: net.Socket })._socket;
    raw.push(Buffer.concat(payloads.map((p) => wsFrame(0x2, p))));
    await sleep(20);
    expect(raw.readableLength).toBeGreaterThan(70_000);
    expect(c.data().length).toBe(0);
    c.ws.terminate();
    await c.closed;
    expect(c.data().equals(Buffer.concat(payloads))).toBe(true);
  });

  it('works on a wss: socket too (read by Node, not reused)', async () => {
    const { cert, key } = selfSignedCert();
    const server = https.createServer({ cert, key });
    const payloads = [pattern(100_000, 12), pattern(1, 13), pattern(65536, 14)];
    const wss = new WebSocketServer({ server, handleProtocols: () => 'binary', perMessageDeflate: false });
    wss.on('connection', (peer) => {
      for (const p of payloads) peer.send(p, { binary: true });
      peer.send('a text frame');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(async () => {
      for (const c of wss.clients) c.terminate();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    });
    const ws = await dialConsole({ url: `wss://127.0.0.1:${(server.address() as net.AddressInfo).port}/`, ca: cert });
    cleanups.push(() => ws.terminate());
    const pieces: Buffer[] = [];
    const text = new Promise<string>((r) => ws.once('message', (d) => r((d as Buffer).toString())));
    const installed = receiveBinaryDirect(
      ws,
      (p) => {
        pieces.push(Buffer.from(p));
        return false;
      },
      16 << 20,
    );
    ws.resume();
    expect(installed).toBe(true);
    expect(await text).toBe('a text frame');
    expect(Buffer.concat(pieces).equals(Buffer.concat(payloads))).toBe(true);
  });

  it('changes nothing and answers false when the socket is not as expected', async () => {
    const s = await rawServer((sock) => sock.write(wsFrame(0x2, Buffer.from('abc'))));
    const ws = await dialConsole({ url: s.url });
    cleanups.push(() => ws.terminate());
    const raw = (ws as unknown as { _socket: net.Socket })._socket;
    raw.on('data', () => {}); // a second listener: not ws's layout any more
    const pieces: Buffer[] = [];
    expect(
      receiveBinaryDirect(
        ws,
        (p) => {
          pieces.push(p);
          return true;
        },
        1 << 20,
      ),
    ).toBe(false);
    const got = new Promise<Buffer>((r) => ws.once('message', (d) => r(d as Buffer)));
    ws.resume();
    expect((await got).toString()).toBe('abc');
    expect(pieces).toHaveLength(0);
  });
});
