/**
 * The client side of the RFB protocol (RFC 6143, "The Remote Framebuffer Protocol"), as much of it
 * as a screenshot needs: ProtocolVersion 3.8 or 3.7 (§7.1.1), security type None (§7.1.2, §7.2.1),
 * SecurityResult with its reason string (§7.1.3), ClientInit shared (§7.3.1), ServerInit (§7.3.2),
 * SetPixelFormat, SetEncodings [Raw, CopyRect, DesktopSize] and one non-incremental
 * FramebufferUpdateRequest for the whole screen (§7.5.1–7.5.3), then FramebufferUpdate messages
 * (§7.6.1) until every pixel of the screen was covered by a rectangle, skipping
 * SetColourMapEntries, Bell and ServerCutText (§7.6.2–7.6.4) that may arrive in between.
 *
 * {@link RfbScreenReader} is a pure state machine over a byte stream: it is fed bytes as they come
 * (a WebSocket frame from websockify can split or join RFB messages anywhere) and hands the bytes
 * it must send to a callback. It does no I/O and keeps no timers; src/screenshot/index.ts wires it
 * to the console proxy's WebSocket.
 *
 * Peers it was checked against: noVNC `core/rfb.js` (`_negotiateProtocolVersion`,
 * `_negotiateAuthentication`: with None, RFB 3.7 sends no SecurityResult; `_handleSecurityReason`),
 * Nova's `console/securityproxy/rfb.py` (the proxy talks RFB 3.8 with security type None to the
 * client and VeNCrypt to the compute host) and TigerVNC's Xvnc.
 */
import { NcliError, type ErrorCode, type NcliErrorOptions } from '../errors.js';

/**
 * Stable identifiers of screenshot failures:
 * - `BAD_URL`, `UNREACHABLE`, `TLS`, `HANDSHAKE`: reaching the console proxy failed (as in the tunnel);
 * - `TOKEN_REJECTED`: the proxy accepted the WebSocket upgrade and then dropped the connection without
 *   a byte (how nova-novncproxy refuses an invalid or expired console token, or a bad Origin);
 * - `NOT_VNC`: what came back is not an RFB ProtocolVersion (a serial console, another service);
 * - `PROTOCOL`: the VNC server broke RFC 6143 or needs what ncli does not speak (RFB 3.3 only, an
 *   encoding ncli did not ask for, an unknown message type, a rectangle outside the screen);
 * - `UNSUPPORTED_SECURITY`: no security type None among those offered (a password is wanted…);
 * - `VNC_REFUSED`: the VNC server refused the connection and said why (RFB 3.8 reason string);
 * - `CLOSED_EARLY`: the connection ended before the whole screen arrived;
 * - `TIMEOUT`: the whole capture did not finish in time; `ABORTED`: the caller's signal fired.
 */
export type ScreenshotErrorCode = Extract<
  ErrorCode,
  | 'BAD_URL'
  | 'UNREACHABLE'
  | 'TLS'
  | 'HANDSHAKE'
  | 'TOKEN_REJECTED'
  | 'NOT_VNC'
  | 'PROTOCOL'
  | 'UNSUPPORTED_SECURITY'
  | 'VNC_REFUSED'
  | 'CLOSED_EARLY'
  | 'TIMEOUT'
  | 'ABORTED'
>;

/**
 * A screenshot failure: a stable {@link ScreenshotErrorCode} and a message that is one human line
 * naming the cause (never a console token). `cause` keeps the underlying error for `--debug`.
 *
 * @example
 *   new ScreenshotError('CLOSED_EARLY', 'The VNC server closed the connection after 123 of 307200 pixels.')
 */
export class ScreenshotError extends NcliError {
  override readonly name = 'ScreenshotError';
  declare readonly code: ScreenshotErrorCode;

  /**
   * @param code    stable code
   * @param message one human line, no trailing newline, no token
   * @param options `cause`: the underlying error; `hint`: the kind of fix (worded by the CLI)
   */
  constructor(code: ScreenshotErrorCode, message: string, options?: NcliErrorOptions) {
    super(code, message, options);
  }
}

/** An RFB PIXEL_FORMAT (RFC 6143 §7.4): how a pixel value is laid out on the wire. */
export interface PixelFormat {
  /** Bits per pixel on the wire: 8, 16 or 32. */
  bitsPerPixel: number;
  /** Useful bits in a pixel value. */
  depth: number;
  /** Multi-byte pixels are big-endian. */
  bigEndian: boolean;
  /** True colour (the max/shift fields apply) rather than a colour map. */
  trueColour: boolean;
  redMax: number;
  greenMax: number;
  blueMax: number;
  redShift: number;
  greenShift: number;
  blueShift: number;
}

