#!/usr/bin/env node
/**
 * A/B loop for the console tunnel's bulk throughput (issue 12), standalone (no cloud needed):
 * a `tunnel-peers.mjs source bulk` TCP source behind a real `websockify`, read through
 *
 *   - `ws`: a direct WebSocket client of websockify (the `ws` package), and
 *   - one or more tunnels (`ncli console tunnel --url ws://…/ --local 0`, warm: started once),
 *
 * interleaved (the order rotates every round, so that load from elsewhere hits every path alike).
 * Per path it prints the throughput of every run, the median and best, the ratio to the direct
 * client (per round and of the medians / of the bests), the tunnel process's CPU seconds per GiB
 * (utime + stime from /proc/PID/stat, before/after each run) and the reader's.
 *
 *   node scripts/bench/tunnel-ab.mjs [--bytes N] [--rounds N] [--tunnel NAME=PATH/TO/bin/ncli]...
 *       [--node-arg ARG]... [--json]
 *
 * Default: 512 MiB per run, 5 rounds, one tunnel `tunnel` = this checkout's bin/ncli. Several
 * `--tunnel` compare builds (e.g. a copy of main's dist/ against this one) under the same load.
 * `--node-arg` is passed to every tunnel's node (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`; the
 * profile is written when the script stops the tunnel with SIGINT at the end).
 */
import { fileURLToPath } from 'node:url';
import { firstLine, freePort, procCpu, startTracked, waitPort } from './procs.mjs';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PEERS = `${HERE}tunnel-peers.mjs`;
const MiB = 1024 * 1024;

const args = process.argv.slice(2);
const tunnels = [];
const nodeArgs = [];
let bytes = 512 * MiB;
let rounds = 5;
let json = false;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--bytes') bytes = Number(args[++i]);
  else if (a === '--rounds') rounds = Number(args[++i]);
  else if (a === '--tunnel') {
    const [name, bin] = args[++i].split('=');
    tunnels.push({ name, bin });
  } else if (a === '--node-arg') nodeArgs.push(args[++i]);
  else if (a === '--json') json = true;
  else {
    process.stderr.write(`unknown argument ${a}\n`);
    process.exit(2);
  }
}
if (tunnels.length === 0) tunnels.push({ name: 'tunnel', bin: `${ROOT}bin/ncli` });

