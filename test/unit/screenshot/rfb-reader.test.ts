/**
 * The RFB client state machine on its own (no WebSocket): a fake server session's bytes fed one
 * byte at a time and in random chunk sizes, pixel by pixel against the fake's model of what a
 * correct client holds; the wire format of the client's messages.
 */
import { describe, expect, it } from 'vitest';
import {
  CLIENT_PIXEL_FORMAT,
  RfbScreenReader,
  ScreenshotError,
  decodePixelFormat,
  encodePixelFormat,
  framebufferUpdateRequest,
  setEncodings,
} from '../../../src/screenshot/rfb.js';
import { FakeRfbSession, prng, type FakeRfbOptions } from './fake-rfb-server.js';

/**
 * Runs a reader against a fake session, delivering the server's bytes in chunks whose sizes
 * `nextSize()` picks. Returns the reader (done or not) and the session.
 */
function converse(o: FakeRfbOptions, nextSize: () => number): { reader: RfbScreenReader; session: FakeRfbSession } {
  const session = new FakeRfbSession(o);
  let pending: Buffer = Buffer.concat(session.start());
  const reader = new RfbScreenReader({
    send: (b) => {
      pending = Buffer.concat([pending, ...session.receive(b)]);
    },
  });
  while (pending.length > 0 && !reader.done) {
    const n = Math.max(1, Math.min(nextSize(), pending.length));
    const chunk = pending.subarray(0, n);
    pending = pending.subarray(n);
    reader.push(chunk);
  }
  return { reader, session };
}

/** The script of the main tests: several messages and rectangles, a CopyRect, a Bell and a ServerCutText in between. */
function splitScript(w: number, h: number): FakeRfbOptions['script'] {
  const half = Math.floor(h / 2);
  return [
    { update: [{ raw: [0, 0, w, 3] }, { raw: [0, 3, Math.floor(w / 2), half - 3] }] },
    { bell: true },
    { cutText: 'clipboard text\nwith a newline' },
    { update: [{ raw: [Math.floor(w / 2), 3, w - Math.floor(w / 2), half - 3] }] },
    { colourMap: 3 },
    // overlapping CopyRect: rows 0..half-1 shifted down by 2 (source read before it is overwritten)
    { update: [{ copy: [0, 2, w, half], from: [0, 0] }, { raw: [0, half + 2, w, h - half - 2] }] },
    { update: [{ raw: [0, 0, w, 2] }] },
  ];
}

