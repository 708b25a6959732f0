/**
 * Multi-factor logins against the real Keystone (the harness turns its `totp` method on): a user
 * with the rule password+totp and a TOTP credential (test/support/cloud-mfa.ts), passcodes
 * computed per RFC 6238 (test/support/totp.ts). A password alone is refused in one line; the
 * passcode (v3multifactor, or OS_PASSCODE) gets a token, which the next command reuses without any
 * passcode; at a terminal (a real pty) ncli asks for the passcode without echo and completes the
 * login with Keystone's auth receipt.
 */
import { beforeAll, expect, it } from 'vitest';
import { cloudEnv, describeCloud, freshCache, ncli } from '../support/cloud.js';
import { ncliInPty } from '../support/pty.js';
import { ensureMfaUser, type MfaUser } from '../support/cloud-mfa.js';
import { msUntilNextStep, totpCode } from '../support/totp.js';

describeCloud('multi-factor logins (Keystone totp, auth receipts)', () => {
  let user: MfaUser;
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
      const { screen, code: exit } = await ncliInPty(
        ['token', 'issue', '-f', 'value', '-c', 'user_id'],
        [
          { until: 'passcode for', seconds: 30 },
          { seconds: 0.5, write: `${code}\r` },
        ],
        envOf(freshCache()),
      );
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
