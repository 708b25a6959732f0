/**
 * Process concerns, kept out of the commands and of the tunnel (gh's IOStreams owns the terminal;
 * commands never touch signals): the interrupt signals turned into an AbortSignal, and a TTY's raw
 * mode that is always restored.
 */

/** The signals that end a long-running command (a tunnel) cleanly. */
const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** An AbortSignal that fires on the first SIGINT, SIGTERM or SIGHUP; `dispose()` removes the handlers. */
export interface Interrupts {
  readonly signal: AbortSignal;
  dispose(): void;
}

/**
 * Turns SIGINT/SIGTERM/SIGHUP into an abort: while this is in place the process does not die on
 * them, the command closes what it opened and returns (exit 0 for a tunnel stopped by Ctrl-C).
 * @param debug told which signal arrived
 */
export function interrupts(debug?: (line: string) => void): Interrupts {
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => {
    debug?.(`${sig}: stopping`);
    controller.abort();
  };
  for (const s of STOP_SIGNALS) process.on(s, onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      for (const s of STOP_SIGNALS) process.off(s, onSignal);
    },
  };
}

/** A stream that may be a terminal in raw mode (process.stdin). */
export type MaybeTty = NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };

/** Raw mode set on a terminal; `restore()` (idempotent) puts the terminal back. */
export interface RawMode {
  restore(): void;
}

/**
 * Puts a TTY in raw mode (keys reach the remote as typed: Ctrl-C is a byte, not SIGINT) until
 * `restore()`, which also runs when the process exits, however it exits. Does nothing for a
 * stream that is not a TTY.
 */
export function enterRawMode(stream: MaybeTty): RawMode {
  if (stream.isTTY !== true || typeof stream.setRawMode !== 'function') return { restore: () => {} };
  let raw = true;
  const restore = (): void => {
    if (!raw) return;
    raw = false;
    process.off('exit', restore);
    try {
      stream.setRawMode?.(false);
    } catch {
      // the terminal may already be gone
    }
  };
  process.once('exit', restore);
  stream.setRawMode(true);
  return { restore };
}
