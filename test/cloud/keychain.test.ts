/**
 * The token cache in a real Secret Service (gnome-keyring under dbus-run-session, as on a
 * desktop) through @napi-rs/keyring, a locked keyring, and the 0600 file without a session bus.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { cloudEnv, describeCloud, freshCache, NCLI, ROOT, run } from '../support/cloud.js';

const authRequests = (s: string) => (s.match(/REQ: POST \S+\/auth\/tokens/g) ?? []).length;

/** Prints, per keychain entry of service ncli: whether it has a verifier, and whether it holds the password 'secret'. */
const READ_BACK = `node -e "
  const c = require('@napi-rs/keyring').findCredentials('ncli');
  console.log('ENTRIES ' + c.length + ' ' + c.map(e => (JSON.parse(e.password).verifier ? 'verifier' : 'none') + (e.password.includes('\\"secret\\"') ? '+password' : '')).join(','));
"`;

/** Runs `script` (bash) in one D-Bus session of its own, in `cache`, with HOME there (the keyrings live in it). */
function inSession(cache: string, script: string) {
  return run(
    'dbus-run-session',
    ['--', 'bash', '-c', `cd ${cache} && set -e\n${script}`],
    { ...cloudEnv({ HOME: cache }, cache), NODE_PATH: join(process.cwd(), 'node_modules') },
    { timeoutMs: 60_000 },
  );
}

const count = (file: string) => `$(grep -c 'REQ: POST.*auth/tokens' ${file} || true)`;

describeCloud('token cache: keychain and file', () => {
  it('stores the token in a real keychain when a Secret Service answers, and reuses it only with its password', async () => {
    const cache = freshCache();
    // One D-Bus session: unlock a fresh keyring, then ncli runs and a keychain read-back.
    const r = await inSession(
      cache,
      `
      echo -n ncli-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null
      node "${NCLI}" --debug server list -f value -c Name 2>first.err >first.out
      OS_PASSWORD=wrong-password node "${NCLI}" server list 2>wrong.err >/dev/null && exit 9 || true
      node "${NCLI}" --debug server list -f value -c Name 2>second.err >second.out
      ${READ_BACK}
      echo "FIRST ${count('first.err')} SECOND ${count('second.err')} WRONG $(wc -l < wrong.err)"
      grep -c vm1 second.out
      cat first.err second.err | grep -c 'keychain' || true
    `,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['ENTRIES 1 verifier', 'FIRST 1 SECOND 0 WRONG 1', '1', '0']);
    // nothing was written to the file cache
    expect(existsSync(join(cache, 'ncli', 'tokens')) ? readdirSync(join(cache, 'ncli', 'tokens')) : []).toEqual([]);
  }, 90_000);

  it('works from an install made with npm ci --ignore-scripts (no install script, nothing compiled)', async () => {
    // ncli as a user would install it without build tools: the built bin/ and dist/ of this
    // checkout with the lockfile's packages, installed with every install script skipped
    const app = mkdtempSync(join(tmpdir(), 'ncli-noscripts-'));
    for (const f of ['bin', 'dist', 'package.json', 'package-lock.json'])
      cpSync(join(ROOT, f), join(app, f), { recursive: true });
    const install = await run(
      'npm',
      ['ci', '--prefix', app, '--ignore-scripts', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund'],
      { ...process.env, npm_config_loglevel: 'error' },
      { timeoutMs: 120_000 },
    );
    expect(install.code, install.stderr).toBe(0);
    const cache = freshCache();
    const ncli = join(app, 'bin', 'ncli');
    const r = await inSession(
      cache,
      `
      echo -n ncli-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null
      node "${ncli}" --debug flavor list -f value -c Name 2>first.err >first.out
      node "${ncli}" --debug flavor list -f value -c Name 2>second.err >/dev/null
      cd "${app}" && ${READ_BACK}
      echo "FIRST ${count(join(cache, 'first.err'))} SECOND ${count(join(cache, 'second.err'))}"
      grep -c m1.tiny "${cache}/first.out"
    `,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['ENTRIES 1 verifier', 'FIRST 1 SECOND 0', '1']);
    expect(existsSync(join(cache, 'ncli', 'tokens')) ? readdirSync(join(cache, 'ncli', 'tokens')) : []).toEqual([]);
  }, 180_000);

  it('a locked keyring (nobody to unlock it) is not waited on: the file, and one debug line why', async () => {
    const cache = freshCache();
    // First session: create the login keyring (unlocked) with one unrelated item; second: locked.
    const made = await inSession(
      cache,
      `echo -n ncli-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null
      node -e "new (require('@napi-rs/keyring').Entry)('ncli-test', 'x').setPassword('y')"`,
    );
    expect(made.code, made.stderr).toBe(0);
    const t0 = Date.now();
    const r = await inSession(
      cache,
      `gnome-keyring-daemon --start --components=secrets >/dev/null
      node "${NCLI}" --debug flavor list 2>first.err >/dev/null
      node "${NCLI}" --debug flavor list 2>second.err >/dev/null
      echo "FIRST ${count('first.err')} SECOND ${count('second.err')}"
      grep -h '^DEBUG keychain' first.err || true
      echo "SECOND-DEBUG $(grep -c '^DEBUG keychain' second.err || true)"`,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(Date.now() - t0).toBeLessThan(30_000);
    // The first run cannot store the token in the locked keyring (its unlock prompt has no display
    // and is dismissed): the file. The second finds nothing in the keyring, without any prompt, and
    // the token in the file.
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('FIRST 1 SECOND 0');
    expect(lines[1]).toMatch(
      /^DEBUG keychain unavailable \(.*prompt was dismissed.*\); token cache in \S+\/ncli\/tokens$/,
    );
    expect(lines.slice(2)).toEqual(['SECOND-DEBUG 0']);
    expect(readdirSync(join(cache, 'ncli', 'tokens'))).toHaveLength(1);
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
    // a bus address that answers nothing: the keychain fails, ncli still works from the file
    const r3 = await run(process.execPath, [NCLI, '--debug', 'flavor', 'list'], {
      ...env,
      DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus',
    });
    expect(r3.code).toBe(0);
    expect(authRequests(r3.stderr)).toBe(0);
    expect(r3.stderr).toMatch(
      /^DEBUG keychain unavailable \(.*Failed to connect to socket \/nonexistent\/bus.*\); token cache in /m,
    );
  });
});
