/**
 * Multi-factor logins against the real Keystone (the harness turns its `totp` method on): a user
 * with the rule password+totp and a TOTP credential (test/support/cloud-mfa.ts), passcodes
 * computed per RFC 6238 (test/support/totp.ts). A password alone is refused in one line; the
 * passcode (v3multifactor, or OS_PASSCODE) gets a token, which the next command reuses without any
 * passcode; at a terminal (a real pty) ncli asks for the passcode without echo and completes the
 * login with Keystone's auth receipt.
 */
import { writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { NCLI, cloudEnv, describeCloud, freshCache, ncli, run } from '../support/cloud.js';
import { ensureMfaUser, type MfaUser } from '../support/cloud-mfa.js';
import { msUntilNextStep, totpCode } from '../support/totp.js';

describeCloud('multi-factor logins (Keystone totp, auth receipts)', () => {
  let user: MfaUser;
  const work = mkdtempSync(join(tmpdir(), 'ncli-mfa-'));
  /** The MFA user's environment: password auth, its own token cache. */
  const envOf = (cache: string, extra: Record<string, string | undefined> = {}) =>
    cloudEnv(
      {
        OS_CLOUD: undefined,
        OS_CLIENT_CONFIG_FILE: '/nonexistent/clouds.yaml',
        OS_AUTH_URL: user.authUrl,
        OS_USERNAME: user.username,
        OS_PASSWORD: user.password,
        OS_PROJECT_NAME: user.project,
        OS_USER_DOMAIN_NAME: user.domain,
        OS_PROJECT_DOMAIN_NAME: 'Default',
        OS_REGION_NAME: 'RegionOne',
        ...extra,
      },
      cache,
    );
  /** A passcode that stays valid for the next few seconds. */
  const passcode = async (): Promise<string> => {
    if (msUntilNextStep() < 4000) await new Promise((r) => setTimeout(r, msUntilNextStep() + 100));
    return totpCode(user.secret);
  };

  beforeAll(async () => {
    user = await ensureMfaUser();
  });

  it('a password alone is refused in one line naming the missing passcode, exit 1', async () => {
    const r = await ncli(['server', 'list'], envOf(freshCache()));
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `ncli: Keystone at ${user.authUrl} wants a TOTP passcode for user '${user.username}' (domain ${user.domain}) (multi-factor auth) and there is no terminal to ask for it; pass it with --os-passcode or OS_PASSCODE (on a terminal, ncli asks for it).\n`,
    );
  });

  it('v3multifactor with a computed passcode gets a token; the next command reuses it with no passcode', async () => {
    const cache = freshCache();
    const mf = envOf(cache, { OS_AUTH_TYPE: 'v3multifactor', OS_AUTH_METHODS: 'v3password,v3totp' });
    const first = await ncli(['--os-passcode', await passcode(), 'server', 'list', '-f', 'value', '-c', 'Name'], mf);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('vm1');
    // the same user, password only, no passcode, same cache: no login at all
    const second = await ncli(['--debug', 'server', 'list', '-f', 'value', '-c', 'Name'], envOf(cache));
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    expect(second.stderr).not.toMatch(/REQ: POST .*\/auth\/tokens/);
    expect(second.stderr).not.toContain(user.password);
  });

  it('a wrong passcode is one line', async () => {
    const r = await ncli(['--os-passcode', '000000', 'token', 'issue'], envOf(freshCache()));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^ncli: Keystone at .* refused user '.*' \(domain Default\): .*check the user name, password and TOTP passcode/,
    );
  });

  it(
    'at a terminal: the receipt, the prompt, the code typed without echo, the token',
    { timeout: 60_000 },
    async () => {
      const code = await passcode();
      const script = join(work, 'mfa_pty.py');
      // a pseudo-terminal from Debian's Python (no node-pty here): answer the prompt like a person
      writeFileSync(
        script,
        [
          'import os, pty, select, sys, time',
          'pid, fd = pty.fork()',
          'if pid == 0:',
          `    os.execv(${JSON.stringify(process.execPath)}, ["node", ${JSON.stringify(NCLI)}, "token", "issue", "-f", "value", "-c", "user_id"])`,
          'out = b""',
          'def pump(seconds, until=None):',
          '    global out',
          '    end = time.time() + seconds',
          '    while time.time() < end and not (until and until in out):',
          '        r, _, _ = select.select([fd], [], [], 0.05)',
          '        if r:',
          '            try:',
          '                d = os.read(fd, 4096)',
          '            except OSError:',
          '                return',
          '            if not d:',
          '                return',
          '            out += d',
          'pump(30, b"passcode for")',
          'pump(0.5)',
          `os.write(fd, b"${code}\\r")`,
          'pump(20)',
          '_, status = os.waitpid(pid, 0)',
          'sys.stdout.write(repr(out) + "\\n" + str(os.waitstatus_to_exitcode(status)) + "\\n")',
        ].join('\n'),
      );
      const r = await run('/usr/bin/python3', [script], envOf(freshCache()), { timeoutMs: 50_000 });
      const [screen, exit] = r.stdout.trim().split('\n');
      console.log(`MFA at a terminal, as the user saw it: ${screen}`);
      expect(exit).toBe('0');
      expect(screen).toContain(
        `TOTP passcode for user '${user.username}' (domain ${user.domain}) at ${user.authUrl}: `,
      );
      expect(screen).toContain(user.userId);
      expect(screen).not.toContain(code); // typed without echo
    },
  );
});
