/**
 * A screenshot of an instance's VNC console: the console URL Nova returned → the console proxy's
 * WebSocket (nova-novncproxy, websockify) → an RFB 3.8/3.7 session with security None
 * (src/screenshot/rfb.ts) → one full-screen FramebufferUpdate → PNG (src/screenshot/png.ts).
 *
 * Proxy behaviour this relies on (see also src/tunnel/websocket.ts and bridge.ts):
 * - nova-novncproxy completes the 101 upgrade and only then checks the console token; it refuses
 *   an invalid or expired token (or a bad Origin) by dropping TCP without a close frame and without
 *   a byte (`ws`: close 1006): reported as `TOKEN_REJECTED`.
 * - With Nova's VNC security proxy (VeNCrypt to the compute host) the client side is RFB 3.8 with
 *   security type None only (nova `console/securityproxy/rfb.py`).
 * - websockify echoes the close code it receives; we close with 1000. Errors `ws` reports once our
 *   close is under way (websockify's illegal 1005 echo of a close without status) are ignored.
 */
import type WebSocket from 'ws';
import { isNcliError } from '../errors.js';
import { redactUrl } from '../redact.js';
import { proxyOrigin } from '../tunnel/errors.js';
import { dialConsole } from '../tunnel/websocket.js';
import { consoleWebSocketUrl } from '../tunnel/ws-url.js';
import { encodePng } from './png.js';
import { RfbScreenReader, ScreenshotError, printable, type ScreenshotErrorCode } from './rfb.js';

export { ScreenshotError, type ScreenshotErrorCode } from './rfb.js';

/** Options of {@link captureScreen}. */
export interface CaptureOptions {
  /**
   * The console URL as Nova returns it: a noVNC page URL
   * (`http://h:6080/vnc_auto.html?path=%3Ftoken%3D…`) or a `ws:`/`wss:` URL.
   */
  url: string;
  /** PEM CA certificate(s) to trust for `wss:` (replaces the default root store). */
  ca?: string | Buffer;
  /** Skip TLS certificate verification. */
  insecure?: boolean;
  /** `Origin` header to send; none by default (Nova accepts a missing Origin). */
  origin?: string;
  /** The whole capture (connect, handshake, update, close), in milliseconds. */
  timeoutMs: number;
  /** Aborts the capture (rejects with `ABORTED`). */
  signal?: AbortSignal;
  /** Debug sink, one line per step; never carries a token (URLs are redacted). */
  debug?: (msg: string) => void;
}

/** A captured console screen. */
export interface Screenshot {
  /** Size in pixels. */
  width: number;
  height: number;
  /** The desktop name from the VNC server's ServerInit (e.g. `devcloud-vm1`). */
  name: string;
  /** The screen as a PNG file (8-bit RGBA, opaque). */
  png: Buffer;
}

/** Time allowed for the WebSocket close handshake before `terminate()`, in milliseconds. */
const CLOSE_HANDSHAKE_MS = 1_500;
const WS_OPEN = 1;

function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

/** The dial's error as a ScreenshotError with the same code, words, hint and cause. */
function fromDialError(err: unknown): ScreenshotError {
  if (err instanceof ScreenshotError) return err;
  if (isNcliError(err)) {
    const known: ScreenshotErrorCode[] = ['BAD_URL', 'UNREACHABLE', 'TLS', 'HANDSHAKE', 'TOKEN_REJECTED', 'ABORTED'];
    const code = (known as string[]).includes(err.code) ? (err.code as ScreenshotErrorCode) : 'UNREACHABLE';
    return new ScreenshotError(code, err.message, { cause: err.cause ?? err, ...(err.hint ? { hint: err.hint } : {}) });
  }
  const msg = err instanceof Error ? err.message : String(err);
  return new ScreenshotError('UNREACHABLE', `Cannot reach the console proxy: ${redactUrl(msg)}.`, { cause: err });
}

