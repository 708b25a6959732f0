/**
 * The token cache in a real Secret Service (gnome-keyring under dbus-run-session, as on a
 * desktop), and the 0600 file without a session bus.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { cloudEnv, describeCloud, freshCache, NCLI, run } from '../support/cloud.js';

const authRequests = (s: string) => (s.match(/REQ: POST \S+\/auth\/tokens/g) ?? []).length;

describeCloud('token cache: keychain and file', () => {
  it('stores the token in a real keychain when a Secret Service answers, and reuses it', async () => {
    const cache = freshCache();
    const env = cloudEnv({ HOME: cache }, cache);
    // One D-Bus session: unlock a fresh keyring, then two ncli runs and a keychain read-back.
    const script = `
      set -e
      echo -n ncli-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null
      node "${NCLI}" --debug server list -f value -c Name 2>first.err >first.out
      node "${NCLI}" --debug server list -f value -c Name 2>second.err >second.out
      node -e "require('keytar').findCredentials('ncli').then(c => console.log(c.length))"
      echo "FIRST $(grep -c 'REQ: POST.*auth/tokens' first.err || true) SECOND $(grep -c 'REQ: POST.*auth/tokens' second.err || true)"
      grep -c vm1 second.out
    `;
    const r = await run(
      'dbus-run-session',
      ['--', 'bash', '-c', `cd ${cache} && ${script}`],
      { ...env, NODE_PATH: join(process.cwd(), 'node_modules') },
      { timeoutMs: 60_000 },
    );
    expect(r.stderr).not.toMatch(/keychain unavailable|keytar not available/);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toEqual(['1', 'FIRST 1 SECOND 0', '1']);
    // nothing was written to the file cache
    expect(existsSync(join(cache, 'ncli', 'tokens')) ? readdirSync(join(cache, 'ncli', 'tokens')) : []).toEqual([]);
  }, 90_000);

  it('falls back to the 0600 file silently without a session bus', async () => {
    const cache = freshCache();
    const env = cloudEnv({}, cache);
    const r1 = await run(process.execPath, [NCLI, '--debug', 'flavor', 'list'], env);
    expect(r1.code).toBe(0);
    expect(authRequests(r1.stderr)).toBe(1);
    expect(readdirSync(join(cache, 'ncli', 'tokens'))).toHaveLength(1);
    const r2 = await run(process.execPath, [NCLI, 'flavor', 'list'], env);
    expect(r2.stderr).toBe('');
    // a bus address that answers nothing: keytar fails, ncli still works from the file
    const r3 = await run(process.execPath, [NCLI, '--debug', 'flavor', 'list'], {
      ...env,
      DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus',
    });
    expect(r3.code).toBe(0);
    expect(authRequests(r3.stderr)).toBe(0);
  });
});
