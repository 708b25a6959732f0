/**
 * A fake VNC server for the screenshot tests: the server side of RFB (RFC 6143) as a pure session
 * ({@link FakeRfbSession}: client bytes in, server bytes out) and the same behind a real `ws`
 * WebSocketServer on 127.0.0.1 with binary frames ({@link FakeRfbServer}), like websockify in
 * front of a VNC server. It does on demand what real servers will not: split an update into many
 * rectangles and messages, CopyRect, interleave Bell / ServerCutText / SetColourMapEntries, resize,
 * close in the middle of an update, offer only VNC Authentication, speak only RFB 3.3, drop right
 * after the upgrade (nova-novncproxy's token refusal), answer a close with websockify's illegal 1005.
 *
 * Pixels are sent in the pixel format the client asked for with SetPixelFormat (until then in the
 * ServerInit format, deliberately different from ncli's), and the session keeps a model of what a
 * correct client holds after each rectangle ({@link FakeRfbSession.expected}).
 */
import type { AddressInfo } from 'node:net';
import type net from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { PixelFormat } from '../../../src/screenshot/rfb.js';

/** A colour as [r, g, b], each 0–255. */
export type Rgb = [number, number, number];

/** One rectangle of a FramebufferUpdate. */
export type FakeRect =
  /** Raw pixels of the screen function for [x, y, w, h]. */
  | { raw: [number, number, number, number] }
  /** CopyRect: [x, y, w, h] from (sx, sy). */
  | { copy: [number, number, number, number]; from: [number, number] }
  /** DesktopSize pseudo-rectangle: the screen becomes [w, h] (the model starts over, black). */
  | { desktopSize: [number, number] }
  /** Any encoding number with these bytes after the header (for unknown encodings). */
  | { encoding: number; rect: [number, number, number, number]; bytes?: Buffer };

/** One step of what the server sends after the client's first FramebufferUpdateRequest. */
export type FakeStep =
  | { update: FakeRect[] }
  | { bell: true }
  | { cutText: string }
  | { colourMap: number }
  | { messageType: number }
  /** Wait for the client's next FramebufferUpdateRequest before going on. */
  | { waitForRequest: true };

/** How the server behaves. */
export interface FakeRfbOptions {
  /** ProtocolVersion to send; default `RFB 003.008\n`. */
  version?: string;
  /** Security types offered (3.7/3.8); default [1]. */
  securityTypes?: number[];
  /** 3.7+: offer no security type and send this reason instead. */
  refuseReason?: string;
  /** 3.3: the security type word (0 = failure, then `refuseReason`); default 1. */
  security33?: number;
  /** SecurityResult status after None (3.8); default 0, with `refuseReason` as the 3.8 reason. */
  securityResult?: number;
  width?: number;
  height?: number;
  name?: string;
  /** The screen's content (raw rectangles send it); default a pattern where every pixel differs. */
  screen?: (x: number, y: number) => Rgb;
  /** The pixel format announced in ServerInit; default 32 bpp big-endian with red at bit 0. */
  serverFormat?: PixelFormat;
  /** What follows the first FramebufferUpdateRequest; default one update with the whole screen raw. */
  script?: FakeStep[];
  /** Send only the first N bytes of the post-request output, then close (see `closeHow`). */
  truncateAfter?: number;
  /** How to close after `truncateAfter` (or after the script with `closeAtEnd`): TCP drop or close 1000. */
  closeHow?: 'terminate' | 'close';
  /** Close after the script. */
  closeAtEnd?: boolean;
  /** Send this instead of a ProtocolVersion (a console that is not VNC). */
  banner?: Buffer;
  /** Send nothing at all (a console that stays silent). */
  silent?: boolean;
  /** Drop the TCP connection right after the 101 upgrade, without a byte (a refused token). */
  dropOnConnect?: boolean;
  /** Close the WebSocket with this code (and reason "going away now") right after the upgrade. */
  closeOnConnect?: number;
  /** Answer the client's close frame with the illegal status 1005, as websockify does for a status-less close. */
  answerCloseWith1005?: boolean;
  /** How to split the output into WebSocket frames: all at once per step, 1 byte each, or random sizes. */
  chunking?: 'step' | 'bytes' | { random: number; max: number };
}

