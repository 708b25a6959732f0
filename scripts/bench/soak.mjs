#!/usr/bin/env node
/**
 * The tunnel soak of `npm run bench` (issue 18 §5; scripts/bench/README.md "Load"): one
 * `ncli console tunnel vm1 --local 0` to the real cloud's nova-novncproxy (console tokens live
 * 30 s there: scripts/cloud/templates/nova.conf `[consoleauth] token_ttl = 30`), and
 * BENCH_SOAK_VIEWERS (8) RFB viewers through it for BENCH_SOAK_SECONDS (60 for routine runs; the
 * issue's figure is 600). Each viewer speaks RFB 3.8 itself (security None, raw encoding only),
 * asks for the whole screen BENCH_SOAK_FPS (1) times a second and parses every byte it receives
 * (message types, rectangles inside the screen, exact lengths), composing the frames; the
 * screen is static, so each frame's hash is compared with the first. Each viewer disconnects and
 * connects again every BENCH_SOAK_RECONNECT seconds (45, staggered), i.e. after the last token
 * expired, so the tunnel must ask Nova for fresh ones; with BENCH_SOAK_STAGGER=0 all viewers
 * reconnect at the same moment (a burst of connections with one expired token, which a loaded
 * nova-novncproxy refuses seconds after the upgrade). The tunnel's RSS (VmRSS) is sampled every
 * second; the report gives its first and last minute, the slope, and VmHWM, and the console URLs
 * the tunnel asked of Nova (one at start, then about one per burst of expired-token refusals).
 *
 *   node scripts/bench/soak.mjs            # alone (the cloud up; NCLI_CLOUD_DIR)
 *   BENCH_SOAK_DEBUG=1 …                   # the tunnel with --debug; its stderr goes to bench/results/
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { procCpu } from './procs.mjs';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const NCLI = join(ROOT, 'bin/ncli');
const CLOUD_DIR = process.env.NCLI_CLOUD_DIR || '/tmp/ncli-cloud';
const num = (k, d) => (process.env[k] ? Number(process.env[k]) : d);
const MiB = 1024 * 1024;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n ? (n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2) : NaN;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Reads exact byte counts from a socket; counts every byte. */
class Reader {
  constructor(sock) {
    this.buf = Buffer.alloc(0);
    this.waiter = undefined;
    this.error = undefined;
    this.bytes = 0;
    sock.on('data', (d) => {
      this.bytes += d.length;
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      this.wake();
    });
    const fail = (e) => {
      this.error ??= e;
      this.wake();
    };
    sock.on('error', fail);
    sock.on('close', () => fail(new Error('the connection closed')));
  }
  wake() {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
  async read(n) {
    while (this.buf.length < n) {
      if (this.error) throw this.error;
      await new Promise((r) => (this.waiter = r));
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }
}

/** One RFB session: handshake, then full-screen frames until `until`; every byte parsed. */
async function session(port, until, fps, st) {
  const sock = net.connect(port, '127.0.0.1');
  sock.setNoDelay(true);
  const r = new Reader(sock);
  try {
    const version = (await r.read(12)).toString('latin1');
    if (!/^RFB 003\.00[378]\n$/.test(version)) throw new Error(`not RFB: ${JSON.stringify(version)}`);
    sock.write('RFB 003.008\n');
    const n = (await r.read(1))[0];
    if (n === 0) {
      const len = (await r.read(4)).readUInt32BE(0);
      throw new Error(`refused: ${(await r.read(len)).toString('utf8')}`);
    }
    const types = [...(await r.read(n))];
    if (!types.includes(1)) throw new Error(`no security type None (offered ${types.join(',')})`);
    sock.write(Buffer.from([1]));
    const result = (await r.read(4)).readUInt32BE(0);
    if (result !== 0) throw new Error(`security result ${result}`);
    sock.write(Buffer.from([1])); // ClientInit, shared
    const init = await r.read(24);
    const w = init.readUInt16BE(0);
    const h = init.readUInt16BE(2);
    const bpp = init[4] / 8;
    const name = (await r.read(init.readUInt32BE(20))).toString('utf8');
    if (!w || !h || ![1, 2, 4].includes(bpp)) throw new Error(`bad ServerInit ${w}x${h} bpp ${bpp * 8}`);
    st.screen = `${w}x${h} ${bpp * 8} bpp "${name}"`;
    // SetEncodings: raw only
    const enc = Buffer.alloc(8);
    enc.writeUInt8(2, 0);
    enc.writeUInt16BE(1, 2);
    enc.writeInt32BE(0, 4);
    sock.write(enc);
    const fb = Buffer.alloc(w * h * bpp);
    const req = Buffer.alloc(10);
    req.writeUInt8(3, 0);
    req.writeUInt8(0, 1); // not incremental: the whole screen each time
    req.writeUInt16BE(w, 6);
    req.writeUInt16BE(h, 8);
    while (Date.now() < until) {
      const t0 = Date.now();
      sock.write(req);
      // read messages until one FramebufferUpdate has come
      for (;;) {
        const type = (await r.read(1))[0];
        if (type === 0) {
          const nrects = (await r.read(3)).readUInt16BE(1);
          for (let i = 0; i < nrects; i++) {
            const rh = await r.read(12);
            const [x, y, rw, rhh, e] = [
              rh.readUInt16BE(0),
              rh.readUInt16BE(2),
              rh.readUInt16BE(4),
              rh.readUInt16BE(6),
              rh.readInt32BE(8),
            ];
            if (e !== 0) throw new Error(`encoding ${e} was not asked for`);
            if (x + rw > w || y + rhh > h) throw new Error(`rectangle ${rw}x${rhh}+${x}+${y} outside ${w}x${h}`);
            const px = await r.read(rw * rhh * bpp);
            for (let row = 0; row < rhh; row++) {
              px.copy(fb, ((y + row) * w + x) * bpp, row * rw * bpp, (row + 1) * rw * bpp);
            }
          }
          break;
        } else if (type === 1) {
          const hd = await r.read(5);
          await r.read(hd.readUInt16BE(3) * 6);
        } else if (type === 2) {
          /* bell */
        } else if (type === 3) {
          const len = (await r.read(7)).readUInt32BE(3);
          await r.read(len);
        } else throw new Error(`unknown server message type ${type}`);
      }
      const hash = createHash('sha1').update(fb).digest('hex');
      st.first ??= hash;
      st.frames++;
      if (hash !== st.first) st.changed++;
      const wait = 1000 / fps - (Date.now() - t0);
      if (wait > 0) await sleep(Math.min(wait, until - Date.now()));
    }
    st.sessions++;
  } finally {
    st.bytes += r.bytes;
    sock.destroy();
  }
}

/** The soak; returns its figures. */
export async function soakBench({ log = (s) => process.stderr.write(`[soak] ${s}\n`) } = {}) {
  const viewers = num('BENCH_SOAK_VIEWERS', 8);
  const seconds = num('BENCH_SOAK_SECONDS', 60);
  const fps = num('BENCH_SOAK_FPS', 1);
  const reconnect = num('BENCH_SOAK_RECONNECT', 45);
  const stagger = num('BENCH_SOAK_STAGGER', 1) !== 0;
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(OS_|XDG_CACHE_HOME$)/.test(k)) env[k] = v;
  const tmp = mkdtempSync(join(tmpdir(), 'ncli-soak-'));
  Object.assign(env, {
    OS_CLIENT_CONFIG_FILE: join(CLOUD_DIR, 'clouds.yaml'),
    OS_CLOUD: 'devcloud',
    XDG_CACHE_HOME: tmp,
  });
  const debug = process.env.BENCH_SOAK_DEBUG === '1' ? ['--debug'] : [];
  const tun = spawn(process.execPath, [NCLI, '--timings', ...debug, 'console', 'tunnel', 'vm1', '--local', '0'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  tun.stdout.on('data', (d) => (out += d));
  tun.stderr.on('data', (d) => (err = (err + d).slice(-200_000)));
  try {
    const port = await new Promise((res, rej) => {
      const t = setTimeout(() => rej(new Error(`no "Forwarding from" line: ${err.slice(-300)}`)), 60_000);
      tun.stdout.on('data', () => {
        const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out);
        if (m) {
          clearTimeout(t);
          res(Number(m[1]));
        }
      });
      tun.once('exit', (c) => rej(new Error(`the tunnel exited ${c}: ${err.slice(-300)}`)));
    });
    log(
      `${viewers} viewers for ${seconds} s through the tunnel on port ${port} (${fps} frame/s each, reconnecting every ${reconnect} s${stagger ? ', staggered' : ', all at once'})`,
    );
    const rss = [];
    const cpu0 = procCpu(tun.pid);
    const sampler = setInterval(() => {
      try {
        const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${tun.pid}/status`, 'utf8'));
        if (m) rss.push({ t: rss.length, mib: Number(m[1]) / 1024 });
      } catch {
        /* gone */
      }
    }, 1000);
    const deadline = Date.now() + seconds * 1000;
    const stats = Array.from({ length: viewers }, () => ({ frames: 0, changed: 0, bytes: 0, sessions: 0, errors: [] }));
    await Promise.all(
      stats.map(async (st, i) => {
        // staggered: viewer i's first session is shorter, so reconnections spread over time
        let until = Math.min(deadline, Date.now() + ((reconnect * (stagger ? i + 1 : viewers)) / viewers) * 1000);
        while (Date.now() < deadline) {
          try {
            await session(port, until, fps, st);
          } catch (e) {
            st.errors.push(`${new Date().toISOString()} ${e.message}`);
            await sleep(1000);
          }
          until = Math.min(deadline, Date.now() + reconnect * 1000);
        }
      }),
    );
    clearInterval(sampler);
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${tun.pid}/status`, 'utf8'));
    const cpu = procCpu(tun.pid) - cpu0;
    tun.kill('SIGINT');
    await new Promise((r) => tun.once('exit', r));
    // the tunnel's stderr (its --timings table; with BENCH_SOAK_DEBUG=1 every dial and refresh), for diagnosis
    const tunnelLog = join(ROOT, 'bench/results', `soak-tunnel-${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(tunnelLog, err);
    const consoles = (err.match(/POST\s*[│|]\s*\S*remote-consoles/g) || []).length;
    const mib = rss.map((x) => x.mib);
    const win = Math.min(60, Math.max(5, Math.floor(mib.length / 5)));
    // least-squares slope of RSS over time, after the first window (start-up)
    const tail = rss.slice(win);
    const mt = tail.reduce((a, x) => a + x.t, 0) / tail.length;
    const mm = tail.reduce((a, x) => a + x.mib, 0) / tail.length;
    const slope =
      tail.reduce((a, x) => a + (x.t - mt) * (x.mib - mm), 0) / tail.reduce((a, x) => a + (x.t - mt) ** 2, 0);
    return {
      viewers,
      seconds,
      fps,
      reconnect,
      stagger,
      screen: stats.find((s) => s.screen)?.screen,
      frames: stats.reduce((a, s) => a + s.frames, 0),
      changedFrames: stats.reduce((a, s) => a + s.changed, 0),
      bytes: stats.reduce((a, s) => a + s.bytes, 0),
      sessions: stats.reduce((a, s) => a + s.sessions, 0),
      errors: stats.flatMap((s) => s.errors).sort(),
      tunnelLog,
      consoleRequests: consoles,
      handled: (out.match(/^Handling connection for/gm) || []).length,
      rss: {
        samples: mib.length,
        firstWindowMiB: median(mib.slice(0, win)),
        lastWindowMiB: median(mib.slice(-win)),
        windowSeconds: win,
        min: Math.min(...mib),
        max: Math.max(...mib),
        hwmMiB: hwm ? Number(hwm[1]) / 1024 : NaN,
        slopeMiBPerMin: slope * 60,
      },
      cpuSeconds: cpu,
    };
  } finally {
    if (tun.exitCode === null) tun.kill('SIGTERM');
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The report's Markdown. */
export function renderSoak(s) {
  const r = s.rss;
  return [
    `## Tunnel soak: ${s.viewers} viewers × ${s.seconds} s through nova-novncproxy (tokens live 30 s; each viewer reconnects every ${s.reconnect} s, ${s.stagger ? 'staggered' : 'all at once'})`,
    '',
    `- screen ${s.screen}; ${s.frames} full frames (${(s.bytes / MiB).toFixed(0)} MiB) parsed byte by byte, ${s.changedFrames} differing from the first; ${s.sessions} sessions, ${s.handled} connections handled by the tunnel, ${s.consoleRequests} console URLs asked of Nova; errors: ${s.errors.length}${s.errors.length ? ` (first: ${s.errors[0]})` : ''}`,
    `- tunnel RSS (1 sample/s, ${r.samples}): first ${r.windowSeconds} s median ${r.firstWindowMiB.toFixed(1)} MiB, last ${r.windowSeconds} s median ${r.lastWindowMiB.toFixed(1)} MiB, min–max ${r.min.toFixed(1)}–${r.max.toFixed(1)} MiB, slope ${r.slopeMiBPerMin.toFixed(2)} MiB/min, VmHWM ${r.hwmMiB.toFixed(1)} MiB; tunnel CPU ${s.cpuSeconds.toFixed(1)} s`,
    '',
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const s = await soakBench();
  process.stdout.write('\n' + renderSoak(s));
}
