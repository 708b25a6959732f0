/**
 * Errors raised by the console tunnel.
 *
 * Every failure the tunnel can report is a {@link TunnelError} with a stable
 * `code` and a `message` that is ONE human line, ready to print as is (it
 * never contains a console token). The original error, when there is one, is
 * kept as `cause` for `--debug` output.
 *
 * Modelled on client-go `tools/portforward/portforward.go`, which exposes a
 * sentinel `ErrLostConnectionToPod` and prints `Unable to listen on port …`,
 * and on got's `RequestError` subclasses that carry a stable code.
 */

/**
 * Stable identifiers for tunnel failures.
 *
 * - `BAD_URL`: the console URL cannot be parsed or has an unsupported scheme.
 * - `BAD_LISTEN`: the `--local` listen spec is not one of the accepted forms.
 * - `EADDRINUSE`: the local port is taken.
 * - `EACCES`: not allowed to listen there (privileged port).
 * - `EADDRNOTAVAIL`: the listen address is not on this machine.
 * - `LISTEN`: any other listen failure.
 * - `UNREACHABLE`: TCP/DNS-level failure or timeout reaching the proxy.
 * - `TLS`: the proxy's certificate could not be verified (or another TLS failure).
 * - `HANDSHAKE`: the proxy answered HTTP but not with a usable WebSocket upgrade.
 * - `TOKEN_REJECTED`: the proxy accepted the upgrade and then dropped the
 *   connection without sending a byte (how nova-novncproxy refuses a bad or
 *   expired token, or a bad Origin).
 * - `LOST`: an established session dropped (no close frame, or an error close code).
 * - `ABORTED`: the caller's AbortSignal fired before the operation finished.
 */
export type TunnelErrorCode =
  | 'BAD_URL'
  | 'BAD_LISTEN'
  | 'EADDRINUSE'
  | 'EACCES'
  | 'EADDRNOTAVAIL'
  | 'LISTEN'
  | 'UNREACHABLE'
  | 'TLS'
  | 'HANDSHAKE'
  | 'TOKEN_REJECTED'
  | 'LOST'
  | 'ABORTED';

/**
 * A tunnel failure with a stable {@link TunnelErrorCode} and a one-line,
 * token-free human message.
 *
 * @example
 *   new TunnelError('EADDRINUSE', 'Port 5901 is already in use on 127.0.0.1; …')
 */
export class TunnelError extends Error {
  /** Stable machine-readable code; see {@link TunnelErrorCode}. */
  readonly code: TunnelErrorCode;

  /**
   * @param code    stable code
   * @param message one human line, no trailing newline, no token
   * @param options `cause`: the underlying error, if any
   */
  constructor(code: TunnelErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TunnelError';
    this.code = code;
  }
}

/** `true` when `err` is a {@link TunnelError} (optionally with the given code). */
export function isTunnelError(err: unknown, code?: TunnelErrorCode): err is TunnelError {
  return err instanceof TunnelError && (code === undefined || err.code === code);
}

/**
 * Replaces the value of every `token=` parameter in a string (URL or free
 * text, raw or percent-encoded as in `path=%3Ftoken%3D…`) with `***`, so the
 * result can be logged. Never log a console URL without passing it through here.
 *
 * @param text any string, typically a URL
 * @returns the same string with tokens replaced by `***`
 */
export function redactToken(text: string): string {
  return text.replace(/(token(?:=|%3D|%253D))[^&#\s"']*/gi, '$1***');
}

/**
 * The part of a WebSocket URL that is safe to show: `scheme://host[:port]`
 * (no path, no query, hence no token).
 *
 * @param url a parsed URL
 * @returns e.g. `ws://127.0.0.1:6080`
 */
export function proxyOrigin(url: URL): string {
  return `${url.protocol}//${url.host}`;
}
