/**
 * Console screenshots against the real local cloud: captureScreen through the real
 * nova-novncproxy (websockify + Nova's RFB security proxy) to TigerVNC's Xvnc, compared pixel
 * by pixel with what a real VNC client (gvnccapture, gtk-vnc) takes of the same screen through
 * `ncli console tunnel`; the proxy's refusal of an unknown token; a serial console is not VNC;
 * the capture time (median of 10).
 *
 * While the suite runs, a window with known colours (xmessage, x11-utils, on Xvnc's display :1)
 * makes the screen more than black, so that a swapped colour channel or a wrong row would show;
 * without xmessage the blank screen is compared.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { captureScreen, ScreenshotError } from '../../src/screenshot/index.js';
import { cloudEnv, describeCloud, freshCache, ncli, run } from '../support/cloud.js';
import { GVNCCAPTURE, startNcli, type NcliChild } from '../support/console.js';

const XMESSAGE = '/usr/bin/xmessage';
const X_SOCKET = '/tmp/.X11-unix/X1';
/** The window's colours (xmessage -bg / -fg). */
const BG: [number, number, number] = [0xc0, 0x30, 0x20];
const FG: [number, number, number] = [0x20, 0xd0, 0x40];

function decode(png: Buffer): PNG {
  return PNG.sync.read(png);
}

/** Pixels whose RGBA differ, and the first of them. */
/**
 * The pixels that differ, outside the mouse pointer: TigerVNC draws the X pointer into the updates
 * of a client whose own pointer position is not the server's (neither capture sends pointer
 * events, but the two clients may be told differently), so one 32x32 pointer box is allowed.
 */
function pixelDiff(a: PNG, b: PNG): { count: number; first?: string } {
  const diffs: number[] = [];
  for (let i = 0; i < a.data.length; i += 4) if (a.data.readUInt32BE(i) !== b.data.readUInt32BE(i)) diffs.push(i / 4);
  if (diffs.length === 0) return { count: 0 };
  const xs = diffs.map((p) => p % a.width);
  const ys = diffs.map((p) => Math.floor(p / a.width));
  const boxW = Math.max(...xs) - Math.min(...xs) + 1;
  const boxH = Math.max(...ys) - Math.min(...ys) + 1;
  if (boxW <= 32 && boxH <= 32) return { count: 0 }; // only the pointer
  const p = diffs[0];
  const i = p * 4;
  return {
    count: diffs.length,
    first: `(${p % a.width},${Math.floor(p / a.width)}): ${a.data.readUInt32BE(i).toString(16)} vs ${b.data.readUInt32BE(i).toString(16)} (in a ${boxW}x${boxH} box)`,
  };
}

/** How many pixels have exactly this colour. */
function countColour(img: PNG, [r, g, b]: [number, number, number]): number {
  let n = 0;
  for (let i = 0; i < img.data.length; i += 4) {
    if (img.data[i] === r && img.data[i + 1] === g && img.data[i + 2] === b) n += 1;
  }
  return n;
}

