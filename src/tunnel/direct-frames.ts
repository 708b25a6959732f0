/**
 * Reading a console proxy's binary data frames without `ws`'s receiver (the tunnel's bulk path).
 *
 * websockify sends each read from its target (≤ 64 KiB) as one binary frame, 10 bytes of header
 * plus up to 65536 bytes of payload, and Node reads the socket 64 KiB at a time: nearly every frame
 * spans two reads, so `ws`'s receiver copies nearly every payload into a fresh buffer before
 * emitting it (`Receiver.consume`), and runs its Writable and event machinery per frame. The tunnel
 * only needs the bytes, in order: {@link receiveBinaryDirect} parses the frame headers itself and
 * hands slices of the socket's own read buffers to the caller, without copying.
 *
 * Only the plain case is handled here: unmasked binary frames (and their continuations) without
 * RSV bits, within `maxPayload`. Everything else keeps `ws`'s exact behaviour, because its bytes
 * are fed to `ws`'s own socket listener: control frames (ping → `ws` answers pong; close → `ws`'s
 * close handshake, and every byte after a close frame), text frames, and the first frame that
 * breaks a rule (RSV bits, a mask, an unexpected opcode, a message over `maxPayload`), after which
 * the rest of the stream goes to `ws` as well, which fails the connection with its usual error.
 * (One difference: a continuation over `maxPayload` of a message read here reaches `ws` without
 * its start, so `ws` reports "invalid opcode 0" (1002) rather than 1009.)
 *
 * The socket's reads can also skip Node's fresh 64 KiB buffer per read: {@link connectReusingReads}
 * (the `createConnection` that `dialConsole` gives `ws` for `ws:` URLs) reads into one buffer,
 * reused as long as nothing kept a reference to its last contents. Until
 * {@link receiveBinaryDirect} claims the socket, every read is copied and pushed through the
 * socket's stream as usual (the HTTP upgrade, then `ws`), so an unclaimed socket behaves as any.
 *
 * It relies on two `ws` 8 internals, checked before anything is changed: the client socket is
 * `ws._socket`, and its one `'data'` listener is `ws`'s `socketOnData`, which writes into a
 * receiver that has not parsed anything yet. When they do not hold, nothing is changed and the
 * caller keeps receiving through `ws`'s `'message'` event.
 */
import net from 'node:net';
import type { Duplex } from 'node:stream';
import type WebSocket from 'ws';

/** Size of the reused read buffer of {@link connectReusingReads}: Node's own read size. */
export const READ_BUFFER_SIZE = 64 * 1024;

/** A socket from {@link connectReusingReads}: who gets its reads once claimed. */
interface ReusedReads {
  /** Set by {@link receiveBinaryDirect}; returns true when a reference to the chunk was kept. */
  sink: ((chunk: Buffer) => boolean) | null;
}
const reusedReads = new WeakMap<Duplex, ReusedReads>();

/**
 * `net.connect(options)` (as `ws` does for `ws:` URLs: `options.path` = `options.socketPath`) with
 * Node's `onread`: the socket reads into one {@link READ_BUFFER_SIZE} buffer. Until
 * {@link receiveBinaryDirect} claims the socket, each read is copied and pushed into the socket's
 * stream, so the HTTP upgrade and `ws` see an ordinary socket. Once claimed, reads go straight to
 * the frame parser (or, while the stream still holds earlier data, pushed behind it, to keep the
 * order), and the buffer is reused unless the parser reports that a reference to its contents was
 * kept (a queued write): then the next read gets a new one.
 *
 * @param options the options `ws` passes to its `createConnection`
 */
export function connectReusingReads(options: net.NetConnectOpts & { socketPath?: string }): net.Socket {
  const state: ReusedReads = { sink: null };
  let buffer = Buffer.allocUnsafe(READ_BUFFER_SIZE);
  let kept = false;
  const socket = net.connect({
    ...options,
    path: options.socketPath,
    onread: {
      buffer: () => {
        if (kept) {
          kept = false;
          buffer = Buffer.allocUnsafe(READ_BUFFER_SIZE);
        }
        return buffer;
      },
      callback: (n: number, buf: Uint8Array) => {
        const chunk = Buffer.from(buf.buffer, buf.byteOffset, n);
        if (state.sink && socket.readableLength === 0) {
          if (state.sink(chunk)) kept = true;
          return true;
        }
        return socket.push(Buffer.from(chunk));
      },
    },
  } as net.NetConnectOpts);
  reusedReads.set(socket, state);
  return socket;
}

/** Where the frame in progress (or the message it belongs to) goes. */
type Owner = 'direct' | 'ws';

