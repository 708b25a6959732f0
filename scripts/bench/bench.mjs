#!/usr/bin/env node
/**
 * ncli's benchmark (issue 5). Run through `npm run bench` (scripts/bench/run.sh brings the cloud
 * and the bench project up first); see scripts/bench/README.md for what each case measures.
 *
 * Environment knobs: BENCH_QUICK=1 (fewer runs, for trying the script), BENCH_RUNS / BENCH_WARMUP
 * (ncli, node, curl), BENCH_PEER_RUNS / BENCH_PEER_WARMUP (openstack, nova), BENCH_CASES=id,id
 * (a subset), BENCH_NO_TUNNEL=1, BENCH_NO_BULK=1, BENCH_NO_PROFILE=1, BENCH_PROJECT (default bench),
 * NCLI_CLOUD_DIR (default /tmp/ncli-cloud).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { profileCommand, ownerOf } from './profile.mjs';
import { firstLine, freePort, procCpu, startTracked, waitPort } from './procs.mjs';
import { bulkBench, renderBulk } from './bulk-actions.mjs';
import { build as esbuild } from 'esbuild';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const NCLI = join(ROOT, 'bin/ncli');
const PEERS = join(ROOT, 'scripts/bench/tunnel-peers.mjs');
const CLOUD_DIR = process.env.NCLI_CLOUD_DIR || '/tmp/ncli-cloud';
const PROJECT = process.env.BENCH_PROJECT || 'bench';
const QUICK = process.env.BENCH_QUICK === '1';
const num = (k, d) => (process.env[k] ? Number(process.env[k]) : d);
const RUNS = num('BENCH_RUNS', QUICK ? 5 : 10);
const WARMUP = num('BENCH_WARMUP', QUICK ? 1 : 2);
const PEER_RUNS = num('BENCH_PEER_RUNS', QUICK ? 3 : 5);
const PEER_WARMUP = num('BENCH_PEER_WARMUP', 1);
const RSS_RUNS = QUICK ? 1 : 3;
const ROUNDS = num('BENCH_ROUNDS', QUICK ? 1 : 2);
const MiB = 1024 * 1024;
/** BENCH_BASELINE: another build's bin/ncli (say, a checkout of an older commit), measured in the same runs. */
const BASELINE = process.env.BENCH_BASELINE || '';
/** A Node 24 binary for the list cases' second line: BENCH_NODE24 (run.sh fetches one); unset: not measured. */
const NODE24 = (() => {
  const bin = process.env.BENCH_NODE24;
  if (!bin) return undefined;
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? { bin, version: r.stdout.trim().replace(/^v/, '') } : undefined;
})();

/**
 * The single executables (issue 21; `npm run build:sea`), one per Node line: BENCH_SEA20 and
 * BENCH_SEA24 (run.sh builds both under dist/sea/bench/); unset or not runnable: not measured.
 */
const SEA = Object.fromEntries(
  [
    ['sea20', process.env.BENCH_SEA20],
    ['sea24', process.env.BENCH_SEA24],
  ]
    .filter(([, bin]) => bin && spawnSync(bin, ['--version'], { encoding: 'utf8' }).status === 0)
    .map(([k, bin]) => [k, bin]),
);

const STAMP = new Date().toISOString().replace(/[:]/g, '-').replace(/\..*/, 'Z');
const OUT = join(ROOT, 'bench/results', `bench-${STAMP}`);
const HF = join(OUT, 'hyperfine');
mkdirSync(HF, { recursive: true });
const T_START = Date.now();
const log = (s) => process.stderr.write(`[bench ${((Date.now() - T_START) / 1000).toFixed(0).padStart(4)}s] ${s}\n`);

// ---------------------------------------------------------------------------------------------
// environment: every client gets the cloud's openrc (user admin, project admin) and nothing else
// of OpenStack's; clouds.yaml is not used because openstackclient ignores --os-project-name with
// --os-cloud, and the 200-server case needs that flag to work for every client.
function openrcEnv() {
  const file = join(CLOUD_DIR, 'openrc');
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(OS_|XDG_CACHE_HOME$)/.test(k)) env[k] = v;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^export (OS_[A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) env[m[1]] = m[2].replace(/^['"]|['"]$/g, '');
  }
  return env;
}
const BASE_ENV = openrcEnv();
const WARM_DIR = join(OUT, 'cache-warm');
const COLD_DIR = join(OUT, 'cache-cold');
const envWith = (extra) => ({ ...BASE_ENV, ...extra });

// ---------------------------------------------------------------------------------------------
// helpers
const q = (a) => (/^[A-Za-z0-9_\-./:=,@%+]+$/.test(a) ? a : `'${a.replace(/'/g, `'"'"'`)}'`);
const cmdline = (argv) => argv.map(q).join(' ');
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n ? (n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2) : NaN;
};
const quantile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return NaN;
  const i = (s.length - 1) * p;
  const lo = Math.floor(i);
  return s[lo] + (s[Math.ceil(i)] - s[lo]) * (i - lo);
};
const fmtMs = (s) =>
  s === undefined || Number.isNaN(s) ? 'n/a' : s >= 1 ? `${s.toFixed(2)} s` : `${(s * 1000).toFixed(0)} ms`;
const fmtX = (r) =>
  r === undefined || !Number.isFinite(r) ? 'n/a' : r >= 10 ? `${r.toFixed(0)}×` : `${r.toFixed(2)}×`;
