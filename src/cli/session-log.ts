/**
 * `console tunnel --stdio --log FILE`: everything the console prints is appended to FILE as well as
 * shown, with a line carrying the time at each connect and disconnect, so that a serial console's
 * output survives (once the serial console is enabled, Nova's `console log` no longer has it).
 * The file is created 0600 (and made 0600 if it existed with other modes); appends never block
 * the terminal: the log is written through its own stream.
 */
import { chmodSync, createWriteStream, statSync, type WriteStream } from 'node:fs';
import { Writable } from 'node:stream';
import { ConfigError } from '../errors.js';
import { fileErrorReason } from '../fs-reasons.js';

/** An open session log. */
export interface SessionLog {
  /** A stream that writes to `out` and appends to the log; `out`'s backpressure is kept. */
  tee(out: NodeJS.WritableStream): NodeJS.WritableStream;
  /** Appends `--- <ISO time> <text> ---` on a line of its own. */
  mark(text: string): void;
  /** Flushes and closes the file. */
  close(): Promise<void>;
}

/**
 * Opens (appends to) the log file.
 * @throws ConfigError when the file cannot be opened (one line naming it and why)
 */
export async function openSessionLog(path: string, now: () => Date = () => new Date()): Promise<SessionLog> {
  const file: WriteStream = createWriteStream(path, { flags: 'a', mode: 0o600 });
  await new Promise<void>((resolve, reject) => {
    file.once('open', () => resolve());
    file.once('error', (e: NodeJS.ErrnoException) =>
      reject(new ConfigError(`Cannot write the console log ${path}: ${fileErrorReason(e, path)}.`, { cause: e })),
    );
  });
  try {
    if ((statSync(path).mode & 0o777) !== 0o600) chmodSync(path, 0o600);
  } catch {
    // not ours to change (a FIFO, /dev/null): leave it
  }
  let atLineStart = true;
  file.on('error', () => {}); // a full disk later must not kill the console session
  const append = (chunk: Buffer): void => {
    if (chunk.length === 0) return;
    file.write(chunk);
    atLineStart = chunk[chunk.length - 1] === 0x0a;
  };
  return {
    tee(out) {
      return new Writable({
        write(chunk: Buffer, _enc, cb) {
          append(chunk);
          if (out.write(chunk)) cb();
          else out.once('drain', () => cb());
        },
      });
    },
    mark(text) {
      file.write(`${atLineStart ? '' : '\n'}--- ${now().toISOString()} ${text} ---\n`);
      atLineStart = true;
    },
    close: () => new Promise<void>((resolve) => file.end(() => resolve())),
  };
}