interface WsInternals {
  _socket?: Duplex;
  _receiver?: {
    _bufferedBytes?: number;
    _state?: number;
    _writableState?: { errored?: unknown; errorEmitted?: boolean; destroyed?: boolean };
  };
  _closeFrameReceived?: boolean;
}

const OP_CONTINUATION = 0x0;
const OP_TEXT = 0x1;
const OP_BINARY = 0x2;
const OP_CLOSE = 0x8;

/**
 * Takes over the reading of `ws`'s socket: the payload of every binary message is passed to
 * `onData` as it arrives, in pieces that are slices of the socket's read buffers (never copied; a
 * message may come in several pieces, and a piece never spans two messages); no `'message'`
 * event is emitted for those. On a socket from {@link connectReusingReads} the read buffer is
 * reused: `onData` must return `true` when it kept a reference to the piece after returning (a
 * `write()` that queued it, i.e. `writableLength > 0` afterwards), and a piece it does not keep is
 * overwritten by a later read. Every other frame still goes through
 * `ws` (see the module comment), including its `'message'` event for text frames.
 *
 * Call it on an OPEN WebSocket that is paused and has received nothing yet, i.e. as handed over by
 * `dialConsole`, before `ws.resume()`. `ws.pause()`/`ws.resume()` keep working (they pause the
 * socket); after a `pause()`, the rest of the socket chunk being parsed is still delivered (≤ one
 * read, 64 KiB), as with `ws`'s own receiver. When the socket closes while paused, what it still
 * buffered is parsed first, then `ws` closes as usual.
 *
 * @param ws         the open, paused WebSocket
 * @param onData     called with each piece of binary payload, in order; returns whether it kept
 *   a reference to it
 * @param maxPayload the largest message taken here, in bytes (give `ws`'s `maxPayload`); a larger
 *   one is left to `ws`, which rejects it
 * @returns `true` when installed; `false` when `ws`'s internals are not as expected (nothing was
 *   changed: keep using the `'message'` event)
 */
