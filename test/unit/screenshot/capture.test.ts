/**
 * captureScreen end to end over a real WebSocket (the fake RFB server behind a `ws` server on
 * 127.0.0.1, binary frames): the decoded PNG pixel by pixel, the client's messages, every failure
 * code and its one line (never with the console token), timeouts, abort and the close handshake.
 */
import { PNG } from 'pngjs';
import { afterEach, describe, expect, it } from 'vitest';
import { captureScreen, ScreenshotError, type CaptureOptions } from '../../../src/screenshot/index.js';
import { FakeRfbServer, patternScreen, type FakeRfbOptions } from './fake-rfb-server.js';

const servers: FakeRfbServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function serve(o: FakeRfbOptions = {}): Promise<FakeRfbServer> {
  const s = await FakeRfbServer.start(o);
  servers.push(s);
  return s;
}

/** The PNG decoded back with pngjs. */
function decode(png: Buffer): { width: number; height: number; data: Buffer } {
  const p = PNG.sync.read(png);
  return { width: p.width, height: p.height, data: p.data };
}

/** captureScreen's rejection, checked to be a ScreenshotError whose message is one line without the token. */
async function failure(opts: Partial<CaptureOptions> & { url: string }): Promise<ScreenshotError> {
  const err = await captureScreen({ timeoutMs: 5000, ...opts }).then(
    () => {
      throw new Error('captureScreen resolved');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ScreenshotError);
  const e = err as ScreenshotError;
  expect(e.message).not.toContain('\n');
  expect(e.message).not.toMatch(/fake-secret-token/);
  return e;
}

describe('captureScreen against a fake RFB server over WebSocket', () => {
  it('decodes a screen sent in several messages and rectangles with a CopyRect, a Bell and a ServerCutText in between', async () => {
    const w = 120;
    const h = 90;
    const s = await serve({
      width: w,
      height: h,
      name: 'vm-äö',
      script: [
        { update: [{ raw: [0, 0, w, 10] }, { raw: [0, 10, 60, 35] }] },
        { bell: true },
        { update: [{ raw: [60, 10, 60, 35] }] },
        { cutText: 'some clipboard' },
        { colourMap: 2 },
        { update: [{ copy: [0, 45, w, 40], from: [0, 5] }, { raw: [0, 85, w, 5] }] },
      ],
    });
    const shot = await captureScreen({ url: s.pageUrl, timeoutMs: 5000 });
    expect([shot.width, shot.height, shot.name]).toEqual([w, h, 'vm-äö']);
    const img = decode(shot.png);
    expect([img.width, img.height]).toEqual([w, h]);
    expect(img.data.equals(s.session.expected().rgba)).toBe(true);
    // spot checks against the screen itself: a raw pixel, and one that came by CopyRect from 40 rows up
    const px = (x: number, y: number): number[] => [...img.data.subarray((y * w + x) * 4, (y * w + x) * 4 + 4)];
    expect(px(77, 20)).toEqual([...patternScreen(77, 20), 255]);
    expect(px(3, 60)).toEqual([...patternScreen(3, 20), 255]);
    // every pixel is opaque
    for (let i = 3; i < img.data.length; i += 4) if (img.data[i] !== 255) throw new Error(`alpha at ${i}`);
  });

  it('asks for its pixel format, whatever the server announced, and decodes what comes in it', async () => {
    const s = await serve({
      width: 16,
      height: 8,
      serverFormat: {
        bitsPerPixel: 16,
        depth: 16,
        bigEndian: true,
        trueColour: true,
        redMax: 31,
        greenMax: 63,
        blueMax: 31,
        redShift: 11,
        greenShift: 5,
        blueShift: 0,
      },
    });
    const shot = await captureScreen({ url: s.wsUrl, timeoutMs: 5000 });
    expect(s.session.record.pixelFormat).toMatchObject({ bitsPerPixel: 32, bigEndian: false, redShift: 16 });
    expect(decode(shot.png).data.equals(s.session.expected().rgba)).toBe(true);
  });

  it('sends RFB 3.8, None, a shared ClientInit, Raw/CopyRect/DesktopSize/Cursor and one full non-incremental request; closes with 1000', async () => {
    const s = await serve({ width: 32, height: 24 });
    await captureScreen({ url: s.pageUrl, timeoutMs: 5000 });
    const r = s.session.record;
    expect(r.version).toBe('RFB 003.008\n');
    expect(r.securityType).toBe(1);
    expect(r.shared).toBe(1);
    expect(r.encodings).toEqual([1, 0, -223, -239]);
    expect(r.requests).toEqual([{ incremental: false, x: 0, y: 0, w: 32, h: 24 }]);
    expect(s.closeCodes).toEqual([1000]);
  });

  it('skips the pointer shape (Cursor pseudo-encoding) wherever it comes, one byte at a time too', async () => {
    const cursor = (w: number, h: number) => ({
      encoding: -239,
      rect: [3, 2, w, h] as [number, number, number, number],
      bytes: Buffer.alloc(w * h * 4 + Math.ceil(w / 8) * h, 0xab),
    });
    const s = await serve({
      width: 24,
      height: 16,
      chunking: 'bytes',
      script: [{ update: [cursor(17, 9), { raw: [0, 0, 24, 9] }, cursor(0, 0)] }, { update: [{ raw: [0, 9, 24, 7] }] }],
    });
    const shot = await captureScreen({ url: s.pageUrl, timeoutMs: 20_000 });
    expect(decode(shot.png).data.equals(s.session.expected().rgba)).toBe(true);
  });

  it('parses a stream that comes one byte per WebSocket frame', async () => {
    const s = await serve({
      width: 24,
      height: 16,
      chunking: 'bytes',
      script: [
        { update: [{ raw: [0, 0, 24, 9] }] },
        { bell: true },
        { update: [{ copy: [0, 9, 24, 7], from: [0, 1] }] },
      ],
    });
    const shot = await captureScreen({ url: s.pageUrl, timeoutMs: 20_000 });
    expect(decode(shot.png).data.equals(s.session.expected().rgba)).toBe(true);
  });

  it('parses a stream cut into random frame sizes (5 seeds)', async () => {
    for (let seed = 1; seed <= 5; seed++) {
      const s = await serve({
        width: 100,
        height: 50,
        chunking: { random: seed, max: 900 },
        script: [
          { update: [{ raw: [0, 0, 100, 20] }, { raw: [0, 20, 100, 5] }] },
          { cutText: 'x'.repeat(333) },
          { update: [{ copy: [0, 25, 100, 25], from: [0, 0] }] },
        ],
      });
      const shot = await captureScreen({ url: s.pageUrl, timeoutMs: 10_000 });
      expect(decode(shot.png).data.equals(s.session.expected().rgba), `seed ${seed}`).toBe(true);
    }
  });

  it('speaks RFB 3.7 with a 3.7 server (no SecurityResult after None)', async () => {
    const s = await serve({ version: 'RFB 003.007\n', width: 10, height: 10 });
    const shot = await captureScreen({ url: s.pageUrl, timeoutMs: 5000 });
    expect(s.session.record.version).toBe('RFB 003.007\n');
    expect(decode(shot.png).data.equals(s.session.expected().rgba)).toBe(true);
  });

  it('follows a DesktopSize change in the middle of an update: the new screen, asked for again', async () => {
    const s = await serve({
      width: 40,
      height: 30,
      script: [
        { update: [{ raw: [0, 0, 40, 10] }, { desktopSize: [50, 20] }, { raw: [0, 0, 50, 5] }] },
        { waitForRequest: true },
        { update: [{ raw: [0, 5, 50, 15] }] },
      ],
    });
    const shot = await captureScreen({ url: s.pageUrl, timeoutMs: 5000 });
    expect([shot.width, shot.height]).toEqual([50, 20]);
    expect(s.session.record.requests).toEqual([
      { incremental: false, x: 0, y: 0, w: 40, h: 30 },
      { incremental: false, x: 0, y: 0, w: 50, h: 20 },
    ]);
    expect(decode(shot.png).data.equals(s.session.expected().rgba)).toBe(true);
  });

  it('ignores the illegal close status 1005 that websockify echoes', async () => {
    const s = await serve({ width: 8, height: 8, answerCloseWith1005: true });
    const lines: string[] = [];
    const shot = await captureScreen({ url: s.pageUrl, timeoutMs: 5000, debug: (m) => lines.push(m) });
    expect(shot.width).toBe(8);
    expect(lines).toContain(
      'screenshot: ignored error while closing: Invalid WebSocket frame: invalid status code 1005',
    );
  });

  it('never puts the console token in the debug output', async () => {
    const s = await serve({ width: 8, height: 8 });
    const lines: string[] = [];
    await captureScreen({ url: s.pageUrl, timeoutMs: 5000, debug: (m) => lines.push(m) });
    expect(lines.length).toBeGreaterThan(5);
    expect(lines.join('\n')).not.toMatch(/fake-secret-token/);
    expect(lines[0]).toBe(`screenshot: dialing ws://127.0.0.1:${s.port}/?token=<redacted>`);
  });
});

describe('captureScreen failures', () => {
  it('TOKEN_REJECTED: the proxy accepts the upgrade and drops the connection without a byte', async () => {
    const s = await serve({ dropOnConnect: true });
    const e = await failure({ url: s.pageUrl });
    expect(e.code).toBe('TOKEN_REJECTED');
    expect(e.message).toBe(
      `The console proxy at ws://127.0.0.1:${s.port} refused the console token (invalid or expired).`,
    );
  });

  it('TOKEN_REJECTED names the Origin when one was sent', async () => {
    const s = await serve({ dropOnConnect: true });
    const e = await failure({ url: s.pageUrl, origin: 'http://elsewhere.example' });
    expect(e.message).toBe(
      `The console proxy at ws://127.0.0.1:${s.port} refused the console token (invalid or expired) (or refused the Origin http://elsewhere.example).`,
    );
  });

  it('CLOSED_EARLY: the proxy closes the WebSocket with a status before any byte', async () => {
    const s = await serve({ closeOnConnect: 1011 });
    const e = await failure({ url: s.pageUrl });
    expect(e.code).toBe('CLOSED_EARLY');
    expect(e.message).toBe(
      `The console proxy at ws://127.0.0.1:${s.port} closed the WebSocket (code 1011, going away now) before the VNC server sent anything.`,
    );
  });

  it('UNSUPPORTED_SECURITY: only VNC Authentication offered', async () => {
    const s = await serve({ securityTypes: [2] });
    const e = await failure({ url: s.pageUrl });
    expect(e.code).toBe('UNSUPPORTED_SECURITY');
    expect(e.message).toBe(
      "The VNC server wants a password (security type 2, VNC Authentication); ncli's screenshot supports only None.",
    );
  });

  it('UNSUPPORTED_SECURITY: names every type offered', async () => {
    const s = await serve({ securityTypes: [19, 2, 99] });
    const e = await failure({ url: s.pageUrl });
    expect(e.message).toBe(
      "The VNC server offers only security types 19 (VeNCrypt), 2 (VNC Authentication), 99; ncli's screenshot supports only None (1).",
    );
  });

  it('PROTOCOL: a server that speaks only RFB 3.3', async () => {
    const s = await serve({ version: 'RFB 003.003\n' });
    const e = await failure({ url: s.pageUrl });
    expect(e.code).toBe('PROTOCOL');
    expect(e.message).toBe(
      `The VNC server speaks only RFB 3.3 (it sent "RFB 003.003"); ncli's screenshot needs RFB 3.7 or 3.8.`,
    );
    expect(s.session.record.version).toBeUndefined(); // we never answered
  });

  it('PROTOCOL: a 3.3 refusal that came with the version keeps its reason (TigerVNC blacklisting)', async () => {
    const reason = 'Too many security failures';
    const len = Buffer.alloc(4);
    len.writeUInt32BE(reason.length);
    const s = await serve({
      banner: Buffer.concat([Buffer.from('RFB 003.003\n'), Buffer.alloc(4), len, Buffer.from(reason)]),
    });
    const e = await failure({ url: s.pageUrl });
    expect(e.message).toBe(
      `The VNC server speaks only RFB 3.3 (it sent "RFB 003.003"); ncli's screenshot needs RFB 3.7 or 3.8 (the server said: Too many security failures).`,
    );
  });

  it('VNC_REFUSED: no security type offered, with the reason', async () => {
    const s = await serve({ refuseReason: 'Too many security failures\r\n' });
    const e = await failure({ url: s.pageUrl });
    expect(e.code).toBe('VNC_REFUSED');
    expect(e.message).toBe('The VNC server refused the connection: Too many security failures.');
  });

  it('VNC_REFUSED: a failed SecurityResult with its 3.8 reason', async () => {
    const s = await serve({ securityResult: 1, refuseReason: 'Authentication failure' });
    const e = await failure({ url: s.pageUrl });
    expect(e.code).toBe('VNC_REFUSED');
    expect(e.message).toBe(
      'The VNC server refused the connection with security type None (SecurityResult 1): Authentication failure.',
    );
  });

  it('CLOSED_EARLY: a TCP drop in the middle of an update says how many pixels had come', async () => {
    // 4 bytes of message header, 12 of rectangle header, then 123 pixels and half of the next
    const s = await serve({ width: 640, height: 480, truncateAfter: 4 + 12 + 123 * 4 + 2 });
    const e = await failure({ url: s.pageUrl });
    expect(e.code).toBe('CLOSED_EARLY');
    expect(e.message).toBe('The VNC server closed the connection after 123 of 307200 pixels.');
  });

  it('CLOSED_EARLY: a clean close (1000) in the middle of an update', async () => {
    const s = await serve({ width: 20, height: 10, closeHow: 'close', truncateAfter: 4 + 12 + 20 * 4 });
    const e = await failure({ url: s.pageUrl });
    expect(e.code).toBe('CLOSED_EARLY');
    expect(e.message).toBe('The VNC server closed the connection after 20 of 200 pixels.');
  });

  it('CLOSED_EARLY: a server that ends after an update that did not cover the screen', async () => {
    const s = await serve({ width: 20, height: 10, closeAtEnd: true, script: [{ update: [{ raw: [0, 0, 20, 9] }] }] });
    const e = await failure({ url: s.pageUrl });
    expect(e.message).toBe('The VNC server closed the connection after 180 of 200 pixels.');
  });

  it('NOT_VNC: a console that answers text (a serial console)', async () => {
    const s = await serve({ banner: Buffer.from('login: ') });
    const e = await failure({ url: s.pageUrl });
    expect(e.code).toBe('NOT_VNC');
    expect(e.message).toBe(
      'The console did not answer like a VNC server: it sent "l" instead of an RFB ProtocolVersion.',
    );
  });

  it('PROTOCOL: an encoding the client did not ask for', async () => {
    const s = await serve({
      width: 10,
      height: 10,
      script: [{ update: [{ encoding: 7, rect: [0, 0, 10, 10], bytes: Buffer.alloc(8) }] }],
    });
    const e = await failure({ url: s.pageUrl });
    expect(e.code).toBe('PROTOCOL');
    expect(e.message).toBe(
      'The VNC server sent a rectangle in encoding 7 (Tight), which ncli did not ask for (it asked for Raw, CopyRect, DesktopSize and Cursor).',
    );
  });

  it('PROTOCOL: an unknown server message type', async () => {
    const s = await serve({ width: 10, height: 10, script: [{ messageType: 150 }] });
    const e = await failure({ url: s.pageUrl });
    expect(e.message).toBe(
      'The VNC server sent message type 150, which ncli does not know (RFC 6143 defines 0 to 3 for a client that asked for no extension).',
    );
  });

  it('PROTOCOL: a rectangle outside the screen', async () => {
    const s = await serve({ width: 10, height: 10, script: [{ update: [{ raw: [5, 5, 6, 2] }] }] });
    const e = await failure({ url: s.pageUrl });
    expect(e.message).toBe('The VNC server sent a 6x2 rectangle at (5,5), outside its 10x10 screen.');
  });

  it('TIMEOUT: a console that sends nothing', async () => {
    const s = await serve({ silent: true });
    const t0 = performance.now();
    const e = await failure({ url: s.pageUrl, timeoutMs: 300 });
    expect(performance.now() - t0).toBeLessThan(2500);
    expect(e.code).toBe('TIMEOUT');
    expect(e.hint).toBe('timeout');
    expect(e.message).toBe(
      `The VNC server behind the console proxy at ws://127.0.0.1:${s.port} sent nothing within 0.3 s; is it a VNC console?`,
    );
  });

  it('TIMEOUT: an update that stops coming bounds the whole capture', async () => {
    const s = await serve({ width: 10, height: 10, script: [{ update: [{ raw: [0, 0, 10, 4] }] }] });
    const e = await failure({ url: s.pageUrl, timeoutMs: 400 });
    expect(e.code).toBe('TIMEOUT');
    expect(e.message).toBe('The VNC server had sent 40 of 100 pixels when the 0.4 s ran out.');
    expect(s.closeCodes).toEqual([1000]); // closed cleanly all the same
  });

  it('TIMEOUT: the handshake stops in the middle', async () => {
    const s = await serve({ version: 'RFB 003.008\n', securityTypes: [] });
    // an empty list is a count of 0 followed by a reason that never comes
    const e = await failure({ url: s.pageUrl, timeoutMs: 300 });
    expect(e.message).toBe(
      'The RFB handshake with the VNC server did not finish within 0.3 s (waiting for the failure reason).',
    );
  });

  it('ABORTED: the signal ends the capture at once', async () => {
    const s = await serve({ silent: true });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const e = await failure({ url: s.pageUrl, signal: ac.signal, timeoutMs: 10_000 });
    expect(e.code).toBe('ABORTED');
    expect(e.message).toBe('Cancelled while taking the console screenshot.');
  });

  it('ABORTED: an already aborted signal dials nothing', async () => {
    const s = await serve({});
    const e = await failure({ url: s.pageUrl, signal: AbortSignal.abort() });
    expect(e.code).toBe('ABORTED');
    expect(s.sessions).toHaveLength(0);
  });

  it('UNREACHABLE and BAD_URL come from the dial with the tunnel words, as ScreenshotErrors', async () => {
    const s = await serve({});
    const port = s.port;
    await s.close();
    servers.splice(0);
    const e = await failure({ url: `http://127.0.0.1:${port}/vnc_auto.html?path=%3Ftoken%3Dfake-secret-token-0123` });
    expect(e.code).toBe('UNREACHABLE');
    expect(e.message).toBe(`Cannot reach the console proxy at ws://127.0.0.1:${port}: connection refused.`);
    const b = await failure({ url: 'ftp://h/x?token=fake-secret-token-0123' });
    expect(b.code).toBe('BAD_URL');
  });
});
