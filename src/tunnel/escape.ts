/**
 * The `~.` escape of a terminal session (as ssh and larsks/novaconsole): typed at the start of a
 * line (right after CR or LF, or first of all) it disconnects; `~~` sends one `~`. A pure state
 * machine over byte chunks, so a `~` and a `.` split across reads still count.
 */

/** State of the `~.` escape scanner; start with {@link initialEscapeState}. */
export interface EscapeState {
  /** At the start of input or right after `\r` or `\n`. */
  atLineStart: boolean;
  /** A `~` at line start was read and is held back. */
  pendingTilde: boolean;
}

/** Result of {@link scanEscape}. */
export interface EscapeResult {
  /** The state after this chunk. */
  state: EscapeState;
  /** Bytes to send to the remote (escape bytes removed). */
  data: Buffer;
  /** `true` when `~.` was typed: disconnect; bytes after it are dropped. */
  disconnect: boolean;
}

/** The scanner's state at the very start of a session (at line start). */
export const initialEscapeState: EscapeState = Object.freeze({ atLineStart: true, pendingTilde: false });

const TILDE = 0x7e;
const DOT = 0x2e;
const CR = 0x0d;
const LF = 0x0a;

/**
 * Scans one chunk of terminal input for the ssh/novaconsole escape:
 * `~.` typed at the very start or right after `\r`/`\n` disconnects (neither
 * byte is sent); `~~` there sends one `~`; `~` followed by anything else
 * sends both. A `~` elsewhere is plain data. A held `~` carries over to the
 * next chunk. Pure: the input is not modified.
 *
 * @param state the state returned for the previous chunk
 * @param chunk raw bytes read from the terminal
 * @returns new state, bytes to forward, and whether to disconnect
 */
export function scanEscape(state: EscapeState, chunk: Uint8Array): EscapeResult {
  let { atLineStart, pendingTilde } = state;
  const out: number[] = [];
  for (let i = 0; i < chunk.length; i++) {
    const b = chunk[i];
    if (pendingTilde) {
      pendingTilde = false;
      if (b === DOT) {
        return { state: { atLineStart: false, pendingTilde: false }, data: Buffer.from(out), disconnect: true };
      }
      out.push(TILDE);
      if (b === TILDE) {
        atLineStart = false;
        continue;
      }
    } else if (atLineStart && b === TILDE) {
      pendingTilde = true;
      continue;
    }
    out.push(b);
    atLineStart = b === CR || b === LF;
  }
  return { state: { atLineStart, pendingTilde }, data: Buffer.from(out), disconnect: false };
}

/**
 * A stateful wrapper around {@link scanEscape} for one session.
 *
 * @returns a function taking each input chunk and returning what to send
 *   and whether `~.` was typed
 */
export function createEscapeFilter(): (chunk: Uint8Array) => { data: Buffer; disconnect: boolean } {
  let state = initialEscapeState;
  return (chunk) => {
    const r = scanEscape(state, chunk);
    state = r.state;
    return { data: r.data, disconnect: r.disconnect };
  };
}
