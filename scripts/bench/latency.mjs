#!/usr/bin/env node
/**
 * The far-away-cloud case of `npm run bench` (issue 18 §2; scripts/bench/README.md "Far-away
 * clouds"): every client talks to the local cloud through a delaying TCP proxy
 * (latency-proxy.mjs) that adds BENCH_LATENCY_MS (default 25) each way, i.e. a round trip time
 * (RTT) of 2×that, and is compared with the minimum a client could reach:
 *
 *     minimum = local floor + round trips the command needs × RTT
 *
 * where the local floor is ncli warm on the same path with a zero delay, and the round trips
 * are counted by hand from what the command must ask (see ROUND_TRIPS). ncli warm (primed
 * cache), ncli cold (empty cache each run), openstack and nova run interleaved, in the same
 * rounds. ncli's requests (`--timings`) and the TCP connections each run opened (the proxy's
 * count) are reported next to the times.
 *
 * Clients reach 127.0.0.1:PORT inside a network namespace of the proxy (`nsenter -n`), so the
 * clouds.yaml entry this case writes (in its own temp folder, never in the harness's) is the
 * cloud's own `devcloud` one under another name, and the catalog's URLs need no rewriting.
 * Needs root (unshare, nsenter), as run.sh does.
 *
 * Knobs: BENCH_LATENCY_MS (one-way delay, default 25), BENCH_LATENCY_RUNS (default 5; 3 with
 * BENCH_QUICK=1), BENCH_LATENCY_PEER_RUNS (openstack, nova; default 3),
 * BENCH_LATENCY_CASES=server-list,… (a subset), NCLI_CLOUD_DIR.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const NCLI = join(ROOT, 'bin/ncli');
const PROXY = join(ROOT, 'scripts/bench/latency-proxy.mjs');
const CLOUD_DIR = process.env.NCLI_CLOUD_DIR || '/tmp/ncli-cloud';
const QUICK = process.env.BENCH_QUICK === '1';
const num = (k, d) => (process.env[k] ? Number(process.env[k]) : d);
const DELAY = num('BENCH_LATENCY_MS', 25);
const RTT = (2 * DELAY) / 1000;
const RUNS = num('BENCH_LATENCY_RUNS', QUICK ? 3 : 5);
const PEER_RUNS = num('BENCH_LATENCY_PEER_RUNS', QUICK ? 2 : 3);
const STOP_SERVER = 'bench-lat-stop';
const PROJECT = process.env.BENCH_PROJECT || 'bench';

const median = (all) => {
  const s = all.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  const n = s.length;
  return n ? (n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2) : NaN;
};
const ms = (s) => (s === undefined || Number.isNaN(s) ? 'n/a' : `${(s * 1000).toFixed(0)} ms`);
const x = (r) => (Number.isFinite(r) ? `${r.toFixed(2)}×` : 'n/a');

/**
 * Round trips a command needs at the least, warm (token, catalog and version document cached):
 * `tcp` connections opened one after the other (1: Nova; requests sent together share one
 * handshake round), then `requests` rounds of requests that depend on each other. Cold adds
 * Keystone's connection and `POST /v3/auth/tokens`, and Nova's version document: 3 more (and for
 * `server list`, Glance's connection and the image names: 2 more).
 * - server list: one round per page of `GET /servers/detail` (Nova's max_limit: read from the run);
 *   image names come from the names cache (a day).
 * - flavor list: one round per page of `GET /flavors/detail`.
 * - server show NAME: one round: `GET /servers/detail?name=^NAME$` together with `GET
 *   /servers/{id}` for the ID the names cache holds (the detail list lacks `server_groups`, 2.71).
 * - console get-vnc NAME: the name search, then `POST /servers/{id}/remote-consoles` (a POST is
 *   not sent before its server is known).
 * - server stop NAME --wait: the name search, the POST, and the poll that sees SHUTOFF (Nova's
 *   own time to stop is in the local floor).
 */
