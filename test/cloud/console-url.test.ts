/**
 * `ncli console url show` against the real cloud with openstackclient as the oracle: the same
 * fields and values (the URL differs only in its console token), each type flag, and two type
 * flags refused before any request.
 */
import { expect, it } from 'vitest';
import { cloudEnv, describeCloud, freshCache, ncli, run } from '../support/cloud.js';

const withoutToken = (url: string): string => url.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, 'TOKEN');

describeCloud('console url show, as openstack console url show', () => {
  const env = cloudEnv({}, freshCache());

  it.each([
    [[], 'vnc', 'novnc'],
    [['--serial'], 'serial', 'serial'],
    [['--spice'], 'spice', 'spice-html5'],
  ])(
    'console url show vm1 %j: the fields openstack prints',
    async (flags, protocol, type) => {
      const [mine, theirs] = await Promise.all([
        ncli(['console', 'url', 'show', 'vm1', ...flags, '-f', 'json'], env),
        run('/usr/bin/openstack', ['console', 'url', 'show', 'vm1', ...flags, '-f', 'json'], env, {
          timeoutMs: 90_000,
        }),
      ]);
      expect([mine.stderr, mine.code]).toEqual(['', 0]);
      const a = JSON.parse(mine.stdout) as Record<string, string>;
      const b = JSON.parse(theirs.stdout) as Record<string, string>;
      expect(Object.keys(a)).toEqual(Object.keys(b));
      expect({ ...a, url: withoutToken(a.url) }).toEqual({ ...b, url: withoutToken(b.url) });
      expect([a.protocol, a.type]).toEqual([protocol, type]);
    },
    120_000,
  );

  it('two type flags: one line, exit 2, nothing asked', async () => {
    const r = await ncli(['console', 'url', 'show', 'vm1', '--serial', '--spice', '--debug'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^ncli: Give at most one console type, not --spice and --serial\.$/m);
    expect(r.stderr).not.toMatch(/remote-consoles/);
  });
});