const children = [];
function start(argv) {
  return startTracked(children, argv);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function reader(kind, target) {
  const p = start(['node', PEERS, 'bulk', kind, target, String(bytes)]);
  let out = '';
  p.stdout.on('data', (d) => (out += d));
  const code = await new Promise((res) => p.once('exit', res));
  if (code !== 0) throw new Error(`reader exited ${code}: ${p.stderrText.slice(-300)}`);
  return JSON.parse(out.trim().split('\n').pop());
}
const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const src = start(['node', PEERS, 'source', 'bulk']);
const srcPort = JSON.parse((await firstLine(src, /\{.*\}\n/))[0]).port;
const wsPort = await freePort();
const wsf = start(['websockify', `127.0.0.1:${wsPort}`, `127.0.0.1:${srcPort}`]);
await waitPort(wsPort);
const url = `ws://127.0.0.1:${wsPort}/`;

const paths = [{ name: 'ws', kind: 'ws', target: url }];
for (const t of tunnels) {
  const p = start(['node', ...nodeArgs, t.bin, 'console', 'tunnel', '--url', url, '--local', '0']);
  const m = await firstLine(p, /Forwarding from 127\.0\.0\.1:(\d+)/);
  paths.push({ name: t.name, kind: 'tcp', target: `127.0.0.1:${m[1]}`, proc: p });
}
// warm every tunnel (JIT, first connection) with a short run
for (const p of paths.slice(1)) await readerWarm(p);
async function readerWarm(p) {
  const saved = bytes;
  bytes = 64 * MiB;
  await reader(p.kind, p.target);
  bytes = saved;
}

const res = Object.fromEntries(
  paths.map((p) => [p.name, { mibps: [], tunnelCpu: [], tunnelSys: [], readerCpu: [], wsfCpu: [], srcCpu: [] }]),
);
const ratios = Object.fromEntries(paths.slice(1).map((p) => [p.name, []]));
for (let r = 0; r < rounds; r++) {
  const order = paths.map((_, i) => paths[(i + r) % paths.length]);
  const round = {};
  for (const p of order) {
    const t0 = p.proc ? procCpu(p.proc.pid) : 0;
    const ts0 = p.proc ? procCpu(p.proc.pid, false, true) : 0;
    const w0 = procCpu(wsf.pid, true);
    const s0 = procCpu(src.pid);
    const out = await reader(p.kind, p.target);
    await sleep(300); // websockify reaps its per-connection child
    if (!out.ok) throw new Error(`${p.name}: data check FAILED after ${out.bytes} bytes`);
    const gib = out.bytes / (1024 * MiB);
    const e = res[p.name];
    e.mibps.push(out.bytes / MiB / out.seconds);
    e.readerCpu.push(out.cpuSeconds / gib);
    e.wsfCpu.push((procCpu(wsf.pid, true) - w0) / gib);
    e.srcCpu.push((procCpu(src.pid) - s0) / gib);
    if (p.proc) {
      e.tunnelCpu.push((procCpu(p.proc.pid) - t0) / gib);
      e.tunnelSys.push((procCpu(p.proc.pid, false, true) - ts0) / gib);
    }
    round[p.name] = out.bytes / MiB / out.seconds;
  }
  for (const p of paths.slice(1)) ratios[p.name].push(round[p.name] / round.ws);
  if (!json) {
    process.stdout.write(
      `round ${r + 1}: ` +
        paths
          .map(
            (p) =>
              `${p.name} ${round[p.name].toFixed(0)} MiB/s` +
              (p.proc
                ? ` (×${(round[p.name] / round.ws).toFixed(3)}, ${res[p.name].tunnelCpu.at(-1).toFixed(2)} s/GiB)`
                : ''),
          )
          .join(', ') +
        '\n',
    );
  }
}

const summary = {};
for (const p of paths) {
  const e = res[p.name];
  summary[p.name] = {
    medianMiBps: median(e.mibps),
    bestMiBps: Math.max(...e.mibps),
    runsMiBps: e.mibps.map((x) => Math.round(x)),
    readerCpuSPerGiB: median(e.readerCpu),
    websockifyCpuSPerGiB: median(e.wsfCpu),
    sourceCpuSPerGiB: median(e.srcCpu),
    ...(p.proc
      ? {
          tunnelCpuSPerGiB: median(e.tunnelCpu),
          tunnelSysCpuSPerGiB: median(e.tunnelSys),
          tunnelCpuRuns: e.tunnelCpu.map((x) => Number(x.toFixed(2))),
          ratioOfMedians: median(e.mibps) / summary.ws.medianMiBps,
          ratioOfBests: Math.max(...e.mibps) / summary.ws.bestMiBps,
          medianRoundRatio: median(ratios[p.name]),
          roundRatios: ratios[p.name].map((x) => Number(x.toFixed(3))),
        }
      : {}),
  };
}
if (json) process.stdout.write(JSON.stringify({ bytes, rounds, summary }, null, 2) + '\n');
else {
  for (const [name, s] of Object.entries(summary)) {
    process.stdout.write(
      `${name.padEnd(10)} median ${s.medianMiBps.toFixed(0)} MiB/s, best ${s.bestMiBps.toFixed(0)} MiB/s; reader ${s.readerCpuSPerGiB.toFixed(2)} s/GiB, websockify ${s.websockifyCpuSPerGiB.toFixed(2)}, source ${s.sourceCpuSPerGiB.toFixed(2)} s/GiB` +
        (s.tunnelCpuSPerGiB !== undefined
          ? `; tunnel ${s.tunnelCpuSPerGiB.toFixed(2)} s/GiB (sys ${s.tunnelSysCpuSPerGiB.toFixed(2)}); ratio median ${s.ratioOfMedians.toFixed(3)}, best ${s.ratioOfBests.toFixed(3)}, per round ${s.roundRatios.join(' ')}`
          : '') +
        '\n',
    );
  }
}

for (const p of paths) if (p.proc) p.proc.kill('SIGINT');
await sleep(1500);
for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
process.exit(0);
