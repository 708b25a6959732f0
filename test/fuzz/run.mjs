#!/usr/bin/env node
// `npm run fuzz`: the property-based tests of test/fuzz with a random seed (printed first, to
// replay a failure: FUZZ_SEED=<seed> npm run fuzz) and FUZZ_RUNS runs per 100 of npm test's
// (default 2000, i.e. 20 times longer).
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';

const seed = process.env.FUZZ_SEED ?? String(randomInt(2 ** 31 - 1));
const runs = process.env.FUZZ_RUNS ?? '2000';
console.log(
  `fuzz: FUZZ_SEED=${seed} FUZZ_RUNS=${runs} (replay with: FUZZ_SEED=${seed} FUZZ_RUNS=${runs} npm run fuzz)`,
);
const r = spawnSync('npx', ['vitest', 'run', 'test/fuzz', '--testTimeout=3600000', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, FUZZ_SEED: seed, FUZZ_RUNS: runs },
});
console.log(`fuzz: seed was ${seed}`);
process.exit(r.status ?? 1);
