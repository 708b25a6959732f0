// The drain case of `npm run bench` (called by run.sh; standalone: node scripts/bench/drain.mjs):
// a live drain of 16 servers off the cloud's second compute host, ncli against python-novaclient.
//   ncli: `ncli host drain HOST --wait` (disables the host, live-migrates 4 at a time, follows each
//         one, checks the host is empty);
//   nova: `nova host-evacuate-live HOST` (one request per server, all at once), then the polling
//         loop an operator writes: `nova list --all-tenants --host HOST` every 2 s until it is empty.
// Wall time and CPU time (user + system of every process of the case, from GNU time), runs
// interleaved. The 16 servers are made for the case in project `bench` (BENCH_PROJECT) on the
// second host (cloud.env COMPUTE2_HOST) with short fake live migrations (metadata
// devcloud_live_migration_seconds, BENCH_DRAIN_MIGRATION_SECONDS, default 1), moved back between
// runs (not timed) and deleted at the end. Results: bench/results/drain-<UTC time>.md and .json.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const CLOUD_DIR = process.env.NCLI_CLOUD_DIR ?? '/tmp/ncli-cloud';
const COUNT = Number(process.env.BENCH_DRAIN_SERVERS ?? 16);
const RUNS = Number(process.env.BENCH_DRAIN_RUNS ?? 2);
const SECONDS = process.env.BENCH_DRAIN_MIGRATION_SECONDS ?? '1';
const PROJECT = process.env.BENCH_PROJECT ?? 'bench';
const PREFIX = 'bench-drain';
const STAMP = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
const log = (m) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} [drain] ${m}\n`);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n ? (n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2) : NaN;
};

function facts() {
  const out = {};
  for (const line of readFileSync(join(CLOUD_DIR, 'cloud.env'), 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]] = m[2];
  }
  return out;
}

/** The cloud's openrc (admin) as an environment, scoped to the bench project; no clouds.yaml. */
function oscEnv() {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('OS_')) delete env[k];
  for (const line of readFileSync(join(CLOUD_DIR, 'openrc'), 'utf8').split('\n')) {
    const m = /^export (OS_[A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) env[m[1]] = m[2].replace(/^['"]|['"]$/g, '');
  }
  env.OS_PROJECT_NAME = PROJECT;
  return env;
}

/** Runs a bash script under GNU time: {wall, cpu} seconds and its output. @throws on a non-zero exit */
function timed(script, env) {
  const r = spawnSync('/usr/bin/time', ['-f', '@@time %e %U %S', 'bash', '-c', script], {
    env,
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    timeout: 1_800_000,
  });
  const m = /@@time ([\d.]+) ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr || '');
  if (r.status !== 0 || !m) {
    throw new Error(`exit ${r.status}: ${(r.stderr || r.stdout || '').trim().split('\n').slice(-4).join(' | ')}`);
  }
  return { wall: Number(m[1]), cpu: Number(m[2]) + Number(m[3]), out: r.stdout };
}

const f = facts();
const HOST = f.COMPUTE2_HOST;
if (!HOST || !existsSync(join(CLOUD_DIR, 'openrc'))) {
  log(`skipped: the cloud has no second compute host (cloud.env COMPUTE2_HOST) or no openrc in ${CLOUD_DIR}`);
  process.exit(0);
}
const env = { ...oscEnv(), XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'ncli-bench-drain-')) };
const n = `${JSON.stringify(process.execPath)} ${JSON.stringify(join(ROOT, 'bin', 'ncli'))}`;
const nova = 'nova 2> >(grep -v "nova CLI is deprecated" >&2)';
const onHost = `openstack server list --no-name-lookup --all-projects --host ${HOST} --limit -1 -f value -c ID -c Name`;
const sh = (script) => timed(script, env);

// the host must hold nothing but this case's servers (the drain would move anything else):
// wait up to BENCH_DRAIN_WAIT seconds (default 300) for other servers (tests) to leave it
const others = () => {
  try {
    return sh(onHost)
      .out.split('\n')
      .filter((l) => l && !l.includes(` ${PREFIX}-`));
  } catch (e) {
    return [`(the cloud did not answer: ${e.message.slice(0, 80)})`];
  }
};
for (const until = Date.now() + Number(process.env.BENCH_DRAIN_WAIT ?? 300) * 1000; ;) {
  const other = others();
  if (!other.length) break;
  if (Date.now() > until) {
    log(`skipped: ${HOST} holds servers of others (${other.slice(0, 3).join('; ')}…): the drain would move them`);
    process.exit(0);
  }
  log(`waiting for ${other.length} other servers to leave ${HOST}`);
  spawnSync('sleep', ['10']);
}

const result = {
  host: HOST,
  servers: COUNT,
  migrationSeconds: Number(SECONDS),
  runs: RUNS,
  ncli: { wall: [], cpu: [] },
  nova: { wall: [], cpu: [] },
  notes: [],
};
result.commands = {
  ncli: `ncli host drain ${HOST} --wait`,
  nova: `nova host-evacuate-live ${HOST}; until nova list --all-tenants --host ${HOST} shows no server: sleep 2`,
};
const ids = () =>
  sh(`openstack server list --no-name-lookup --name '^${PREFIX}-' --limit -1 -f value -c ID`)
    .out.split('\n')
    .filter(Boolean);
/** Puts every server of the case back on HOST (live migrations, not timed) and the host enabled. */
function back() {
  sh(`${n} compute service set ${HOST} nova-compute --enable >/dev/null`);
  const away = sh(`openstack server list --no-name-lookup --name '^${PREFIX}-' --limit -1 -f value -c ID -c Host`)
    .out.split('\n')
    .filter((l) => l && !l.endsWith(` ${HOST}`))
    .map((l) => l.split(' ')[0]);
  if (away.length)
    sh(`${n} server migrate ${away.join(' ')} --live-migration --host ${HOST} --parallel 16 --wait >/dev/null`);
}

try {
  log(`creating ${COUNT} servers ${PREFIX}-1 … ${PREFIX}-${COUNT} on ${HOST} in project ${PROJECT}`);
  const old = ids();
  if (old.length) sh(`${n} server delete ${old.join(' ')} --wait >/dev/null`);
  sh(
    `${nova} boot --availability-zone nova:${HOST} --nic none --image devcloud-image --flavor m1.tiny ` +
      `--meta devcloud_live_migration_seconds=${SECONDS} --min-count ${COUNT} --max-count ${COUNT} ${PREFIX} >/dev/null`,
  );
  for (let i = 0; ; i++) {
    const st = sh(`openstack server list --no-name-lookup --name '^${PREFIX}-' --limit -1 -f value -c Status`)
      .out.split('\n')
      .filter(Boolean);
    if (st.length === COUNT && st.every((s) => s === 'ACTIVE')) break;
    if (i > 150) throw new Error(`servers not ACTIVE after 5 min: ${st.join(' ')}`);
    spawnSync('sleep', ['2']);
  }
  const scripts = {
    ncli: `${n} host drain ${HOST} --disable-reason 'ncli bench' --wait >/dev/null`,
    nova:
      `${nova} host-evacuate-live ${HOST} >/dev/null && ` +
      `for i in $(seq 1 900); do [ -z "$(${nova} list --all-tenants --host ${HOST} --fields id | grep -oE '[0-9a-f]{8}-[0-9a-f-]{27}')" ] && break; sleep 2; done`,
  };
  for (let r = 0; r < RUNS; r++) {
    for (const who of ['ncli', 'nova']) {
      back();
      const t = sh(scripts[who]);
      result[who].wall.push(t.wall);
      result[who].cpu.push(t.cpu);
      log(`${who} run ${r + 1}/${RUNS}: ${t.wall.toFixed(2)} s wall, ${t.cpu.toFixed(2)} s CPU`);
      const left = sh(onHost).out.trim();
      if (left)
        result.notes.push(`${who} run ${r + 1}: the host was not empty afterwards: ${left.split('\n').length} servers`);
    }
  }
} catch (e) {
  result.error = String(e.message || e);
  log(`failed: ${result.error}`);
} finally {
  log('deleting the servers; enabling the host');
  try {
    const left = ids();
    if (left.length) sh(`${n} server delete ${left.join(' ')} --wait >/dev/null`);
    sh(`${n} compute service set ${HOST} nova-compute --enable >/dev/null`);
  } catch (e) {
    result.notes.push(`cleanup failed: ${e.message}; delete ${PREFIX}-* and enable ${HOST} by hand`);
  }
}
for (const who of ['ncli', 'nova']) {
  result[who].medianWall = median(result[who].wall);
  result[who].medianCpu = median(result[who].cpu);
}
const s = (x) => (Number.isFinite(x) ? `${x.toFixed(2)} s` : 'n/a');
const x = (a, b) => (Number.isFinite(a / b) ? `${(a / b).toFixed(1)}×` : 'n/a');
const md = [
  `### Drain: ${COUNT} servers live-migrated off ${HOST} until it is empty (median of ${RUNS}; ${SECONDS} s fake migrations)`,
  '',
  ...(result.error ? [`Failed: ${result.error}`, ''] : []),
  '| client | wall | CPU (all processes) | runs (wall) | runs (CPU) |',
  '|---|---:|---:|---|---|',
  `| ncli \`host drain --wait\` | ${s(result.ncli.medianWall)} | ${s(result.ncli.medianCpu)} | ${result.ncli.wall.map((v) => v.toFixed(2)).join(', ')} | ${result.ncli.cpu.map((v) => v.toFixed(2)).join(', ')} |`,
  `| nova \`host-evacuate-live\` + polling loop | ${s(result.nova.medianWall)} (${x(result.nova.medianWall, result.ncli.medianWall)} ncli) | ${s(result.nova.medianCpu)} (${x(result.nova.medianCpu, result.ncli.medianCpu)}) | ${result.nova.wall.map((v) => v.toFixed(2)).join(', ')} | ${result.nova.cpu.map((v) => v.toFixed(2)).join(', ')} |`,
  '',
  `ncli: \`${result.commands.ncli}\`; nova: \`${result.commands.nova}\`.`,
  ...result.notes.map((t) => `- ${t}`),
  '',
].join('\n');
const dir = join(ROOT, 'bench', 'results');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, `drain-${STAMP}.md`), md);
writeFileSync(join(dir, `drain-${STAMP}.json`), JSON.stringify(result, null, 2));
process.stdout.write(md);
log(`results in bench/results/drain-${STAMP}.md`);
process.exit(result.error ? 1 : 0);
