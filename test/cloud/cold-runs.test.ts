/**
 * Concurrent cold runs against the real Keystone: eight `ncli` processes started at once on an
 * empty cache make one token request (the first logs in, the others wait on its lock file in the
 * 0700 cache folder and take its token); a lock left by a process that is gone does not hold a
 * run up.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { cloudEnv, describeCloud, freshCache, ncli } from '../support/cloud.js';

/** `--debug` request lines asking Keystone for a token. */
const authRequests = (s: string) => (s.match(/REQ: POST \S+\/v3\/auth\/tokens/g) ?? []).length;

describeCloud('concurrent cold runs', () => {
  it('eight processes on an empty cache make one token request', async () => {
    const env = cloudEnv();
    const runs = await Promise.all(
      Array.from({ length: 8 }, () => ncli(['--debug', 'flavor', 'list', '-f', 'value', '-c', 'Name'], env)),
    );
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    expect(new Set(runs.map((r) => r.stdout)).size).toBe(1);
    expect(runs.map((r) => authRequests(r.stderr)).reduce((a, b) => a + b)).toBe(1);
    const dir = join(env.XDG_CACHE_HOME, 'ncli', 'tokens');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(readdirSync(dir).filter((f) => f.endsWith('.lock'))).toEqual([]);
  }, 90_000);

  it('a lock left by a process that is gone is taken over at once', async () => {
    const cache = freshCache();
    const env = cloudEnv({}, cache);
    const first = await ncli(['flavor', 'list'], env); // makes the entry, whose name the lock shares
    expect(first.code, first.stderr).toBe(0);
    const dir = join(cache, 'ncli', 'tokens');
    const entry = readdirSync(dir).find((f) => f.endsWith('.json'))!;
    rmSync(join(dir, entry));
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    const lock = join(dir, entry.replace(/\.json$/, '.lock'));
    writeFileSync(lock, JSON.stringify({ pid: Number(gone), host: hostname(), id: 'x' }), { mode: 0o600 });
    const t0 = Date.now();
    const again = await ncli(['--debug', 'flavor', 'list'], env, { timeoutMs: 20_000 });
    expect(again.code, again.stderr).toBe(0);
    expect(Date.now() - t0).toBeLessThan(9_000); // well under the 10 s stale threshold
    expect(again.stderr).toContain(`is stale (process ${gone} is gone); taking it over`);
    expect(authRequests(again.stderr)).toBe(1);
    expect(existsSync(lock)).toBe(false);
  }, 60_000);
});
