#!/usr/bin/env node
/**
 * The start-up cost of extensions (issue 19): `ncli --help` and a completion request
 * (`ncli __complete -- server ''`) with ten generated extensions installed (NCLI_EXTENSIONS_PATH,
 * manifests already built) against none, measured with hyperfine (-N, medians of interleaved
 * rounds). The target: with ten extensions, each within 1.1× of none. No cloud needed; run
 * alone with `node scripts/bench/extensions.mjs` (after `npm run build`) or as part of
 * `npm run bench`. Knobs: BENCH_RUNS (default 20), BENCH_WARMUP (3), BENCH_ROUNDS (3).
 * Writes bench/results/extensions-<UTC time>.{md,json}.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const NCLI = join(ROOT, 'bin/ncli');
const num = (k, d) => (process.env[k] ? Number(process.env[k]) : d);
const RUNS = num('BENCH_RUNS', 20);
const WARMUP = num('BENCH_WARMUP', 3);
const ROUNDS = num('BENCH_ROUNDS', 3);
const TARGET = 1.1;

const tmp = mkdtempSync(join(tmpdir(), 'ncli-bench-ext-'));
const extDir = join(tmp, 'extensions');
mkdirSync(extDir);
// ten extensions: five add verbs to `server`, five make groups of their own; three commands each
for (let i = 0; i < 10; i++) {
  const group = i < 5 ? 'server' : `site${i}`;
  const cmds = ['report', 'check', 'audit'].map(
    (verb) => `export const do_${verb}${i} = command(
  { help: '${verb} number ${i}', output: 'list', args: [
    arg('<server...>', 'Servers', { complete: 'server' }),
    arg('--rack <rack>', 'Rack'), arg('--limit <n>', 'At most', { integer: true }), arg('--long', 'More') ] },
  async (ctx, a) => ctx.list(['Server'], a.server.map((s) => ({ Server: s }))),
);`,
  );
  writeFileSync(
    join(extDir, `${group}-bench${i}.mjs`),
    `import { arg, command } from 'ncli/extension';\nexport const help = 'Site group ${i}';\n${cmds.join('\n')}\n`,
  );
}

const base = {
  PATH: process.env.PATH,
  HOME: join(tmp, 'home'),
  XDG_CONFIG_HOME: join(tmp, 'config'),
  XDG_CACHE_HOME: join(tmp, 'cache'),
  npm_config_prefix: join(tmp, 'no-global'),
};
const withExt = { ...base, NCLI_EXTENSIONS_PATH: extDir };
// build the manifests (the one run that imports the extensions), and check they are there
const primed = spawnSync(process.execPath, [NCLI, 'extension', 'list', '-f', 'value', '-c', 'State'], {
  env: withExt,
  encoding: 'utf8',
});
const states = primed.stdout.trim().split('\n');
if (primed.status !== 0 || states.length !== 10 || states.some((s) => s !== 'ok')) {
  console.error(`extensions bench: the ten extensions did not load: ${primed.stderr || primed.stdout}`);
  process.exit(1);
}

const CASES = [
  { id: 'help', args: ['--help'] },
  { id: 'complete', args: ['__complete', '--', 'server', ''] },
];

/** hyperfine's median (seconds) of one command, and all its times. */
function measure(args, env, name) {
  const file = join(tmp, `${name}.json`);
  const argv = ['-N', '--style', 'none', '--warmup', String(WARMUP), '--runs', String(RUNS), '--export-json', file];
  // env through `env` (one exec for both sides alike): hyperfine -N runs no shell
  const cmd = ['env', '-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), process.execPath, NCLI, ...args];
  argv.push(cmd.map((w) => (/[\s'"]/.test(w) ? `'${w.replace(/'/g, `'\\''`)}'` : w)).join(' '));
  const r = spawnSync('hyperfine', argv, { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`hyperfine failed: ${r.stderr || r.stdout}`);
  const r0 = JSON.parse(readFileSync(file, 'utf8')).results[0];
  return { times: r0.times, cpu: r0.user + r0.system };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const results = [];
for (const c of CASES) {
  const none = [];
  const ten = [];
  let cpu0 = 0;
  let cpu1 = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const a = measure(c.args, base, `${c.id}-none-${r}`);
    const b = measure(c.args, withExt, `${c.id}-ten-${r}`);
    none.push(...a.times);
    ten.push(...b.times);
    cpu0 += a.cpu / ROUNDS;
    cpu1 += b.cpu / ROUNDS;
  }
  const m0 = median(none);
  const m1 = median(ten);
  results.push({
    case: c.id,
    command: `ncli ${c.args.join(' ')}`,
    noneMs: m0 * 1000,
    tenMs: m1 * 1000,
    ratio: m1 / m0,
    cpuNoneMs: cpu0 * 1000,
    cpuTenMs: cpu1 * 1000,
    cpuRatio: cpu1 / cpu0,
    none,
    ten,
  });
}

const lines = [
  `# Extensions: start-up with ten extensions vs none (${new Date().toISOString()})`,
  '',
  `hyperfine -N, ${ROUNDS} interleaved rounds × ${RUNS} runs (+${WARMUP} warm-up), medians; Node ${process.version}; target ≤ ${TARGET}×`,
  '',
  '| command | none (ms) | ten extensions (ms) | ratio | target | CPU none (ms) | CPU ten (ms) | CPU ratio |',
  '|---|---|---|---|---|---|---|---|',
  ...results.map(
    (r) =>
      `| \`${r.command}\` | ${r.noneMs.toFixed(1)} | ${r.tenMs.toFixed(1)} | ${r.ratio.toFixed(3)}× | ${r.ratio <= TARGET ? 'met' : 'MISSED'} | ${r.cpuNoneMs.toFixed(1)} | ${r.cpuTenMs.toFixed(1)} | ${r.cpuRatio.toFixed(3)}× |`,
  ),
  '',
  'Wall time is the target; CPU time (user + system, hyperfine means) is what other load on the machine disturbs least.',
];
console.log(lines.join('\n'));
const stamp = new Date().toISOString().replace(/[:]/g, '-').replace(/\..*/, 'Z');
const out = join(ROOT, 'bench/results');
mkdirSync(out, { recursive: true });
writeFileSync(join(out, `extensions-${stamp}.md`), lines.join('\n') + '\n');
writeFileSync(join(out, `extensions-${stamp}.json`), JSON.stringify({ runs: RUNS, rounds: ROUNDS, results }, null, 1));
rmSync(tmp, { recursive: true, force: true });
