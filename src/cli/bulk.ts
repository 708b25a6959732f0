/**
 * Several servers at once: jobs run with bounded concurrency (a 15-line limiter, as p-limit
 * does: at most N promises in flight, started in order), a live line per job on a terminal
 * (src/cli/progress.ts), and each job's outcome on its own line when all are done — successes on
 * standard output, failures (one line each, `ncli: …`) on standard error — then, when some
 * failed, "N of M servers failed to <verb>." as python-openstackclient says for `server delete`.
 * Ctrl-C stops the waits (the actions already sent go on in Nova): those are not failures, and
 * the summary says "waiting was interrupted for N of M servers" instead.
 */
import { setMaxListeners } from 'node:events';
import type { Context } from './context.js';
import { messageFor } from './errors.js';
import { interrupts } from './process.js';
import { ProgressBoard } from './progress.js';
import { isNcliError } from '../errors.js';

/** Default of `--parallel`. */
export const DEFAULT_PARALLEL = 8;

/**
 * Runs `tasks` with at most `limit` of them at a time, in order; resolves with every outcome in
 * the order of `tasks` (a rejection is kept as such, never thrown).
 * @param limit at least 1
 */
export async function settleLimited<T>(
  tasks: readonly (() => Promise<T>)[],
  limit: number,
): Promise<PromiseSettledResult<T>[]> {
  const results: PromiseSettledResult<T>[] = new Array<PromiseSettledResult<T>>(tasks.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < tasks.length) {
      const i = next++;
      try {
        results[i] = { status: 'fulfilled', value: await tasks[i]() };
      } catch (reason) {
        results[i] = { status: 'rejected', reason };
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, tasks.length)) }, worker));
  return results;
}

/** What a job may do while it runs. */
export interface JobTools {
  /** Sets this job's live line (drawn on a terminal only). */
  progress(text: string): void;
  /** A line for standard error now (a recovered connection, …), printed with the outcomes. */
  note(line: string): void;
  /** Aborts on Ctrl-C (pass it to waits). */
  signal: AbortSignal;
}

/** One server's work: returns its success line ('' for none), throws its failure. */
export interface BulkJob {
  /** What the user typed (the first live line, before the server is known). */
  name: string;
  run(tools: JobTools): Promise<string>;
}

/** Options of {@link runBulk}. */
export interface BulkOptions {
  /** `--parallel`: jobs at once (≥ 1). */
  parallel: number;
  /** The verb of the summary line: "N of M servers failed to <verb>." */
  verb: string;
  /**
   * The jobs wait (`--wait`): live lines on a terminal, and Ctrl-C stops the waits instead of the
   * process.
   */
  wait: boolean;
}

/**
 * Runs the jobs and prints their outcomes (see the module comment).
 * @returns the exit code: 0 when every job succeeded, 130 when Ctrl-C stopped a wait, else 1 (some failed)
 */
export async function runBulk(ctx: Context, jobs: readonly BulkJob[], opts: BulkOptions): Promise<number> {
  const board = new ProgressBoard(ctx.io.err, opts.wait);
  const stop = opts.wait ? interrupts(ctx.debug) : { signal: new AbortController().signal, dispose: () => {} };
  // every waiting job listens to the one signal: no MaxListenersExceededWarning past 10 (--parallel 100)
  setMaxListeners(0, stop.signal);
  const notes: string[][] = jobs.map(() => []);
  let results: PromiseSettledResult<string>[];
  try {
    results = await settleLimited(
      jobs.map((job, i) => () => {
        board.set(String(i), `${job.name}  …`);
        return job.run({
          progress: (text) => board.set(String(i), text),
          note: (line) => notes[i].push(line),
          signal: stop.signal,
        });
      }),
      opts.parallel,
    );
  } finally {
    stop.dispose();
    board.clear();
  }
  let failed = 0;
  let interrupted = 0;
  results.forEach((r, i) => {
    for (const n of notes[i]) ctx.warn(`ncli: ${n}`);
    if (r.status === 'fulfilled') {
      if (r.value) ctx.write(r.value + '\n');
    } else {
      // a wait stopped by Ctrl-C is no failure: the action goes on in Nova
      if (isNcliError(r.reason, 'INTERRUPTED')) interrupted++;
      else failed++;
      ctx.warn(`ncli: ${messageFor(r.reason)}`);
    }
  });
  if (jobs.length > 1) {
    if (failed) ctx.warn(`ncli: ${failed} of ${jobs.length} servers failed to ${opts.verb}.`);
    if (interrupted) {
      ctx.warn(
        `ncli: waiting was interrupted for ${interrupted} of ${jobs.length} servers; their ${opts.verb} goes on in Nova.`,
      );
    }
  }
  return interrupted ? 130 : failed ? 1 : 0;
}
