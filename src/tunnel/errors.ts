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
import { NcliError, type ErrorCode, type NcliErrorOptions } from '../errors.js';

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
export type TunnelErrorCode = Extract<
  ErrorCode,
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
  | 'ABORTED'
>;

/**
 * A tunnel failure with a stable {@link TunnelErrorCode} and a one-line,
 * token-free human message.
 *
 * @example
 *   new TunnelError('EADDRINUSE', 'Port 5901 is already in use on 127.0.0.1.', { hint: 'local-port' })
 */
export class TunnelError extends NcliError {
  override readonly name = 'TunnelError';
  declare readonly code: TunnelErrorCode;

  /**
   * @param code    stable code
   * @param message one human line, no trailing newline, no token
   * @param options `cause`: the underlying error, if any; `hint`: the kind of fix
   */
  constructor(code: TunnelErrorCode, message: string, options?: NcliErrorOptions) {
    super(code, message, options);
  }
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