describe('RfbScreenReader', () => {
  it('decodes a screen sent in many rectangles and messages, fed one byte at a time', () => {
    const { reader, session } = converse({ width: 40, height: 30, script: splitScript(40, 30) }, () => 1);
    expect(reader.done).toBe(true);
    const got = reader.result();
    const want = session.expected();
    expect([got.width, got.height, got.name]).toEqual([40, 30, 'fake-vm']);
    expect(got.rgba.equals(want.rgba)).toBe(true);
    // the CopyRect moved rows 0..14 down by 2: row 5 holds what the screen has at row 3
    const row5 = got.rgba.subarray(5 * 40 * 4, 6 * 40 * 4);
    const row3 = Buffer.from(Array.from({ length: 40 }, (_, x) => [...patternAt(x, 3), 255]).flat());
    expect(row5.equals(row3)).toBe(true);
  });

  it('decodes a whole 640x480 screen (1.2 MB) fed one byte at a time, in linear time', () => {
    const t0 = performance.now();
    const { reader, session } = converse({ width: 640, height: 480 }, () => 1);
    const ms = performance.now() - t0;
    expect(reader.done).toBe(true);
    expect(reader.result().rgba.equals(session.expected().rgba)).toBe(true);
    // about 0.35 s here; a parser that re-concatenated its buffer on every byte would take minutes
    expect(ms).toBeLessThan(20_000);
  });

  it('gives the same pixels for random chunk sizes (10 seeds)', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const rand = prng(seed);
      const { reader, session } = converse({ width: 97, height: 61, script: splitScript(97, 61) }, () =>
        Math.floor(rand() * 700),
      );
      expect(reader.done, `seed ${seed}`).toBe(true);
      expect(reader.result().rgba.equals(session.expected().rgba), `seed ${seed}`).toBe(true);
    }
  });

  it('answers with its own version, None, shared ClientInit, then SetPixelFormat, SetEncodings and one full request', () => {
    const { reader, session } = converse({ width: 8, height: 4 }, () => 5);
    expect(reader.done).toBe(true);
    expect(session.record.version).toBe('RFB 003.008\n');
    expect(session.record.securityType).toBe(1);
    expect(session.record.shared).toBe(1);
    expect(session.record.pixelFormat).toEqual(CLIENT_PIXEL_FORMAT);
    expect(session.record.encodings).toEqual([1, 0, -223, -239]);
    expect(session.record.requests).toEqual([{ incremental: false, x: 0, y: 0, w: 8, h: 4 }]);
  });

  it('is not done while a pixel is missing, and says how many pixels it had', () => {
    const { reader } = converse({ width: 10, height: 10, script: [{ update: [{ raw: [0, 0, 10, 9] }] }] }, () => 3);
    expect(reader.done).toBe(false);
    expect(reader.progress()).toEqual({ covered: 90, total: 100 });
    expect(reader.describeEarlyEnd()).toBe('The VNC server closed the connection after 90 of 100 pixels.');
    expect(() => reader.result()).toThrow(/before the screen was complete/);
  });

  it('counts a CopyRect from a part that was never sent as not covered', () => {
    const { reader } = converse(
      { width: 10, height: 10, script: [{ update: [{ raw: [0, 0, 10, 5] }, { copy: [0, 5, 10, 5], from: [0, 3] }] }] },
      () => 64,
    );
    // rows 3..4 were sent, rows 5..7 of the source were not yet: 2 of 5 copied rows are covered
    expect(reader.progress()).toEqual({ covered: 70, total: 100 });
  });

  it('describes a stream that stops during the handshake by the step it waited for', () => {
    const reader = new RfbScreenReader({ send: () => {} });
    reader.push(Buffer.from('RFB 003.008\n'));
    expect(reader.describeEarlyEnd()).toBe(
      'The VNC server closed the connection during the RFB handshake (waiting for the security types).',
    );
    reader.push(Buffer.from([1, 1]));
    expect(reader.waitingFor()).toBe('the SecurityResult');
  });

  it('rejects a first byte that cannot start an RFB ProtocolVersion at once', () => {
    const reader = new RfbScreenReader({ send: () => {} });
    expect(() => reader.push(Buffer.from('l'))).toThrow(
      expect.objectContaining({
        code: 'NOT_VNC',
        message: 'The console did not answer like a VNC server: it sent "l" instead of an RFB ProtocolVersion.',
      }),
    );
  });

  it('shows control characters of a wrong first byte escaped, on one line', () => {
    const reader = new RfbScreenReader({ send: () => {} });
    expect(() => reader.push(Buffer.from('\r\n'))).toThrow(
      'The console did not answer like a VNC server: it sent "\\r" instead of an RFB ProtocolVersion.',
    );
  });

  it('treats versions above 3.8 as 3.8 and answers 3.7 with 3.7', () => {
    const sent: string[] = [];
    const r1 = new RfbScreenReader({ send: (b) => sent.push(b.toString('latin1')) });
    r1.push(Buffer.from('RFB 003.889\n'));
    const r2 = new RfbScreenReader({ send: (b) => sent.push(b.toString('latin1')) });
    r2.push(Buffer.from('RFB 003.007\n'));
    expect(sent).toEqual(['RFB 003.008\n', 'RFB 003.007\n']);
  });

  it('refuses a screen larger than its limit before allocating it', () => {
    const session = new FakeRfbSession({ width: 5000, height: 5000 });
    let pending = Buffer.concat(session.start());
    const reader = new RfbScreenReader({
      maxPixels: 1_000_000,
      send: (b) => (pending = Buffer.concat([pending, ...session.receive(b)])),
    });
    const run = (): void => {
      while (pending.length) {
        const b = pending;
        pending = Buffer.alloc(0);
        reader.push(b);
      }
    };
    let err: unknown;
    try {
      run();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ScreenshotError);
    expect(err).toMatchObject({
      code: 'PROTOCOL',
      message: "The VNC server reports a 5000x5000 screen, larger than ncli's limit of 1000000 pixels.",
    });
  });
});

describe('RFB wire format', () => {
  it('PIXEL_FORMAT round-trips and ncli asks for 32 bpp depth 24 little-endian true colour, shifts 16/8/0', () => {
    const b = encodePixelFormat(CLIENT_PIXEL_FORMAT);
    expect(b.toString('hex')).toBe('2018000100ff00ff00ff100800000000');
    expect(decodePixelFormat(b)).toEqual(CLIENT_PIXEL_FORMAT);
  });

  it('SetEncodings and FramebufferUpdateRequest', () => {
    expect(setEncodings([1, 0, -223]).toString('hex')).toBe('020000030000000100000000ffffff21');
    expect(framebufferUpdateRequest(false, 0, 0, 640, 480).toString('hex')).toBe('030000000000028001e0');
  });
});

function patternAt(x: number, y: number): number[] {
  return [(x * 7 + y * 3) & 0xff, (x * 3 + y * 11 + 17) & 0xff, (x * 13 + y * 5 + 101) & 0xff];
}
