/**
 * From an error to what a person reads and the exit code: 0 ok, 1 failure (API, auth, network,
 * not found), 2 usage. Known errors are one line naming cause and fix; anything else is an
 * internal error, with the stack trace only under `--debug`.
 */
import { redactUrl } from '../http/redact.js';

/** The command line itself is wrong (exit 2). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Errors whose message is already written for a person (by class name, to avoid importing heavy modules). */
const KNOWN = new Set([
  'ConfigError',
  'AuthError',
  'ApiError',
  'NetworkError',
  'TimeoutError',
  'NotFoundError',
  'AmbiguousNameError',
  'EndpointNotFoundError',
  'MicroversionError',
  'CaBundleError',
  'TunnelError',
  'ConsoleError',
  'OutputOptionError',
  'UsageError',
]);

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** The exit code for an error. */
export function exitCodeFor(e: unknown): number {
  const name = (e as Error)?.name;
  return name === 'UsageError' || name === 'OutputOptionError' ? EXIT_USAGE : EXIT_FAILURE;
}

/** The one line to print for an error (redacted). */
export function messageFor(e: unknown): string {
  const err = e as Error;
  if (err && KNOWN.has(err.name)) return redactUrl(err.message);
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'EPIPE') return 'output closed early (EPIPE)';
  return `internal error: ${redactUrl(err?.message ?? String(e))} (run with --debug for the stack trace)`;
}