describeCloud('console screenshots against the real cloud', () => {
  const env = cloudEnv({}, freshCache());
  const work = mkdtempSync(join(tmpdir(), 'ncli-screenshot-test-'));
  const children: NcliChild[] = [];
  let painter: ChildProcess | undefined;

  const vncUrl = async (): Promise<string> => {
    const r = await ncli(['console', 'get-vnc', 'vm1', '-f', 'value', '-c', 'url'], env);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout.trim();
  };

  beforeAll(async () => {
    expect((await ncli(['server', 'show', 'vm1', '-f', 'value', '-c', 'id'], env)).code).toBe(0);
    if (existsSync(XMESSAGE) && existsSync(X_SOCKET)) {
      painter = spawn(
        XMESSAGE,
        ['-display', ':1', '-geometry', '+40+30', '-bg', '#c03020', '-fg', '#20d040', 'ncli screenshot test'],
        { stdio: 'ignore' },
      );
      let exited = false;
      painter.once('exit', () => (exited = true));
      // wait until the window is on the screen
      for (let i = 0; i < 50 && !exited; i++) {
        const shot = await captureScreen({ url: await vncUrl(), timeoutMs: 20_000 });
        if (countColour(decode(shot.png), BG) > 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      if (exited) {
        console.log(`${XMESSAGE} could not open a window on display :1: comparing the blank screen`);
        painter = undefined;
      }
    } else {
      console.log(`${XMESSAGE} (x11-utils) or ${X_SOCKET} missing: comparing the blank screen`);
    }
  });

  afterEach(() => {
    for (const c of children.splice(0)) c.kill();
  });

  afterAll(() => {
    painter?.kill();
  });

  it('captures vm1 through nova-novncproxy with the same pixels as gvnccapture through a tunnel', async () => {
    const shot = await captureScreen({ url: await vncUrl(), timeoutMs: 20_000 });
    expect([shot.width, shot.height, shot.name]).toEqual([640, 480, 'devcloud-vm1']);
    const ours = decode(shot.png);
    expect([ours.width, ours.height]).toEqual([640, 480]);

    const tun = startNcli(['console', 'tunnel', 'vm1', '--local', '0', '--once'], env);
    children.push(tun);
    const m = await tun.waitFor(/^Forwarding from 127\.0\.0\.1:(\d+) -> vm1 \(vnc\)$/m);
    const port = Number(m[1]);
    const file = join(work, 'gvnccapture.png');
    // gvnccapture takes a display number: port - 5900 (any port above 5900 will do)
    const cap = await run(GVNCCAPTURE, [`127.0.0.1:${port - 5900}`, file], { ...process.env } as Record<
      string,
      string
    >);
    expect(cap.code, cap.stderr + cap.stdout).toBe(0);
    expect((await tun.exited).code).toBe(0);
    const theirs = decode(readFileSync(file));

    expect([theirs.width, theirs.height]).toEqual([640, 480]);
    // nothing moves on Xvnc's screen (no clock): every pixel equal, but for the pointer (see pixelDiff)
    expect(pixelDiff(ours, theirs)).toEqual({ count: 0 });
    if (painter) {
      // the window is there in its colours (red/blue not swapped), and it is not all one colour
      expect(countColour(ours, BG)).toBeGreaterThan(1000);
      expect(countColour(ours, FG)).toBeGreaterThan(50);
      expect(countColour(ours, [BG[2], BG[1], BG[0]])).toBe(0);
    }
  });

  it('TOKEN_REJECTED from the real proxy for a token Nova never issued', async () => {
    const url = (await vncUrl()).replace(/token%3D[0-9a-f-]+/, 'token%3D00000000-0000-4000-8000-000000000000');
    const err = await captureScreen({ url, timeoutMs: 20_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScreenshotError);
    expect(err).toMatchObject({
      code: 'TOKEN_REJECTED',
      message: 'The console proxy at ws://127.0.0.1:6080 refused the console token (invalid or expired).',
    });
  });

  it('NOT_VNC for a serial console URL (nova-serialproxy)', async () => {
    const r = await ncli(['console', 'get-serial', 'vm1', '-f', 'value', '-c', 'url'], env);
    expect(r.code, r.stderr).toBe(0);
    const err = await captureScreen({ url: r.stdout.trim(), timeoutMs: 20_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScreenshotError);
    // the harness's serial console greets every connection with "\r\n<name> login: "
    expect(err).toMatchObject({
      code: 'NOT_VNC',
      message: 'The console did not answer like a VNC server: it sent "\\r" instead of an RFB ProtocolVersion.',
    });
  });

  it('capture time of the 640x480 screen through the real proxy: median of 10', async () => {
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      const url = await vncUrl(); // a fresh console token each time, not timed
      const t0 = performance.now();
      const shot = await captureScreen({ url, timeoutMs: 20_000 });
      times.push(performance.now() - t0);
      expect(shot.width).toBe(640);
    }
    const sorted = [...times].sort((a, b) => a - b);
    const median = (sorted[4] + sorted[5]) / 2;
    console.log(
      `captureScreen 640x480 through nova-novncproxy: median ${median.toFixed(0)} ms, min ${sorted[0].toFixed(0)}, max ${sorted[9].toFixed(0)} (10 runs: ${times.map((t) => t.toFixed(0)).join(', ')})`,
    );
    expect(median).toBeLessThan(5_000);
  });
});