const UUID_ROW = /^[|│]\s*([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\s*[|│]/gm;
/** Rows of a printed table: distinct server UUIDs in the first column, or (flavors) data lines. */
const countRows = (text, by) =>
  by === 'lines'
    ? Math.max(0, (text.match(/^[|│]/gm) || []).length - 1)
    : new Set([...text.matchAll(UUID_ROW)].map((m) => m[1])).size;

function run(argv, env, opts = {}) {
  return spawnSync(argv[0], argv.slice(1), {
    env,
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 256 << 20,
    timeout: 300000,
    ...opts,
  });
}

/**
 * hyperfine on one command; returns its stats (seconds) or { error }.
 * @param {string[]} argv @param {object} env @param {{name: string, runs: number, warmup: number, prepare?: string}} o
 */
function hyperfine(argv, env, o) {
  const file = join(HF, `${o.name}.json`);
  const args = [
    '-N',
    '--style',
    'none',
    '--warmup',
    String(o.warmup),
    '--runs',
    String(o.runs),
    '--export-json',
    file,
    '-n',
    o.name,
  ];
  if (o.prepare) args.push('--prepare', o.prepare);
  args.push(cmdline(argv));
  const r = spawnSync('hyperfine', args, { env, cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 600000 });
  if (o.secret && existsSync(file)) writeFileSync(file, readFileSync(file, 'utf8').split(o.secret).join('$TOKEN'));
  if (r.status !== 0 || !existsSync(file)) {
    return {
      error: `hyperfine failed (exit ${r.status}): ${(r.stderr || r.stdout || '').trim().split('\n').slice(-3).join(' | ')}`,
    };
  }
  const x = JSON.parse(readFileSync(file, 'utf8')).results[0];
  return stats(
    cmdline(argv),
    x.times,
    x.times.map(() => x.user + x.system),
  );
}

/** Summary of run times (seconds) and per-run CPU (seconds; hyperfine gives a mean per command). */
function stats(command, times, cpus) {
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  return {
    command,
    runs: times.length,
    median: median(times),
    mean,
    stddev: Math.sqrt(times.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, times.length - 1)),
    min: Math.min(...times),
    max: Math.max(...times),
    q1: quantile(times, 0.25),
    q3: quantile(times, 0.75),
    cpu: cpus.reduce((a, b) => a + b, 0) / cpus.length,
    times,
    cpus,
  };
}

/**
 * Several commands measured in ROUNDS interleaved rounds (A B C, A B C, …), each round a hyperfine
 * run of RUNS/ROUNDS, so that a burst of load from elsewhere hits every command alike.
 * @param {{key: string, argv: string[], env: object, prepare?: string, secret?: string}[]} list
 */
function interleaved(caseId, list, runs, warmup) {
  const rounds = Math.max(1, Math.min(ROUNDS, runs));
  const acc = Object.fromEntries(
    list.map((x) => [x.key, { times: [], cpus: [], command: undefined, error: undefined }]),
  );
  for (let r = 0; r < rounds; r++) {
    const n = Math.round((runs * (r + 1)) / rounds) - Math.round((runs * r) / rounds);
    for (const x of list) {
      const a = acc[x.key];
      if (a.error) continue;
      const st = hyperfine(x.argv, x.env, {
        name: `${caseId}.${x.key}.r${r + 1}`,
        runs: n,
        warmup: r === 0 ? warmup : 1,
        prepare: x.prepare,
        secret: x.secret,
      });
      if (st.error) a.error = st.error;
      else {
        a.times.push(...st.times);
        a.cpus.push(...st.cpus);
        a.command = st.command;
      }
    }
  }
  return Object.fromEntries(
    Object.entries(acc).map(([k, a]) => [k, a.error ? { error: a.error } : stats(a.command, a.times, a.cpus)]),
  );
}

/** Peak RSS (KiB → MiB) of a command under GNU time, median of `n` runs; also the first run's stdout. */
function peakRss(argv, env, n, prepare) {
  const tf = join(OUT, 'time.out');
  const vals = [];
  let first;
  for (let i = 0; i < n; i++) {
    if (prepare) prepare();
    const r = run(['/usr/bin/time', '-f', '%M', '-o', tf, ...argv], env);
    if (!first) first = r;
    const kib = Number(readFileSync(tf, 'utf8').trim().split('\n').pop());
    if (Number.isFinite(kib)) vals.push(kib / 1024);
  }
  return { rssMiB: median(vals), rssRuns: vals, exitCode: first.status, stdout: first.stdout, stderr: first.stderr };
}

/** ncli's requests in one run, from --debug: [{ method, url, headers, body }]. */
function ncliRequests(argv, env) {
  const r = run([NCLI, '--debug', ...argv], env);
  const reqs = [];
  let cur = null;
  for (const line of (r.stderr || '').split('\n')) {
    let m = /^DEBUG REQ: (\S+) (\S+)/.exec(line);
    if (m) {
      cur = { method: m[1], url: m[2], headers: {}, body: undefined };
      reqs.push(cur);
      continue;
    }
    if (/^DEBUG RESP/.test(line)) {
      cur = null;
      continue;
    }
    if (!cur) continue;
    m = /^DEBUG {3}([A-Za-z0-9-]+): (.*)$/.exec(line);
    if (m) cur.headers[m[1]] = m[2];
    else if (/^DEBUG {3}[[{]/.test(line)) cur.body = line.slice(8);
  }
  return { exitCode: r.status, requests: reqs };
}

/** One curl process making exactly `reqs`, with a real token and ncli's other headers. */
function curlArgv(reqs, token) {
  const argv = ['curl'];
  reqs.forEach((rq, i) => {
    if (i) argv.push('--next');
    argv.push('-sS', '--fail', '-o', '/dev/null', '-X', rq.method);
    for (const [k, v] of Object.entries(rq.headers)) {
      if (/^(x-auth-token|content-length|host|connection)$/i.test(k)) continue;
      argv.push('-H', `${k}: ${v}`);
    }
    argv.push('-H', `X-Auth-Token: ${token}`);
    if (rq.body !== undefined && rq.method !== 'GET') argv.push('--data-raw', rq.body);
    argv.push(rq.url);
  });
  return argv;
}

/** The same requests for the undici floor (undici-floor.mjs): `[{ method, url, headers, body }]`. */
function undiciRequests(reqs, token) {
  return reqs.map((rq) => {
    const headers = {};
    for (const [k, v] of Object.entries(rq.headers))
      if (!/^(x-auth-token|content-length|host|connection)$/i.test(k)) headers[k] = v;
    headers['X-Auth-Token'] = token;
    return { method: rq.method, url: rq.url, headers, body: rq.body };
  });
}

/**
 * The undici floor's two scripts, bundled with esbuild into OUT (plain bundles: none of ncli's
 * own start-up work), keyed by their name in the tables.
 * @returns {Promise<Record<'undiciIndex' | 'undiciParts', string>>}
 */
async function bundleUndiciFloor() {
  const out = {};
  for (const [k, name] of [
    ['undiciIndex', 'undici-floor-index'],
    ['undiciParts', 'undici-floor-parts'],
  ]) {
    out[k] = join(OUT, `${name}.mjs`);
    await esbuild({
      absWorkingDir: ROOT,
      entryPoints: [join(ROOT, 'scripts/bench', `${name}.mjs`)],
      outfile: out[k],
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20.18',
      banner: { js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);" },
      logLevel: 'warning',
    });
  }
  return out;
}
let UNDICI_FLOOR;

function ncliHas(group, command) {
  return run([NCLI, group, command, '--help'], BASE_ENV).status === 0;
}

// ---------------------------------------------------------------------------------------------
// cases
const BENCH_G = ['--os-project-name', PROJECT];
const CASES = [
  {
    id: 'server-list',
    title: 'server list',
    ncli: ['server', 'list'],
    openstack: ['server', 'list', '--limit', '-1'],
    nova: ['list', '--limit', '-1'],
    rows: true,
    floor: 'api',
    node24: true,
    sea: true,
    undiciFloor: true,
  },
  {
    id: 'flavor-list',
    title: 'flavor list',
    ncli: ['flavor', 'list'],
    openstack: ['flavor', 'list'],
    nova: ['flavor-list'],
    rows: 'lines',
    floor: 'api',
    node24: true,
    sea: true,
    undiciFloor: true,
  },
  {
    id: 'server-show',
    title: 'server show vm1',
    ncli: ['server', 'show', 'vm1'],
    openstack: ['server', 'show', 'vm1'],
    nova: ['show', 'vm1'],
    floor: 'api',
  },
  {
    id: 'console-get-vnc',
    title: 'console get-vnc vm1',
    ncli: ['console', 'get-vnc', 'vm1'],
    openstack: ['console', 'url', 'show', '--novnc', 'vm1'],
    nova: ['get-vnc-console', 'vm1', 'novnc'],
    floor: 'api',
    requires: ['console', 'get-vnc'],
  },
  {
    id: 'help',
    title: '--help',
    ncli: ['--help'],
    openstack: ['--help'],
    nova: ['--help'],
    floor: 'node',
    noCache: true,
    node24: true,
    sea: true,
  },
  {
    id: 'version',
    title: '--version',
    ncli: ['--version'],
    openstack: ['--version'],
    nova: ['--version'],
    floor: 'node',
    noCache: true,
    node24: true,
    sea: true,
  },
  {
    id: 'complete',
    title: 'completion (`__complete server ""`)',
    ncli: ['__complete', 'server', ''],
    openstack: ['complete'],
    nova: ['bash-completion'],
    floor: 'node',
    noCache: true,
    node24: true,
    sea: true,
    peerNote:
      "peers: `openstack complete` (prints the bash completion data) and `nova bash-completion` (what nova's completion script calls)",
  },
  {
    // a TAB on a server name, the names cache filled by the cases before (warm cache folder): the
    // names file, its scope from the scope index (src/config/names-index.ts); the peers have no
    // such completion, their rows are the static ones of the case above
    id: 'complete-names',
    title: 'completion of a server name (`__complete server show ""`)',
    ncli: ['__complete', 'server', 'show', ''],
    openstack: ['complete'],
    nova: ['bash-completion'],
    floor: 'node',
    node24: true,
    sea: true,
    peerNote: 'peers: as for completion above (neither completes server names)',
  },
  {
    id: 'server-list-200',
    title: `server list, project ${PROJECT} (200+ servers)`,
    globals: BENCH_G,
    ncli: ['server', 'list'],
    openstack: [...BENCH_G, 'server', 'list', '--limit', '-1'],
    nova: [...BENCH_G, 'list', '--limit', '-1'],
    rows: true,
    floor: 'api',
  },
];

function runCase(c) {
  const res = { id: c.id, title: c.title, notes: [], clients: {} };
  const ncliArgv = [NCLI, ...(c.globals ?? []), ...c.ncli];
  if (c.requires && !ncliHas(...c.requires)) {
    res.skipped = `\`ncli ${c.requires.join(' ')}\` does not exist yet in this build`;
    log(`${c.id}: skipped (${res.skipped})`);
    return res;
  }
  const warmEnv = envWith({ XDG_CACHE_HOME: WARM_DIR });
  const coldEnv = envWith({ XDG_CACHE_HOME: COLD_DIR });
  const fast = { runs: RUNS, warmup: WARMUP };
  const slow = { runs: PEER_RUNS, warmup: PEER_WARMUP };

  // prime the warm cache for this scope (token + version document)
  run([NCLI, ...(c.globals ?? []), 'token', 'issue', '-f', 'value', '-c', 'id'], warmEnv);
  run(ncliArgv, warmEnv);

  const list = [{ key: 'node', argv: ['node', '-e', '0'], env: BASE_ENV }];
  let token;
  if (c.floor === 'api') {
    const { requests } = ncliRequests([...(c.globals ?? []), ...c.ncli], warmEnv);
    res.requests = requests.map((r) => `${r.method} ${r.url.replace(/^https?:\/\/[^/]+/, '')}`);
    token = run([NCLI, ...(c.globals ?? []), 'token', 'issue', '-f', 'value', '-c', 'id'], warmEnv).stdout.trim();
    if (requests.length && token) {
      list.push({ key: 'curl', argv: curlArgv(requests, token), env: BASE_ENV, secret: token });
      if (c.undiciFloor && UNDICI_FLOOR) {
        // the same requests from a bundled script on undici (undici-floor.mjs), by index and by parts
        const env = { ...BASE_ENV, BENCH_UNDICI_REQS: JSON.stringify(undiciRequests(requests, token)) };
        for (const [k, file] of Object.entries(UNDICI_FLOOR)) {
          list.push({ key: k, argv: ['node', file], env });
          if (NODE24 && c.node24) list.push({ key: `${k}24`, argv: [NODE24.bin, file], env });
        }
      }
    } else res.notes.push("could not read ncli's requests for the curl floor");
  }
  list.push({ key: 'ncliWarm', argv: ncliArgv, env: warmEnv });
  if (BASELINE) list.push({ key: 'ncliBase', argv: [BASELINE, ...ncliArgv.slice(1)], env: warmEnv });
  if (NODE24 && c.node24) {
    list.push({ key: 'node24', argv: [NODE24.bin, '-e', '0'], env: BASE_ENV });
    list.push({ key: 'ncliWarm24', argv: [NODE24.bin, ...ncliArgv], env: warmEnv });
    res.node24Version = NODE24.version;
  }
  if (c.sea)
    for (const [k, bin] of Object.entries(SEA)) list.push({ key: k, argv: [bin, ...ncliArgv.slice(1)], env: warmEnv });
  list.push(
    COLD_BY_FLAG
      ? { key: 'ncliCold', argv: [NCLI, '--no-cache', ...(c.globals ?? []), ...c.ncli], env: coldEnv }
      : { key: 'ncliCold', argv: ncliArgv, env: coldEnv, prepare: `rm -rf ${COLD_DIR}` },
  );
  log(`${c.id}: ${list.map((x) => x.key).join(', ')} (${fast.runs} runs in ${ROUNDS} interleaved rounds)`);
  Object.assign(res.clients, interleaved(c.id, list, fast.runs, fast.warmup));
  if (res.clients.curl?.command) res.clients.curl.command = res.clients.curl.command.split(token).join('$TOKEN');
  log(`${c.id}: openstack`);
  res.clients.openstack = hyperfine(['openstack', ...c.openstack], BASE_ENV, { name: `${c.id}.openstack`, ...slow });
  log(`${c.id}: nova`);
  res.clients.nova = hyperfine(['nova', ...c.nova], BASE_ENV, { name: `${c.id}.nova`, ...slow });

  // peak RSS (and, from the first run, the exit code and the rows printed)
  log(`${c.id}: peak RSS`);
  const rss = {
    node: peakRss(['node', '-e', '0'], BASE_ENV, RSS_RUNS),
    ncliWarm: peakRss(ncliArgv, warmEnv, RSS_RUNS),
    ...(BASELINE ? { ncliBase: peakRss([BASELINE, ...ncliArgv.slice(1)], warmEnv, RSS_RUNS) } : {}),
    ...(c.sea
      ? Object.fromEntries(
          Object.entries(SEA).map(([k, bin]) => [k, peakRss([bin, ...ncliArgv.slice(1)], warmEnv, RSS_RUNS)]),
        )
      : {}),
    // issue 21: the second Node line and the undici floor (the same argv and env as their timed runs)
    ...Object.fromEntries(
      list
        .filter((x) => ['node24', 'ncliWarm24', 'undiciParts', 'undiciParts24'].includes(x.key))
        .map((x) => [x.key, peakRss(x.argv, x.env, RSS_RUNS)]),
    ),
    ...(BASELINE && NODE24 && c.node24
      ? { ncliBase24: peakRss([NODE24.bin, BASELINE, ...ncliArgv.slice(1)], warmEnv, RSS_RUNS) }
      : {}),
    ncliCold: peakRss(
      COLD_BY_FLAG ? [NCLI, '--no-cache', ...(c.globals ?? []), ...c.ncli] : ncliArgv,
      coldEnv,
      RSS_RUNS,
      () => rmSync(COLD_DIR, { recursive: true, force: true }),
    ),
    openstack: peakRss(['openstack', ...c.openstack], BASE_ENV, Math.min(RSS_RUNS, 2)),
    nova: peakRss(['nova', ...c.nova], BASE_ENV, Math.min(RSS_RUNS, 2)),
  };
  for (const [k, r] of Object.entries(rss)) {
    res.clients[k] ??= {};
    Object.assign(res.clients[k], { rssMiB: r.rssMiB, rssRuns: r.rssRuns, exitCode: r.exitCode });
    const own = !['node', 'node24', 'undiciParts', 'undiciParts24'].includes(k);
    if (c.rows && own) res.clients[k].rows = countRows(r.stdout, c.rows);
    if (r.exitCode !== 0 && k !== 'node' && k !== 'node24')
      res.notes.push(
        `${k} exited ${r.exitCode} in a peak-RSS run: ${(r.stderr || '')
          .trim()
          .split('\n')
          .filter((l) => l && !/^\s+at /.test(l))
          .slice(-4)
          .join(' | ')}`,
      );
  }
  if (c.rows) {
    const counts = ['ncliWarm', 'openstack', 'nova'].map((k) => res.clients[k].rows);
    if (new Set(counts).size > 1)
      res.notes.push(
        `rows differ between clients (ncli ${counts[0]}, openstack ${counts[1]}, nova ${counts[2]}): servers were created or deleted meanwhile by other tests, or a client did not follow every page`,
      );
  }
  if (c.peerNote) res.notes.push(c.peerNote);

  const m = (k) => res.clients[k]?.median;
  res.floor = c.floor === 'api' ? m('node') + (m('curl') ?? NaN) : m('node');
  res.floorCpu = c.floor === 'api' ? res.clients.node.cpu + (res.clients.curl?.cpu ?? NaN) : res.clients.node.cpu;
  res.floor24 = NODE24 && c.node24 ? (c.floor === 'api' ? m('node24') + (m('curl') ?? NaN) : m('node24')) : undefined;
  res.ratios = {
    warmVsFloor: m('ncliWarm') / res.floor,
    ...(res.clients.sea20 ? { sea20VsFloor: m('sea20') / res.floor } : {}),
    ...(res.clients.sea24 && res.floor24 ? { sea24VsFloor24: m('sea24') / res.floor24 } : {}),
    coldVsFloor: m('ncliCold') / res.floor,
    openstackVsWarm: m('openstack') / m('ncliWarm'),
    novaVsWarm: m('nova') / m('ncliWarm'),
    openstackVsCold: m('openstack') / m('ncliCold'),
    openstackVsFloor: m('openstack') / res.floor,
    ...(res.clients.ncliWarm24 ? { warm24VsFloor24: m('ncliWarm24') / res.floor24 } : {}),
  };
  for (const [k, v] of Object.entries(res.clients)) if (v.error) res.notes.push(`${k}: ${v.error}`);
  return res;
}

// ---------------------------------------------------------------------------------------------
// tunnel
const children = [];
function start(argv, env = BASE_ENV, opts = {}) {
  return startTracked(children, argv, { env, cwd: ROOT, ...opts });
}
function stop(p, signal = 'SIGTERM') {
  return new Promise((res) => {
    if (p.exitCode !== null || p.signalCode !== null) return res();
    const t = setTimeout(() => p.kill('SIGKILL'), 5000);
    p.once('exit', () => {
      clearTimeout(t);
      res();
    });
    p.kill(signal);
  });
}
async function reader(args) {
  const p = start(['node', PEERS, ...args]);
  let out = '';
  p.stdout.on('data', (d) => (out += d));
  const code = await new Promise((res) => p.once('exit', res));
  if (code !== 0) throw new Error(`reader ${args.join(' ')} exited ${code}: ${p.stderrText.trim().slice(-300)}`);
  return JSON.parse(out.trim().split('\n').pop());
}
const procStatus = (pid, key) => {
  try {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function startTunnel(wsPort, extraNode = []) {
  const argv = extraNode.length
    ? ['node', ...extraNode, NCLI, 'console', 'tunnel', '--url', `ws://127.0.0.1:${wsPort}/`, '--local', '0']
    : [NCLI, 'console', 'tunnel', '--url', `ws://127.0.0.1:${wsPort}/`, '--local', '0'];
  const p = start(argv, envWith({ XDG_CACHE_HOME: WARM_DIR }));
  const m = await firstLine(p, /Forwarding from (?:127\.0\.0\.1|\[::1\]|localhost):(\d+)/);
  return { proc: p, port: Number(m[1]) };
}

async function tunnelBench() {
  const res = { notes: [] };
  const has = ncliHas('console', 'tunnel');
  res.available = has;
  const BYTES = num('BENCH_TUNNEL_BYTES', QUICK ? 256 * MiB : 512 * MiB);
  const REPS = QUICK ? 1 : 5;
  res.bytesPerRun = BYTES;
  // sources and websockify
  const bulk = start(['node', PEERS, 'source', 'bulk']);
  const echo = start(['node', PEERS, 'source', 'echo']);
  const bulkPort = JSON.parse((await firstLine(bulk, /\{.*\}\n/))[0]).port;
  const echoPort = JSON.parse((await firstLine(echo, /\{.*\}\n/))[0]).port;
  const wsBulk = await freePort();
  const wsEcho = await freePort();
  const wsfBulk = start(['websockify', `127.0.0.1:${wsBulk}`, `127.0.0.1:${bulkPort}`]);
  start(['websockify', `127.0.0.1:${wsEcho}`, `127.0.0.1:${echoPort}`]);
  await waitPort(wsBulk);
  await waitPort(wsEcho);
  res.websockify = run(['websockify', '--help'], BASE_ENV).status === 0 ? 'websockify (Debian package)' : 'websockify';

  let tun;
  if (has) tun = await startTunnel(wsBulk);
  else
    res.notes.push(
      '`ncli console tunnel` does not exist yet in this build: only the direct WebSocket client and raw TCP were measured',
    );

  // throughput: interleaved repetitions of each path
  log(`tunnel: throughput, ${BYTES / MiB} MiB × ${REPS} per path`);
  const paths = { tcp: ['tcp', `127.0.0.1:${bulkPort}`], ws: ['ws', `ws://127.0.0.1:${wsBulk}/`] };
  if (tun) paths.tunnel = ['tcp', `127.0.0.1:${tun.port}`];
  const tp = Object.fromEntries(Object.keys(paths).map((k) => [k, []]));
  // CPU seconds per GiB carried, per process: where the 2 cores go on each path
  const cpu = Object.fromEntries(
    Object.keys(paths).map((k) => [k, { reader: 0, tunnel: 0, websockify: 0, source: 0 }]),
  );
  for (let i = 0; i < REPS; i++) {
    for (const [k, [kind, target]] of Object.entries(paths)) {
      const before = {
        tunnel: tun ? procCpu(tun.proc.pid) : 0,
        websockify: procCpu(wsfBulk.pid, true),
        source: procCpu(bulk.pid),
      };
      const r = await reader(['bulk', kind, target, String(BYTES)]);
      await sleep(300); // websockify reaps its per-connection child
      const gib = r.bytes / (1024 * MiB);
      cpu[k].reader += r.cpuSeconds / gib / REPS;
      if (tun) cpu[k].tunnel += (procCpu(tun.proc.pid) - before.tunnel) / gib / REPS;
      cpu[k].websockify += (procCpu(wsfBulk.pid, true) - before.websockify) / gib / REPS;
      cpu[k].source += (procCpu(bulk.pid) - before.source) / gib / REPS;
      if (!r.ok) res.notes.push(`${k}: data check FAILED (bytes ${r.bytes})`);
      tp[k].push(r.bytes / r.seconds);
    }
  }
  res.throughput = Object.fromEntries(
    Object.entries(tp).map(([k, v]) => [k, { medianBps: median(v), runsBps: v, cpuSecondsPerGiB: cpu[k] }]),
  );
  if (tun) res.tunnelCpuSecondsPerGiB = cpu.tunnel.tunnel;

  // latency: request/response round trips of 64 bytes, one at a time
  const COUNT = QUICK ? 500 : 2000;
  log(`tunnel: latency, ${COUNT} round trips per path`);
  let tunEcho;
  if (has) tunEcho = await startTunnel(wsEcho);
  const lpaths = { tcp: ['tcp', `127.0.0.1:${echoPort}`], ws: ['ws', `ws://127.0.0.1:${wsEcho}/`] };
  if (tunEcho) lpaths.tunnel = ['tcp', `127.0.0.1:${tunEcho.port}`];
  res.latency = {};
  for (const [k, [kind, target]] of Object.entries(lpaths))
    res.latency[k] = await reader(['latency', kind, target, String(COUNT), '64']);
  if (tunEcho) await stop(tunEcho.proc);

  // stalled reader: a fresh tunnel; its reader stops for 5 s after 1 MiB, then drains
  if (has) {
    if (tun) await stop(tun.proc);
    const STALL_BYTES = QUICK ? 256 * MiB : 512 * MiB;
    log(`tunnel: stalled reader (5 s stall, then ${STALL_BYTES / MiB} MiB)`);
    const t2 = await startTunnel(wsBulk);
    const samples = [];
    const iv = setInterval(() => {
      const v = procStatus(t2.proc.pid, 'VmRSS');
      if (v !== undefined) samples.push([Date.now(), v]);
    }, 50);
    const r = await reader([
      'bulk',
      'tcp',
      `127.0.0.1:${t2.port}`,
      String(STALL_BYTES),
      '--stall-after',
      String(MiB),
      '--stall-ms',
      '5000',
    ]);
    clearInterval(iv);
    res.stall = {
      bytes: r.bytes,
      ok: r.ok,
      seconds: r.seconds,
      peakRssMiB: procStatus(t2.proc.pid, 'VmHWM'),
      maxSampledRssMiB: Math.max(...samples.map((s) => s[1])),
      rssAtStartMiB: samples[0]?.[1],
    };
    await stop(t2.proc);
  }

  // CPU profile of the tunnel process carrying one bulk run (read when the throughput target is missed)
  res.wsPorts = { bulk: wsBulk, echo: wsEcho };
  res._cleanup = async () => {
    for (const p of children) await stop(p);
  };
  res._profile = has
    ? async (dir, bytes = 512 * MiB) => {
        const pdir = join(dir, 'tunnel-cpuprof');
        rmSync(pdir, { recursive: true, force: true });
        mkdirSync(pdir, { recursive: true });
        const t = await startTunnel(wsBulk, ['--cpu-prof', '--cpu-prof-dir', pdir, '--cpu-prof-interval', '200']);
        await reader(['bulk', 'tcp', `127.0.0.1:${t.port}`, String(bytes)]);
        await stop(t.proc, 'SIGINT');
        const file = readdirSync(pdir).find((f) => f.endsWith('.cpuprofile'));
        if (!file) return { note: 'the tunnel process wrote no CPU profile on SIGINT' };
        const prof = JSON.parse(readFileSync(join(pdir, file), 'utf8'));
        const byId = new Map(prof.nodes.map((n) => [n.id, n]));
        const self = new Map();
        let total = 0;
        prof.samples.forEach((id, i) => {
          const dt = (prof.timeDeltas[i] ?? 0) / 1000;
          total += dt;
          const f = byId.get(id).callFrame;
          const key = f.url
            ? `${ownerOf(f.url)}${f.functionName ? ` ${f.functionName}` : ''}`
            : f.functionName || '(anonymous)';
          self.set(key, (self.get(key) ?? 0) + dt);
        });
        return {
          totalMs: total,
          top: [...self.entries()]
            .sort((a, b) => b[1] - a[1])
            .slice(0, 15)
            .map(([k, v]) => ({ frame: k, selfMs: v })),
          file: join(pdir, file),
        };
      }
    : undefined;
  return res;
}

// ---------------------------------------------------------------------------------------------
// main
let COLD_BY_FLAG = false;

async function main() {
  log(`results in ${OUT}`);
  const meta = {
    started: new Date(T_START).toISOString(),
    node: process.version,
    ncli: run([NCLI, '--version'], BASE_ENV).stdout.trim(),
    openstack: (run(['openstack', '--version'], BASE_ENV).stdout || '').trim(),
    nova: ((r) => ((r.stdout + '\n' + r.stderr).match(/^\d+\.\d+\S*$/m) || ['?'])[0])(
      run(['nova', '--version'], BASE_ENV),
    ),
    curl: run(['curl', '--version'], BASE_ENV).stdout.split('\n')[0],
    hyperfine: run(['hyperfine', '--version'], BASE_ENV).stdout.trim(),
    cpus: (readFileSync('/proc/cpuinfo', 'utf8').match(/^processor/gm) || []).length,
    loadAverageAtStart: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
    runs: { ncli: RUNS, warmup: WARMUP, peers: PEER_RUNS, peerWarmup: PEER_WARMUP, rss: RSS_RUNS },
    baseline: BASELINE ? `${BASELINE} (${run([BASELINE, '--version'], BASE_ENV).stdout.trim()})` : undefined,
    node24: NODE24?.version,
  };

  // token cache: a file under XDG_CACHE_HOME, unless a keychain answered
  rmSync(WARM_DIR, { recursive: true, force: true });
  run([NCLI, 'token', 'issue', '-f', 'value', '-c', 'id'], envWith({ XDG_CACHE_HOME: WARM_DIR }));
  const tokDir = join(WARM_DIR, 'ncli', 'tokens');
  COLD_BY_FLAG = !(existsSync(tokDir) && readdirSync(tokDir).some((f) => f.endsWith('.json')));
  meta.tokenCache = COLD_BY_FLAG
    ? 'keychain (no token file appeared): cold runs use --no-cache'
    : 'file under XDG_CACHE_HOME: warm = a primed folder, cold = an empty folder before every run';

  UNDICI_FLOOR = await bundleUndiciFloor();
  meta.sea = Object.fromEntries(
    Object.entries(SEA).map(([k, bin]) => [k, `${bin} (${(statSync(bin).size / MiB).toFixed(0)} MiB)`]),
  );
  const only = process.env.BENCH_CASES ? new Set(process.env.BENCH_CASES.split(',')) : null;
  const cases = [];
  for (const c of CASES) if (!only || only.has(c.id)) cases.push(runCase(c));

  let tunnel;
  if (process.env.BENCH_NO_TUNNEL !== '1') {
    try {
      tunnel = await tunnelBench();
    } catch (e) {
      tunnel = { error: String(e.message || e), notes: [] };
      log(`tunnel: ${tunnel.error}`);
    }
  }

  // stop + start --wait of 10 servers (scripts/bench/bulk-actions.mjs)
  let bulk;
  if (process.env.BENCH_NO_BULK !== '1' && (!only || only.has('bulk-actions'))) {
    if (!ncliHas('server', 'stop')) log('bulk actions: skipped (this build has no server stop)');
    else
      bulk = bulkBench({
        ncli: NCLI,
        root: ROOT,
        ncliEnv: envWith({ XDG_CACHE_HOME: WARM_DIR }),
        oscEnv: BASE_ENV,
        project: PROJECT,
        runs: num('BENCH_BULK_RUNS', QUICK ? 1 : 3),
        outDir: OUT,
        log,
      });
  }

  // targets (issue 12; the openstack ratio and the stalled-reader RSS from issue 5)
  const byId = Object.fromEntries(cases.map((c) => [c.id, c]));
  const targets = [];
  const sl = byId['server-list'];
  if (sl && !sl.skipped) {
    const r = sl.ratios.openstackVsWarm;
    const os20 = sl.clients.openstack.median / 20;
    targets.push({
      id: 'list-vs-openstack',
      text: '`server list` warm ≥ 20× faster than `openstack server list`',
      value: r,
      shown: `${fmtX(r)} (the floor itself: ${fmtX(sl.ratios.openstackVsFloor)}; CPU: ${fmtX(sl.clients.openstack.cpu / sl.clients.ncliWarm.cpu)})`,
      met: r >= 20,
      profile: 'server-list',
      why:
        os20 < sl.floor
          ? `out of reach on this cloud: openstack ÷ 20 = ${fmtMs(os20)}, less than the floor (${fmtMs(sl.floor)}: node ${fmtMs(sl.clients.node.median)} + Nova answering ${sl.requests?.length} requests ${fmtMs(sl.clients.curl?.median)})`
          : undefined,
    });
  }
  // `before` is the same case with BENCH_BASELINE (another build's bin/ncli), in the same run
  const before = (c, key, floorOf) => {
    const b = c.clients[key]?.median;
    return b === undefined ? '' : `; before: ${fmtX(b / floorOf(c))}`;
  };
  // start-up targets of issue 21: [case, bin/ncli limit, single executable limit], × floor
  // (node + curl; bare node for --help, --version, completion), on both Node lines
  const who = [
    ['ncliWarm', 'warmVsFloor', 'bin/ncli', 'Node 20', 'ncliBase'],
    ['ncliWarm24', 'warm24VsFloor24', 'bin/ncli', 'Node 24'],
    ['sea20', 'sea20VsFloor', 'the executable', 'Node 20'],
    ['sea24', 'sea24VsFloor24', 'the executable', 'Node 24'],
  ];
  for (const [id, limBin, limSea] of [
    ['server-list', 1.6, 1.4],
    ['flavor-list', 2.0, 1.6],
    ['help', 1.2, 1.2],
    ['version', 1.2, 1.2],
    ['complete', 1.2, 1.2],
    ['complete-names', 1.2, 1.2],
  ]) {
    const c = byId[id];
    if (!c || c.skipped) continue;
    const api = CASES.find((x) => x.id === id).floor === 'api'; // (c.floor: the case's floor, seconds)
    const floorName = api ? 'the floor (node + curl)' : 'bare node';
    for (const [key, ratio, name, line, baseKey] of who) {
      const f = c.ratios[ratio];
      if (f === undefined) continue;
      const lim = name === 'bin/ncli' ? limBin : limSea;
      const floorCpu =
        line === 'Node 24' ? c.clients.node24.cpu + (api ? (c.clients.curl?.cpu ?? NaN) : 0) : c.floorCpu;
      targets.push({
        id: `${id}-${key}`,
        text: `${id === 'complete' ? 'a completion call' : `\`${c.title}\``} from ${name} on ${line} ≤ ${lim}× ${floorName}`,
        value: f,
        shown: `${fmtX(f)} (CPU: ${fmtX(c.clients[key].cpu / floorCpu)}${baseKey ? before(c, baseKey, (x) => x.floor) : ''})`,
        met: f <= lim,
        profile: key === 'ncliWarm' ? id : undefined,
      });
    }
  }
  if (sl && !sl.skipped) {
    for (const [key, name, line] of [
      ['ncliWarm', 'bin/ncli (Node 20)', ''],
      ['ncliWarm24', 'bin/ncli (Node 24)', '24'],
      ['sea20', 'the executable (Node 20)', ''],
      ['sea24', 'the executable (Node 24)', '24'],
    ]) {
      const v = sl.clients[key]?.rssMiB;
      if (v === undefined) continue;
      const b = { ncliWarm: 'ncliBase', ncliWarm24: 'ncliBase24' }[key];
      const before = b ? sl.clients[b]?.rssMiB : undefined;
      const bare = sl.clients[`node${line}`]?.rssMiB;
      const floor = sl.clients[`undiciParts${line}`]?.rssMiB;
      targets.push({
        id: `list-rss-${key}`,
        text: `peak RSS of \`server list\` from ${name} ≤ 50 MiB`,
        value: v,
        shown:
          `${v.toFixed(0)} MiB (bare node: ${bare?.toFixed(0)} MiB` +
          `${floor !== undefined ? `; undici floor: ${floor.toFixed(0)} MiB` : ''}` +
          `${before !== undefined ? `; before: ${before.toFixed(0)} MiB` : ''})`,
        met: v <= 50,
      });
    }
  }
  if (tunnel && !tunnel.error) {
    if (tunnel.throughput?.tunnel) {
      const r = tunnel.throughput.tunnel.medianBps / tunnel.throughput.ws.medianBps;
      const best = Math.max(...tunnel.throughput.tunnel.runsBps) / Math.max(...tunnel.throughput.ws.runsBps);
      const cpu = tunnel.throughput;
      targets.push({
        id: 'tunnel-throughput',
        text: 'tunnel throughput ≥ 0.85× the direct WebSocket client',
        value: best,
        shown: `${fmtX(best)} best of ${tunnel.throughput.tunnel.runsBps.length} runs, ${fmtX(r)} median; CPU s/GiB: tunnel ${cpu.tunnel.cpuSecondsPerGiB.tunnel.toFixed(2)} + its reader ${cpu.tunnel.cpuSecondsPerGiB.reader.toFixed(2)}, direct client ${cpu.ws.cpuSecondsPerGiB.reader.toFixed(2)}`,
        met: best >= 0.85,
        profile: 'tunnel',
      });
    } else
      targets.push({
        id: 'tunnel-throughput',
        text: 'tunnel throughput ≥ 0.85× the direct WebSocket client',
        shown: 'skipped',
        met: null,
      });
    if (tunnel.stall) {
      const v = tunnel.stall.peakRssMiB;
      targets.push({
        id: 'tunnel-rss',
        text: 'tunnel peak RSS with a stalled reader ≤ 200 MiB',
        value: v,
        shown: `${v?.toFixed(0)} MiB`,
        met: v <= 200,
      });
    } else
      targets.push({
        id: 'tunnel-rss',
        text: 'tunnel peak RSS with a stalled reader ≤ 200 MiB',
        shown: 'skipped',
        met: null,
      });
  }

  // profiles of what missed
  const profiles = [];
  if (process.env.BENCH_NO_PROFILE !== '1') {
    const pdir = join(OUT, 'profiles');
    const want = new Set(targets.filter((t) => t.met === false && t.profile).map((t) => t.profile));
    const prof = {
      'server-list': { args: ['server', 'list'], title: 'warm token cache' },
      'flavor-list': { args: ['flavor', 'list'], title: 'warm token cache' },
      help: { args: ['--help'] },
      version: { args: ['--version'] },
      complete: { args: ['__complete', 'server', ''] },
      'complete-names': { args: ['__complete', 'server', 'show', ''] },
    };
    for (const id of want) {
      if (id === 'tunnel') continue;
      log(`profile: ${id}`);
      try {
        profiles.push({
          id,
          ...(await profileCommand({
            name: id,
            args: prof[id].args,
            title: prof[id].title,
            env: envWith({ XDG_CACHE_HOME: WARM_DIR }),
            outDir: pdir,
          })),
        });
      } catch (e) {
        profiles.push({ id, markdown: `#### Profile ${id}: failed (${e.message})` });
      }
    }
    if (want.has('tunnel') && tunnel?._profile) {
      log('profile: tunnel');
      try {
        const p = await tunnel._profile(pdir);
        const md = p.top
          ? [
              '#### Profile: the tunnel process carrying 512 MiB (CPU, self time)',
              '',
              `${p.totalMs.toFixed(0)} ms sampled; tunnel CPU per GiB in the throughput runs: ${tunnel.tunnelCpuSecondsPerGiB?.toFixed(2)} s.`,
              '',
              '| frame | self ms |',
              '|---|---:|',
              ...p.top.map((t) => `| ${t.frame} | ${t.selfMs.toFixed(1)} |`),
            ].join('\n')
          : `#### Profile tunnel: ${p.note}`;
        profiles.push({ id: 'tunnel', json: p, markdown: md });
      } catch (e) {
        profiles.push({ id: 'tunnel', markdown: `#### Profile tunnel: failed (${e.message})` });
      }
    }
  }
  if (tunnel?._cleanup) await tunnel._cleanup();
  else for (const p of children) await stop(p);

  meta.finished = new Date().toISOString();
  meta.seconds = (Date.now() - T_START) / 1000;
  meta.loadAverageAtEnd = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const md = render(meta, cases, tunnel, targets, profiles, bulk);
  const clean = (t) => (t ? Object.fromEntries(Object.entries(t).filter(([k]) => !k.startsWith('_'))) : t);
  const json = {
    meta,
    cases,
    tunnel: clean(tunnel),
    bulk,
    targets,
    profiles: profiles.map((p) => ({ id: p.id, markdown: p.markdown })),
  };
  writeFileSync(join(OUT, 'results.md'), md);
  writeFileSync(join(OUT, 'results.json'), JSON.stringify(json, null, 2));
  writeFileSync(join(ROOT, 'bench/results', `bench-${STAMP}.md`), md);
  writeFileSync(join(ROOT, 'bench/results', `bench-${STAMP}.json`), JSON.stringify(json, null, 2));
  process.stdout.write(md);
  log(
    `done in ${meta.seconds.toFixed(0)} s: bench/results/bench-${STAMP}.md, .json (details: bench/results/bench-${STAMP}/)`,
  );
}

function render(meta, cases, tunnel, targets, profiles, bulk) {
  const L = [];
  L.push(`# ncli benchmark, ${meta.started}`, '');
  L.push(
    `ncli ${meta.ncli}, Node ${meta.node}; ${meta.openstack}; python-novaclient ${meta.nova}; ${meta.curl.split(' ').slice(0, 2).join(' ')}; ${meta.hyperfine}. ` +
      `${meta.cpus} CPUs, load average ${meta.loadAverageAtStart} at start, ${meta.loadAverageAtEnd} at end. ` +
      `Runs: ncli/node/curl ${meta.runs.ncli} (+${meta.runs.warmup} warm-up), openstack/nova ${meta.runs.peers} (+${meta.runs.peerWarmup}); peak RSS: median of ${meta.runs.rss}. ` +
      `Token cache: ${meta.tokenCache}. Whole run: ${meta.seconds.toFixed(0)} s.`,
    '',
  );
  L.push('## Whole-process time (median wall clock; ratios are what matter)', '');
  L.push(
    'Floor = bare `node -e 0` + one `curl` process making the same request(s) as ncli warm, with a valid token and the same headers (for `--help`, `--version`, completion: bare node alone).',
    '',
  );
  L.push(
    '| case | floor | ncli warm | ncli cold | openstack (÷ ncli warm / cold) | nova (÷ ncli warm / cold) |',
    '|---|---:|---:|---:|---:|---:|',
  );
  for (const c of cases) {
    if (c.skipped) {
      L.push(`| ${c.title} | skipped: ${c.skipped} | | | | |`);
      continue;
    }
    const m = (k) => c.clients[k]?.median;
    const r = c.ratios;
    L.push(
      `| ${c.title} | ${fmtMs(c.floor)} | ${fmtMs(m('ncliWarm'))} (${fmtX(r.warmVsFloor)} floor) | ${fmtMs(m('ncliCold'))} (${fmtX(r.coldVsFloor)} floor) | ` +
        `${fmtMs(m('openstack'))} (${fmtX(r.openstackVsWarm)} / ${fmtX(r.openstackVsCold)}) | ${fmtMs(m('nova'))} (${fmtX(r.novaVsWarm)} / ${fmtX(m('nova') / m('ncliCold'))}) |`,
    );
  }
  L.push('');
  const extra = cases.filter((c) => !c.skipped && (c.clients.ncliBase || c.clients.ncliWarm24));
  if (extra.length) {
    L.push(
      `## Before (BENCH_BASELINE ${meta.baseline ?? 'unset'}) and Node ${meta.node24 ?? '24 (not found)'}, in the same runs`,
      '',
      '| case | ncli warm | before | Node 24: bare node | Node 24: ncli warm (÷ its floor) |',
      '|---|---:|---:|---:|---:|',
    );
    for (const c of extra) {
      const m = (k) => c.clients[k]?.median;
      const base =
        m('ncliBase') !== undefined ? `${fmtMs(m('ncliBase'))} (${fmtX(m('ncliBase') / c.floor)} floor)` : '';
      const n24 = m('node24') !== undefined ? fmtMs(m('node24')) : '';
      const w24 = m('ncliWarm24') !== undefined ? `${fmtMs(m('ncliWarm24'))} (${fmtX(c.ratios.warm24VsFloor24)})` : '';
      L.push(
        `| ${c.title} | ${fmtMs(m('ncliWarm'))} (${fmtX(c.ratios.warmVsFloor)} floor) | ${base} | ${n24} | ${w24} |`,
      );
    }
    L.push('');
  }
  const su = cases.filter((c) => !c.skipped && (c.clients.sea20 || c.clients.sea24 || c.clients.undiciIndex));
  if (su.length) {
    L.push(
      '## Start-up (issue 21): bin/ncli and the single executable on Node 20 and Node 24, against the floors',
      '',
      `Floor: node + curl (bare node for \`--help\`, \`--version\`, completion) of the same Node line. Undici floor: a bundled script making the same requests with \`undici\` (scripts/bench/undici-floor.mjs), through its index / through the deep paths ncli imports. Executables: ${
        Object.entries(meta.sea ?? {})
          .map(([k, v]) => `${k} ${v}`)
          .join('; ') || 'none (BENCH_SEA20 / BENCH_SEA24 unset)'
      }. Wall-time medians; ÷ floor in brackets.`,
      '',
      '| case | Node 20 floor | undici floor: index / parts | bin/ncli | executable | Node 24 floor | undici floor: index / parts | bin/ncli | executable |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    );
    for (const c of su) {
      const m = (k) => c.clients[k]?.median;
      const x = (k, f) => (m(k) === undefined ? '' : `${fmtMs(m(k))} (${fmtX(m(k) / f)})`);
      const u = (a, b, f) =>
        m(a) === undefined ? '' : `${fmtMs(m(a))} / ${fmtMs(m(b))} (${fmtX(m(a) / f)} / ${fmtX(m(b) / f)})`;
      L.push(
        `| ${c.title} | ${fmtMs(c.floor)} | ${u('undiciIndex', 'undiciParts', c.floor)} | ${x('ncliWarm', c.floor)} | ${x('sea20', c.floor)} | ` +
          `${c.floor24 === undefined ? '' : fmtMs(c.floor24)} | ${u('undiciIndex24', 'undiciParts24', c.floor24)} | ${x('ncliWarm24', c.floor24)} | ${x('sea24', c.floor24)} |`,
      );
    }
    L.push('');
    L.push('CPU time (user + system, mean per run), same runs:', '');
    L.push(
      '| case | node 20 | bin/ncli | executable | node 24 | bin/ncli | executable |',
      '|---|---:|---:|---:|---:|---:|---:|',
    );
    for (const c of su) {
      const cpu = (k) => (c.clients[k]?.cpu === undefined ? '' : fmtMs(c.clients[k].cpu));
      L.push(
        `| ${c.title} | ${cpu('node')} | ${cpu('ncliWarm')} | ${cpu('sea20')} | ${cpu('node24')} | ${cpu('ncliWarm24')} | ${cpu('sea24')} |`,
      );
    }
    L.push('');
  }
  L.push('## CPU time (user + system, mean per run): less sensitive than wall time to other load on the machine', '');
  L.push('| case | floor | ncli warm | ncli cold | openstack | nova |', '|---|---:|---:|---:|---:|---:|');
  for (const c of cases) {
    if (c.skipped) continue;
    const cpu = (k) => c.clients[k]?.cpu;
    const f = c.floorCpu;
    L.push(
      `| ${c.title} | ${fmtMs(f)} | ${fmtMs(cpu('ncliWarm'))} (${fmtX(cpu('ncliWarm') / f)} floor) | ${fmtMs(cpu('ncliCold'))} (${fmtX(cpu('ncliCold') / f)} floor) | ` +
        `${fmtMs(cpu('openstack'))} (${fmtX(cpu('openstack') / cpu('ncliWarm'))} ncli warm) | ${fmtMs(cpu('nova'))} (${fmtX(cpu('nova') / cpu('ncliWarm'))} ncli warm) |`,
    );
  }
  L.push('');
  L.push('## Peak RSS (MiB, GNU time %M) and rows printed', '');
  L.push(
    '| case | bare node (Node 20 / 24) | ncli warm (Node 20 / 24) | before (Node 20 / 24) | executable (Node 20 / 24) | undici floor (Node 20 / 24) | ncli cold | openstack | nova | rows ncli / openstack / nova |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  );
  for (const c of cases) {
    if (c.skipped) continue;
    const r = (k) => (c.clients[k]?.rssMiB !== undefined ? c.clients[k].rssMiB.toFixed(0) : 'n/a');
    const pair = (a, b) =>
      c.clients[a]?.rssMiB === undefined && c.clients[b]?.rssMiB === undefined ? '' : `${r(a)} / ${r(b)}`;
    const rows =
      c.clients.ncliWarm?.rows !== undefined
        ? `${c.clients.ncliWarm.rows} / ${c.clients.openstack.rows} / ${c.clients.nova.rows}`
        : '';
    L.push(
      `| ${c.title} | ${pair('node', 'node24')} | ${pair('ncliWarm', 'ncliWarm24')} | ${pair('ncliBase', 'ncliBase24')} | ${pair('sea20', 'sea24')} | ${pair('undiciParts', 'undiciParts24')} | ${r('ncliCold')} | ${r('openstack')} | ${r('nova')} | ${rows} |`,
    );
  }
  L.push('');
  const small = cases.find((c) => c.id === 'server-list' && !c.skipped);
  const big = cases.find((c) => c.id === 'server-list-200' && !c.skipped);
  if (small && big) {
    L.push(
      '## Growth with size: `server list`, ' +
        `${small.clients.ncliWarm.rows} → ${big.clients.ncliWarm.rows} servers (${small.requests?.length} → ${big.requests?.length} pages)`,
      '',
    );
    L.push('| client | time, small | time, 200+ | × | peak RSS small → 200+ (MiB) |', '|---|---:|---:|---:|---|');
    for (const [k, name] of [
      ['node', 'floor (node + curl)'],
      ['ncliWarm', 'ncli warm'],
      ['ncliCold', 'ncli cold'],
      ['openstack', 'openstack'],
      ['nova', 'nova'],
    ]) {
      const a = k === 'node' ? small.floor : small.clients[k].median;
      const b = k === 'node' ? big.floor : big.clients[k].median;
      L.push(
        `| ${name} | ${fmtMs(a)} | ${fmtMs(b)} | ${fmtX(b / a)} | ${small.clients[k].rssMiB?.toFixed(0)} → ${big.clients[k].rssMiB?.toFixed(0)} |`,
      );
    }
    L.push('');
  }
  if (tunnel) {
    L.push('## Console tunnel', '');
    if (tunnel.error) L.push(`Failed: ${tunnel.error}`, '');
    else {
      const mb = (bps) => (bps === undefined ? 'n/a' : `${(bps / MiB).toFixed(0)} MiB/s`);
      const t = tunnel.throughput;
      L.push(
        `Source: a node TCP server writing a fixed pattern, endlessly; every byte is checked by the reader. ${tunnel.bytesPerRun / MiB} MiB per run, median of the runs.`,
        '',
      );
      L.push(
        '| path | throughput | ÷ direct WebSocket | round trip (64 B) median / p99 | CPU s per GiB: source + websockify + tunnel + reader = total |',
        '|---|---:|---:|---|---|',
      );
      const cpuCell = (k) => {
        const c = t[k]?.cpuSecondsPerGiB;
        if (!c) return '';
        const tot = c.source + c.websockify + (k === 'tunnel' ? c.tunnel : 0) + c.reader;
        return `${c.source.toFixed(2)} + ${c.websockify.toFixed(2)} + ${k === 'tunnel' ? c.tunnel.toFixed(2) : '–'} + ${c.reader.toFixed(2)} = ${tot.toFixed(2)}`;
      };
      const lat = (k) =>
        tunnel.latency?.[k]
          ? `${tunnel.latency[k].medianUs.toFixed(0)} µs / ${tunnel.latency[k].p99Us.toFixed(0)} µs`
          : 'n/a';
      L.push(
        `| raw loopback TCP (reader ↔ source) | ${mb(t.tcp?.medianBps)} | ${fmtX(t.tcp?.medianBps / t.ws?.medianBps)} | ${lat('tcp')} | ${cpuCell('tcp').replace(/ \+ [\d.]+ \+ – /, ' + – + – ')} |`,
      );
      L.push(
        `| direct WebSocket client (\`ws\`) ↔ websockify ↔ source | ${mb(t.ws?.medianBps)} | 1.00× | ${lat('ws')} | ${cpuCell('ws')} |`,
      );
      L.push(
        t.tunnel
          ? `| reader ↔ \`ncli console tunnel\` ↔ websockify ↔ source | ${mb(t.tunnel.medianBps)} | ${fmtX(t.tunnel.medianBps / t.ws.medianBps)} | ${lat('tunnel')} | ${cpuCell('tunnel')} |`
          : '| `ncli console tunnel` | skipped | | | |',
      );
      L.push('');
      const total = (k) => {
        const c = t[k]?.cpuSecondsPerGiB;
        return c ? c.source + c.websockify + (k === 'tunnel' ? c.tunnel : 0) + c.reader : undefined;
      };
      if (total('ws') && total('tunnel')) {
        const ceil = (k) => `${((meta.cpus / total(k)) * 1024).toFixed(0)} MiB/s`;
        L.push(
          `Every process of a path runs on the same ${meta.cpus} cores, so CPU per GiB bounds throughput: ${meta.cpus} cores ÷ ${total('ws').toFixed(2)} s/GiB = ${ceil('ws')} for the direct client, ` +
            `÷ ${total('tunnel').toFixed(2)} s/GiB = ${ceil('tunnel')} through the tunnel (${fmtX(total('ws') / total('tunnel'))} of the direct client's ceiling). ` +
            `For 0.85× here the tunnel process may spend at most ${(total('ws') / 0.85 - (total('tunnel') - t.tunnel.cpuSecondsPerGiB.tunnel)).toFixed(2)} s/GiB; it spends ${t.tunnel.cpuSecondsPerGiB.tunnel.toFixed(2)}.`,
          '',
        );
      }
      const runs = (k) => (t[k]?.runsBps ?? []).map((b) => (b / MiB).toFixed(0)).join(', ');
      L.push(
        `Runs (MiB/s): TCP ${runs('tcp')}; WebSocket ${runs('ws')}${t.tunnel ? `; tunnel ${runs('tunnel')}` : ''}.`,
        '',
      );
      if (tunnel.stall) {
        const s = tunnel.stall;
        L.push(
          `Stalled reader: the reader stops after 1 MiB for 5 s, then drains ${(s.bytes / MiB).toFixed(0)} MiB (data ${s.ok ? 'intact' : 'CORRUPT'}): tunnel peak RSS (VmHWM) ${s.peakRssMiB?.toFixed(0)} MiB, started at ${s.rssAtStartMiB?.toFixed(0)} MiB.`,
          '',
        );
      }
      for (const n of tunnel.notes) L.push(`- ${n}`);
      if (tunnel.notes.length) L.push('');
    }
  }
  if (bulk) L.push(renderBulk(bulk), '');
  L.push('## Targets (reported, not enforced)', '');
  L.push('| target | measured | met? |', '|---|---:|---|');
  for (const t of targets)
    L.push(
      `| ${t.text} | ${t.shown} | ${t.met === null ? 'skipped' : t.met ? 'met' : `**missed**${t.why ? `: ${t.why}` : ''}`} |`,
    );
  L.push('');
  L.push('## Details (seconds: median, IQR, min–max, CPU = user + system, mean)', '');
  L.push(
    '| case | client | median | IQR | min–max | σ | CPU | runs | requests |',
    '|---|---|---:|---|---|---:|---:|---:|---|',
  );
  for (const c of cases) {
    if (c.skipped) continue;
    for (const k of [
      'node',
      'curl',
      'undiciIndex',
      'undiciParts',
      'ncliWarm',
      'sea20',
      'node24',
      'undiciIndex24',
      'undiciParts24',
      'ncliWarm24',
      'sea24',
      'ncliBase',
      'ncliCold',
      'openstack',
      'nova',
    ]) {
      const x = c.clients[k];
      if (!x || x.median === undefined) continue;
      const reqs = k === 'curl' || k === 'ncliWarm' ? (c.requests ?? []).join(', ') : '';
      L.push(
        `| ${c.id} | ${k} | ${x.median.toFixed(3)} | ${x.q1.toFixed(3)}–${x.q3.toFixed(3)} | ${x.min.toFixed(3)}–${x.max.toFixed(3)} | ${x.stddev.toFixed(3)} | ${x.cpu.toFixed(3)} | ${x.runs} | ${reqs} |`,
      );
    }
  }
  L.push('');
  const notes = cases.flatMap((c) => (c.notes ?? []).map((n) => `- ${c.id}: ${n}`));
  if (notes.length) L.push('## Notes', '', ...notes, '');
  if (profiles.length) {
    L.push('## Why targets were missed: profiles', '');
    for (const p of profiles) L.push(p.markdown, '');
  }
  return L.join('\n') + '\n';
}

main().catch(async (e) => {
  process.stderr.write(`bench: ${e.stack || e}\n`);
  for (const p of children) await stop(p);
  process.exit(1);
});
