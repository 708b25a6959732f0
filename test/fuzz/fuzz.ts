/**
 * Settings shared by the property-based tests (fast-check) of test/fuzz: a fixed seed and a
 * bounded number of runs in `npm test` (CI stays fast and a failure is reproducible), more runs
 * and a random seed with `npm run fuzz` (test/fuzz/run.mjs sets FUZZ_SEED and FUZZ_RUNS).
 * fast-check prints the seed and the path of any counterexample it finds, shrunk.
 */
import fc from 'fast-check';

/** The seed of every property in this run: FUZZ_SEED, else a fixed one. */
export const FUZZ_SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 20261206;

/**
 * fast-check parameters for one property.
 * @param runs the number of runs in `npm test` (keep the whole folder under ~30 s); FUZZ_RUNS
 *   replaces it (`npm run fuzz`), scaled by the same ratio to the default of 100
 */
export function params<T>(runs: number, extra: fc.Parameters<T> = {}): fc.Parameters<T> {
  const scale = process.env.FUZZ_RUNS ? Number(process.env.FUZZ_RUNS) / 100 : 1;
  return { seed: FUZZ_SEED, numRuns: Math.max(1, Math.round(runs * scale)), ...extra };
}

/**
 * The vitest timeout of a property of `runs` runs taking about `msPerRun` each: at least the
 * suite's 60 s; none to speak of under `npm run fuzz` (FUZZ_RUNS), whose runs take what they take.
 */
export function timeout(runs: number, msPerRun: number): number {
  if (process.env.FUZZ_RUNS) return 24 * 3600 * 1000;
  return Math.max(60_000, runs * msPerRun * 3);
}
