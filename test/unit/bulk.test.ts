/**
 * The outcome lines of a bulk action (src/cli/bulk.ts): failures are counted as failures, a wait
 * stopped by Ctrl-C (`INTERRUPTED`) is not: its summary says that waiting was interrupted.
 */
import { describe, expect, it } from 'vitest';
import { runBulk, type BulkJob } from '../../src/cli/bulk.js';
import type { Context } from '../../src/cli/context.js';
import { NcliError, NotFoundError } from '../../src/errors.js';
import { testIO } from '../support/io.js';

function fakeContext() {
  const { io, out, err } = testIO();
  const ctx = {
    io,
    debug: () => {},
    warn: (line: string) => io.err.write(line + '\n'),
    write: (text: string) => io.out.write(text),
  } as unknown as Context;
  return { ctx, out, err };
}

const interruptedJob = (name: string): BulkJob => ({
  name,
  run: () =>
    Promise.reject(
      new NcliError(
        'INTERRUPTED',
        `Stopped waiting for server ${name} (ACTIVE (task powering-off)); its stop goes on in Nova.`,
      ),
    ),
});

describe('runBulk summary', () => {
  it('Ctrl-C during the waits: no "failed", but waiting was interrupted; exit 130', async () => {
    const { ctx, err } = fakeContext();
    const code = await runBulk(ctx, ['a', 'b', 'c'].map(interruptedJob), { parallel: 8, verb: 'stop', wait: false });
    expect(code).toBe(130);
    expect(err.lines()).toEqual([
      'ncli: Stopped waiting for server a (ACTIVE (task powering-off)); its stop goes on in Nova.',
      'ncli: Stopped waiting for server b (ACTIVE (task powering-off)); its stop goes on in Nova.',
      'ncli: Stopped waiting for server c (ACTIVE (task powering-off)); its stop goes on in Nova.',
      'ncli: waiting was interrupted for 3 of 3 servers; their stop goes on in Nova.',
    ]);
  });

  it('a real failure next to interrupted waits is counted alone', async () => {
    const { ctx, out, err } = fakeContext();
    const jobs: BulkJob[] = [
      { name: 'ok', run: async () => 'Stopped server ok.' },
      { name: 'ghost', run: () => Promise.reject(new NotFoundError("No server with a name or ID of 'ghost' exists.")) },
      interruptedJob('c'),
    ];
    const code = await runBulk(ctx, jobs, { parallel: 8, verb: 'stop', wait: false });
    expect(code).toBe(130);
    expect(out.text()).toBe('Stopped server ok.\n');
    expect(err.lines().slice(-2)).toEqual([
      'ncli: 1 of 3 servers failed to stop.',
      'ncli: waiting was interrupted for 1 of 3 servers; their stop goes on in Nova.',
    ]);
  });
});