/**
 * The pixel format ncli asks for with SetPixelFormat: 32 bits per pixel, depth 24, true colour,
 * little-endian, red at bit 16, green at 8, blue at 0: in memory every pixel is the bytes
 * B, G, R, X. The decoder in {@link RfbScreenReader} reads exactly this format.
 */
export const CLIENT_PIXEL_FORMAT: Readonly<PixelFormat> = Object.freeze({
  bitsPerPixel: 32,
  depth: 24,
  bigEndian: false,
  trueColour: true,
  redMax: 255,
  greenMax: 255,
  blueMax: 255,
  redShift: 16,
  greenShift: 8,
  blueShift: 0,
});

/** Encoding numbers (RFC 6143 §7.7, §7.8). */
export const ENCODING_RAW = 0;
export const ENCODING_COPYRECT = 1;
/** The DesktopSize pseudo-encoding: the server may change the screen size (§7.8.2). */
export const ENCODING_DESKTOP_SIZE = -223;
/** What ncli sends in SetEncodings, in order of preference. */
/**
 * The Cursor pseudo-encoding (§7.8.1): the server sends the pointer's shape apart instead of
 * drawing it into the framebuffer (TigerVNC draws it in for a client that does not ask for this),
 * so the screenshot is the screen without the pointer, as gvnccapture's is. Its data is skipped.
 */
export const ENCODING_CURSOR = -239;
export const CLIENT_ENCODINGS: readonly number[] = [
  ENCODING_COPYRECT,
  ENCODING_RAW,
  ENCODING_DESKTOP_SIZE,
  ENCODING_CURSOR,
];

/** Largest screen ncli accepts, in pixels (64 Mi pixels = 256 MiB of RGBA). */
export const DEFAULT_MAX_PIXELS = 64 * 1024 * 1024;
/** Longest reason or desktop name ncli reads, in bytes. */
const MAX_STRING = 64 * 1024;

const SECURITY_TYPE_NAMES: Record<number, string> = {
  1: 'None',
  2: 'VNC Authentication',
  5: 'RA2',
  6: 'RA2ne',
  16: 'Tight',
  17: 'Ultra',
  18: 'TLS',
  19: 'VeNCrypt',
  20: 'SASL',
  21: 'MD5 hash',
  22: 'xvp',
  30: 'Apple Remote Desktop',
};

const ENCODING_NAMES: Record<number, string> = {
  2: 'RRE',
  4: 'CoRRE',
  5: 'Hextile',
  6: 'zlib',
  7: 'Tight',
  15: 'TRLE',
  16: 'ZRLE',
  [-239]: 'Cursor',
  [-224]: 'LastRect',
  [-308]: 'ExtendedDesktopSize',
};

/** PIXEL_FORMAT (RFC 6143 §7.4) as its 16 bytes on the wire. */
export function encodePixelFormat(pf: PixelFormat): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt8(pf.bitsPerPixel, 0);
  b.writeUInt8(pf.depth, 1);
  b.writeUInt8(pf.bigEndian ? 1 : 0, 2);
  b.writeUInt8(pf.trueColour ? 1 : 0, 3);
  b.writeUInt16BE(pf.redMax, 4);
  b.writeUInt16BE(pf.greenMax, 6);
  b.writeUInt16BE(pf.blueMax, 8);
  b.writeUInt8(pf.redShift, 10);
  b.writeUInt8(pf.greenShift, 11);
  b.writeUInt8(pf.blueShift, 12);
  return b;
}

/** PIXEL_FORMAT from its 16 bytes on the wire (RFC 6143 §7.4). */
export function decodePixelFormat(b: Buffer): PixelFormat {
  return {
    bitsPerPixel: b.readUInt8(0),
    depth: b.readUInt8(1),
    bigEndian: b.readUInt8(2) !== 0,
    trueColour: b.readUInt8(3) !== 0,
    redMax: b.readUInt16BE(4),
    greenMax: b.readUInt16BE(6),
    blueMax: b.readUInt16BE(8),
    redShift: b.readUInt8(10),
    greenShift: b.readUInt8(11),
    blueShift: b.readUInt8(12),
  };
}

