/**
 * Dialling the console proxy's WebSocket.
 *
 * The proxy is websockify (nova-novncproxy / nova-serialproxy). Facts this
 * module relies on (websockify 0.10 `websockifyserver.py` / `websocket.py`,
 * ws 8 `lib/websocket.js`):
 *
 * - websockify ≥ 0.9 echoes the `binary` subprotocol when offered and
 *   selects none otherwise; `ws` fails a handshake in which a subprotocol was
 *   offered but none selected ("Server sent no subprotocol"), so we offer
 *   `binary` and retry once with none on exactly that failure.
 * - websockify closes with 1003 on text frames: callers must send binary.
 * - No `Origin` is sent unless asked for: Nova accepts a missing Origin and
 *   rejects one whose host or scheme does not match its own.
 * - websockify ignores extensions, so permessage-deflate is off.
 * - websockify echoes the close code it received; a close frame without a
 *   status makes it answer with the illegal code 1005, which `ws` reports as
 *   an error. Close with an explicit code (1000) to get a clean echo.
 */
import { STATUS_CODES } from 'node:http';
import type net from 'node:net';
import WebSocket from 'ws';
import { isTlsFailure, knownNetworkReason } from '../net-reasons.js';
import { connectReusingReads } from './direct-frames.js';
import { TunnelError, proxyOrigin } from './errors.js';

/** Options for {@link dialConsole}. */
export interface DialOptions {
  /** The `ws:`/`wss:` URL to dial (see `consoleWebSocketUrl`). */
  url: string | URL;
  /** Value for the `Origin` header; omitted when not given. */
  origin?: string;
  /** Extra request headers (e.g. `User-Agent`). */
  headers?: Record<string, string>;
  /** PEM CA certificate(s) to trust for `wss:`; like `tls.connect`'s `ca`, replaces the default root store. */
  ca?: string | Buffer;
  /** Skip TLS certificate verification (`rejectUnauthorized: false`). */
  insecure?: boolean;
  /** Whole opening handshake (TCP + TLS + HTTP upgrade) limit in milliseconds; default 10000. */
  handshakeTimeoutMs?: number;
  /** Largest accepted incoming message in bytes; default 16 MiB (websockify sends ≤ 64 KiB frames). */
  maxPayload?: number;
  /** Aborts the dial (rejects with TunnelError `ABORTED`). */
  signal?: AbortSignal;
}

/** Default handshake limit, in milliseconds. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
/** Default incoming message cap, in bytes. */
export const DEFAULT_MAX_PAYLOAD = 16 * 1024 * 1024;

const NO_SUBPROTOCOL = 'Server sent no subprotocol';

/**
 * Maps an error from `ws`/`net`/`tls` during the opening handshake to a
 * {@link TunnelError} with one human line naming the proxy (scheme, host and
 * port only; never the token).
 *
 * @param err       the error `ws` emitted
 * @param url       the URL that was dialled
 * @param timeoutMs the handshake limit in ms, for the timeout message
 */
export function describeDialError(
  err: unknown,
  url: URL,
  timeoutMs: number = DEFAULT_HANDSHAKE_TIMEOUT_MS,
): TunnelError {
  const where = proxyOrigin(url);
  const e = err as NodeJS.ErrnoException | undefined;
  const code = typeof e?.code === 'string' ? e.code : '';
  const msg = typeof e?.message === 'string' ? e.message : String(err);

  if (msg === 'socket hang up') {
    return new TunnelError(
      'HANDSHAKE',
      `The console proxy at ${where} hung up without answering the WebSocket upgrade (websockify token plugins do this for an unknown token).`,
      { cause: err },
    );
  }
  if (isTlsFailure(code)) {
    return new TunnelError(
      'TLS',
      `Cannot verify the TLS connection to the console proxy at ${where}: ${msg.replace(/\.$/, '')}.`,
      { cause: err, hint: 'trust-ca' },
    );
  }
  const reason = knownNetworkReason(code);
  if (reason) {
    return new TunnelError('UNREACHABLE', `Cannot reach the console proxy at ${where}: ${reason}.`, { cause: err });
  }
  if (msg === 'Opening handshake has timed out') {
    return new TunnelError(
      'UNREACHABLE',
      `Cannot reach the console proxy at ${where}: no WebSocket handshake within ${formatSeconds(timeoutMs)}.`,
      { cause: err },
    );
  }
  const status = /^Unexpected server response: (\d+)/.exec(msg);
  if (status) {
    const n = Number(status[1]);
    const text = STATUS_CODES[n];
    return new TunnelError(
      'HANDSHAKE',
      `The console proxy at ${where} answered HTTP ${n}${text ? ` ${text}` : ''} instead of a WebSocket upgrade; check the console URL and type.`,
      { cause: err },
    );
  }
  if (code.startsWith('WS_ERR_') || /subprotocol|Sec-WebSocket|Invalid (Upgrade|WebSocket)/i.test(msg)) {
    return new TunnelError(
      'HANDSHAKE',
      `WebSocket handshake with the console proxy at ${where} failed: ${msg.replace(/\.$/, '')}.`,
      {
        cause: err,
      },
    );
  }
  return new TunnelError(
    'UNREACHABLE',
    `Cannot reach the console proxy at ${where}: ${msg.replace(/\.$/, '') || 'unknown error'}.`,
    {
      cause: err,
    },
  );
}

