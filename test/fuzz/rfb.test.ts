/**
 * The screenshot's RFB reader (src/screenshot/rfb.ts) under hostile bytes: a valid session split
 * at random places gives the same PNG; random bytes, a valid stream cut and continued with noise,
 * or one with bytes changed end in one clear error (a ScreenshotError, one line) or in a reader
 * still waiting (whose early-end line is one line) — never another exception, never a hang.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodePng } from '../../src/screenshot/png.js';
import { RfbScreenReader, ScreenshotError } from '../../src/screenshot/rfb.js';
import { FakeRfbSession, type FakeRfbOptions } from '../unit/screenshot/fake-rfb-server.js';
import { params } from './fuzz.js';

/** Largest screen in these runs: a mutated ServerInit must not make each run allocate 256 MiB. */
const MAX_PIXELS = 1 << 20;

/** A session with every kind of message the reader handles, and what a correct client ends with. */
function recordSession(o: FakeRfbOptions): { stream: Buffer; png: Buffer } {
  const session = new FakeRfbSession(o);
  const out: Buffer[] = [...session.start()];
  let pending = Buffer.concat(out);
  const reader = new RfbScreenReader({
    send: (b) => {
      const answer = session.receive(b);
      out.push(...answer);
      pending = Buffer.concat([pending, ...answer]);
    },
  });
  while (pending.length > 0 && !reader.done) {
    const chunk = pending;
    pending = Buffer.alloc(0);
    reader.push(chunk);
  }
  expect(reader.done).toBe(true);
  const r = reader.result();
  return { stream: Buffer.concat(out), png: encodePng(r.width, r.height, r.rgba) };
}

const W = 37;
const H = 23;
const SESSION = recordSession({
  width: W,
  height: H,
  script: [
    { update: [{ raw: [0, 0, W, 3] }, { raw: [0, 3, 20, 8] }] },
    { bell: true },
    { cutText: 'clipboard\ntext' },
    { update: [{ raw: [20, 3, W - 20, 8] }] },
    { colourMap: 2 },
    { update: [{ copy: [0, 12, W, 8], from: [0, 2] }, { raw: [0, 11, W, 1] }, { raw: [0, 20, W, 3] }] },
  ],
});
/** Another: the screen changes size on the way (DesktopSize), over RFB 3.7. */
const RESIZED = recordSession({
  version: 'RFB 003.007\n',
  width: 16,
  height: 8,
  script: [{ update: [{ raw: [0, 0, 16, 4] }, { desktopSize: [12, 10] }, { raw: [0, 0, 12, 10] }] }],
});

/** Feeds `stream` in pieces of `sizes` (cycled); returns the reader. */
function feed(stream: Buffer, sizes: number[]): RfbScreenReader {
  const reader = new RfbScreenReader({ send: () => {}, maxPixels: MAX_PIXELS });
  let off = 0;
  for (let i = 0; off < stream.length && !reader.done; i++) {
    const n = Math.max(1, sizes[i % sizes.length]);
    reader.push(stream.subarray(off, off + n));
    off += n;
  }
  return reader;
}

/** The property of hostile input: one clear error, or a reader still waiting with a one-line reason. */
function clearOutcome(stream: Buffer, sizes: number[]): void {
  let reader: RfbScreenReader | undefined;
  try {
    reader = feed(stream, sizes);
  } catch (e) {
    expect(e).toBeInstanceOf(ScreenshotError);
    expect((e as Error).message).toMatch(/^[^\n]+$/);
    return;
  }
  if (!reader.done) expect(reader.describeEarlyEnd()).toMatch(/^The VNC server closed the connection [^\n]+\.$/);
  else expect(reader.result().rgba.length).toBe(reader.result().width * reader.result().height * 4);
}

const sizes = fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 20 });

describe('RFB reader (fuzz)', () => {
  it('gives the same PNG however a valid session is split', () => {
    for (const s of [SESSION, RESIZED]) {
      fc.assert(
        fc.property(sizes, (cuts) => {
          const reader = feed(s.stream, cuts);
          expect(reader.done).toBe(true);
          const r = reader.result();
          expect(encodePng(r.width, r.height, r.rgba).equals(s.png)).toBe(true);
        }),
        params(80),
      );
    }
  });

  it('ends random bytes in one clear error or a one-line early end', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), sizes, (bytes, cuts) => clearOutcome(Buffer.from(bytes), cuts)),
      params(400),
    );
  });

  it('ends random bytes after an RFB greeting the same way', () => {
    const greeting = fc.constantFrom(
      'RFB 003.008\n',
      'RFB 003.007\n',
      'RFB 003.003\n',
      'RFB 004.001\n',
      'RFB 003.889\n',
    );
    fc.assert(
      fc.property(greeting, fc.uint8Array({ maxLength: 2000 }), sizes, (g, bytes, cuts) =>
        clearOutcome(Buffer.concat([Buffer.from(g), Buffer.from(bytes)]), cuts),
      ),
      params(400),
    );
  });

  it('ends a valid session cut anywhere and continued with noise the same way', () => {
    fc.assert(
      fc.property(fc.nat(), fc.uint8Array({ maxLength: 500 }), sizes, (cut, noise, cuts) => {
        const s = cut % 2 ? SESSION.stream : RESIZED.stream;
        clearOutcome(Buffer.concat([s.subarray(0, cut % s.length), Buffer.from(noise)]), cuts);
      }),
      params(400),
    );
  });

  it('ends a valid session with bytes changed the same way', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        sizes,
        (changes, which, cuts) => {
          const s = Buffer.from((which ? SESSION : RESIZED).stream);
          // mostly in the handshake and headers, where the lengths and sizes are
          for (const [at, v] of changes) s[at % Math.min(s.length, at % 3 ? 120 : s.length)] = v;
          clearOutcome(s, cuts);
        },
      ),
      params(400),
    );
  });
});
