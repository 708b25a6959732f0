/**
 * The one error model of ncli (as got's `RequestError` subclasses and undici's `UND_ERR_*` codes):
 * every failure a person may see is an {@link NcliError} with a stable {@link ErrorCode}, a
 * message that is one human line naming the cause, and optionally a {@link Hint} naming the kind
 * of fix. The layers below the CLI (http/, identity/, compute/, tunnel/) never mention a command
 * line flag: src/cli/errors.ts turns the hint into words ("raise it with --timeout SECONDS") and
 * decides the exit code. Anything that is not an NcliError is a bug ("internal error").
 *
 * This module has no imports, so every layer can use it without loading anything else.
 */

/**
 * Stable identifiers of failures (safe to match on in scripts and tests):
 * - `USAGE`: the command line is wrong (exit 2);
 * - `CONFIG`: a setting is missing, contradictory or has a bad value; `CLOUDS_YAML`: a clouds.yaml
 *   or secure.yaml that cannot be read or parsed; `CA_BUNDLE`: an unreadable CA bundle;
 * - `AUTH`: Keystone refused the credentials (or answered something that is not a token);
 *   `MFA_REQUIRED`: Keystone wants another auth method (TOTP passcode…);
 * - `ENDPOINT_NOT_FOUND`: the service catalog has no matching endpoint; `MICROVERSION`: a compute
 *   API version that cannot be used;
 * - `API`: a service answered HTTP ≥ 400; `BAD_RESPONSE`: an answer ncli cannot use (not JSON,
 *   wrong shape); `REDIRECT`: a redirect ncli will not follow;
 * - `NETWORK`, `TLS`, `TIMEOUT`: no usable HTTP answer;
 * - `NOT_FOUND`, `AMBIGUOUS`: a name or ID that matches nothing, or several resources;
 * - `CONSOLE`: Nova would not hand out a console (or ncli knows it cannot be used);
 * - server actions: `REFUSED` (Nova refused it: wrong state, locked, policy, a bad flavor),
 *   `FAILED` (Nova took it but it failed: the server went to ERROR or an event failed),
 *   `WAIT_TIMEOUT` (the server did not get there within the wait), `INTERRUPTED` (Ctrl-C while
 *   waiting);
 * - console tunnel: `BAD_URL`, `BAD_LISTEN`, `EADDRINUSE`, `EACCES`, `EADDRNOTAVAIL`, `LISTEN`,
 *   `UNREACHABLE`, `HANDSHAKE`, `TOKEN_REJECTED`, `LOST`, `ABORTED` (see src/tunnel/errors.ts);
 * - console screenshot (RFB): `NOT_VNC`, `PROTOCOL`, `UNSUPPORTED_SECURITY`, `VNC_REFUSED`, `CLOSED_EARLY`
 *   (see src/screenshot/rfb.ts);
 * - `OUTPUT`: the output stream was closed early (EPIPE).
 */
export type ErrorCode =
  | 'USAGE'
  | 'CONFIG'
  | 'CLOUDS_YAML'
  | 'CA_BUNDLE'
  | 'AUTH'
  | 'MFA_REQUIRED'
  | 'ENDPOINT_NOT_FOUND'
  | 'MICROVERSION'
  | 'API'
  | 'BAD_RESPONSE'
  | 'REDIRECT'
  | 'NETWORK'
  | 'TLS'
  | 'TIMEOUT'
  | 'NOT_FOUND'
  | 'AMBIGUOUS'
  | 'CONSOLE'
  | 'REFUSED'
  /** A resource of that name exists already (a keypair, an aggregate, a flavor ID: HTTP 409). */
  | 'CONFLICT'
  | 'FAILED'
  | 'WAIT_TIMEOUT'
  | 'INTERRUPTED'
  | 'BAD_URL'
  | 'BAD_LISTEN'
  | 'EADDRINUSE'
  | 'EACCES'
  | 'EADDRNOTAVAIL'
  | 'LISTEN'
  | 'UNREACHABLE'
  | 'HANDSHAKE'
  | 'TOKEN_REJECTED'
  | 'LOST'
  | 'ABORTED'
  | 'NOT_VNC'
  | 'PROTOCOL'
  | 'UNSUPPORTED_SECURITY'
  | 'VNC_REFUSED'
  | 'CLOSED_EARLY'
  | 'OUTPUT';

