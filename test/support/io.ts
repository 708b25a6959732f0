/**
 * Fake standard streams for running commands in-process (gh's `iostreams.Test()`): buffers for
 * stdout and stderr, an optional stdin, and `isTTY` on or off, so a handler's output can be read
 * back and its TTY behaviour chosen.
 */
import { PassThrough } from 'node:stream';
import type { ContextDeps, IO } from '../../src/cli/context.js';

type Main = (argv: string[], io: IO, deps?: ContextDeps) => Promise<number>;
/** The built CLI (dist/, written by `npm test`'s build): its manifest and lazy handlers live there. */
const distMain = new URL('../../dist/cli/main.js', import.meta.url).href;

/** A fake terminal-or-pipe output stream that keeps what was written. */
export class Capture extends PassThrough {
  isTTY: boolean;
  private chunks: Buffer[] = [];
  constructor(tty = false) {
    super();
    this.isTTY = tty;
    this.on('data', (c: Buffer) => this.chunks.push(c));
  }
  /** Everything written so far, as text. */
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
  /** The lines written so far (without the final empty one). */
  lines(): string[] {
    return this.text()
      .split('\n')
      .filter((l, i, all) => l !== '' || i < all.length - 1);
  }
}

export interface TestIO {
  io: IO;
  out: Capture;
  err: Capture;
}

/**
 * Streams for one run.
 * @param opts `tty`: whether stdout and stderr claim to be terminals; `env`: the environment
 *   (nothing of the real one leaks in); `stdin`: text to read
 */
export function testIO(
  opts: { tty?: boolean; env?: NodeJS.ProcessEnv; stdin?: string | NodeJS.ReadableStream } = {},
): TestIO {
  const out = new Capture(opts.tty);
  const err = new Capture(opts.tty);
  const io: IO = { out, err, env: { HOME: '/nonexistent', ...opts.env } };
  if (typeof opts.stdin === 'string') {
    const stdin = new PassThrough();
    stdin.end(opts.stdin);
    io.stdin = stdin;
  } else if (opts.stdin) io.stdin = opts.stdin;
  return { io, out, err };
}

/** A fake terminal for stdin: `isTTY`, and every `setRawMode` call recorded in `modes`. */
export class FakeTty extends PassThrough {
  readonly isTTY = true;
  readonly modes: boolean[] = [];
  setRawMode(mode: boolean): this {
    this.modes.push(mode);
    return this;
  }
}

/** The outcome of one in-process run. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `ncli ARGV` in this process (the built dist/cli/main.js) against `deps` (a MockAgent
 * dispatcher), with fake streams.
 * @param env the whole environment of the run (e.g. a mock cloud's OS_* variables)
 */
export async function runNcli(
  argv: string[],
  env: NodeJS.ProcessEnv,
  deps: ContextDeps = {},
  opts: { tty?: boolean; stdin?: string | NodeJS.ReadableStream } = {},
): Promise<RunResult> {
  const t = testIO({ env, tty: opts.tty, stdin: opts.stdin });
  const { main } = (await import(distMain)) as { main: Main };
  const code = await main(argv, t.io, deps);
  return { code, stdout: t.out.text(), stderr: t.err.text() };
}
