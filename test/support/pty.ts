/**
 * Running `bin/ncli` in a real pseudo-terminal (Debian's Python `pty`; there is no node-pty here)
 * and answering it like a person: wait for some output, type something, and so on; for prompts
 * (no echo), raw mode and the `~.` escape.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NCLI, run } from './cloud.js';

/** One step: wait up to `seconds` for `until` to appear in the output (or just wait), then type `write`. */
export interface PtyStep {
  until?: string;
  seconds: number;
  write?: string;
}

/** What the terminal showed (as Python's repr of the bytes) and the exit code. */
export interface PtyResult {
  screen: string;
  code: string;
  stderr: string;
}

/**
 * Runs `ncli ARGS` in a pty, going through `steps`, then waits for it to exit.
 * @param env the whole environment of the run
 */
export async function ncliInPty(args: string[], steps: PtyStep[], env: Record<string, string>): Promise<PtyResult> {
  const py = (s: string) => JSON.stringify(s); // a JSON string literal is a Python string literal here
  const script = [
    'import os, pty, select, sys, time',
    'pid, fd = pty.fork()',
    'if pid == 0:',
    `    os.execv(${py(process.execPath)}, ["node", ${py(NCLI)}, ${args.map(py).join(', ')}])`,
    'out = b""',
    'def pump(seconds, until=None):',
    '    global out',
    '    end = time.time() + seconds',
    '    while time.time() < end and not (until and until in out):',
    '        r, _, _ = select.select([fd], [], [], 0.05)',
    '        if r:',
    '            try:',
    '                d = os.read(fd, 4096)',
    '            except OSError:',
    '                return',
    '            if not d:',
    '                return',
    '            out += d',
    ...steps.flatMap((s) => [
      `pump(${s.seconds}, ${s.until === undefined ? 'None' : `${py(s.until)}.encode()`})`,
      ...(s.write === undefined ? [] : [`os.write(fd, ${py(s.write)}.encode())`]),
    ]),
    'pump(20)',
    '_, status = os.waitpid(pid, 0)',
    'sys.stdout.write(repr(out) + "\\n" + str(os.waitstatus_to_exitcode(status)) + "\\n")',
  ].join('\n');
  const file = join(mkdtempSync(join(tmpdir(), 'ncli-pty-')), 'ncli_in_pty.py');
  writeFileSync(file, script);
  const r = await run('/usr/bin/python3', [file], env, { timeoutMs: 60_000 });
  const [screen = '', code = ''] = r.stdout.trim().split('\n');
  return { screen, code, stderr: r.stderr };
}
