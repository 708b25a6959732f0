/**
 * The bridge of one tunnel connection: a local byte stream (a TCP connection or stdin/stdout) and
 * one WebSocket of a console proxy (websockify: nova-novncproxy, nova-serialproxy,
 * nova-spicehtml5proxy), as an explicit state machine ({@link Link}, {@link Local}). The proxy
 * quirks it handles are described next to the code that handles them. Used by forwarder.ts.
 */
import net from 'node:net';
import type WebSocket from 'ws';
import { redactUrl } from '../redact.js';
import { TunnelError, proxyOrigin } from './errors.js';
import { receiveBinaryDirect } from './direct-frames.js';
import { DEFAULT_MAX_PAYLOAD, dialConsole, isHandshakeHangup } from './websocket.js';
import { consoleWebSocketUrl } from './ws-url.js';

/** Options shared by {@link forwardLocal} and {@link forwardStdio}. */
export interface TunnelOptions {
  /**
   * Returns the console URL (a page URL such as
   * `http://h:6080/vnc_auto.html?path=%3Ftoken%3D…` or a `ws:`/`wss:` URL).
   * Called with `fresh=false` for every new WebSocket (a token can be reused
   * within its TTL) and with `fresh=true` once after the proxy refused the
   * token, with `refused` = the URL it had returned for the refused dial (so
   * that connections refused with the same token can share one renewal).
   * Errors it throws end that session and are reported as they are.
   */
  resolveUrl: (fresh: boolean, refused?: string) => Promise<string>;
  /** `Origin` header to send; none by default (Nova accepts a missing Origin). */
  origin?: string;
  /** Extra handshake request headers (e.g. `User-Agent`); never put the token here for logging. */
  headers?: Record<string, string>;
  /** PEM CA certificate(s) for `wss:` (replaces the default root store). */
  ca?: string | Buffer;
  /** Skip TLS certificate verification. */
  insecure?: boolean;
  /** Printed after `->` in the status line, e.g. `vm1 (vnc)`. */
  label: string;
  /** Status lines (kubectl style), one per line. */
  out: NodeJS.WritableStream;
  /** Warnings and per-connection errors, one human line each. */
  err: NodeJS.WritableStream;
  /** Words a per-connection error for `err` (the CLI adds its hints); the error's message by default. */
  describeError?: (error: Error) => string;
  /** Abort = stop listening, close every session cleanly (flushing), resolve. */
  signal?: AbortSignal;
  /** Interval between client pings, in milliseconds; default 20000; 0 disables. */
  pingIntervalMs?: number;
  /** Debug sink; messages never contain a token (URLs are redacted). */
  debug?: (msg: string) => void;
  /** Opening handshake limit in milliseconds; default 10000. */
  handshakeTimeoutMs?: number;
  /**
   * How long after the WebSocket opens a drop before the proxy's first byte still counts as a
   * token rejection (rather than a lost session) once the local side has sent bytes, in
   * milliseconds; default 5000. While neither side has sent a byte, a drop is always taken as a
   * possible rejection (nothing can have reached the console, so one retry with a fresh token is
   * safe): a loaded nova-novncproxy takes seconds to look up and refuse an expired token.
   */
  rejectWindowMs?: number;
  /**
   * After the local side ends (TCP FIN, stdin EOF): milliseconds to keep the
   * WebSocket open for the remote's last output once our bytes were written,
   * like novaconsole's `--close-wait 0.5`; default 500.
   */
  closeWaitMs?: number;
}

/** Bytes queued in `ws.send()` but not yet written above which the local side is paused. */
export const WS_HIGH_WATER_MARK = 512 * 1024;
/**
 * Bytes kept for replay until the proxy's first byte (or the end of the
 * rejection window). While a WebSocket is being dialled, local reads pause
 * at this size; once one is open, going past it drops the copies (the bytes
 * were sent) and gives up the refresh-and-replay retry for that session.
 */
