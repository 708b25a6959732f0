/**
 * The cache folder (src/config/cache-files.ts) where it cannot be made: a path under /proc (where
 * Node 22+'s recursive mkdir spins forever) or under a file. The folder is a convenience: a
 * command still works, without a cache.
 */
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensurePrivateDir } from '../../src/config/cache-files.js';
import { mockCloud } from '../support/mock-nova.js';
import { runNcli } from '../support/io.js';

describe('ensurePrivateDir', () => {
  it('makes the missing levels 0700', () => {
    const base = mkdtempSync(join(tmpdir(), 'ncli-dirs-'));
    ensurePrivateDir(join(base, 'a', 'b', 'c'));
    for (const d of ['a', 'a/b', 'a/b/c']) expect((statSync(join(base, d)).mode & 0o777).toString(8)).toBe('700');
  });

  it('fails at once, not spinning, where a level cannot be made (/proc, a file)', () => {
    const t0 = Date.now();
    expect(() => ensurePrivateDir('/proc/nonexistent/ncli/tokens')).toThrow(/ENOENT/);
    expect(() => ensurePrivateDir('/dev/null/ncli/tokens')).toThrow(/ENOTDIR/);
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});

describe('a command with a cache folder that cannot be made', () => {
  for (const cache of ['/proc/nonexistent', '/dev/null']) {
    it(`works without the cache (XDG_CACHE_HOME=${cache})`, async () => {
      const cloud = mockCloud();
      cloud.answer('GET', /^\/v2\.1\/flavors\/detail/, 200, {
        flavors: [{ id: '1', name: 'm1.tiny', ram: 512, disk: 1, vcpus: 1 }],
      });
      const r = await runNcli(
        ['flavor', 'list', '-f', 'value', '-c', 'Name'],
        { ...cloud.env, OS_CACHE: 'true', XDG_CACHE_HOME: cache },
        { dispatcher: cloud.agent },
      );
      expect(r).toEqual({ code: 0, stdout: 'm1.tiny\n', stderr: '' });
    });
  }
});
