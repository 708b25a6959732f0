// The fan-out case of `npm run bench` (issue 19; called by run.sh; standalone: node
// scripts/bench/fanout.mjs): `ncli --os-cloud a,b,c server list` against the same three clouds
// run one after another (`ncli --os-cloud a server list; … b …; … c …`), with hyperfine.
//   clouds: devcloud, devcloud-demo, devcloud-tls of the harness's clouds.yaml (BENCH_FANOUT_CLOUDS);
//   warm: a cache folder primed by one run (tokens, catalogs, version documents from the cache);
//   cold: an empty cache folder before every run (hyperfine --prepare): every cloud logs in.
// The three clouds share one Keystone and one Nova, so the fan-out's gain here is the overlap of
// three clouds' round trips (and one Node start instead of three); far-away clouds gain more.
// Runs interleaved in ROUNDS rounds, medians reported. Results: bench/results/fanout-<UTC time>.md
// and .json (hyperfine's JSON per command in bench/results/fanout-<UTC time>/).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const CLOUD_DIR = process.env.NCLI_CLOUD_DIR ?? '/tmp/ncli-cloud';
const CLOUDS = (process.env.BENCH_FANOUT_CLOUDS ?? 'devcloud,devcloud-demo,devcloud-tls').split(',');
const RUNS = Number(process.env.BENCH_FANOUT_RUNS ?? 5);
const ROUNDS = Number(process.env.BENCH_FANOUT_ROUNDS ?? 2);
const STAMP = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
const OUT = join(ROOT, 'bench', 'results');
const HF = join(OUT, `fanout-${STAMP}`);
const log = (m) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} [fanout] ${m}\n`);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n ? (n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2) : NaN;
};
const q = (s) => `'${s.replace(/'/g, `'\\''`)}'`;

const yaml = join(CLOUD_DIR, 'clouds.yaml');
if (!existsSync(yaml)) {
  log(`skipped: no ${yaml} (npm run cloud:up)`);
  process.exit(0);
}
mkdirSync(HF, { recursive: true });
const env = { ...process.env };
for (const k of Object.keys(env)) if (k.startsWith('OS_')) delete env[k];
env.OS_CLIENT_CONFIG_FILE = yaml;
const warmCache = mkdtempSync(join(tmpdir(), 'ncli-bench-fanout-'));
const coldCache = join(tmpdir(), `ncli-bench-fanout-cold-${process.pid}`);
const ncli = `${q(process.execPath)} ${q(join(ROOT, 'bin', 'ncli'))}`;
const list = (cloud) => `${ncli} --os-cloud ${q(cloud)} server list --no-name-lookup -f json >/dev/null`;
const commands = {
  fanout: list(CLOUDS.join(',')),
  sequential: CLOUDS.map(list).join(' && '),
};

// one run primes the warm cache and checks that both give the same rows
const rows = (script) => {
  const r = spawnSync('bash', ['-c', script.replace(/ >\/dev\/null/g, '')], {
    env: { ...env, XDG_CACHE_HOME: warmCache },
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0)
    throw new Error(`${script}: exit ${r.status}: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`);
  return r.stdout;
};
const fanRows = JSON.parse(rows(commands.fanout)).length;
const seqRows = rows(commands.sequential)
  .split(/(?<=\])\s*(?=\[)/)
  .reduce((n, part) => n + JSON.parse(part).length, 0);
log(`${CLOUDS.length} clouds: ${fanRows} rows with --os-cloud ${CLOUDS.join(',')}, ${seqRows} one cloud at a time`);

/** hyperfine on one shell script; returns every run's time (seconds). */
function hyperfine(name, script, cache, cold) {
  const file = join(HF, `${name}.json`);
  const args = ['--runs', String(RUNS), '--warmup', cold ? '0' : '1', '--export-json', file, '--style', 'none'];
  if (cold) args.push('--prepare', `rm -rf ${q(cache)} && mkdir -p ${q(cache)}`);
  args.push(script);
  const r = spawnSync('hyperfine', args, {
    env: { ...env, XDG_CACHE_HOME: cache },
    encoding: 'utf8',
    timeout: 900_000,
  });
  if (r.status !== 0)
    throw new Error(`hyperfine ${name}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`);
  return JSON.parse(readFileSync(file, 'utf8')).results[0].times;
}

const times = { 'warm fanout': [], 'warm sequential': [], 'cold fanout': [], 'cold sequential': [] };
for (let round = 1; round <= ROUNDS; round++) {
  for (const kind of ['warm', 'cold']) {
    for (const [what, script] of Object.entries(commands)) {
      const key = `${kind} ${what}`;
      log(`round ${round}/${ROUNDS}: ${key}`);
      const cache = kind === 'warm' ? warmCache : coldCache;
      times[key].push(...hyperfine(`${kind}-${what}-${round}`, script, cache, kind === 'cold'));
    }
  }
}
rmSync(coldCache, { recursive: true, force: true });

const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
const row = (kind) =>
  `| ${kind} | ${m[`${kind} fanout`].toFixed(3)} s | ${m[`${kind} sequential`].toFixed(3)} s | ${(m[`${kind} sequential`] / m[`${kind} fanout`]).toFixed(2)}× |`;
const md = [
  `# Fan-out: ${CLOUDS.length} clouds at once vs one after another (${STAMP} UTC)`,
  '',
  `\`ncli --os-cloud ${CLOUDS.join(',')} server list --no-name-lookup -f json\` against the same command with one`,
  `cloud at a time, run one after another. Medians of ${RUNS * ROUNDS} runs each (${ROUNDS} interleaved rounds of ${RUNS}).`,
  `Rows: ${fanRows} (fan-out), ${seqRows} (one at a time).`,
  '',
  '| cache | fan-out | one after another | speed-up |',
  '|---|---|---|---|',
  row('warm'),
  row('cold'),
  '',
].join('\n');
writeFileSync(join(OUT, `fanout-${STAMP}.md`), md);
writeFileSync(
  join(OUT, `fanout-${STAMP}.json`),
  JSON.stringify(
    { clouds: CLOUDS, runs: RUNS, rounds: ROUNDS, rows: { fanRows, seqRows }, medians: m, times },
    null,
    1,
  ),
);
process.stdout.write(md);