export const REPLAY_LIMIT = 256 * 1024;
/** Default client ping interval, in milliseconds. */
export const DEFAULT_PING_INTERVAL_MS = 20_000;
/** Default rejection window, in milliseconds. */
export const DEFAULT_REJECT_WINDOW_MS = 5_000;
/** Default close-wait, in milliseconds. */
export const DEFAULT_CLOSE_WAIT_MS = 500;
/** Time allowed for the WebSocket close handshake before `terminate()`, in milliseconds. */
const CLOSE_HANDSHAKE_MS = 1_500;
/** On abort: time allowed to flush the local side before destroying it, in milliseconds. */
const ABORT_FLUSH_MS = 1_000;
/** After our FIN: time the local peer gets to close before we destroy the socket, in milliseconds. */
const LINGER_MS = 2_000;

/** The local end of a bridge. */
export interface LocalSide {
  readable: NodeJS.ReadableStream;
  writable: NodeJS.WritableStream;
  /** TCP: end() the socket after the last byte; stdio: only flush. */
  endWritable: boolean;
  filter?: (chunk: Uint8Array) => { data: Buffer; disconnect: boolean };
  onOpen?: () => void;
  /** Called once with the bridge's error, before the local side is flushed and closed. */
  onError?: (err: Error) => void;
}

/** How a bridge ended. */
export interface BridgeResult {
  error?: Error;
  /**
   * Who ended it: `local` (the local input ended, `~.`, or an abort) or `remote` (the proxy or
   * the console closed, or the connection was lost).
   */
  endedBy: 'local' | 'remote';
  /** Bytes received from the proxy. */
  bytesIn: number;
}

/**
 * The WebSocket's side of a bridge, one state at a time:
 *
 *     dialing ──attach──▶ open ──local input ends──▶ half-closed ──our bytes sent + closeWait──▶ closing ──▶ done
 *        │                 │ └──────────────── abort / peer's close ────────────────────────────▶ closing
 *        └─ refused / hung up: dialing again (once, fresh token)                                  any ──▶ done
 *
 * `closing.by` says who started the close: `us` (a close frame with 1000 was sent) or `peer`
 * (websockify's close echo arrived with the illegal status 1005, which `ws` reports as an error).
 */
type Link =
  | { kind: 'dialing'; attempt: number; abort: AbortController }
  | { kind: 'open' | 'half-closed'; ws: WebSocket; url: URL }
  | { kind: 'closing'; ws: WebSocket; url: URL; by: 'us' | 'peer' }
  | { kind: 'done' };

/** The local side: still read (`reading`), input ended (`ended`: FIN, EOF, `~.`), or gone both ways (`gone`). */
type Local = 'reading' | 'ended' | 'gone';

/**
 * Until the proxy shows it accepted the token (its first byte; or, once the local side has sent
 * bytes, no drop within the rejection window), what the local side sent is kept for one replay on
 * a WebSocket with a fresh token; `overflowed` once more than {@link REPLAY_LIMIT} bytes went out
 * (no replay possible then). `null` once accepted.
 */
type Probation = { chunks: Buffer[]; bytes: number; overflowed: boolean } | null;

const WS_OPEN = 1;

function toBuffer(data: WebSocket.RawData | string | Uint8Array): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * One local stream ↔ one WebSocket of a console proxy: backpressure both ways, one token refresh
 * on a refused token (replaying what the local side had sent), pings, and a flushing close. The
 * WebSocket's lifecycle is the {@link Link} state; the local side's is {@link Local}.
 */