/** `2 (VNC Authentication)` for the messages. */
function securityTypeLabel(t: number): string {
  const name = SECURITY_TYPE_NAMES[t];
  return name ? `${t} (${name})` : String(t);
}

function encodingLabel(e: number): string {
  const name = ENCODING_NAMES[e];
  return name ? `${e} (${name})` : String(e);
}

/**
 * A string from the server (a reason, a desktop name, a close reason) made safe for one line:
 * control characters become spaces, at most 200 characters.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  const s = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

/**
 * Bytes received and not yet parsed, as a list of chunks (no concatenation on every push, so a
 * stream fed one byte at a time costs O(n)).
 */
class ByteQueue {
  private chunks: Buffer[] = [];
  /** Offset of the first unread byte in chunks[0]. */
  private head = 0;
  /** Bytes queued. */
  length = 0;

  push(b: Buffer): void {
    if (b.length === 0) return;
    this.chunks.push(b);
    this.length += b.length;
  }

  /** Exactly `n` bytes (a view when they sit in one chunk, else a copy), or `undefined` when fewer are queued. */
  take(n: number): Buffer | undefined {
    if (this.length < n) return undefined;
    if (n === 0) return Buffer.alloc(0);
    const first = this.chunks[0];
    if (first.length - this.head >= n) {
      const out = first.subarray(this.head, this.head + n);
      this.advance(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let off = 0;
    while (off < n) {
      const c = this.chunks[0];
      const k = Math.min(c.length - this.head, n - off);
      c.copy(out, off, this.head, this.head + k);
      off += k;
      this.advance(k);
    }
    return out;
  }

  /**
   * A whole number of `unit`-byte items, at least one and at most `max` bytes, without copying when
   * the front chunk holds at least one item; `undefined` when fewer than `unit` bytes are queued.
   */
  takeUnits(unit: number, max: number): Buffer | undefined {
    if (this.length < unit) return undefined;
    const first = this.chunks[0];
    const avail = first.length - this.head;
    if (avail < unit) return this.take(unit);
    const n = Math.min(avail - (avail % unit), max);
    const out = first.subarray(this.head, this.head + n);
    this.advance(n);
    return out;
  }

  /** Drops up to `n` bytes; returns how many were dropped. */
  drop(n: number): number {
    let dropped = 0;
    while (dropped < n && this.length > 0) {
      const c = this.chunks[0];
      const k = Math.min(c.length - this.head, n - dropped);
      this.advance(k);
      dropped += k;
    }
    return dropped;
  }

  private advance(k: number): void {
    this.head += k;
    this.length -= k;
    if (this.head === this.chunks[0].length) {
      this.chunks.shift();
      this.head = 0;
    }
  }
}

/** The screen as {@link RfbScreenReader} decoded it. */
export interface RfbScreen {
  /** Width and height in pixels (after any DesktopSize change). */
  width: number;
  height: number;
  /** The desktop name from ServerInit (control characters replaced by spaces). */
  name: string;
  /** `width * height * 4` bytes, row by row from the top left, R, G, B, A per pixel; alpha is always 255. */
  rgba: Buffer;
}

/** Options of {@link RfbScreenReader}. */
export interface RfbReaderOptions {
  /** Called with every message the client sends, in order (one call per protocol step). */
  send: (bytes: Buffer) => void;
  /** Debug sink: one line per protocol step; never carries a token (the reader never sees one). */
  debug?: (msg: string) => void;
  /** Largest screen accepted, in pixels; default {@link DEFAULT_MAX_PIXELS}. */
  maxPixels?: number;
}

/** Where the reader is; what it waits for. */
type State =
  | { kind: 'version'; got: number[] }
  | { kind: 'security-count' }
  | { kind: 'security-types'; count: number }
  | { kind: 'security-result' }
  | { kind: 'reason-length'; context: string }
  | { kind: 'reason'; context: string; length: number }
  | { kind: 'server-init' }
  | { kind: 'server-name'; length: number }
  | { kind: 'message' }
  | { kind: 'update-header' }
  | { kind: 'rect-header' }
  | { kind: 'raw'; x: number; y: number; w: number; h: number; col: number; row: number }
  | { kind: 'copyrect'; x: number; y: number; w: number; h: number }
  /** Bytes of a pseudo-rectangle ncli reads past (the Cursor shape and its mask). */
  | { kind: 'skip-rect'; bytes: number }
  | { kind: 'colour-map-header' }
  | { kind: 'cut-text-header' }
  | { kind: 'skip'; left: number }
  | { kind: 'done' };

/** Human words for what a state waits for, in "closed … (waiting for X)" messages. */
const WAITING_FOR: Record<State['kind'], string> = {
  version: 'the RFB ProtocolVersion',
  'security-count': 'the security types',
  'security-types': 'the security types',
  'security-result': 'the SecurityResult',
  'reason-length': 'the failure reason',
  reason: 'the failure reason',
  'server-init': 'the ServerInit',
  'server-name': 'the ServerInit',
  message: 'a FramebufferUpdate',
  'update-header': 'a FramebufferUpdate',
  'rect-header': 'a FramebufferUpdate',
  raw: 'a FramebufferUpdate',
  copyrect: 'a FramebufferUpdate',
  'skip-rect': 'the rest of a pointer shape',
  'colour-map-header': 'SetColourMapEntries',
  'cut-text-header': 'ServerCutText',
  skip: 'a FramebufferUpdate',
  done: 'nothing',
};

/**
 * RFB 3.8/3.7 client state machine that takes one screenshot (see the module comment).
 *
 * Feed it every byte from the server with {@link push}; it calls `send` with the client's
 * messages. {@link done} turns true at the end of the FramebufferUpdate message after which every
 * pixel of the screen has been covered by a Raw or CopyRect rectangle (a CopyRect covers what its
 * source covered); {@link result} then gives the screen. A DesktopSize rectangle that changes the
 * size starts over with an empty screen of the new size, and a new FramebufferUpdateRequest is
 * sent at the end of that update if the new screen is not yet covered.
 *
 * The client asks for {@link CLIENT_PIXEL_FORMAT} before its FramebufferUpdateRequest, so every
 * pixel it receives is in that format (RFC 6143 §7.5.1).
 */
export class RfbScreenReader {
  private readonly q = new ByteQueue();
  private state: State = { kind: 'version', got: [] };
  private readonly maxPixels: number;
  /** Negotiated minor version: 7 or 8. */
  private minor = 8;
  private width = 0;
  private height = 0;
  private desktopName = '';
  private fb: Buffer = Buffer.alloc(0);
  private covered: Uint8Array = new Uint8Array(0);
  private coveredCount = 0;
  private rectsLeft = 0;
  /** The size changed within the current update: ask again at its end if not complete. */
  private resized = false;
  private updates = 0;
  /** The ServerInit arrived (so the screen size is known). */
  private hasScreen = false;
  /** Bytes received so far. */
  bytesReceived = 0;

  constructor(private readonly opts: RfbReaderOptions) {
    this.maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  }

  /** `true` once the whole screen arrived; further bytes are ignored. */
  get done(): boolean {
    return this.state.kind === 'done';
  }

  /** Pixels covered so far and pixels of the screen (0 of 0 before ServerInit). */
  progress(): { covered: number; total: number } {
    return { covered: this.coveredCount, total: this.width * this.height };
  }

  /** The decoded screen. @throws Error when called before {@link done} */
  result(): RfbScreen {
    if (!this.done) throw new Error('RfbScreenReader.result() called before the screen was complete');
    return { width: this.width, height: this.height, name: this.desktopName, rgba: this.fb };
  }

  /** `true` once the ServerInit arrived (the screen size is known). */
  get initialised(): boolean {
    return this.hasScreen;
  }

  /** What the reader waits for, in words ("the SecurityResult", "a FramebufferUpdate"…). */
  waitingFor(): string {
    return WAITING_FOR[this.state.kind];
  }

  /**
   * One line saying where the stream ended, for a connection that closed before {@link done}:
   * "The VNC server closed the connection after 123 of 307200 pixels." once the screen size is
   * known, else which handshake step it was waiting for.
   */
  describeEarlyEnd(): string {
    if (this.hasScreen) {
      const { covered, total } = this.progress();
      return `The VNC server closed the connection after ${covered} of ${total} pixels.`;
    }
    return `The VNC server closed the connection during the RFB handshake (waiting for ${this.waitingFor()}).`;
  }

  /**
   * Parses `chunk` (any size, any split) as far as it goes, sending the client's answers.
   * @throws ScreenshotError `NOT_VNC`, `PROTOCOL`, `UNSUPPORTED_SECURITY`, `VNC_REFUSED`; the reader
   *   must not be used after it threw
   */
  push(chunk: Buffer): void {
    this.bytesReceived += chunk.length;
    if (this.done) return;
    this.q.push(chunk);
    while (this.step()) {
      if (this.done) return;
    }
  }

  private debug(msg: string): void {
    this.opts.debug?.(`rfb: ${msg}`);
  }

  /** One parsing step; `false` when more bytes are needed. */
  private step(): boolean {
    const s = this.state;
    switch (s.kind) {
      case 'version':
        return this.readVersion(s);
      case 'security-count': {
        const b = this.q.take(1);
        if (!b) return false;
        const count = b[0];
        this.state = count === 0 ? { kind: 'reason-length', context: '' } : { kind: 'security-types', count };
        return true;
      }
      case 'security-types': {
        const b = this.q.take(s.count);
        if (!b) return false;
        this.chooseSecurity([...b]);
        return true;
      }
      case 'security-result': {
        const b = this.q.take(4);
        if (!b) return false;
        const status = b.readUInt32BE(0);
        if (status !== 0) {
          // 3.7 sends no SecurityResult for None at all; 3.8 follows a failure with a reason
          this.state = { kind: 'reason-length', context: `with security type None (SecurityResult ${status})` };
          return true;
        }
        this.debug('SecurityResult OK');
        this.sendClientInit();
        return true;
      }
      case 'reason-length': {
        const b = this.q.take(4);
        if (!b) return false;
        const length = b.readUInt32BE(0);
        if (length > MAX_STRING) {
          throw new ScreenshotError(
            'VNC_REFUSED',
            `The VNC server refused the connection${s.context ? ` ${s.context}` : ''} (its ${length}-byte reason was not read).`,
          );
        }
        this.state = { kind: 'reason', context: s.context, length };
        return true;
      }
      case 'reason': {
        const b = this.q.take(s.length);
        if (!b) return false;
        const reason = printable(b.toString('utf8'));
        throw new ScreenshotError(
          'VNC_REFUSED',
          `The VNC server refused the connection${s.context ? ` ${s.context}` : ''}: ${reason || 'no reason given'}.`,
        );
      }
      case 'server-init': {
        const b = this.q.take(24);
        if (!b) return false;
        this.width = b.readUInt16BE(0);
        this.height = b.readUInt16BE(2);
        const pf = decodePixelFormat(b.subarray(4, 20));
        const length = b.readUInt32BE(20);
        this.debug(
          `ServerInit ${this.width}x${this.height}, server pixel format ${pf.bitsPerPixel} bpp depth ${pf.depth}` +
            ` ${pf.bigEndian ? 'big' : 'little'}-endian${pf.trueColour ? ' true colour' : ' colour map'}`,
        );
        if (length > MAX_STRING) {
          throw new ScreenshotError(
            'PROTOCOL',
            `The VNC server sent a ${length}-byte desktop name in its ServerInit (more than ${MAX_STRING}); is it a VNC server?`,
          );
        }
        this.state = { kind: 'server-name', length };
        return true;
      }
      case 'server-name': {
        const b = this.q.take(s.length);
        if (!b) return false;
        this.desktopName = printable(b.toString('utf8'));
        this.startScreen(this.width, this.height);
        this.hasScreen = true;
        this.debug(`desktop name "${this.desktopName}"`);
        this.opts.send(
          Buffer.concat([
            setPixelFormat(CLIENT_PIXEL_FORMAT),
            setEncodings(CLIENT_ENCODINGS),
            framebufferUpdateRequest(false, 0, 0, this.width, this.height),
          ]),
        );
        this.debug(
          `sent SetPixelFormat (32 bpp BGRX), SetEncodings [${CLIENT_ENCODINGS.join(', ')}], FramebufferUpdateRequest ${this.width}x${this.height}`,
        );
        this.state = { kind: 'message' };
        return true;
      }
      case 'message':
        return this.readMessageType();
      case 'update-header': {
        const b = this.q.take(3);
        if (!b) return false;
        this.rectsLeft = b.readUInt16BE(1);
        this.updates += 1;
        this.debug(`FramebufferUpdate #${this.updates}: ${this.rectsLeft} rectangle(s)`);
        if (this.rectsLeft === 0) this.endOfUpdate();
        else this.state = { kind: 'rect-header' };
        return true;
      }
      case 'rect-header':
        return this.readRectHeader();
      case 'raw':
        return this.readRaw(s);
      case 'copyrect': {
        const b = this.q.take(4);
        if (!b) return false;
        this.copyRect(s.x, s.y, s.w, s.h, b.readUInt16BE(0), b.readUInt16BE(2));
        this.endOfRect();
        return true;
      }
      case 'skip-rect': {
        if (!this.q.take(s.bytes)) return false;
        this.endOfRect();
        return true;
      }
      case 'colour-map-header': {
        const b = this.q.take(5);
        if (!b) return false;
        const count = b.readUInt16BE(3);
        this.debug(`SetColourMapEntries (${count} colours) skipped`);
        this.state = { kind: 'skip', left: count * 6 };
        return true;
      }
      case 'cut-text-header': {
        const b = this.q.take(7);
        if (!b) return false;
        const length = b.readUInt32BE(3);
        this.debug(`ServerCutText (${length} bytes) skipped`);
        this.state = { kind: 'skip', left: length };
        return true;
      }
      case 'skip': {
        if (s.left > 0) {
          const n = this.q.drop(s.left);
          s.left -= n;
          if (s.left > 0) return false;
        }
        this.state = { kind: 'message' };
        return true;
      }
      case 'done':
        return false;
    }
  }

  /**
   * ProtocolVersion (§7.1.1): "RFB xxx.yyy\n", checked byte by byte so that a console that is not
   * VNC (a serial console's text) fails at its first wrong byte rather than after 12.
   */
  private readVersion(s: { kind: 'version'; got: number[] }): boolean {
    while (s.got.length < 12) {
      const b = this.q.take(1);
      if (!b) return false;
      const c = b[0];
      const i = s.got.length;
      s.got.push(c);
      const want = 'RFB 000.000\n'[i];
      const ok = want === '0' ? c >= 0x30 && c <= 0x39 : c === want.charCodeAt(0);
      if (!ok) {
        // JSON escapes control characters (a serial console's "\r"), so the message stays one line
        const seen = JSON.stringify(Buffer.from(s.got).toString('latin1'));
        throw new ScreenshotError(
          'NOT_VNC',
          `The console did not answer like a VNC server: it sent ${seen} instead of an RFB ProtocolVersion.`,
        );
      }
    }
    const text = Buffer.from(s.got).toString('latin1');
    const major = Number(text.slice(4, 7));
    const minor = Number(text.slice(8, 11));
    const shown = JSON.stringify(text.trimEnd());
    this.debug(`server ProtocolVersion ${shown}`);
    if (major === 3 && minor === 7) {
      this.minor = 7;
    } else if ((major === 3 && minor >= 8) || major > 3) {
      this.minor = 8;
    } else {
      // RFC 6143 §7.1.1: any other 3.x is to be treated as 3.3, which has no security negotiation
      const reason = this.reasonAfter33();
      throw new ScreenshotError(
        'PROTOCOL',
        `The VNC server speaks only RFB 3.3 (it sent ${shown}); ncli's screenshot needs RFB 3.7 or 3.8${reason ? ` (the server said: ${reason})` : ''}.`,
      );
    }
    this.opts.send(Buffer.from(`RFB 003.00${this.minor}\n`, 'latin1'));
    this.debug(`sent ProtocolVersion 3.${this.minor}`);
    this.state = { kind: 'security-count' };
    return true;
  }

  /**
   * A 3.3 server that refuses at once (TigerVNC blacklisting a host: "RFB 003.003" then security
   * type 0 and a reason) may already have sent its reason: read it if it is all there.
   */
  private reasonAfter33(): string | undefined {
    const head = this.q.take(Math.min(this.q.length, 8));
    if (!head || head.length < 8 || head.readUInt32BE(0) !== 0) return undefined;
    const length = head.readUInt32BE(4);
    if (length > MAX_STRING || this.q.length < length) return undefined;
    return printable(this.q.take(length)!.toString('utf8')) || undefined;
  }

  /** Security types (§7.1.2): choose None (1), or say what was offered. */
  private chooseSecurity(types: number[]): void {
    this.debug(`security types offered: ${types.join(', ')}`);
    if (!types.includes(1)) {
      const only2 = types.length === 1 && types[0] === 2;
      throw new ScreenshotError(
        'UNSUPPORTED_SECURITY',
        only2
          ? "The VNC server wants a password (security type 2, VNC Authentication); ncli's screenshot supports only None."
          : `The VNC server offers only security type${types.length === 1 ? '' : 's'} ${types.map(securityTypeLabel).join(', ')}; ncli's screenshot supports only None (1).`,
      );
    }
    this.opts.send(Buffer.from([1]));
    this.debug('chose security type 1 (None)');
    if (this.minor >= 8) {
      this.state = { kind: 'security-result' };
    } else {
      this.sendClientInit(); // RFB 3.7: no SecurityResult after None
    }
  }

  /** ClientInit (§7.3.1) with shared-flag 1: other viewers of the console stay connected. */
  private sendClientInit(): void {
    this.opts.send(Buffer.from([1]));
    this.debug('sent ClientInit (shared)');
    this.state = { kind: 'server-init' };
  }

  /** A fresh screen of `w`×`h`, every pixel opaque black and not yet covered. */
  private startScreen(w: number, h: number): void {
    const pixels = w * h;
    if (pixels === 0) {
      throw new ScreenshotError('PROTOCOL', `The VNC server reports an empty ${w}x${h} screen.`);
    }
    if (pixels > this.maxPixels) {
      throw new ScreenshotError(
        'PROTOCOL',
        `The VNC server reports a ${w}x${h} screen, larger than ncli's limit of ${this.maxPixels} pixels.`,
      );
    }
    this.width = w;
    this.height = h;
    this.fb = Buffer.alloc(pixels * 4);
    for (let i = 3; i < this.fb.length; i += 4) this.fb[i] = 255;
    this.covered = new Uint8Array(pixels);
    this.coveredCount = 0;
  }

  /** Server-to-client message types (§7.6). */
  private readMessageType(): boolean {
    const b = this.q.take(1);
    if (!b) return false;
    const type = b[0];
    switch (type) {
      case 0:
        this.state = { kind: 'update-header' };
        return true;
      case 1:
        this.state = { kind: 'colour-map-header' };
        return true;
      case 2:
        this.debug('Bell skipped');
        return true;
      case 3:
        this.state = { kind: 'cut-text-header' };
        return true;
      default:
        throw new ScreenshotError(
          'PROTOCOL',
          `The VNC server sent message type ${type}, which ncli does not know (RFC 6143 defines 0 to 3 for a client that asked for no extension).`,
        );
    }
  }

  private readRectHeader(): boolean {
    const b = this.q.take(12);
    if (!b) return false;
    const x = b.readUInt16BE(0);
    const y = b.readUInt16BE(2);
    const w = b.readUInt16BE(4);
    const h = b.readUInt16BE(6);
    const encoding = b.readInt32BE(8);
    if (encoding === ENCODING_DESKTOP_SIZE) {
      this.debug(`DesktopSize ${w}x${h}`);
      if (w !== this.width || h !== this.height) {
        this.startScreen(w, h);
        this.resized = true;
      }
      this.endOfRect();
      return true;
    }
    if (encoding === ENCODING_CURSOR) {
      // w*h pixels in the client's pixel format (4 bytes each), then a bitmask of ceil(w/8) bytes per row
      const bytes = w * h * 4 + Math.ceil(w / 8) * h;
      this.debug(`Cursor ${w}x${h} skipped`);
      if (bytes === 0) this.endOfRect();
      else this.state = { kind: 'skip-rect', bytes };
      return true;
    }
    if (encoding !== ENCODING_RAW && encoding !== ENCODING_COPYRECT) {
      throw new ScreenshotError(
        'PROTOCOL',
        `The VNC server sent a rectangle in encoding ${encodingLabel(encoding)}, which ncli did not ask for (it asked for Raw, CopyRect, DesktopSize and Cursor).`,
      );
    }
    this.checkInside('rectangle', x, y, w, h);
    if (w === 0 || h === 0) {
      this.endOfRect();
    } else if (encoding === ENCODING_RAW) {
      this.state = { kind: 'raw', x, y, w, h, col: 0, row: 0 };
    } else {
      this.state = { kind: 'copyrect', x, y, w, h };
    }
    return true;
  }

  private checkInside(what: string, x: number, y: number, w: number, h: number): void {
    if (x + w > this.width || y + h > this.height) {
      throw new ScreenshotError(
        'PROTOCOL',
        `The VNC server sent a ${w}x${h} ${what} at (${x},${y}), outside its ${this.width}x${this.height} screen.`,
      );
    }
  }

  /** Raw pixels (§7.7.1) in {@link CLIENT_PIXEL_FORMAT} (B, G, R, X), decoded as they arrive. */
  private readRaw(s: { kind: 'raw'; x: number; y: number; w: number; h: number; col: number; row: number }): boolean {
    const fb = this.fb;
    const cov = this.covered;
    const W = this.width;
    while (s.row < s.h) {
      const left = (s.h - s.row) * s.w - s.col;
      const d = this.q.takeUnits(4, left * 4);
      if (!d) return false;
      let p = (s.y + s.row) * W + s.x + s.col;
      for (let i = 0; i < d.length; i += 4) {
        const o = p * 4;
        fb[o] = d[i + 2]!;
        fb[o + 1] = d[i + 1]!;
        fb[o + 2] = d[i]!;
        fb[o + 3] = 255;
        if (cov[p] === 0) {
          cov[p] = 1;
          this.coveredCount += 1;
        }
        p += 1;
        if (++s.col === s.w) {
          s.col = 0;
          s.row += 1;
          p = (s.y + s.row) * W + s.x;
        }
      }
    }
    this.endOfRect();
    return true;
  }

  /**
   * CopyRect (§7.7.2): the `w`×`h` area at (sx,sy) of the framebuffer as it was before this
   * rectangle, copied to (x,y); source and destination may overlap. Coverage is copied too.
   */
  private copyRect(x: number, y: number, w: number, h: number, sx: number, sy: number): void {
    this.checkInside('CopyRect source', sx, sy, w, h);
    const W = this.width;
    const rowBytes = w * 4;
    const pixels = Buffer.allocUnsafe(rowBytes * h);
    const cov = new Uint8Array(w * h);
    for (let r = 0; r < h; r++) {
      const src = (sy + r) * W + sx;
      this.fb.copy(pixels, r * rowBytes, src * 4, src * 4 + rowBytes);
      cov.set(this.covered.subarray(src, src + w), r * w);
    }
    for (let r = 0; r < h; r++) {
      const dst = (y + r) * W + x;
      pixels.copy(this.fb, dst * 4, r * rowBytes, (r + 1) * rowBytes);
      for (let c = 0; c < w; c++) {
        const was = this.covered[dst + c];
        const now = cov[r * w + c];
        if (was !== now) {
          this.covered[dst + c] = now;
          this.coveredCount += now - was;
        }
      }
    }
    this.debug(`CopyRect ${w}x${h} from (${sx},${sy}) to (${x},${y})`);
  }

  private endOfRect(): void {
    this.rectsLeft -= 1;
    if (this.rectsLeft > 0) {
      this.state = { kind: 'rect-header' };
      return;
    }
    this.endOfUpdate();
  }

  /** The end of a FramebufferUpdate: done when the screen is covered; after a resize, ask for the new screen. */
  private endOfUpdate(): void {
    const { covered, total } = this.progress();
    this.debug(`${covered} of ${total} pixels covered`);
    if (covered === total) {
      this.state = { kind: 'done' };
      return;
    }
    if (this.resized) {
      this.resized = false;
      this.opts.send(framebufferUpdateRequest(false, 0, 0, this.width, this.height));
      this.debug(`sent FramebufferUpdateRequest ${this.width}x${this.height} after the size change`);
    }
    this.state = { kind: 'message' };
  }
}

/** SetPixelFormat (§7.5.1): type 0, 3 bytes padding, PIXEL_FORMAT. */
export function setPixelFormat(pf: PixelFormat): Buffer {
  return Buffer.concat([Buffer.from([0, 0, 0, 0]), encodePixelFormat(pf)]);
}

/** SetEncodings (§7.5.2): type 2, padding, count, then each encoding as a signed 32-bit number. */
export function setEncodings(encodings: readonly number[]): Buffer {
  const b = Buffer.alloc(4 + 4 * encodings.length);
  b.writeUInt8(2, 0);
  b.writeUInt16BE(encodings.length, 2);
  encodings.forEach((e, i) => b.writeInt32BE(e, 4 + 4 * i));
  return b;
}

/** FramebufferUpdateRequest (§7.5.3): type 3, incremental flag, x, y, width, height. */
export function framebufferUpdateRequest(incremental: boolean, x: number, y: number, w: number, h: number): Buffer {
  const b = Buffer.alloc(10);
  b.writeUInt8(3, 0);
  b.writeUInt8(incremental ? 1 : 0, 1);
  b.writeUInt16BE(x, 2);
  b.writeUInt16BE(y, 4);
  b.writeUInt16BE(w, 6);
  b.writeUInt16BE(h, 8);
  return b;
}
