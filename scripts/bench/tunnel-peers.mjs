#!/usr/bin/env node
/**
 * Processes of the tunnel benchmark (each run as its own process, so that no two share an event
 * loop): a TCP source, and the readers that measure through it.
 *
 *   tunnel-peers.mjs source bulk           TCP server: every connection gets the pattern, endlessly
 *       (never FIN: websockify drops what it still holds from the target when the target closes)
 *   tunnel-peers.mjs source echo           TCP server: echoes what it reads
 *       (both print {"port":N} on stdout once listening, and run until killed)
 *   tunnel-peers.mjs bulk tcp|ws TARGET BYTES [--stall-after B --stall-ms MS]
 *       reads BYTES from TARGET (host:port for tcp, a ws:// URL for ws), checks every byte against
 *       the pattern, prints {"bytes","seconds","ok"}; with --stall-after, stops reading after B
 *       bytes for MS milliseconds, then drains
 *   tunnel-peers.mjs latency tcp|ws TARGET COUNT SIZE
 *       COUNT request/response round trips of SIZE bytes each, one at a time; prints the round-trip
 *       times in microseconds (median, p90, p99, mean)
 *
 * The `ws` reader is a direct WebSocket client of websockify (the `ws` package, as ncli's tunnel
 * uses: subprotocol `binary`, no compression), i.e. what a program that speaks WebSocket itself
 * gets from the same proxy.
 */
import net from 'node:net';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../package.json', import.meta.url));

/** The pattern: byte i of a stream is PATTERN[i % PERIOD] (a prime period catches shifted or lost chunks). */
const PERIOD = 65521;
const CHUNK = 65536;
const PATTERN = Buffer.alloc(PERIOD + CHUNK);
for (let i = 0; i < PATTERN.length; i++) {
  const j = i % PERIOD;
  PATTERN[i] = (j * 131 + (j >> 8) * 7 + 17) & 0xff;
}

function hostPort(s) {
  const i = s.lastIndexOf(':');
  return { host: s.slice(0, i), port: Number(s.slice(i + 1)) };
}

function source(mode) {
  const server = net.createServer((sock) => {
    sock.setNoDelay(true);
    sock.on('error', () => {});
    if (mode === 'echo') {
      sock.pipe(sock);
      return;
    }
    let sent = 0;
    let open = true;
    sock.on('close', () => (open = false));
    const pump = () => {
      while (open) {
        const o = sent % PERIOD;
        sent += CHUNK;
        if (!sock.write(PATTERN.subarray(o, o + CHUNK))) {
          sock.once('drain', pump);
          return;
        }
      }
    };
    sock.resume();
    pump();
  });
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n');
  });
}

/** A byte stream from TARGET: { onData(fn), pause(), resume(), close() } over TCP or WebSocket. */
async function connect(kind, target) {
  if (kind === 'tcp') {
    const { host, port } = hostPort(target);
    const sock = net.connect({ host, port, noDelay: true });
    await new Promise((res, rej) => {
      sock.once('connect', res);
      sock.once('error', rej);
    });
    return {
      onData: (fn) => sock.on('data', fn),
      write: (b) => sock.write(b),
      pause: () => sock.pause(),
      resume: () => sock.resume(),
      close: () => sock.destroy(),
    };
  }
  const WebSocket = require('ws');
  const ws = new WebSocket(target, ['binary'], { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
  ws.binaryType = 'nodebuffer';
  await new Promise((res, rej) => {
    ws.once('open', res);
    ws.once('error', rej);
  });
  ws.on('error', () => {});
  return {
    onData: (fn) => ws.on('message', (d) => fn(Buffer.isBuffer(d) ? d : Buffer.from(d))),
    write: (b) => ws.send(b),
    pause: () => ws.pause(),
    resume: () => ws.resume(),
    close: () => ws.terminate(),
  };
}

async function bulk(kind, target, bytes, stallAfter, stallMs) {
  const t0 = process.hrtime.bigint();
  const conn = await connect(kind, target);
  let got = 0;
  let ok = true;
  let stalled = stallAfter === undefined;
  await new Promise((resolve) => {
    conn.onData((d) => {
      // compare against the pattern, in pieces that never cross the buffer's end
      let off = 0;
      while (off < d.length && ok) {
        const o = (got + off) % PERIOD;
        const n = Math.min(d.length - off, CHUNK);
        if (PATTERN.compare(d, off, off + n, o, o + n) !== 0) ok = false;
        off += n;
      }
      got += d.length;
      if (!stalled && got >= stallAfter) {
        stalled = true;
        conn.pause();
        setTimeout(() => conn.resume(), stallMs);
      }
      if (got >= bytes || !ok) resolve();
    });
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  conn.close();
  const cpu = process.cpuUsage();
  process.stdout.write(
    JSON.stringify({ bytes: got, seconds, ok: ok && got >= bytes, cpuSeconds: (cpu.user + cpu.system) / 1e6 }) + '\n',
  );
  process.exit(0);
}

async function latency(kind, target, count, size) {
  const conn = await connect(kind, target);
  const msg = PATTERN.subarray(0, size);
  const times = [];
  let pending = 0;
  let done;
  conn.onData((d) => {
    pending -= d.length;
    if (pending <= 0) done();
  });
  for (let i = 0; i < count + 20; i++) {
    const t = process.hrtime.bigint();
    pending = size;
    await new Promise((res) => {
      done = res;
      conn.write(msg);
    });
    if (i >= 20) times.push(Number(process.hrtime.bigint() - t) / 1e3); // the first 20 warm up
  }
  conn.close();
  times.sort((a, b) => a - b);
  const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
  process.stdout.write(
    JSON.stringify({
      count,
      size,
      medianUs: q(0.5),
      p90Us: q(0.9),
      p99Us: q(0.99),
      meanUs: times.reduce((a, b) => a + b, 0) / times.length,
    }) + '\n',
  );
  process.exit(0);
}

const [cmd, ...rest] = process.argv.slice(2);
const opt = (name) => {
  const i = rest.indexOf(name);
  return i >= 0 ? Number(rest[i + 1]) : undefined;
};
if (cmd === 'source') source(rest[0]);
else if (cmd === 'bulk') await bulk(rest[0], rest[1], Number(rest[2]), opt('--stall-after'), opt('--stall-ms') ?? 5000);
else if (cmd === 'latency') await latency(rest[0], rest[1], Number(rest[2]), Number(rest[3]));
else {
  process.stderr.write(
    'usage: tunnel-peers.mjs source bulk | source echo | bulk KIND TARGET BYTES | latency KIND TARGET COUNT SIZE\n',
  );
  process.exit(2);
}