/**
 * The kind of fix a lower layer suggests; src/cli/errors.ts words it with the matching flag or
 * variable (`timeout` → "raise it with --timeout SECONDS"). Lower layers pick one, never a flag.
 */
export type Hint =
  | 'timeout'
  | 'trust-ca'
  | 'auth-url'
  | 'region'
  | 'interface'
  | 'project-scope'
  | 'local-port'
  | 'console-type-novnc'
  | 'console-url-renew'
  | 'compute-api-version'
  | 'passcode'
  | 'os-token'
  | 'wait-timeout';

/** Options of {@link NcliError}. */
export interface NcliErrorOptions {
  /** The underlying error, for `--debug`. */
  cause?: unknown;
  /** The kind of fix to suggest (worded by the CLI). */
  hint?: Hint;
  /** Exit status; 1 unless given (2 for usage errors). */
  exitCode?: number;
}

/** The base of every error ncli reports to a person. `message` is one line, without any secret. */
export class NcliError extends Error {
  override readonly name: string = 'NcliError';
  /** Exit status of the process when this error ends it. */
  readonly exitCode: number;
  readonly hint?: Hint;

  /**
   * @param code stable identifier, see {@link ErrorCode}
   * @param message one human line (what failed and why), no trailing newline, no secret
   */
  constructor(
    readonly code: ErrorCode,
    message: string,
    options: NcliErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.exitCode = options.exitCode ?? (code === 'USAGE' ? 2 : 1);
    if (options.hint) this.hint = options.hint;
  }
}

/** The command line itself is wrong (exit 2): a bad combination of options, a bad value, an unknown column. */
export class UsageError extends NcliError {
  override readonly name = 'UsageError';
  constructor(message: string, options: Omit<NcliErrorOptions, 'exitCode'> = {}) {
    super('USAGE', message, options);
  }
}

/** A configuration problem the user must fix (a missing credential, a bad value, an unreadable file). */
export class ConfigError extends NcliError {
  override readonly name = 'ConfigError';
  constructor(
    message: string,
    options: NcliErrorOptions & { code?: 'CONFIG' | 'CLOUDS_YAML' | 'CA_BUNDLE' | 'MICROVERSION' } = {},
  ) {
    super(options.code ?? 'CONFIG', message, options);
  }
}

/** A name or ID that matches no resource (`NOT_FOUND`), or several (`AMBIGUOUS`, with their `ids`). */
export class NotFoundError extends NcliError {
  override readonly name = 'NotFoundError';
  /** With `AMBIGUOUS`: the IDs of every match. */
  readonly ids: string[];
  constructor(message: string, options: NcliErrorOptions & { ids?: string[] } = {}) {
    super(options.ids ? 'AMBIGUOUS' : 'NOT_FOUND', message, options);
    this.ids = options.ids ?? [];
  }
}

/** `true` for an {@link NcliError} (optionally with one of the given codes). */
export function isNcliError(e: unknown, ...codes: ErrorCode[]): e is NcliError {
  return e instanceof NcliError && (codes.length === 0 || codes.includes(e.code));
}

/**
 * The indefinite article for a console type or protocol as it is read aloud: `a novnc`,
 * `an xvpvnc`, `an rdp-html5`, `an RDP`, `a SPICE`, `a serial`.
 */
export function article(word: string): 'a' | 'an' {
  return /^(x|r|[aeiou])/i.test(word) ? 'an' : 'a';
}
