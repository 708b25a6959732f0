#!/usr/bin/env node
/**
 * The delaying TCP proxy of the latency case (scripts/bench/latency.mjs): makes the local cloud
 * look far away, for every client alike, without changing a byte or a URL.
 *
 * Two halves, because the service catalog names 127.0.0.1:5000, :8774, … and every client must
 * reach those very addresses through the delay:
 *
 *   host    node latency-proxy.mjs host  DIR PORT…        unix socket DIR/PORT.sock → 127.0.0.1:PORT
 *   inner   unshare -n … node latency-proxy.mjs inner DIR DELAY_MS PORT…
 *           (in a network namespace of its own, lo up) 127.0.0.1:PORT → DIR/PORT.sock, each
 *           chunk held DELAY_MS in each direction
 *
 * The clients run in the inner namespace (`nsenter -t INNER_PID -n cmd…`), where 127.0.0.1:PORT is
 * the proxy; path-named unix sockets cross namespaces. The delay per direction is one-way latency:
 * a request and its answer take 2×DELAY (one RTT) more. A new connection's first bytes reach the
 * server 3×DELAY after the connect at the earliest: the SYN, SYN-ACK round trip a real TCP
 * handshake costs, which a loopback connect does not. TLS passes through untouched (its own
 * handshake round trips are delayed like any bytes).
 *
 * Bounded: listens on 127.0.0.1 only, at most MAX_CONN connections per port (more are closed at
 * once), at most MAX_PENDING bytes held per direction (the sender is paused until they drain).
 * Prints `ready` on stdout when every port listens; the inner half then writes `conn PORT N` on
 * stdout for every connection it accepts (the case counts TCP connections per command from them).
 */
import net from 'node:net';
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const MAX_CONN = 256;
const MAX_PENDING = 4 << 20;

const [mode, dir, ...rest] = process.argv.slice(2);
if (!['host', 'inner'].includes(mode) || !dir) {
  process.stderr.write('usage: latency-proxy.mjs host DIR PORT… | inner DIR DELAY_MS PORT…\n');
  process.exit(2);
}

/**
 * The time something was held in the "network" (the union of every chunk's hold window, over
 * every connection), for the case's CPU-independent count of the round trips a run waited for:
 * `SIGUSR2` prints `busy MS` and starts over. Windows open in time order (one event loop), so a
 * running union suffices.
 */
const busy = { total: 0, start: 0, end: -1 };
function hold(start, end) {
  if (start <= busy.end) busy.end = Math.max(busy.end, end);
  else {
    if (busy.end > busy.start) busy.total += busy.end - busy.start;
    busy.start = start;
    busy.end = end;
  }
}
process.on('SIGUSR2', () => {
  if (busy.end > busy.start) busy.total += busy.end - busy.start;
  process.stdout.write(`busy ${busy.total.toFixed(1)}\n`);
  Object.assign(busy, { total: 0, start: 0, end: -1 });
});

/** Copies `src` to `dst`, each chunk `delay` ms later and none before `notBefore` (epoch ms, performance clock). */
function delayed(src, dst, delay, notBefore = 0) {
  const queue = [];
  let pending = 0;
  let timer;
  let ended = false;
  const flush = () => {
    timer = undefined;
    const now = performance.now();
    while (queue.length && queue[0].at <= now + 0.5) {
      const { chunk } = queue.shift();
      if (chunk === null) {
        dst.end();
        continue;
      }
      pending -= chunk.length;
      dst.write(chunk);
    }
    if (pending < MAX_PENDING / 2 && src.isPaused()) src.resume();
    if (queue.length) timer = setTimeout(flush, Math.max(0, queue[0].at - performance.now()));
  };
  const push = (chunk) => {
    const now = performance.now();
    const at = Math.max(now + delay, notBefore);
    if (chunk) hold(now, at);
    queue.push({ at, chunk });
    if (chunk) {
      pending += chunk.length;
      if (pending > MAX_PENDING) src.pause();
    }
    if (!timer) timer = setTimeout(flush, Math.max(0, queue[0].at - performance.now()));
  };
  src.on('data', push);
  src.on('end', () => {
    if (!ended) push(null);
    ended = true;
  });
}

const servers = [];
if (mode === 'host') {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  for (const port of rest.map(Number)) {
    const path = join(dir, `${port}.sock`);
    rmSync(path, { force: true });
    const s = net.createServer((c) => {
      const up = net.connect(port, '127.0.0.1');
      c.pipe(up).on('error', () => c.destroy());
      up.pipe(c);
      up.on('error', () => c.destroy());
      c.on('error', () => up.destroy());
      c.on('close', () => up.destroy());
      up.on('close', () => c.destroy());
    });
    s.maxConnections = MAX_CONN;
    servers.push(new Promise((res) => s.listen(path, res)));
  }
} else {
  const delay = Number(rest[0]);
  const counts = {};
  for (const port of rest.slice(1).map(Number)) {
    counts[port] = 0;
    const s = net.createServer({ noDelay: true }, (c) => {
      const accepted = performance.now();
      process.stdout.write(`conn ${port} ${++counts[port]}\n`);
      const up = net.connect(join(dir, `${port}.sock`));
      // client → server: the handshake's round trip first, then one-way delay
      delayed(c, up, delay, accepted + 3 * delay);
      delayed(up, c, delay);
      const kill = () => {
        c.destroy();
        up.destroy();
      };
      for (const x of [c, up]) {
        x.on('error', kill);
        x.on('close', () => setTimeout(kill, 2 * delay + 10));
      }
    });
    s.maxConnections = MAX_CONN;
    servers.push(new Promise((res) => s.listen(port, '127.0.0.1', res)));
  }
}
await Promise.all(servers);
process.stdout.write('ready\n');
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