/**
 * Takes one screenshot of a VNC console through its console proxy.
 *
 * Derives the WebSocket URL like noVNC (`consoleWebSocketUrl`), dials it (`dialConsole`: `binary`
 * subprotocol, no Origin unless given), speaks RFB as a client ({@link RfbScreenReader}: 3.8 or
 * 3.7, security None, ClientInit shared, 32-bpp pixels, Raw/CopyRect/DesktopSize, one
 * non-incremental FramebufferUpdateRequest), waits until every pixel is covered, closes the
 * WebSocket with 1000 and encodes the screen as PNG.
 *
 * @param opts see {@link CaptureOptions}; `timeoutMs` bounds everything, in milliseconds
 * @returns size, desktop name and PNG bytes
 * @throws ScreenshotError — `BAD_URL`, `UNREACHABLE`, `TLS`, `HANDSHAKE` (reaching the proxy),
 *   `TOKEN_REJECTED` (dropped right after the upgrade), `NOT_VNC`, `PROTOCOL`,
 *   `UNSUPPORTED_SECURITY`, `VNC_REFUSED`, `CLOSED_EARLY`, `TIMEOUT` (hint `timeout`), `ABORTED`;
 *   every message is one line without the console token
 */
export async function captureScreen(opts: CaptureOptions): Promise<Screenshot> {
  const debug = (msg: string): void => opts.debug?.(`screenshot: ${redactUrl(msg)}`);
  let url: URL;
  try {
    url = consoleWebSocketUrl(opts.url);
  } catch (err) {
    throw fromDialError(err);
  }
  const where = proxyOrigin(url);
  const aborted = (): ScreenshotError =>
    new ScreenshotError('ABORTED', 'Cancelled while taking the console screenshot.');
  if (opts.signal?.aborted) throw aborted();

  const t0 = performance.now();
  const dialAbort = new AbortController();
  /** Set when the overall timer or the caller's signal ends the capture. */
  let stopped: 'timeout' | 'abort' | undefined;
  let onStop: (() => void) | undefined;
  const stop = (why: 'timeout' | 'abort'): void => {
    if (stopped) return;
    stopped = why;
    dialAbort.abort();
    onStop?.();
  };
  const timer = setTimeout(() => stop('timeout'), opts.timeoutMs);
  const onAbort = (): void => stop('abort');
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  try {
    let ws: WebSocket;
    debug(`dialing ${url.href}`);
    try {
      ws = await dialConsole({
        url,
        signal: dialAbort.signal,
        // our own timer reports the timeout; the handshake limit only backs it up
        handshakeTimeoutMs: opts.timeoutMs + 1_000,
        ...(opts.origin !== undefined ? { origin: opts.origin } : {}),
        ...(opts.ca !== undefined ? { ca: opts.ca } : {}),
        ...(opts.insecure ? { insecure: true } : {}),
      });
    } catch (err) {
      if (stopped === 'abort') throw aborted();
      if (stopped === 'timeout') {
        throw new ScreenshotError(
          'TIMEOUT',
          `No WebSocket handshake with the console proxy at ${where} within ${formatSeconds(opts.timeoutMs)}.`,
          { hint: 'timeout', cause: err },
        );
      }
      throw fromDialError(err);
    }
    debug(`open after ${Math.round(performance.now() - t0)} ms (subprotocol ${ws.protocol || 'none'})`);
    const screen = await new Promise<ReturnType<RfbScreenReader['result']>>((resolve, reject) => {
      let settled = false;
      let lastError: Error | undefined;
      const reader = new RfbScreenReader({
        send: (bytes) => {
          if (ws.readyState === WS_OPEN) ws.send(bytes, { binary: true });
        },
        debug: (m) => debug(m),
      });
      const settle = (err?: Error): void => {
        if (settled) return;
        settled = true;
        ws.off('message', onMessage);
        onStop = undefined;
        // close with an explicit 1000 (websockify echoes it); wait for the echo, bounded
        void closeSocket(ws, debug).then(() => {
          if (err) reject(err);
          else resolve(reader.result());
        });
      };
      const onMessage = (data: WebSocket.RawData): void => {
        try {
          reader.push(toBuffer(data));
        } catch (err) {
          settle(err instanceof Error ? err : new Error(String(err))); // not a ScreenshotError: a bug
          return;
        }
        if (reader.done) {
          debug(`screen complete after ${Math.round(performance.now() - t0)} ms, ${reader.bytesReceived} bytes`);
          settle();
        }
      };
      ws.on('message', onMessage);
      ws.on('error', (err) => {
        // after settle() this is the close under way (websockify's 1005 echo): not a failure
        if (settled) debug(`ignored error while closing: ${err.message}`);
        else lastError = err;
      });
      ws.on('close', (code, reasonBuf) => {
        if (settled) return;
        const reason = printable(reasonBuf.toString('utf8'));
        debug(`websocket closed: ${code}${reason ? ` ${reason}` : ''} after ${reader.bytesReceived} byte(s)`);
        if (reader.bytesReceived === 0 && code === 1006) {
          const originHint = opts.origin !== undefined ? ` (or refused the Origin ${opts.origin})` : '';
          settle(
            new ScreenshotError(
              'TOKEN_REJECTED',
              `The console proxy at ${where} refused the console token (invalid or expired)${originHint}.`,
              { cause: lastError },
            ),
          );
        } else if (reader.bytesReceived === 0) {
          settle(
            new ScreenshotError(
              'CLOSED_EARLY',
              `The console proxy at ${where} closed the WebSocket (code ${code}${reason ? `, ${reason}` : ''}) before the VNC server sent anything.`,
              { cause: lastError },
            ),
          );
        } else {
          settle(new ScreenshotError('CLOSED_EARLY', reader.describeEarlyEnd(), { cause: lastError }));
        }
      });
      onStop = () => {
        if (stopped === 'abort') {
          settle(aborted());
          return;
        }
        const within = formatSeconds(opts.timeoutMs);
        let message: string;
        if (reader.bytesReceived === 0) {
          message = `The VNC server behind the console proxy at ${where} sent nothing within ${within}; is it a VNC console?`;
        } else if (!reader.initialised) {
          message = `The RFB handshake with the VNC server did not finish within ${within} (waiting for ${reader.waitingFor()}).`;
        } else {
          const { covered, total } = reader.progress();
          message = `The VNC server had sent ${covered} of ${total} pixels when the ${within} ran out.`;
        }
        settle(new ScreenshotError('TIMEOUT', message, { hint: 'timeout' }));
      };
      if (stopped) onStop(); // the timer or the signal fired as the dial completed
      ws.resume(); // dialConsole hands the socket over paused
    });
    debug(`encoding ${screen.width}x${screen.height} PNG`);
    const png = encodePng(screen.width, screen.height, screen.rgba);
    debug(`done in ${Math.round(performance.now() - t0)} ms (${png.length} bytes of PNG)`);
    return { width: screen.width, height: screen.height, name: screen.name, png };
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

/** Closes with 1000 and resolves at the close (or after CLOSE_HANDSHAKE_MS, terminating). */
function closeSocket(ws: WebSocket, debug: (msg: string) => void): Promise<void> {
  return new Promise((resolve) => {
    if (ws.readyState === 3 /* CLOSED */) {
      resolve();
      return;
    }
    const kill = setTimeout(() => {
      debug('close handshake timed out: terminating');
      ws.terminate();
    }, CLOSE_HANDSHAKE_MS);
    ws.once('close', () => {
      clearTimeout(kill);
      resolve();
    });
    if (ws.readyState === WS_OPEN) {
      debug('closing websocket (1000)');
      ws.close(1000);
    } else if (ws.readyState !== 2 /* CLOSING */) {
      ws.terminate();
    }
  });
}

function toBuffer(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