/** The default pixel format of the fake's ServerInit: not ncli's, so that a missing SetPixelFormat shows. */
export const FAKE_SERVER_FORMAT: PixelFormat = {
  bitsPerPixel: 32,
  depth: 24,
  bigEndian: true,
  trueColour: true,
  redMax: 255,
  greenMax: 255,
  blueMax: 255,
  redShift: 0,
  greenShift: 8,
  blueShift: 16,
};

/** A screen where neighbouring pixels differ in every channel. */
export function patternScreen(x: number, y: number): Rgb {
  return [(x * 7 + y * 3) & 0xff, (x * 3 + y * 11 + 17) & 0xff, (x * 13 + y * 5 + 101) & 0xff];
}

/** A small deterministic PRNG (mulberry32) for random chunk sizes. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A pixel value in `pf`, as its bytes on the wire. */
export function encodePixel(rgb: Rgb, pf: PixelFormat): Buffer {
  const v =
    ((Math.round((rgb[0] * pf.redMax) / 255) << pf.redShift) |
      (Math.round((rgb[1] * pf.greenMax) / 255) << pf.greenShift) |
      (Math.round((rgb[2] * pf.blueMax) / 255) << pf.blueShift)) >>>
    0;
  const n = pf.bitsPerPixel / 8;
  const b = Buffer.alloc(n);
  if (n === 1) b.writeUInt8(v & 0xff, 0);
  else if (n === 2 && pf.bigEndian) b.writeUInt16BE(v & 0xffff, 0);
  else if (n === 2) b.writeUInt16LE(v & 0xffff, 0);
  else if (pf.bigEndian) b.writeUInt32BE(v, 0);
  else b.writeUInt32LE(v, 0);
  return b;
}

