/**
 * From an error to what a person reads and the exit code (0 ok, 1 failure, 2 usage). Every
 * {@link NcliError} is one line naming the cause; here its {@link Hint} becomes words naming the
 * flag or variable that fixes it (the layers below never name flags). Anything else is a bug:
 * "internal error", with the stack trace only under `--debug`.
 */
import { isNcliError, type Hint } from '../errors.js';
import { redactUrl } from '../redact.js';

/** What each hint says, as a clause appended to the message. */
export const HINTS: Readonly<Record<Hint, string>> = {
  timeout: 'raise it with --timeout SECONDS',
  'trust-ca': 'trust its CA with --os-cacert FILE (or OS_CACERT), or skip verification with --insecure',
  'auth-url': 'check OS_AUTH_URL / --os-auth-url',
  region: 'choose one with --os-region-name or OS_REGION_NAME',
  interface: 'set --os-interface / --os-region-name',
  'project-scope': 'scope to a project with OS_PROJECT_NAME / OS_PROJECT_ID',
  'local-port': 'pick another with --local PORT, or --local 0 for a free one',
  'console-type-novnc': 'use --type novnc',
  'console-url-renew': 'get a new URL, or give a SERVER instead of --url so that ncli can renew it',
  'compute-api-version': 'leave --os-compute-api-version out to negotiate one',
  passcode: 'pass it with --os-passcode or OS_PASSCODE (on a terminal, ncli asks for it)',
  'os-token': 'get a new one (openstack token issue) and pass it with OS_TOKEN or --os-token',
  'wait-timeout': 'the action goes on in Nova; wait longer with --wait-timeout SECONDS',
};

/** The exit code for an error: the NcliError's own (1, or 2 for usage), else 1. */
export function exitCodeFor(e: unknown): number {
  return isNcliError(e) ? e.exitCode : 1;
}

/** The one line to print for an error (redacted, line breaks made spaces), with its hint in words. */
export function messageFor(e: unknown): string {
  if (isNcliError(e)) {
    // every error is one line, whatever a lower layer or a server put in it
    const text = redactUrl(e.message).replace(/\s*[\r\n]+\s*/g, ' ');
    return e.hint ? `${text.replace(/\.$/, '')}; ${HINTS[e.hint]}.` : text;
  }
  const err = e as NodeJS.ErrnoException | undefined;
  if (err?.code === 'EPIPE') return 'output closed early (EPIPE)';
  return `internal error: ${redactUrl(err?.message ?? String(e))} (run with --debug for the stack trace)`;
}
