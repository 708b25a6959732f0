/**
 * One tunnel session: a local byte stream (a TCP connection or stdin/stdout) bridged to one
 * WebSocket of a console proxy, with backpressure both ways, one token refresh on a refused token
 * (replaying what the local side had sent), pings, and a flushing close. Used by forwarder.ts;
 * the proxy behaviour it handles is described there.
 */
import type net from 'node:net';
import type WebSocket from 'ws';
import { redactUrl } from '../redact.js';
import { TunnelError, proxyOrigin } from './errors.js';
import { dialConsole, isHandshakeHangup } from './websocket.js';
import { consoleWebSocketUrl } from './ws-url.js';

/** Options shared by {@link forwardLocal} and {@link forwardStdio}. */
export interface TunnelOptions {
  /**
   * Returns the console URL (a page URL such as
   * `http://h:6080/vnc_auto.html?path=%3Ftoken%3D…` or a `ws:`/`wss:` URL).
   * Called with `fresh=false` for every new WebSocket (a token can be reused
   * within its TTL) and with `fresh=true` once after the proxy refused the
   * token. Errors it throws end that session and are reported as they are.
   */
  resolveUrl: (fresh: boolean) => Promise<string>;
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
   * How long after the WebSocket opens a drop without data still counts as a
   * token rejection (rather than a lost session), in milliseconds; default 5000.
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

/** The local end of a session. */
export interface LocalSide {
  readable: NodeJS.ReadableStream;
  writable: NodeJS.WritableStream;
  /** TCP: end() the socket after the last byte; stdio: only flush. */
  endWritable: boolean;
  filter?: (chunk: Uint8Array) => { data: Buffer; disconnect: boolean };
  onOpen?: () => void;
  /** Called once with the session's error, before the local side is flushed and closed. */
  onError?: (err: Error) => void;
}

interface SessionResult {
  error?: Error;
}

const WS_OPEN = 1;

function toBuffer(data: WebSocket.RawData | string | Uint8Array): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** One local stream ↔ one WebSocket; see the module comment. */
export class Session {
  private ws: WebSocket | undefined;
  private url: URL | undefined;
  private attempt = 0;
  private dialing = false;
  private dialAbort: AbortController | undefined;
  private accepted = false;
  private replay: Buffer[] = [];
  private replayBytes = 0;
  private replayOverflow = false;
  private outstanding = 0;
  private localPaused = false;
  private wsPausedForLocal = false;
  private localEnded = false;
  private localGone = false;
  private closeWaitMs: number;
  private closeRequested = false;
  private peerClosing = false;
  private lastWsError: Error | undefined;
  private aborted = false;
  private finished = false;
  private openedOnce = false;
  private bytesIn = 0;
  private bytesOut = 0;
  private pingTimer: NodeJS.Timeout | undefined;
  private acceptTimer: NodeJS.Timeout | undefined;
  private closeWaitTimer: NodeJS.Timeout | undefined;
  private closeKillTimer: NodeJS.Timeout | undefined;
  private resolveRun!: (r: SessionResult) => void;
  private readonly result: Promise<SessionResult>;

  constructor(
    private readonly local: LocalSide,
    private readonly opts: TunnelOptions,
    private readonly tag: string,
  ) {
    this.closeWaitMs = opts.closeWaitMs ?? DEFAULT_CLOSE_WAIT_MS;
    this.result = new Promise((resolve) => (this.resolveRun = resolve));
  }

  private debug(msg: string): void {
    this.opts.debug?.(`tunnel[${this.tag}]: ${redactUrl(msg)}`);
  }

  run(): Promise<SessionResult> {
    const { readable, writable } = this.local;
    readable.on('data', this.onLocalData);
    readable.on('end', this.onLocalEnd);
    readable.on('error', this.onLocalError);
    readable.on('close', this.onLocalClose);
    if (!this.sameStream()) {
      writable.on('error', this.onLocalError);
      writable.on('close', this.onWritableClose);
    }
    void this.connect(false);
    return this.result;
  }

  /** Close the session cleanly (flushing both ways as far as possible). */
  abort(): void {
    if (this.finished || this.aborted) return;
    this.aborted = true;
    this.debug('abort requested');
    this.stopReadingLocal();
    if (this.dialing) {
      // Still in resolveUrl() (not cancellable) or in the handshake: finish
      // now; connect() drops whatever arrives later.
      this.dialAbort?.abort();
      this.finish();
      return;
    }
    this.closeWs();
  }

