/**
 * Live progress lines on a terminal: one line per server while a command waits on several
 * (status, task state, `progress` %, seconds so far), redrawn in place with ANSI cursor movement
 * (ECMA-48: CUU `ESC [ n A`, EL `ESC [ 2 K`, ED `ESC [ J`) and erased when the command is done,
 * so that only the outcome lines stay. Nothing at all is written to a stream that is not a TTY:
 * a pipe or a log file gets the outcomes only.
 */
import type { Server } from '../compute/types.js';

/** Where the lines go: standard error of the run. */
export type ProgressStream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number; rows?: number };

/** At most this many lines are drawn; the rest are counted in one last line. */
export const MAX_LINES = 20;

/** The live lines of one command. */
export class ProgressBoard {
  private readonly lines = new Map<string, string>();
  private drawn = 0;
  /** False when the stream is no terminal: then every method does nothing. */
  readonly enabled: boolean;

  /**
   * @param stream standard error (drawn only when it is a TTY)
   * @param enabled false to draw nothing even on a TTY
   */
  constructor(
    private readonly stream: ProgressStream,
    enabled = true,
  ) {
    this.enabled = enabled && stream.isTTY === true;
  }

  /** Sets the line of `key` (a new key adds a line at the bottom) and redraws. */
  set(key: string, text: string): void {
    if (!this.enabled) return;
    this.lines.set(key, text);
    this.draw();
  }

  private draw(): void {
    const width = Math.max(20, (this.stream.columns || 80) - 1);
    const all = [...this.lines.values()];
    const shown = all.length > MAX_LINES ? all.slice(0, MAX_LINES - 1) : all;
    if (all.length > shown.length) shown.push(`… and ${all.length - shown.length} more`);
    // a line longer than the terminal would wrap and break the cursor arithmetic: cut it
    const text = shown.map((l) => `\x1b[2K${l.length > width ? l.slice(0, width - 1) + '…' : l}\n`).join('');
    this.stream.write((this.drawn ? `\r\x1b[${this.drawn}A` : '') + text);
    this.drawn = shown.length;
  }

  /** Erases the lines drawn so far (the cursor ends where the first one was). */
  clear(): void {
    if (!this.enabled || !this.drawn) return;
    this.stream.write(`\r\x1b[${this.drawn}A\x1b[J`);
    this.drawn = 0;
  }
}

/**
 * One server's line: `vm1  REBOOT  rebooting  40%  3 s` (status, task state when there is one,
 * progress when Nova reports more than 0, seconds since the action).
 * @param server the server as last polled, null once it is gone (404)
 * @param seconds time since the action was sent
 */
export function progressText(label: string, server: Server | null, seconds: number): string {
  const parts = [label, server ? server.status : 'gone'];
  const task = server?.['OS-EXT-STS:task_state'];
  if (task) parts.push(task);
  if (server?.progress) parts.push(`${server.progress}%`);
  parts.push(`${Math.round(seconds)} s`);
  return parts.join('  ');
}