function pixelFormatBytes(pf: PixelFormat): Buffer {
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

function u32String(s: string): Buffer {
  const text = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(text.length, 0);
  return Buffer.concat([len, text]);
}

/** What the client sent, as the fake understood it. */
export interface ClientRecord {
  version?: string;
  securityType?: number;
  shared?: number;
  pixelFormat?: PixelFormat;
  encodings?: number[];
  requests: { incremental: boolean; x: number; y: number; w: number; h: number }[];
  /** Messages of other types (KeyEvent…), by type. */
  other: number[];
}

/**
 * The server side of one RFB session, without I/O: {@link start} gives the first bytes,
 * {@link receive} takes the client's bytes and returns the answer. Outputs are lists of "steps"
 * (one Buffer per protocol step), so a transport can frame them as it likes.
 */
export class FakeRfbSession {
  readonly record: ClientRecord = { requests: [], other: [] };
  private inbox = Buffer.alloc(0);
  private phase: 'version' | 'security' | 'client-init' | 'normal' | 'dead' = 'version';
  private format: PixelFormat;
  private width: number;
  private height: number;
  private model: Buffer;
  private readonly screen: (x: number, y: number) => Rgb;
  private script: FakeStep[];
  private scriptStarted = false;
  private waiting = false;

  constructor(private readonly o: FakeRfbOptions = {}) {
    this.format = o.serverFormat ?? FAKE_SERVER_FORMAT;
    this.width = o.width ?? 64;
    this.height = o.height ?? 48;
    this.screen = o.screen ?? patternScreen;
    this.model = FakeRfbSession.blank(this.width, this.height);
    this.script = [...(o.script ?? [{ update: [{ raw: [0, 0, this.width, this.height] }] }])];
  }

  private static blank(w: number, h: number): Buffer {
    const b = Buffer.alloc(w * h * 4);
    for (let i = 3; i < b.length; i += 4) b[i] = 255;
    return b;
  }

  /** What a correct client holds now: size and RGBA (opaque black where nothing was sent). */
  expected(): { width: number; height: number; rgba: Buffer } {
    return { width: this.width, height: this.height, rgba: Buffer.from(this.model) };
  }

  /** The first bytes: the ProtocolVersion (or the banner), or nothing. */
  start(): Buffer[] {
    if (this.o.silent) return [];
    if (this.o.banner) return [this.o.banner];
    return [Buffer.from(this.o.version ?? 'RFB 003.008\n', 'latin1')];
  }

  private minor(): number {
    const v = this.o.version ?? 'RFB 003.008\n';
    return Number(v.slice(8, 11));
  }

  /** The client's bytes in, the server's steps out. */
  receive(bytes: Buffer): Buffer[] {
    this.inbox = Buffer.concat([this.inbox, bytes]);
    const out: Buffer[] = [];
    for (;;) {
      const before = this.inbox.length;
      this.parse(out);
      if (this.inbox.length === before || this.phase === 'dead') break;
    }
    return out;
  }

  private take(n: number): Buffer | undefined {
    if (this.inbox.length < n) return undefined;
    const b = this.inbox.subarray(0, n);
    this.inbox = this.inbox.subarray(n);
    return b;
  }

  private parse(out: Buffer[]): void {
    switch (this.phase) {
      case 'version': {
        const b = this.take(12);
        if (!b) return;
        this.record.version = b.toString('latin1');
        if (this.minor() < 7) {
          const word = Buffer.alloc(4);
          word.writeUInt32BE(this.o.security33 ?? 1, 0);
          out.push(word);
          if ((this.o.security33 ?? 1) === 0) out.push(u32String(this.o.refuseReason ?? 'refused'));
          this.phase = 'client-init';
          return;
        }
        if (this.o.refuseReason !== undefined && this.o.securityResult === undefined) {
          out.push(Buffer.concat([Buffer.from([0]), u32String(this.o.refuseReason)]));
          this.phase = 'dead';
          return;
        }
        const types = this.o.securityTypes ?? [1];
        out.push(Buffer.from([types.length, ...types]));
        this.phase = 'security';
        return;
      }
      case 'security': {
        const b = this.take(1);
        if (!b) return;
        this.record.securityType = b[0];
        if (this.minor() >= 8) {
          const status = this.o.securityResult ?? 0;
          const word = Buffer.alloc(4);
          word.writeUInt32BE(status, 0);
          out.push(status === 0 ? word : Buffer.concat([word, u32String(this.o.refuseReason ?? 'failed')]));
          if (status !== 0) {
            this.phase = 'dead';
            return;
          }
        }
        this.phase = 'client-init';
        return;
      }
      case 'client-init': {
        const b = this.take(1);
        if (!b) return;
        this.record.shared = b[0];
        const head = Buffer.alloc(4);
        head.writeUInt16BE(this.width, 0);
        head.writeUInt16BE(this.height, 2);
        out.push(Buffer.concat([head, pixelFormatBytes(this.format), u32String(this.o.name ?? 'fake-vm')]));
        this.phase = 'normal';
        return;
      }
      case 'normal':
        this.parseClientMessage(out);
        return;
      case 'dead':
        this.inbox = Buffer.alloc(0);
        return;
    }
  }

  private parseClientMessage(out: Buffer[]): void {
    if (this.inbox.length < 1) return;
    const type = this.inbox[0];
    const need = (n: number): Buffer | undefined => (this.inbox.length >= n ? this.take(n) : undefined);
    switch (type) {
      case 0: {
        const b = need(20);
        if (!b) return;
        const p = b.subarray(4);
        this.format = {
          bitsPerPixel: p[0],
          depth: p[1],
          bigEndian: p[2] !== 0,
          trueColour: p[3] !== 0,
          redMax: p.readUInt16BE(4),
          greenMax: p.readUInt16BE(6),
          blueMax: p.readUInt16BE(8),
          redShift: p[10],
          greenShift: p[11],
          blueShift: p[12],
        };
        this.record.pixelFormat = this.format;
        return;
      }
      case 2: {
        if (this.inbox.length < 4) return;
        const count = this.inbox.readUInt16BE(2);
        const b = need(4 + 4 * count);
        if (!b) return;
        this.record.encodings = Array.from({ length: count }, (_, i) => b.readInt32BE(4 + 4 * i));
        return;
      }
      case 3: {
        const b = need(10);
        if (!b) return;
        this.record.requests.push({
          incremental: b[1] !== 0,
          x: b.readUInt16BE(2),
          y: b.readUInt16BE(4),
          w: b.readUInt16BE(6),
          h: b.readUInt16BE(8),
        });
        if (!this.scriptStarted || this.waiting) {
          this.scriptStarted = true;
          this.waiting = false;
          this.runScript(out);
        }
        return;
      }
      case 4:
        if (need(8)) this.record.other.push(4);
        return;
      case 5:
        if (need(6)) this.record.other.push(5);
        return;
      case 6: {
        if (this.inbox.length < 8) return;
        if (need(8 + this.inbox.readUInt32BE(4))) this.record.other.push(6);
        return;
      }
      default:
        throw new Error(`fake RFB server: unknown client message type ${type}`);
    }
  }

  /** Runs the script until its end or a `waitForRequest`. */
  private runScript(out: Buffer[]): void {
    while (this.script.length > 0) {
      const step = this.script.shift()!;
      if ('waitForRequest' in step) {
        this.waiting = true;
        return;
      }
      out.push(this.render(step));
    }
  }

  private render(step: Exclude<FakeStep, { waitForRequest: true }>): Buffer {
    if ('bell' in step) return Buffer.from([2]);
    if ('messageType' in step) return Buffer.from([step.messageType]);
    if ('cutText' in step) return Buffer.concat([Buffer.from([3, 0, 0, 0]), u32String(step.cutText)]);
    if ('colourMap' in step) {
      const head = Buffer.alloc(6);
      head.writeUInt8(1, 0);
      head.writeUInt16BE(0, 2);
      head.writeUInt16BE(step.colourMap, 4);
      return Buffer.concat([head, Buffer.alloc(step.colourMap * 6, 0x5a)]);
    }
    const head = Buffer.alloc(4);
    head.writeUInt8(0, 0);
    head.writeUInt16BE(step.update.length, 2);
    return Buffer.concat([head, ...step.update.map((r) => this.renderRect(r))]);
  }

  private rectHeader(x: number, y: number, w: number, h: number, encoding: number): Buffer {
    const b = Buffer.alloc(12);
    b.writeUInt16BE(x, 0);
    b.writeUInt16BE(y, 2);
    b.writeUInt16BE(w, 4);
    b.writeUInt16BE(h, 6);
    b.writeInt32BE(encoding, 8);
    return b;
  }

  private renderRect(r: FakeRect): Buffer {
    if ('raw' in r) {
      const [x, y, w, h] = r.raw;
      const parts = [this.rectHeader(x, y, w, h, 0)];
      for (let j = 0; j < h; j++) {
        for (let i = 0; i < w; i++) {
          const rgb = this.screen(x + i, y + j);
          parts.push(encodePixel(rgb, this.format));
          const o = ((y + j) * this.width + x + i) * 4;
          if (x + i < this.width && y + j < this.height) this.model.set([rgb[0], rgb[1], rgb[2], 255], o);
        }
      }
      return Buffer.concat(parts);
    }
    if ('copy' in r) {
      const [x, y, w, h] = r.copy;
      const [sx, sy] = r.from;
      const src = Buffer.from(this.model);
      for (let j = 0; j < h; j++) {
        src.copy(
          this.model,
          ((y + j) * this.width + x) * 4,
          ((sy + j) * this.width + sx) * 4,
          ((sy + j) * this.width + sx + w) * 4,
        );
      }
      const from = Buffer.alloc(4);
      from.writeUInt16BE(sx, 0);
      from.writeUInt16BE(sy, 2);
      return Buffer.concat([this.rectHeader(x, y, w, h, 1), from]);
    }
    if ('desktopSize' in r) {
      const [w, h] = r.desktopSize;
      this.width = w;
      this.height = h;
      this.model = FakeRfbSession.blank(w, h);
      return this.rectHeader(0, 0, w, h, -223);
    }
    const [x, y, w, h] = r.rect;
    return Buffer.concat([this.rectHeader(x, y, w, h, r.encoding), r.bytes ?? Buffer.alloc(0)]);
  }
}

/** The fake behind a real WebSocket server (one session per connection), like websockify in front of a VNC server. */
export class FakeRfbServer {
  /** One per connection, in order. */
  readonly sessions: FakeRfbSession[] = [];
  /** Close codes the server saw from clients. */
  readonly closeCodes: number[] = [];
  private sockets = new Set<WebSocket>();

  private constructor(
    private readonly wss: WebSocketServer,
    readonly port: number,
    private readonly opts: FakeRfbOptions,
  ) {}

  /** Starts a server on 127.0.0.1 (a free port), answering every connection with a session of `opts`. */
  static async start(opts: FakeRfbOptions = {}): Promise<FakeRfbServer> {
    const wss = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      handleProtocols: (p) => (p.has('binary') ? 'binary' : false),
    });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    const server = new FakeRfbServer(wss, (wss.address() as AddressInfo).port, opts);
    wss.on('connection', (ws) => server.serve(ws));
    return server;
  }

  /** A console URL with a token, as Nova's remote-consoles would give for noVNC. */
  get pageUrl(): string {
    return `http://127.0.0.1:${this.port}/vnc_auto.html?path=%3Ftoken%3Dfake-secret-token-0123`;
  }

  /** The WebSocket URL form. */
  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/?token=fake-secret-token-0123`;
  }

  /** The last session (what the client sent, what it should hold). */
  get session(): FakeRfbSession {
    const s = this.sessions.at(-1);
    if (!s) throw new Error('no connection yet');
    return s;
  }

  private serve(ws: WebSocket): void {
    this.sockets.add(ws);
    ws.on('close', (code) => {
      this.closeCodes.push(code);
      this.sockets.delete(ws);
    });
    ws.on('error', () => {});
    const o = this.opts;
    const socket = (ws as unknown as { _socket: net.Socket })._socket;
    if (o.dropOnConnect) {
      socket.destroy();
      return;
    }
    if (o.closeOnConnect !== undefined) {
      ws.close(o.closeOnConnect, 'going away now');
      return;
    }
    if (o.answerCloseWith1005) {
      // websockify's answer to a close frame without status: a close frame carrying 1005, which
      // RFC 6455 §7.4.1 forbids on the wire
      ws.close = () => {
        socket.end(Buffer.from([0x88, 0x02, 0x03, 0xed]));
      };
    }
    const session = new FakeRfbSession(o);
    this.sessions.push(session);
    const rand = typeof o.chunking === 'object' ? prng(o.chunking.random) : undefined;
    let afterRequest = false;
    let sentAfterRequest = 0;
    let ended = false;
    const end = (): void => {
      ended = true;
      if (o.closeHow === 'close') ws.close(1000);
      else socket.destroy();
    };
    const emit = (steps: Buffer[]): void => {
      for (let step of steps) {
        if (ended) return;
        if (afterRequest && o.truncateAfter !== undefined) {
          const room = o.truncateAfter - sentAfterRequest;
          if (step.length >= room) {
            step = step.subarray(0, room);
            this.frames(ws, step, rand);
            sentAfterRequest += step.length;
            end();
            return;
          }
          sentAfterRequest += step.length;
        }
        this.frames(ws, step, rand);
      }
    };
    emit(session.start());
    ws.on('message', (data: Buffer) => {
      if (ended) return;
      const before = session.record.requests.length;
      const out = session.receive(data);
      if (session.record.requests.length > before) afterRequest = true;
      emit(out);
      if (afterRequest && o.closeAtEnd && !ended) end();
    });
  }

  private frames(ws: WebSocket, bytes: Buffer, rand: (() => number) | undefined): void {
    if (bytes.length === 0) return;
    const c = this.opts.chunking ?? 'step';
    if (c === 'step') {
      ws.send(bytes, { binary: true });
      return;
    }
    let off = 0;
    while (off < bytes.length) {
      const n = c === 'bytes' ? 1 : 1 + Math.floor(rand!() * (c as { max: number }).max);
      ws.send(bytes.subarray(off, off + n), { binary: true });
      off += n;
    }
  }

  /** Stops listening and drops every connection. */
  async close(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