export class Bridge {
  private link: Link;
  private local: Local = 'reading';
  private probation: Probation = { chunks: [], bytes: 0, overflowed: false };
  /** WebSockets dialled, and opened. */
  private attempts = 0;
  private opens = 0;
  private url: URL | undefined;
  /** What `resolveUrl` returned for the last dial: named as `refused` when asking for a fresh one. */
  private rawUrl: string | undefined;
  /** The rejection window of the open WebSocket has passed (see {@link rejectWindowPassed}). */
  private rejectWindowOver = false;
  /** Bytes handed to `ws.send()` and not yet written to its socket. */
  private outstanding = 0;
  /** Backpressure: the local readable is paused / the WebSocket is paused for a slow local writer. */
  private localPaused = false;
  private wsPausedForLocal = false;
  private closeWaitMs: number;
  /** Set by `abort()`: how long the local side may still be flushed at the end (else until done). */
  private flushLimitMs: number | undefined;
  private lastWsError: Error | undefined;
  private bytesIn = 0;
  private bytesOut = 0;
  private pingTimer: NodeJS.Timeout | undefined;
  private acceptTimer: NodeJS.Timeout | undefined;
  private closeWaitTimer: NodeJS.Timeout | undefined;
  private closeKillTimer: NodeJS.Timeout | undefined;
  private resolveRun!: (r: BridgeResult) => void;
  private readonly result: Promise<BridgeResult>;

  constructor(
    private readonly localSide: LocalSide,
    private readonly opts: TunnelOptions,
    private readonly tag: string,
  ) {
    this.closeWaitMs = opts.closeWaitMs ?? DEFAULT_CLOSE_WAIT_MS;
    this.link = { kind: 'dialing', attempt: 0, abort: new AbortController() };
    this.result = new Promise((resolve) => (this.resolveRun = resolve));
  }

  private debug(msg: string): void {
    this.opts.debug?.(`tunnel[${this.tag}]: ${redactUrl(msg)}`);
  }

  /** Starts bridging; resolves when the bridge is done (never rejects: the error is in the result). */
  run(): Promise<BridgeResult> {
    const { readable, writable } = this.localSide;
    readable.on('data', this.onLocalData);
    readable.on('end', this.onLocalEnd);
    readable.on('error', this.onLocalError);
    readable.on('close', this.onLocalClose);
    if (!this.sameStream()) {
      writable.on('error', this.onLocalError);
      writable.on('close', this.onWritableClose);
    }
    void this.dial(false);
    return this.result;
  }

  /** Close the bridge cleanly (flushing both ways as far as possible, the local side for at most ABORT_FLUSH_MS). */
  abort(): void {
    if (this.link.kind === 'done' || this.flushLimitMs !== undefined) return;
    this.flushLimitMs = ABORT_FLUSH_MS;
    this.debug('abort requested');
    this.stopReadingLocal();
    if (this.link.kind === 'dialing') {
      // Still in resolveUrl() (not cancellable) or in the handshake: finish now; dial() drops
      // whatever arrives later.
      this.link.abort.abort();
      this.finish();
      return;
    }
    this.close();
  }

  // -- dialing ------------------------------------------------------------------------------------

