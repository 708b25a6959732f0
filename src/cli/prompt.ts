/**
 * Asking the person at the terminal for a secret (a password, a TOTP passcode) without echo, as
 * openstackclient does with `getpass`: the question on stderr, the answer read from stdin in raw
 * mode (so it is never shown), Enter ends it, Backspace edits, Ctrl-C or Ctrl-D cancels. Only when
 * both stdin and stderr are terminals; a script gets a one-line error instead (src/identity).
 */
import { NcliError } from '../errors.js';
import type { IO } from './io.js';
import { enterRawMode } from './process.js';

/** Whether a person can be asked: stdin and stderr are terminals. */
export function canPrompt(io: IO): boolean {
  // stderr first: bin/ncli opens stdin only when it is asked for (a few ms), and a script's
  // stderr is rarely a terminal
  return io.err.isTTY === true && io.stdin?.isTTY === true && typeof io.stdin.setRawMode === 'function';
}

/**
 * Asks `question` and reads the answer without echo.
 * @returns the answer (without the line end)
 * @throws NcliError `USAGE` "Cancelled." (exit 130) when Ctrl-C or Ctrl-D is typed
 */
export function askSecret(io: IO, question: string): Promise<string> {
  const stdin = io.stdin!;
  io.err.write(question);
  const raw = enterRawMode(stdin);
  return new Promise<string>((resolve, reject) => {
    let answer = '';
    const done = (error?: Error): void => {
      stdin.removeListener('data', onData);
      stdin.pause();
      raw.restore();
      io.err.write('\n');
      if (error) reject(error);
      else resolve(answer);
    };
    const onData = (chunk: Buffer | string): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003' || ch === '\u0004') return done(new NcliError('USAGE', 'Cancelled.', { exitCode: 130 }));
        if (ch === '\u007f' || ch === '\b') answer = answer.slice(0, -1);
        else if (ch >= ' ') answer += ch;
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}