export function receiveBinaryDirect(ws: WebSocket, onData: (piece: Buffer) => boolean, maxPayload: number): boolean {
  const internals = ws as unknown as WsInternals;
  const socket = internals._socket;
  const receiver = internals._receiver;
  if (!socket || !receiver || ws.readyState !== ws.OPEN) return false;
  if (receiver._bufferedBytes !== 0 || receiver._state !== 0) return false;
  const listeners = socket.listeners('data');
  if (listeners.length !== 1 || (listeners[0] as { name?: string }).name !== 'socketOnData') return false;
  const wsOnData = listeners[0] as (this: Duplex, chunk: Buffer) => void;
  const reused = reusedReads.get(socket);
  /** Reads from the reused buffer (set while parsing one): what goes to `ws` is copied, since `ws` keeps partial frames. */
  let fromReused = false;
  /** Whether `onData` kept a reference into the chunk being parsed. */
  let kept = false;
  /**
   * ws stopped reading: it got a close frame, or a frame broke a rule (its receiver errored; ws then
   * removes its 'data' listener, a tick later, and drains the socket). A byte more would make its
   * receiver refuse it and pause the socket for good.
   */
  const wsStopped = (): boolean => {
    const w = receiver._writableState;
    return internals._closeFrameReceived === true || !!w?.errored || !!w?.errorEmitted || !!w?.destroyed;
  };
  const toWs = (piece: Buffer): void => {
    if (wsStopped()) {
      if (!handedOver) handOver();
      return;
    }
    wsOnData.call(socket, fromReused ? Buffer.from(piece) : piece);
  };

  /** Everything from here on goes to `ws` (after a close frame, or a frame breaking a rule). */
  let handedOver = false;
  /** Header bytes of the next frame read so far (at most 2 + 8 + 4). */
  const header = Buffer.alloc(14);
  let headerLength = 0;
  /** Payload bytes of the current frame still to come, and whose they are. */
  let left = 0;
  let frameOwner: Owner = 'direct';
  /** Who owns the fragmented message in progress (until its FIN frame), and its length so far. */
  let fragmented: Owner | null = null;
  let messageLength = 0;
  /** The current frame is a close frame: hand over once it was passed on. */
  let closing = false;

  /** How many header bytes this frame has, once its first two are known. */
  const headerSize = (): number => {
    const len7 = header[1] & 0x7f;
    return 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (header[1] & 0x80 ? 4 : 0);
  };

  /** A complete header: decide where the frame goes; false = hand everything over from here. */
  const route = (): boolean => {
    const b0 = header[0];
    const fin = (b0 & 0x80) !== 0;
    const rsv = b0 & 0x70;
    const opcode = b0 & 0x0f;
    const masked = (header[1] & 0x80) !== 0;
    const len7 = header[1] & 0x7f;
    let length: number;
    if (len7 === 126) length = header.readUInt16BE(2);
    else if (len7 === 127) {
      const high = header.readUInt32BE(2);
      if (high > 0x1fffff) return false; // beyond 2^53 - 1: ws's error
      length = high * 2 ** 32 + header.readUInt32BE(6);
    } else length = len7;

    closing = false;
    if (rsv !== 0 || masked) return false;
    if (opcode >= OP_CLOSE) {
      // control frames may come between the frames of a fragmented message: ws's to handle
      frameOwner = 'ws';
      closing = opcode === OP_CLOSE;
    } else if (opcode === OP_BINARY && fragmented === null) {
      if (length > maxPayload) return false;
      frameOwner = 'direct';
      if (!fin) {
        fragmented = 'direct';
        messageLength = length;
      }
    } else if (opcode === OP_CONTINUATION && fragmented === 'direct') {
      messageLength += length;
      if (messageLength > maxPayload) return false;
      frameOwner = 'direct';
      if (fin) fragmented = null;
    } else if (opcode === OP_TEXT && fragmented === null) {
      frameOwner = 'ws';
      if (!fin) fragmented = 'ws';
    } else if (opcode === OP_CONTINUATION && fragmented === 'ws') {
      frameOwner = 'ws';
      if (fin) fragmented = null;
    } else {
      return false;
    }
    left = length;
    if (frameOwner === 'ws') toWs(Buffer.from(header.subarray(0, headerLength)));
    return true;
  };

  /**
   * From here on the socket is ws's again, as if it had read it all along: its own 'data' listener
   * back (unless it already stopped reading: a close frame or an error, after which ws removes it
   * and drains the socket; feeding it more would pause the socket for good), reads through the
   * stream, and its own 'close' handling.
   */
  const handOver = (): void => {
    handedOver = true;
    socket.removeListener('data', onSocketData);
    socket.removeListener('close', onSocketClose);
    if (reused) reused.sink = null;
    if (!wsStopped()) socket.on('data', wsOnData);
  };

  const parse = (chunk: Buffer): void => {
    let off = 0;
    const end = chunk.length;
    while (off < end) {
      if (handedOver) {
        // only while ws still reads: after an error or a close frame it stops (and drains the socket)
        if (socket.listeners('data').includes(wsOnData)) toWs(off === 0 ? chunk : chunk.subarray(off));
        return;
      }
      if (left > 0) {
        const n = Math.min(left, end - off);
        const piece = n === end && off === 0 ? chunk : chunk.subarray(off, off + n);
        off += n;
        left -= n;
        if (frameOwner === 'direct') {
          if (onData(piece)) kept = true;
        } else toWs(piece);
        if (left === 0 && closing) handOver();
        continue;
      }
      // a frame header, possibly split across reads
      const want = headerLength < 2 ? 2 : headerSize();
      const n = Math.min(want - headerLength, end - off);
      chunk.copy(header, headerLength, off, off + n);
      headerLength += n;
      off += n;
      if (headerLength < 2 || headerLength < headerSize()) continue;
      if (!route()) {
        handOver();
        // A new data frame inside a message read here: ws never saw that message begin, so tell it
        // (an empty non-final binary frame) and it fails the connection as it would have (1002).
        if (fragmented === 'direct' && (header[0] & 0x0f) !== OP_CONTINUATION) toWs(Buffer.from([OP_BINARY, 0]));
        toWs(Buffer.from(header.subarray(0, headerLength)));
      } else if (left === 0 && closing) {
        handOver();
      }
      headerLength = 0;
    }
  };

  const onSocketData = (chunk: Buffer): void => parse(chunk);
  const onReusedRead = (chunk: Buffer): boolean => {
    fromReused = true;
    kept = false;
    try {
      parse(chunk);
    } finally {
      fromReused = false;
    }
    return kept;
  };
  // ws's own 'close' listener feeds what a paused socket still buffers straight into its receiver:
  // parse it here first, so that it arrives in order and through the same path.
  const onSocketClose = (): void => {
    socket.removeListener('data', onSocketData);
    socket.removeListener('close', onSocketClose);
    if (reused) reused.sink = null;
    if (socket.readableLength > 0 && !socket.readableEnded) {
      const rest = socket.read(socket.readableLength) as Buffer | null;
      if (rest) parse(rest);
    }
  };
  socket.removeListener('data', wsOnData);
  socket.on('data', onSocketData);
  socket.prependListener('close', onSocketClose);
  if (reused) reused.sink = onReusedRead;
  return true;
}