/**
 * `true` for the dial failure "the proxy accepted TCP, read the upgrade
 * request and closed without an HTTP answer" (`socket hang up`): how plain
 * websockify with a token plugin refuses an unknown token (Nova's proxy
 * instead drops right after the 101; see forwarder.ts).
 *
 * @param err an error thrown by {@link dialConsole}
 */
export function isHandshakeHangup(err: unknown): boolean {
  return (
    err instanceof TunnelError &&
    err.code === 'HANDSHAKE' &&
    err.cause instanceof Error &&
    err.cause.message === 'socket hang up'
  );
}

function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

function attempt(url: URL, protocols: string[], opts: DialOptions, timeoutMs: number): Promise<WebSocket> {
  return new Promise<WebSocket>((resolve, reject) => {
    const ws = new WebSocket(url, protocols, {
      perMessageDeflate: false,
      handshakeTimeout: timeoutMs,
      followRedirects: false,
      maxPayload: opts.maxPayload ?? DEFAULT_MAX_PAYLOAD,
      // ws: one reused read buffer for receiveBinaryDirect (direct-frames.ts); wss: ws's tls.connect
      ...(url.protocol === 'ws:' ? { createConnection: connectReusingReads as typeof net.createConnection } : {}),
      ...(opts.origin !== undefined ? { origin: opts.origin } : {}),
      ...(opts.headers ? { headers: opts.headers } : {}),
      ...(opts.ca !== undefined ? { ca: opts.ca } : {}),
      ...(opts.insecure ? { rejectUnauthorized: false } : {}),
    });
    let settled = false;
    const onAbort = (): void => {
      if (settled) return;
      settled = true;
      cleanup();
      ws.on('error', () => {});
      ws.terminate();
      reject(new TunnelError('ABORTED', 'Cancelled while connecting to the console proxy.'));
    };
    const onOpen = (): void => {
      if (settled) return;
      settled = true;
      cleanup();
      // Frames that arrived with the 101 response would otherwise be emitted
      // (on a nextTick) before the caller's `await` resumes and attaches its
      // 'message' listener: hand the socket over paused.
      ws.pause();
      resolve(ws);
    };
    const onError = (err: Error): void => {
      if (settled) return;
      settled = true;
      cleanup();
      ws.on('error', () => {});
      reject(err);
    };
    const cleanup = (): void => {
      ws.off('open', onOpen);
      ws.off('error', onError);
      opts.signal?.removeEventListener('abort', onAbort);
    };
    ws.on('open', onOpen);
    ws.on('error', onError);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Opens a WebSocket to a console proxy and resolves once it is OPEN.
 *
 * Offers the `binary` subprotocol; when the server selects none (`ws`:
 * "Server sent no subprotocol", websockify ≥ 0.9 without `binary` offered by
 * noVNC ≥ 1.2) it retries once offering none. Uses `perMessageDeflate: false`,
 * no redirects, no Origin unless `opts.origin` is set. For `ws:` URLs the socket comes from
 * `connectReusingReads` (direct-frames.ts): an ordinary socket unless `receiveBinaryDirect` claims it.
 *
 * The returned socket is PAUSED (`ws.pause()`) and has no `message` or
 * `error` listener: attach them, then call `ws.resume()`. Without the pause,
 * data sent by the proxy right after the upgrade (same TCP segment as the
 * 101 response) would be emitted before an `await`ing caller could listen. Note that an OPEN socket does not mean the proxy accepted the token:
 * nova-novncproxy completes the 101 upgrade and only then validates it,
 * dropping TCP (close 1006, no data) when it refuses.
 *
 * @param opts see {@link DialOptions}; `handshakeTimeoutMs` is in milliseconds
 * @returns the open `ws` WebSocket (`protocol` is `'binary'` or `''`)
 * @throws TunnelError `UNREACHABLE` (refused, DNS, timeout), `TLS`,
 *   `HANDSHAKE` (non-101 HTTP status, bad upgrade), `BAD_URL`, `ABORTED`
 */
export async function dialConsole(opts: DialOptions): Promise<WebSocket> {
  let url: URL;
  try {
    url = typeof opts.url === 'string' ? new URL(opts.url) : opts.url;
  } catch (err) {
    throw new TunnelError('BAD_URL', 'Cannot dial the console proxy: the WebSocket URL is not valid.', { cause: err });
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new TunnelError('BAD_URL', `Cannot dial the console proxy: expected a ws: or wss: URL, got ${url.protocol}.`);
  }
  if (opts.signal?.aborted) throw new TunnelError('ABORTED', 'Cancelled while connecting to the console proxy.');
  const timeoutMs = opts.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
  try {
    return await attempt(url, ['binary'], opts, timeoutMs);
  } catch (err) {
    if (err instanceof TunnelError) throw err;
    if (!(err instanceof Error && err.message === NO_SUBPROTOCOL)) throw describeDialError(err, url, timeoutMs);
  }
  try {
    return await attempt(url, [], opts, timeoutMs);
  } catch (err) {
    if (err instanceof TunnelError) throw err;
    throw describeDialError(err, url, timeoutMs);
  }
}