const CASES = [
  {
    id: 'server-list',
    ncli: ['server', 'list'],
    openstack: ['server', 'list', '--limit', '-1'],
    nova: ['list', '--limit', '-1'],
    rounds: (pages) => 1 + pages.servers,
    coldExtra: 5,
  },
  {
    id: 'flavor-list',
    ncli: ['flavor', 'list'],
    openstack: ['flavor', 'list'],
    nova: ['flavor-list'],
    rounds: (pages) => 1 + pages.flavors,
    coldExtra: 3,
  },
  {
    id: 'server-show',
    ncli: ['server', 'show', 'vm1'],
    openstack: ['server', 'show', 'vm1'],
    nova: ['show', 'vm1'],
    rounds: () => 2,
    coldExtra: 4, // cold: no names cache, so the GET by ID waits for the search
  },
  {
    id: 'console-get-vnc',
    ncli: ['console', 'get-vnc', 'vm1'],
    openstack: ['console', 'url', 'show', '--novnc', 'vm1'],
    nova: ['get-vnc-console', 'vm1', 'novnc'],
    rounds: () => 3,
    coldExtra: 3,
  },
  {
    id: 'server-stop-wait',
    bench: true,
    ncli: ['server', 'stop', STOP_SERVER, '--wait'],
    // neither Python client can wait for a stop: the loop an operator writes
    openstack: [
      'bash',
      '-c',
      `openstack server stop ${STOP_SERVER} && until [ "$(openstack server show ${STOP_SERVER} -f value -c status)" = SHUTOFF ]; do sleep 1; done`,
    ],
    nova: [
      'bash',
      '-c',
      `nova stop ${STOP_SERVER} >/dev/null && until nova show ${STOP_SERVER} | grep -qE '^\\| status +\\| SHUTOFF'; do sleep 1; done`,
    ],
    rounds: () => 4,
    coldExtra: 3,
  },
];

/** The cloud's `devcloud` entry, its openrc variables, and every port of its catalog and auth URL. */
async function cloudFacts() {
  const yaml = YAML.parse(readFileSync(join(CLOUD_DIR, 'clouds.yaml'), 'utf8'));
  const entry = yaml.clouds.devcloud;
  const openrc = {};
  for (const line of readFileSync(join(CLOUD_DIR, 'openrc'), 'utf8').split('\n')) {
    const m = /^export (OS_[A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) openrc[m[1]] = m[2].replace(/^['"]|['"]$/g, '');
  }
  const a = entry.auth;
  const res = await fetch(`${a.auth_url.replace(/\/$/, '')}/auth/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: {
          methods: ['password'],
          password: {
            user: { name: a.username, password: a.password, domain: { name: a.user_domain_name || 'Default' } },
          },
        },
        scope: { project: { name: a.project_name, domain: { name: a.project_domain_name || 'Default' } } },
      },
    }),
  });
  if (!res.ok) throw new Error(`Keystone answered ${res.status} to the bench's login`);
  const { token } = await res.json();
  const ports = new Set([Number(new URL(a.auth_url).port || 80)]);
  for (const svc of token.catalog) for (const ep of svc.endpoints) ports.add(Number(new URL(ep.url).port || 80));
  return { entry, openrc, ports: [...ports].sort((p, q) => p - q) };
}

/** Starts a process and resolves once it printed `ready`; its stdout lines go to `onLine`. */
function startReady(argv, onLine = () => {}) {
  const p = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  p.stderr.on('data', (d) => (err = (err + d).slice(-2000)));
  return new Promise((res, rej) => {
    let buf = '';
    let ready = false;
    p.stdout.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line === 'ready' && !ready) {
          ready = true;
          res(p);
        } else onLine(line);
      }
    });
    p.once('exit', (c) => !ready && rej(new Error(`${argv.join(' ')} exited ${c}: ${err.trim()}`)));
  });
}

/**
 * Runs the case; returns every figure. `log` prints progress.
 * @returns {Promise<{delayMs: number, rttMs: number, rows: object[], notes: string[]}>}
 */
