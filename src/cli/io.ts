/**
 * Standard streams and environment of a run (tests pass buffers: test/support/io.ts). `stdin` is
 * read only by `console tunnel --stdio`.
 */
export interface IO {
  /** `columns`: the terminal's width, when it is one (tables fit it; progress lines are cut to it). */
  out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  err: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  env: NodeJS.ProcessEnv;
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
}