  /**
   * `resolveUrl(fresh)`, then the WebSocket handshake. The proxies refuse a bad or expired token in
   * two ways, both retried once with a fresh token (see {@link onWsClose} for the other):
   * nova-novncproxy completes the upgrade and then drops TCP; plain websockify with a token plugin
   * hangs up before answering the upgrade (`socket hang up`), handled here.
   */
  private async dial(fresh: boolean): Promise<void> {
    this.attempts += 1;
    const dialing: Link = { kind: 'dialing', attempt: this.attempts, abort: new AbortController() };
    this.link = dialing;
    this.updateLocalFlow();
    let ws: WebSocket;
    let url: URL;
    try {
      const raw = await this.opts.resolveUrl(fresh, fresh ? this.rawUrl : undefined);
      if (this.link !== dialing) return; // aborted meanwhile
      this.rawUrl = raw;
      if (this.local === 'gone' && !this.probation?.bytes) {
        this.finish();
        return;
      }
      url = consoleWebSocketUrl(raw);
      this.url = url;
      this.debug(`dialing ${url.href} (attempt ${dialing.attempt}${fresh ? ', fresh token' : ''})`);
      ws = await dialConsole({
        url,
        signal: dialing.abort.signal,
        ...(this.opts.origin !== undefined ? { origin: this.opts.origin } : {}),
        ...(this.opts.headers !== undefined ? { headers: this.opts.headers } : {}),
        ...(this.opts.ca !== undefined ? { ca: this.opts.ca } : {}),
        ...(this.opts.insecure ? { insecure: true } : {}),
        ...(this.opts.handshakeTimeoutMs !== undefined ? { handshakeTimeoutMs: this.opts.handshakeTimeoutMs } : {}),
      });
    } catch (err) {
      if (this.link !== dialing) return;
      this.debug(`dial failed: ${err instanceof Error ? err.message : String(err)}`);
      if (dialing.attempt === 1 && isHandshakeHangup(err) && this.canRetry()) {
        this.debug('hang-up before the upgrade: the proxy may have refused the token; asking for a fresh one');
        void this.dial(true);
        return;
      }
      this.finish(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    if (this.link !== dialing) {
      ws.on('error', () => {});
      ws.terminate();
      return;
    }
    this.attach(ws, url);
  }

  /** One refresh-and-replay is possible: the local side is still there and not too much was sent. */
  private canRetry(): boolean {
    return this.local !== 'gone' && this.probation !== null && !this.probation.overflowed;
  }

  private attach(ws: WebSocket, url: URL): void {
    this.link = { kind: this.local === 'reading' ? 'open' : 'half-closed', ws, url };
    this.debug(`open (subprotocol ${ws.protocol ? `"${ws.protocol}"` : 'none'})`);
    ws.binaryType = 'nodebuffer';
    ws.on('message', this.onWsMessage);
    ws.on('error', this.onWsError);
    ws.on('close', this.onWsClose);
    ws.on('pong', this.onPong);
    // binary frames straight from the socket's reads to the local side (text frames, if any, and
    // anything unusual still come through 'message')
    const direct = receiveBinaryDirect(ws, this.onWsData, DEFAULT_MAX_PAYLOAD);
    if (!direct) this.debug('reading binary frames through ws (its internals are not as expected)');
    ws.resume(); // dialConsole hands the socket over paused

    const pingMs = this.opts.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS;
    if (pingMs > 0) {
      this.pingTimer = setInterval(() => {
        if ((this.link.kind === 'open' || this.link.kind === 'half-closed') && ws.readyState === WS_OPEN) {
          ws.ping();
          this.debug('ping');
        }
      }, pingMs);
      this.pingTimer.unref();
    }
    this.rejectWindowOver = false;
    if (this.probation) {
      this.acceptTimer = setTimeout(this.rejectWindowPassed, this.opts.rejectWindowMs ?? DEFAULT_REJECT_WINDOW_MS);
      this.acceptTimer.unref();
    }
    if (this.opens++ === 0) this.localSide.onOpen?.();
    if (this.probation?.chunks.length) {
      this.debug(`sending ${this.probation.bytes} buffered byte(s)`);
      for (const chunk of this.probation.chunks) this.send(chunk);
    }
    this.updateLocalFlow();
    this.closeWhenFlushed();
  }

  /**
   * The rejection window passed without a drop. When the local side has sent bytes, they may have
   * reached the console: the session counts as accepted (no replay). When neither side has said
   * anything yet (a VNC viewer waits for the server's greeting), a drop still means a refused
   * token until the proxy's first byte, or until the local side speaks: nova-novncproxy answers the
   * upgrade first and looks the token up afterwards, which takes seconds when many connections
   * arrive at once (seen: 6 s for 8 viewers on a loaded machine).
   */
  private readonly rejectWindowPassed = (): void => {
    this.acceptTimer = undefined;
    const p = this.probation;
    if (!p) return;
    this.rejectWindowOver = true;
    if (p.bytes > 0 || p.overflowed) this.accept('no drop within the rejection window');
    else this.debug('nothing said either way within the rejection window: a drop still counts as a refused token');
    this.closeWhenFlushed();
  };

  private readonly onPong = (): void => {
    this.debug('pong');
  };

  // -- local -> WebSocket -------------------------------------------------------------------------

  private readonly onLocalData = (chunk: Buffer | string): void => {
    if (this.local !== 'reading' || this.link.kind === 'done') return;
    let data = toBuffer(chunk);
    let disconnect = false;
    if (this.localSide.filter) ({ data, disconnect } = this.localSide.filter(data));
    if (data.length > 0) {
      const open = this.wsOpen();
      if (open && this.probation && this.rejectWindowOver)
        this.accept('the local side spoke after the rejection window');
      const p = this.probation;
      if (p && !p.overflowed) {
        if (open && p.bytes + data.length > REPLAY_LIMIT) {
          this.debug(`more than ${REPLAY_LIMIT} bytes sent before the proxy's first byte: no replay possible`);
          this.probation = { chunks: [], bytes: 0, overflowed: true };
        } else {
          p.chunks.push(data);
          p.bytes += data.length;
        }
      }
      if (open) this.send(data);
    }
    if (disconnect) {
      this.debug('escape sequence ~. typed: disconnecting');
      this.closeWaitMs = 0;
      this.onLocalEnd();
      if (this.link.kind === 'dialing') this.abort();
      return;
    }
    this.updateLocalFlow();
  };

  private wsOpen(): boolean {
    return (this.link.kind === 'open' || this.link.kind === 'half-closed') && this.link.ws.readyState === WS_OPEN;
  }

  private send(data: Buffer): void {
    if (this.link.kind !== 'open' && this.link.kind !== 'half-closed') return;
    const n = data.length;
    this.outstanding += n;
    this.link.ws.send(data, { binary: true }, (err) => {
      this.outstanding -= n;
      if (!err) this.bytesOut += n;
      this.updateLocalFlow();
      this.closeWhenFlushed();
    });
  }

  /**
   * Backpressure towards the proxy: the local readable is paused while more than
   * {@link WS_HIGH_WATER_MARK} bytes wait in `ws.send()`, or while dialling with a full replay buffer.
   */
  private updateLocalFlow(): void {
    if (this.local !== 'reading' || this.link.kind === 'done') return;
    const stall =
      this.outstanding >= WS_HIGH_WATER_MARK ||
      (this.link.kind === 'dialing' && (this.probation?.bytes ?? 0) >= REPLAY_LIMIT);
    if (stall && !this.localPaused) {
      this.localPaused = true;
      this.localSide.readable.pause();
    } else if (!stall && this.localPaused) {
      this.localPaused = false;
      this.localSide.readable.resume();
    }
  }

  /** Local input ended (FIN, EOF, `~.`): `open` becomes `half-closed`. */
  private readonly onLocalEnd = (): void => {
    if (this.local !== 'reading') return;
    this.local = 'ended';
    this.debug(`local input ended after ${this.bytesOut + this.outstanding} byte(s)`);
    this.stopReadingLocal();
    if (this.link.kind === 'open') this.link = { ...this.link, kind: 'half-closed' };
    this.closeWhenFlushed();
  };

  private readonly onLocalError = (err: Error): void => {
    this.debug(`local stream error: ${err.message}`);
    this.localGone();
  };

  /** 'close' of the readable: for a socket (readable === writable) both directions are gone. */
  private readonly onLocalClose = (): void => {
    if (this.link.kind === 'done') return;
    if (!this.sameStream()) {
      this.onLocalEnd();
    } else if (this.local !== 'gone') {
      this.debug('local connection closed');
      this.localGone();
    }
  };

  /** 'close' of a separate writable (stdout): nothing more can be delivered. */
  private readonly onWritableClose = (): void => {
    if (this.link.kind === 'done' || this.local === 'gone') return;
    this.debug('local output closed');
    this.localGone();
  };

  private sameStream(): boolean {
    return (this.localSide.writable as unknown) === this.localSide.readable;
  }

  /** The local side is gone both ways: end the input, stop waiting for its writes, close soon. */
  private localGone(): void {
    if (this.local === 'gone') return;
    this.closeWaitMs = 0;
    if (this.wsPausedForLocal) {
      this.wsPausedForLocal = false;
      this.localSide.writable.removeListener('drain', this.onLocalDrain);
      if (this.link.kind !== 'dialing' && this.link.kind !== 'done') this.link.ws.resume();
    }
    this.onLocalEnd();
    this.local = 'gone';
  }

  private stopReadingLocal(): void {
    const { readable } = this.localSide;
    readable.removeListener('data', this.onLocalData);
    readable.pause();
    this.localPaused = true;
  }

  /**
   * `half-closed` → `closing` once every byte the local side sent has left our socket, plus
   * `closeWaitMs`: websockify drops the client→target bytes it still queues as soon as it reads
   * our close frame, and the remote may still answer what it just got (novaconsole's
   * `--close-wait`). While the proxy has said nothing yet, within the rejection window, the close
   * waits for it: a loaded proxy refuses a bad token seconds after the upgrade, and closing first
   * would hide the refusal (`--stdio < file` with an expired token ending 0, silently).
   */
  private closeWhenFlushed(): void {
    if (this.link.kind !== 'half-closed' || !this.wsOpen() || this.outstanding > 0 || this.closeWaitTimer) return;
    if (this.probation && !this.rejectWindowOver && this.local === 'ended' && this.closeWaitMs > 0) return;
    this.closeWaitTimer = setTimeout(() => {
      this.closeWaitTimer = undefined;
      this.close();
    }, this.closeWaitMs);
  }

  // -- WebSocket -> local -------------------------------------------------------------------------

  /** A message `ws` parsed (text frames; every frame when {@link receiveBinaryDirect} is not in use). */
  private readonly onWsMessage = (data: WebSocket.RawData): void => {
    this.onWsData(toBuffer(data));
  };

  /**
   * Bytes from the proxy. Backpressure towards the local side: when its `write()` returns false the
   * WebSocket's socket is paused until 'drain', so a stalled viewer slows the proxy down instead of
   * filling memory. Returns whether the local side may have kept a reference to `buf` (any stream
   * but a socket that wrote it through at once), which {@link receiveBinaryDirect} needs to know
   * before it reuses the read buffer.
   */
  private readonly onWsData = (buf: Buffer): boolean => {
    if (this.probation) this.accept('first byte from the proxy');
    this.bytesIn += buf.length;
    if (this.local === 'gone' || this.link.kind === 'done') return false;
    const writable = this.localSide.writable;
    const ok = writable.write(buf);
    if (!ok && !this.wsPausedForLocal && this.link.kind !== 'dialing') {
      this.wsPausedForLocal = true;
      this.link.ws.pause();
      writable.once('drain', this.onLocalDrain);
    }
    // A socket (TCP, a pipe or TTY stdout) that wrote it through to the kernel at once keeps no
    // reference; one that queued it does (writableLength > 0), and any other stream may.
    return !(writable instanceof net.Socket) || writable.writableLength > 0;
  };

  private readonly onLocalDrain = (): void => {
    if (!this.wsPausedForLocal) return;
    this.wsPausedForLocal = false;
    if (this.link.kind !== 'dialing' && this.link.kind !== 'done') this.link.ws.resume();
  };

  /** The proxy accepted the token: the replay copies go, and the refresh-and-replay with them. */
  private accept(why: string): void {
    if (!this.probation) return;
    this.probation = null;
    this.debug(`session accepted (${why})`);
    if (this.acceptTimer) clearTimeout(this.acceptTimer);
    this.acceptTimer = undefined;
    this.updateLocalFlow();
    this.closeWhenFlushed();
  }

  /**
   * websockify answers a close frame without a status with the illegal status 1005, which `ws`
   * turns into an error (`WS_ERR_INVALID_CLOSE_CODE`) and then a close 1006: the peer is closing,
   * and errors once a close is under way count as part of a normal close.
   */
  private readonly onWsError = (err: Error & { code?: string }): void => {
    if (this.link.kind === 'closing') {
      this.debug(`ignored error while closing: ${err.message}`);
      return;
    }
    if (err.code === 'WS_ERR_INVALID_CLOSE_CODE' && this.link.kind !== 'dialing' && this.link.kind !== 'done') {
      this.link = { kind: 'closing', ws: this.link.ws, url: this.link.url, by: 'peer' };
      this.debug(`peer close frame with illegal status (${err.message}); treated as a normal close`);
      return;
    }
    this.lastWsError = err;
    this.debug(`websocket error: ${err.message}`);
  };

  /**
   * The WebSocket closed. nova-novncproxy refuses a bad or expired token (or a bad Origin) AFTER the
   * 101 upgrade, by dropping TCP with no close frame and no data (`ws`: 1006): a 1006 before the
   * proxy's first byte is taken as a refused token (when the local side had sent bytes: only within
   * the rejection window), retried once with a fresh one (replaying what the local side sent);
   * otherwise, or on the retry after the window, it is a lost session.
   */
  private readonly onWsClose = (code: number, reasonBuf: Buffer): void => {
    const reason = reasonBuf.toString('utf8');
    this.debug(
      `websocket closed: ${code}${reason ? ` ${reason}` : ''} after ${this.bytesIn} byte(s) in, ${this.bytesOut} out`,
    );
    this.clearWsTimers();
    if (this.wsPausedForLocal) {
      this.wsPausedForLocal = false;
      this.localSide.writable.removeListener('drain', this.onLocalDrain);
    }
    const link = this.link;
    if (link.kind === 'dialing' || link.kind === 'done') return;
    link.ws.removeListener('message', this.onWsMessage);
    link.ws.removeListener('pong', this.onPong);
    const where = proxyOrigin(link.url);
    if (link.kind === 'closing') {
      this.finish(); // we asked, or the peer closed with websockify's 1005 echo
      return;
    }
    if (code === 1006) {
      if (this.probation) {
        if (this.attempts === 1 && this.canRetry()) {
          this.debug('dropped before any data: the proxy refused the token; asking for a fresh one');
          void this.dial(true);
          return;
        }
        if (this.local === 'gone') {
          this.finish();
          return;
        }
      }
      if (this.probation && !this.rejectWindowOver) {
        const originHint = this.opts.origin !== undefined ? ` (or refused the Origin ${this.opts.origin})` : '';
        this.finish(
          new TunnelError(
            'TOKEN_REJECTED',
            `The console proxy at ${where} refused the console token (invalid or expired)${originHint}.`,
          ),
        );
        return;
      }
      if (this.local !== 'reading') {
        this.finish();
        return;
      }
      const why = this.lastWsError ? this.lastWsError.message.replace(/\.$/, '') : 'it dropped without a close frame';
      this.finish(
        new TunnelError(
          'LOST',
          `Lost the connection to the console proxy at ${where}: ${why}, after ${formatBytes(this.bytesIn)} received.`,
          { cause: this.lastWsError },
        ),
      );
      return;
    }
    if (code === 1000 || code === 1001 || code === 1005) {
      this.finish();
      return;
    }
    this.finish(
      new TunnelError(
        'LOST',
        `The console proxy at ${where} closed the session with code ${code}${reason ? ` (${reason})` : ''}.`,
      ),
    );
  };

  private clearWsTimers(): void {
    for (const t of [this.pingTimer, this.acceptTimer, this.closeWaitTimer, this.closeKillTimer]) {
      if (t) clearTimeout(t);
    }
    this.pingTimer = this.acceptTimer = this.closeWaitTimer = this.closeKillTimer = undefined;
  }

  /**
   * → `closing` by us: a close frame with an explicit 1000 (websockify echoes it cleanly; a frame
   * without a status would come back as the illegal 1005), and `terminate()` if the close
   * handshake does not finish within CLOSE_HANDSHAKE_MS.
   */
  private close(): void {
    const link = this.link;
    if (link.kind !== 'open' && link.kind !== 'half-closed') return;
    this.link = { kind: 'closing', ws: link.ws, url: link.url, by: 'us' };
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = undefined;
    if (link.ws.readyState === WS_OPEN) {
      this.debug('closing websocket (1000)');
      link.ws.close(1000);
      this.closeKillTimer = setTimeout(() => {
        this.debug('close handshake timed out: terminating');
        link.ws.terminate();
      }, CLOSE_HANDSHAKE_MS);
    } else {
      link.ws.terminate();
    }
  }

  // -- done ---------------------------------------------------------------------------------------

  /**
   * → `done`: reports the error, then flushes the local side (what arrived from the proxy is
   * delivered before the local end; websockify itself may drop target→client bytes it had not
   * sent when the target closed, seen with a plain `ws` client too: nothing a client can recover).
   */
  private finish(error?: Error): void {
    if (this.link.kind === 'done') return;
    const endedBy = this.flushLimitMs !== undefined || this.local !== 'reading' ? 'local' : 'remote';
    this.link = { kind: 'done' };
    this.clearWsTimers();
    if (error) this.localSide.onError?.(error);
    const { readable, writable, endWritable } = this.localSide;
    readable.removeListener('data', this.onLocalData);
    readable.removeListener('end', this.onLocalEnd);
    if (this.local === 'reading') readable.pause();
    const done = (): void => {
      readable.removeListener('error', this.onLocalError);
      readable.removeListener('close', this.onLocalClose);
      writable.removeListener('error', this.onLocalError);
      writable.removeListener('close', this.onWritableClose);
      this.debug(`session ended${error ? ` (${error.message})` : ''}`);
      this.resolveRun({ ...(error ? { error } : {}), endedBy, bytesIn: this.bytesIn });
    };
    if (endWritable) this.finishSocket(writable as unknown as net.Socket, done);
    else this.flushWritable(writable, done);
  }

  /** TCP: FIN after the last byte, wait until it left, give the peer LINGER_MS to close, then destroy. */
  private finishSocket(sock: net.Socket, done: () => void): void {
    sock.on('error', () => {});
    if (sock.destroyed || this.local === 'gone') {
      sock.destroy();
      done();
      return;
    }
    let settled = false;
    let flushTimer: NodeJS.Timeout | undefined;
    let lingerTimer: NodeJS.Timeout | undefined;
    const settle = (): void => {
      if (settled) return;
      settled = true;
      if (flushTimer) clearTimeout(flushTimer);
      if (lingerTimer) clearTimeout(lingerTimer);
      sock.destroy();
      done();
    };
    sock.once('close', settle);
    sock.end(() => {
      // Every byte was handed to the kernel; drain and discard whatever the
      // peer still sends until it closes too, or LINGER_MS passes.
      sock.on('data', () => {});
      sock.resume();
      lingerTimer = setTimeout(settle, LINGER_MS);
      lingerTimer.unref();
    });
    if (this.flushLimitMs !== undefined) {
      flushTimer = setTimeout(settle, this.flushLimitMs);
      flushTimer.unref();
    }
  }

  /** stdio: wait until everything written so far was flushed (never ends stdout). */
  private flushWritable(w: NodeJS.WritableStream, done: () => void): void {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const settle = (): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      done();
    };
    if (this.local === 'gone') {
      settle();
      return;
    }
    try {
      w.write(Buffer.alloc(0), () => settle());
    } catch {
      settle();
      return;
    }
    if (this.flushLimitMs !== undefined) {
      timer = setTimeout(settle, this.flushLimitMs);
      timer.unref();
    }
  }
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} byte${n === 1 ? '' : 's'}`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}