export async function latencyBench({ log = (s) => process.stderr.write(`[latency] ${s}\n`) } = {}) {
  const notes = [];
  const facts = await cloudFacts();
  const tmp = mkdtempSync(join(tmpdir(), 'ncli-latency-'));
  const children = [];
  try {
    // the clouds.yaml entry through the proxy: devcloud's, as seen from the proxy's namespace
    const far = structuredClone(facts.entry);
    const farBench = structuredClone(facts.entry);
    farBench.auth.project_name = PROJECT;
    const cloudsYaml = join(tmp, 'clouds.yaml');
    writeFileSync(cloudsYaml, YAML.stringify({ clouds: { far, 'far-bench': farBench } }), { mode: 0o600 });
    const base = {};
    for (const [k, v] of Object.entries(process.env)) if (!/^(OS_|XDG_CACHE_HOME$)/.test(k)) base[k] = v;
    const cloudEnv = (bench) => ({ ...base, OS_CLIENT_CONFIG_FILE: cloudsYaml, OS_CLOUD: bench ? 'far-bench' : 'far' });
    const novaEnv = (bench) => ({ ...base, ...facts.openrc, ...(bench ? { OS_PROJECT_NAME: PROJECT } : {}) });
    const directEnv = (bench) => ({ ...novaEnv(bench), XDG_CACHE_HOME: join(tmp, 'cache-direct') });

    log(
      `proxy on ports ${facts.ports.join(' ')}: ${DELAY} ms each way (RTT ${DELAY * 2} ms), and 0 ms (the local floor)`,
    );
    const socks = join(tmp, 'socks');
    children.push(await startReady([process.execPath, PROXY, 'host', socks, ...facts.ports]));
    const conns = { far: 0, near: 0 };
    let busyWaiter;
    const inner = async (name, delay) => {
      const argv = ['unshare', '-n', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"'];
      const p = await startReady(
        [...argv, process.execPath, PROXY, 'inner', socks, String(delay), ...facts.ports],
        (l) => {
          if (l.startsWith('conn ')) conns[name]++;
          else if (l.startsWith('busy ')) busyWaiter?.(Number(l.slice(5)) / 1000);
        },
      );
      children.push(p);
      return p.pid;
    };
    const settle = () => new Promise((r) => setTimeout(r, 30));
    const ns = { far: await inner('far', DELAY), near: await inner('near', 0) };
    const inNs = (where, argv) => ['nsenter', '-t', String(ns[where]), '-n', ...argv];

    /** One timed run: wall seconds, output, TCP connections it opened. */
    const timed = async (where, argv, env, opts = { lenient: true }) => {
      await settle();
      const before = conns[where];
      const t0 = performance.now();
      const once = () =>
        spawnSync(argv[0], argv.slice(1), { env, cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 600_000 });
      let r = once();
      let wall = (performance.now() - t0) / 1000;
      if (r.status !== 0) {
        // a blip of the shared cloud (a service restarting): once more, after a pause
        log(`retrying once: ${argv.slice(-4).join(' ')}: ${(r.stderr || '').trim().split('\n').at(-1)}`);
        await new Promise((res) => setTimeout(res, 3000));
        const t1 = performance.now();
        r = once();
        wall = (performance.now() - t1) / 1000;
      }
      if (r.status !== 0) {
        const e = new Error(
          `${argv.join(' ')} exited ${r.status}: ${(r.stderr || '').trim().split('\n').slice(-2).join(' | ')}`,
        );
        if (!opts.lenient) throw e;
        // a measured run that failed twice: a missing figure (noted), not the end of the case
        notes.push(e.message.slice(0, 300));
        await settle();
        if (where === 'far')
          await new Promise((res) => {
            busyWaiter = res;
            process.kill(ns.far, 'SIGUSR2');
          });
        return { wall: NaN, out: '', err: '', conns: NaN, busy: NaN };
      }
      // the proxy's `conn` lines wait in its pipe while spawnSync blocks: let them in
      await settle();
      // the time this run had bytes in flight (far only): its round trips, whatever the CPU load
      const busy =
        where === 'far'
          ? await new Promise((res) => {
              busyWaiter = res;
              process.kill(ns.far, 'SIGUSR2');
            })
          : 0;
      return { wall, out: r.stdout, err: r.stderr, conns: conns[where] - before, busy };
    };

    // the server `server stop --wait` stops: in the bench project, ACTIVE before every run
    const ncliDirect = (args) => [process.execPath, NCLI, ...args];
    const wanted = (process.env.BENCH_LATENCY_CASES || '').split(',').filter(Boolean);
    const cases = CASES.filter((c) => !wanted.length || wanted.includes(c.id));
    if (cases.some((c) => c.bench)) {
      const have = spawnSync(
        process.execPath,
        [NCLI, 'server', 'list', '--name', `^${STOP_SERVER}$`, '-f', 'value', '-c', 'ID'],
        {
          env: directEnv(true),
          encoding: 'utf8',
        },
      );
      if (!have.stdout.trim()) {
        log(`creating ${STOP_SERVER} in project ${PROJECT}`);
        await timed(
          'near',
          ncliDirect([
            'server',
            'create',
            STOP_SERVER,
            '--image',
            'devcloud-image',
            '--flavor',
            'm1.tiny',
            '--network',
            'none',
            '--wait',
          ]),
          directEnv(true),
          { lenient: false },
        );
      }
    }
    const startStopServer = () =>
      spawnSync(process.execPath, [NCLI, 'server', 'start', STOP_SERVER, '--wait'], {
        env: directEnv(true),
        encoding: 'utf8',
      });

    const warmDir = join(tmp, 'cache-warm');
    const nearDir = join(tmp, 'cache-near');
    const rows = [];
    for (const c of cases) {
      log(`${c.id}: ${RUNS} rounds`);
      const prep = c.bench ? startStopServer : () => {};
      const ncliArgv = (where) => inNs(where, [process.execPath, NCLI, ...c.ncli]);
      const warmEnv = { ...cloudEnv(c.bench), XDG_CACHE_HOME: warmDir };
      const nearEnv = { ...cloudEnv(c.bench), XDG_CACHE_HOME: nearDir };
      // prime both warm caches (token, catalog, version document, names), and read ncli's requests
      for (const [where, env] of [
        ['far', warmEnv],
        ['near', nearEnv],
      ]) {
        prep();
        await timed(where, ncliArgv(where), env);
      }
      prep();
      const t = await timed('far', inNs('far', [process.execPath, NCLI, '--timings', ...c.ncli]), warmEnv);
      const requests = t.err
        .split('\n')
        .filter((l) => /^[|│]\s*(GET|POST|PUT|DELETE|HEAD|PATCH)\s/.test(l))
        .map((l) =>
          l
            .split(/[|│]/)
            .map((s) => s.trim())
            .filter(Boolean)
            .slice(0, 3)
            .join(' '),
        );
      const pages = {
        servers: requests.filter((r) => /\/servers\/detail\?(?!.*name=)|\/servers\/detail$/.test(r.split(' ')[1] ?? ''))
          .length,
        flavors: requests.filter((r) => /\/flavors\/detail/.test(r)).length,
      };
      const res = {
        warm: [],
        warmConns: [],
        warmBusy: [],
        near: [],
        cold: [],
        coldConns: [],
        coldBusy: [],
        openstack: [],
        nova: [],
      };
      for (let i = 0; i < RUNS; i++) {
        prep();
        let r = await timed('near', ncliArgv('near'), nearEnv);
        res.near.push(r.wall);
        prep();
        r = await timed('far', ncliArgv('far'), warmEnv);
        res.warm.push(r.wall);
        res.warmConns.push(r.conns);
        res.warmBusy.push(r.busy);
        const cold = join(tmp, `cache-cold-${i}`);
        prep();
        r = await timed('far', ncliArgv('far'), { ...cloudEnv(c.bench), XDG_CACHE_HOME: cold });
        res.cold.push(r.wall);
        res.coldConns.push(r.conns);
        res.coldBusy.push(r.busy);
        rmSync(cold, { recursive: true, force: true });
        if (i < PEER_RUNS) {
          prep();
          const osArgv = c.openstack[0] === 'bash' ? c.openstack : ['openstack', ...c.openstack];
          // a Python client's failure (a cloud blip twice) is a missing figure, not the end of the case
          const peer = (argv, env) =>
            timed('far', inNs('far', argv), env).then(
              (r) => r.wall,
              (e) => (notes.push(`${c.id}: ${e.message.slice(0, 200)}`), NaN),
            );
          res.openstack.push(await peer(osArgv, cloudEnv(c.bench)));
          prep();
          const novaArgv = c.nova[0] === 'bash' ? c.nova : ['nova', ...c.nova];
          res.nova.push(await peer(novaArgv, novaEnv(c.bench)));
        }
      }
      prep();
      const floor = median(res.near);
      const rounds = c.rounds(pages);
      const min = floor + rounds * RTT;
      const minCold = floor + (rounds + c.coldExtra) * RTT;
      const row = {
        id: c.id,
        command: `ncli ${c.ncli.join(' ')}`,
        rounds,
        floor,
        min,
        warm: median(res.warm),
        minCold,
        cold: median(res.cold),
        openstack: median(res.openstack),
        nova: median(res.nova),
        warmConns: median(res.warmConns),
        coldConns: median(res.coldConns),
        requests,
        runs: res,
      };
      row.ratio = row.warm / min;
      // paired: what the delay added to each warm run over the local run next to it (steadier
      // than two medians on a busy machine), in RTTs: the round trips ncli actually waited for
      row.addedWarm = median(res.warm.map((w, i) => w - res.near[i]));
      row.rttsUsed = row.addedWarm / RTT;
      row.pairedRatio = (floor + row.addedWarm) / min;
      // CPU-independent: the time bytes were in flight (the proxy's union of hold windows), in RTTs
      row.rttsWarm = median(res.warmBusy) / RTT;
      row.rttsCold = median(res.coldBusy) / RTT;
      row.coldNeeded = rounds + c.coldExtra;
      row.projected = (floor + row.rttsWarm * RTT) / min;
      rows.push(row);
      log(
        `${c.id}: warm ${ms(row.warm)} (min ${ms(min)}, ${x(row.ratio)}), cold ${ms(row.cold)}, openstack ${ms(row.openstack)}, nova ${ms(row.nova)}`,
      );
    }
    return { delayMs: DELAY, rttMs: 2 * DELAY, runs: RUNS, peerRuns: PEER_RUNS, rows, notes };
  } finally {
    for (const p of children) p.kill('SIGTERM');
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The report's Markdown table. */
export function renderLatency(r) {
  const lines = [
    `## Far-away cloud: ${r.rttMs} ms RTT (${r.delayMs} ms each way), medians of ${r.runs} runs (openstack, nova: ${r.peerRuns})`,
    '',
    'minimum = local floor (ncli warm, 0 ms added) + round trips needed × RTT; target: ncli warm ≤ 1.1× minimum',
    '',
    '| command | round trips needed | local floor | minimum | ncli warm | ÷ min | RTTs in flight, warm | floor + those ÷ min | TCP conns | ncli cold | RTTs cold (needed) | openstack | nova |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const w of r.rows) {
    const mark = (v) => `${x(v)}${v <= 1.1 ? '' : ' ✗'}`;
    lines.push(
      `| \`${w.command}\` | ${w.rounds} | ${ms(w.floor)} | ${ms(w.min)} | ${ms(w.warm)} | ${mark(w.ratio)} | ${w.rttsWarm.toFixed(2)} | ${mark(w.projected)} | ${w.warmConns} | ${ms(w.cold)} | ${w.rttsCold.toFixed(2)} (${w.coldNeeded}) | ${ms(w.openstack)} | ${ms(w.nova)} |`,
    );
  }
  lines.push(
    '',
    "RTTs in flight: the time some byte of the run was held by the proxy (the union of every chunk's delay, over all its connections) ÷ RTT, median over runs: the round trips the run waited for, whatever the CPU load (server time is not in it). floor + those ÷ min: (local floor + RTTs in flight × RTT) ÷ minimum. Paired wall-time difference (warm − the local run next to it) in the JSON.",
  );
  if (r.notes.length)
    lines.push('', 'Runs that failed twice (left out of the medians):', '', ...r.notes.map((n) => `- ${n}`));
  lines.push('', "ncli warm's requests (`--timings`):", '');
  for (const w of r.rows) lines.push(`- \`${w.command}\`: ${w.requests.map((q) => `\`${q}\``).join(', ')}`);
  return lines.join('\n') + '\n';
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await latencyBench();
  const text = renderLatency(r);
  process.stdout.write('\n' + text);
  const stamp = new Date().toISOString().replace(/[:]/g, '-').replace(/\..*/, 'Z');
  const out = join(ROOT, 'bench/results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, `latency-${stamp}.md`), text);
  writeFileSync(join(out, `latency-${stamp}.json`), JSON.stringify(r, null, 2));
}