  // -- dialling ------------------------------------------------------------

  private async connect(fresh: boolean): Promise<void> {
    this.attempt += 1;
    this.dialing = true;
    this.dialAbort = undefined;
    this.updateLocalFlow();
    let ws: WebSocket;
    try {
      const raw = await this.opts.resolveUrl(fresh);
      if (this.finished) return;
      if (this.aborted || (this.localGone && this.replayBytes === 0)) {
        this.finish();
        return;
      }
      const url = consoleWebSocketUrl(raw);
      this.url = url;
      this.debug(`dialing ${url.href} (attempt ${this.attempt}${fresh ? ', fresh token' : ''})`);
      this.dialAbort = new AbortController();
      ws = await dialConsole({
        url,
        signal: this.dialAbort.signal,
        ...(this.opts.origin !== undefined ? { origin: this.opts.origin } : {}),
        ...(this.opts.headers !== undefined ? { headers: this.opts.headers } : {}),
        ...(this.opts.ca !== undefined ? { ca: this.opts.ca } : {}),
        ...(this.opts.insecure ? { insecure: true } : {}),
        ...(this.opts.handshakeTimeoutMs !== undefined ? { handshakeTimeoutMs: this.opts.handshakeTimeoutMs } : {}),
      });
    } catch (err) {
      this.dialing = false;
      if (this.finished) return;
      if (this.aborted) {
        this.finish();
        return;
      }
      this.debug(`dial failed: ${err instanceof Error ? err.message : String(err)}`);
      if (this.attempt === 1 && isHandshakeHangup(err) && !this.localGone && !this.replayOverflow) {
        this.debug('hang-up before the upgrade: the proxy may have refused the token; asking for a fresh one');
        void this.connect(true);
        return;
      }
      this.finish(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    this.dialing = false;
    if (this.finished) {
      ws.on('error', () => {});
      ws.terminate();
      return;
    }
    this.attach(ws);
  }

  private attach(ws: WebSocket): void {
    this.ws = ws;
    this.debug(`open (subprotocol ${ws.protocol ? `"${ws.protocol}"` : 'none'})`);
    ws.binaryType = 'nodebuffer';
    ws.on('message', this.onWsMessage);
    ws.on('error', this.onWsError);
    ws.on('close', this.onWsClose);
    ws.on('pong', this.onPong);
    ws.resume(); // dialConsole hands the socket over paused

    const pingMs = this.opts.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS;
    if (pingMs > 0) {
      this.pingTimer = setInterval(() => {
        if (ws.readyState === WS_OPEN && !this.closeRequested) {
          ws.ping();
          this.debug('ping');
        }
      }, pingMs);
      this.pingTimer.unref();
    }
    if (!this.accepted) {
      this.acceptTimer = setTimeout(
        () => this.accept('no drop within the rejection window'),
        this.opts.rejectWindowMs ?? DEFAULT_REJECT_WINDOW_MS,
      );
      this.acceptTimer.unref();
    }
    if (!this.openedOnce) {
      this.openedOnce = true;
      this.local.onOpen?.();
    }
    if (this.replay.length > 0) {
      this.debug(`sending ${this.replayBytes} buffered byte(s)`);
      for (const chunk of this.replay) this.send(chunk);
    }
    if (this.aborted) {
      this.closeWs();
      return;
    }
    this.updateLocalFlow();
    this.checkLocalEndFlushed();
  }

  private readonly onPong = (): void => {
    this.debug('pong');
  };

  // -- local -> WebSocket ----------------------------------------------------

  private readonly onLocalData = (chunk: Buffer | string): void => {
    if (this.localEnded || this.finished) return;
    let data = toBuffer(chunk);
    let disconnect = false;
    if (this.local.filter) ({ data, disconnect } = this.local.filter(data));
    if (data.length > 0) {
      const open = this.wsOpen();
      if (!this.accepted && !this.replayOverflow) {
        if (open && this.replayBytes + data.length > REPLAY_LIMIT) {
          this.debug(`more than ${REPLAY_LIMIT} bytes sent before the proxy's first byte: no replay possible`);
          this.replayOverflow = true;
          this.replay = [];
          this.replayBytes = 0;
        } else {
          this.replay.push(data);
          this.replayBytes += data.length;
        }
      }
      if (open) this.send(data);
    }
    if (disconnect) {
      this.debug('escape sequence ~. typed: disconnecting');
      this.closeWaitMs = 0;
      this.onLocalEnd();
      if (this.dialing) this.abort();
      return;
    }
    this.updateLocalFlow();
  };

  private wsOpen(): boolean {
    return !this.dialing && this.ws !== undefined && this.ws.readyState === WS_OPEN;
  }

  private send(data: Buffer): void {
    const ws = this.ws!;
    const n = data.length;
    this.outstanding += n;
    ws.send(data, { binary: true }, (err) => {
      this.outstanding -= n;
      if (!err) this.bytesOut += n;
      this.updateLocalFlow();
      this.checkLocalEndFlushed();
    });
  }

  private updateLocalFlow(): void {
    if (this.localEnded || this.finished) return;
    const stall = this.outstanding >= WS_HIGH_WATER_MARK || (this.dialing && this.replayBytes >= REPLAY_LIMIT);
    if (stall && !this.localPaused) {
      this.localPaused = true;
      this.local.readable.pause();
    } else if (!stall && this.localPaused) {
      this.localPaused = false;
      this.local.readable.resume();
    }
  }

  private readonly onLocalEnd = (): void => {
    if (this.localEnded) return;
    this.localEnded = true;
    this.debug(`local input ended after ${this.bytesOut + this.outstanding} byte(s)`);
    this.stopReadingLocal();
    this.checkLocalEndFlushed();
  };

  private readonly onLocalError = (err: Error): void => {
    this.debug(`local stream error: ${err.message}`);
    this.localGoneNow();
  };

  /** 'close' of the readable: for a socket (readable === writable) both directions are gone. */
  private readonly onLocalClose = (): void => {
    if (this.finished) return;
    if (this.sameStream()) {
      if (!this.localGone) {
        this.debug('local connection closed');
        this.localGoneNow();
      }
    } else {
      this.onLocalEnd();
    }
  };

  /** 'close' of a separate writable (stdout): nothing more can be delivered. */
  private readonly onWritableClose = (): void => {
    if (this.finished || this.localGone) return;
    this.debug('local output closed');
    this.localGoneNow();
  };

  private sameStream(): boolean {
    return (this.local.writable as unknown) === this.local.readable;
  }

  private localGoneNow(): void {
    if (this.localGone) return;
    this.localGone = true;
    this.closeWaitMs = 0;
    if (this.wsPausedForLocal) {
      this.wsPausedForLocal = false;
      this.local.writable.removeListener('drain', this.onLocalDrain);
      this.ws?.resume();
    }
    this.onLocalEnd();
  }

  private stopReadingLocal(): void {
    const { readable } = this.local;
    readable.removeListener('data', this.onLocalData);
    readable.pause();
    this.localPaused = true;
  }

  /** After the local side ended: once every byte left our socket, wait closeWaitMs, then close. */
  private checkLocalEndFlushed(): void {
    if (!this.localEnded || !this.wsOpen() || this.outstanding > 0) return;
    if (this.closeWaitTimer || this.closeRequested) return;
    this.closeWaitTimer = setTimeout(() => {
      this.closeWaitTimer = undefined;
      this.closeWs();
    }, this.closeWaitMs);
  }

  // -- WebSocket -> local ------------------------------------------------------

  private readonly onWsMessage = (data: WebSocket.RawData): void => {
    const buf = toBuffer(data);
    if (!this.accepted) this.accept('first byte from the proxy');
    this.bytesIn += buf.length;
    if (this.localGone || this.finished) return;
    const ok = this.local.writable.write(buf);
    if (!ok && !this.wsPausedForLocal && this.ws) {
      this.wsPausedForLocal = true;
      this.ws.pause();
      this.local.writable.once('drain', this.onLocalDrain);
    }
  };

  private readonly onLocalDrain = (): void => {
    if (!this.wsPausedForLocal) return;
    this.wsPausedForLocal = false;
    this.ws?.resume();
  };

  private accept(why: string): void {
    if (this.accepted) return;
    this.accepted = true;
    this.debug(`session accepted (${why})`);
    this.replay = [];
    this.replayBytes = 0;
    if (this.acceptTimer) clearTimeout(this.acceptTimer);
    this.acceptTimer = undefined;
    this.updateLocalFlow();
  }

  private readonly onWsError = (err: Error & { code?: string }): void => {
    if (this.closeRequested || this.peerClosing) {
      this.debug(`ignored error while closing: ${err.message}`);
      return;
    }
    if (err.code === 'WS_ERR_INVALID_CLOSE_CODE') {
      // websockify's echo of a status-less close: the peer is closing.
      this.peerClosing = true;
      this.debug(`peer close frame with illegal status (${err.message}); treated as a normal close`);
      return;
    }
    this.lastWsError = err;
    this.debug(`websocket error: ${err.message}`);
  };

  private readonly onWsClose = (code: number, reasonBuf: Buffer): void => {
    const reason = reasonBuf.toString('utf8');
    this.debug(
      `websocket closed: ${code}${reason ? ` ${reason}` : ''} after ${this.bytesIn} byte(s) in, ${this.bytesOut} out`,
    );
    this.clearWsTimers();
    if (this.wsPausedForLocal) {
      this.wsPausedForLocal = false;
      this.local.writable.removeListener('drain', this.onLocalDrain);
    }
    const ws = this.ws;
    ws?.removeListener('message', this.onWsMessage);
    ws?.removeListener('pong', this.onPong);
    const where = this.url ? proxyOrigin(this.url) : 'the console proxy';

    if (this.closeRequested || this.aborted) {
      this.finish();
      return;
    }
    if (code === 1006 && !this.peerClosing) {
      if (!this.accepted) {
        if (this.attempt === 1 && !this.localGone && !this.replayOverflow) {
          this.debug('dropped before any data: the proxy refused the token; asking for a fresh one');
          void this.connect(true);
          return;
        }
        if (this.localGone) {
          this.finish();
          return;
        }
        const originHint = this.opts.origin !== undefined ? ` (or refused the Origin ${this.opts.origin})` : '';
        this.finish(
          new TunnelError(
            'TOKEN_REJECTED',
            `The console proxy at ${where} refused the console token (invalid or expired)${originHint}.`,
          ),
        );
        return;
      }
      if (this.localEnded) {
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
    if (code === 1000 || code === 1001 || code === 1005 || this.peerClosing) {
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

  private closeWs(): void {
    const ws = this.ws;
    if (!ws || this.closeRequested) {
      if (!ws && !this.dialing) this.finish();
      return;
    }
    this.closeRequested = true;
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = undefined;
    if (ws.readyState === WS_OPEN) {
      this.debug('closing websocket (1000)');
      ws.close(1000);
      this.closeKillTimer = setTimeout(() => {
        this.debug('close handshake timed out: terminating');
        ws.terminate();
      }, CLOSE_HANDSHAKE_MS);
    } else {
      ws.terminate();
    }
  }

  // -- the end -------------------------------------------------------------------

  private finish(error?: Error): void {
    if (this.finished) return;
    this.finished = true;
    this.clearWsTimers();
    if (error) this.local.onError?.(error);
    const { readable, writable, endWritable } = this.local;
    readable.removeListener('data', this.onLocalData);
    readable.removeListener('end', this.onLocalEnd);
    if (!this.localEnded) readable.pause();
    const done = (): void => {
      readable.removeListener('error', this.onLocalError);
      readable.removeListener('close', this.onLocalClose);
      writable.removeListener('error', this.onLocalError);
      writable.removeListener('close', this.onWritableClose);
      this.debug(`session ended${error ? ` (${error.message})` : ''}`);
      this.resolveRun(error ? { error } : {});
    };
    if (endWritable) this.finishSocket(writable as unknown as net.Socket, done);
    else this.flushWritable(writable, done);
  }

  /** TCP: FIN after the last byte, wait until it left, give the peer LINGER_MS to close, then destroy. */
  private finishSocket(sock: net.Socket, done: () => void): void {
    sock.on('error', () => {});
    if (sock.destroyed || this.localGone) {
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
    if (this.aborted) {
      flushTimer = setTimeout(settle, ABORT_FLUSH_MS);
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
    if (this.localGone) {
      settle();
      return;
    }
    try {
      w.write(Buffer.alloc(0), () => settle());
    } catch {
      settle();
      return;
    }
    if (this.aborted) {
      timer = setTimeout(settle, ABORT_FLUSH_MS);
      timer.unref();
    }
  }
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} byte${n === 1 ? '' : 's'}`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}
