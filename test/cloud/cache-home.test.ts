/**
 * A HOME or XDG_CACHE_HOME that does not exist is not made (a root user with
 * `HOME=/nonexistent/home` once got `/nonexistent`): ncli runs without a cache there, and makes
 * only its own folders (0700) below a home that exists (and XDG_CACHE_HOME itself when its parent
 * exists, as the XDG Base Directory spec allows).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { cloudEnv, describeCloud, ncli } from '../support/cloud.js';

/** `--debug` request lines asking Keystone for a token. */
const authRequests = (s: string) => (s.match(/REQ: POST \S+\/v3\/auth\/tokens/g) ?? []).length;

describeCloud('cache folders and a missing home', () => {
  it('HOME that does not exist: the run works, without a cache, and makes no folder', async () => {
    const base = mkdtempSync(join(tmpdir(), 'ncli-nohome-'));
    const env = cloudEnv({ XDG_CACHE_HOME: undefined, HOME: join(base, 'nonexistent', 'home') });
    for (let i = 0; i < 2; i++) {
      const r = await ncli(['--debug', 'flavor', 'list', '-f', 'value', '-c', 'Name'], env);
      expect(r.code, r.stderr).toBe(0);
      expect(authRequests(r.stderr)).toBe(1); // nothing cached between the runs
    }
    expect(readdirSync(base)).toEqual([]);
  }, 60_000);

  it('an XDG_CACHE_HOME whose parent does not exist is not made either', async () => {
    const base = mkdtempSync(join(tmpdir(), 'ncli-noxdg-'));
    const r = await ncli(['flavor', 'list'], cloudEnv({ XDG_CACHE_HOME: join(base, 'missing', 'cache') }));
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(base)).toEqual([]);
    // its parent exists: XDG_CACHE_HOME itself is made, 0700
    const made = await ncli(['flavor', 'list'], cloudEnv({ XDG_CACHE_HOME: join(base, 'cache') }));
    expect(made.code, made.stderr).toBe(0);
    expect(statSync(join(base, 'cache')).mode & 0o777).toBe(0o700);
  }, 60_000);

  it('a home that exists gets ~/.cache/ncli (0700), and the next run uses it', async () => {
    const home = mkdtempSync(join(tmpdir(), 'ncli-home-'));
    mkdirSync(join(home, 'sub'));
    const env = cloudEnv({ XDG_CACHE_HOME: undefined, HOME: home });
    const first = await ncli(['--debug', 'flavor', 'list'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(statSync(join(home, '.cache', 'ncli', 'tokens')).mode & 0o777).toBe(0o700);
    expect(statSync(join(home, '.cache')).mode & 0o777).toBe(0o700);
    const again = await ncli(['--debug', 'flavor', 'list'], env);
    expect(authRequests(again.stderr)).toBe(0);
    expect(existsSync(join(home, 'sub'))).toBe(true);
  }, 60_000);
});
