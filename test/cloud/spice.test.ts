/**
 * SPICE to a native client through the tunnel: the harness's QEMU (a real SPICE server, SeaBIOS
 * on the screen) behind the real nova-spicehtml5proxy; `ncli console tunnel vm1 --type spice-html5
 * --local 0` gives a local port, and spicy-screenshot (Debian spice-client-gtk) saves the screen
 * through it: the same picture it saves talking to QEMU directly. Each SPICE channel (main,
 * display, …) is its own TCP connection, hence its own WebSocket with a console token.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { cloudEnv, cloudFacts, describeCloud, freshCache, run } from '../support/cloud.js';
import { since, startNcli, type NcliChild } from '../support/console.js';

const SPICY = '/usr/bin/spicy-screenshot';

describeCloud('SPICE through the tunnel (nova-spicehtml5proxy, QEMU)', () => {
  const env = cloudEnv({}, freshCache());
  const work = mkdtempSync(join(tmpdir(), 'ncli-spice-'));
  const children: NcliChild[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) c.kill();
  });

  it(
    'spicy-screenshot through the tunnel saves the same screen as straight from QEMU',
    { timeout: 90_000 },
    async () => {
      const facts = cloudFacts();
      const direct = join(work, 'direct.ppm');
      const viaTunnel = join(work, 'tunnel.ppm');
      const d = await run(SPICY, ['-h', '127.0.0.1', '-p', facts.SPICE_PORT, '-o', direct], env, {
        timeoutMs: 30_000,
      });
      expect(d.code, d.stderr).toBe(0);

      const t0 = performance.now();
      const tun = startNcli(['console', 'tunnel', 'vm1', '--type', 'spice-html5', '--local', '0'], env);
      children.push(tun);
      const port = (await tun.waitFor(/^Forwarding from 127\.0\.0\.1:(\d+) -> vm1 \(spice\)$/m))[1];
      const t1 = performance.now();
      const s = await run(SPICY, ['-h', '127.0.0.1', '-p', port, '-o', viaTunnel], env, { timeoutMs: 30_000 });
      expect(s.code, s.stderr).toBe(0);
      const channels = (tun.stdout().match(/^Handling connection for \d+$/gm) ?? []).length;
      console.log(
        `SPICE: tunnel listening ${Math.round(t1 - t0)} ms after spawn; spicy-screenshot through it ${since(t1)} ms; ${channels} channel connections`,
      );
      expect(channels).toBeGreaterThanOrEqual(2); // main + display at least: one WebSocket each
      const a = readFileSync(direct);
      const b = readFileSync(viaTunnel);
      expect(b.subarray(0, 15).toString('latin1')).toMatch(/^P6\s+\d+ \d+\s/);
      expect(b.length).toBe(a.length);
      // the same picture; only SeaBIOS's blinking text cursor (one character cell, 9x16) may differ
      let differing = 0;
      for (let i = 0; i < a.length; i += 3)
        if (a[i] !== b[i] || a[i + 1] !== b[i + 1] || a[i + 2] !== b[i + 2]) differing++;
      expect(differing).toBeLessThanOrEqual(9 * 16);
      expect(tun.stderr()).toBe('');
      tun.child.kill('SIGINT');
      expect((await tun.exited).code).toBe(0);
    },
  );

  it('the screen is the SeaBIOS text screen QEMU shows (not black, not empty)', () => {
    const ppm = readFileSync(join(work, 'tunnel.ppm'));
    const header = /^P6\s+(\d+) (\d+)\s+255\s/.exec(ppm.subarray(0, 20).toString('latin1'))!;
    const pixels = ppm.subarray(header[0].length);
    expect(pixels.length).toBe(Number(header[1]) * Number(header[2]) * 3);
    expect(pixels.some((v) => v !== 0)).toBe(true);
    expect(() => execFileSync(SPICY, ['--help'])).not.toThrow();
  });
});
