/**
 * Federated login against the real test IdP (oidc-provider, scripts/cloud/oidc/idp.mjs) and
 * Keystone behind mod_auth_openidc (scripts/cloud/oidc-up.sh): every auth type to a project-scoped
 * token and a `server list` of project demo, the browser logins end to end in headless chromium
 * (the IdP's login form filled, the local redirect caught, the token cached, the next command
 * asking nothing), the one-line errors, and `--debug` output free of every secret.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cloudEnv, cloudFacts, describeCloud, freshCache, ncli, run, type RunResult } from '../support/cloud.js';
import { startNcli } from '../support/console.js';
import { confirmDevice, haveChromium, launchChromium, signIn } from '../support/oidc-browser.js';

const facts = cloudFacts();
const CA = facts.CLOUD_CA ?? '/tmp/ncli-cloud/etc/tls/ca.pem';
/** Every secret of the test realm and clients (scripts/cloud/oidc/idp.mjs). */
const REALM_SECRETS = [
  'alice-secret',
  'bob-secret',
  'ncli-confidential-secret',
  'ncli-service-secret',
  'ncli-short-secret',
  'keystone-oidc-secret',
];

/** Asks the IdP's token endpoint for an access token (password grant), as a script would. */
function idpAccessToken(client: string, secret: string, user = 'alice', password = 'alice-secret'): Promise<string> {
  const body = new URLSearchParams({ grant_type: 'password', username: user, password, scope: 'openid' }).toString();
  return new Promise((resolve, reject) => {
    const req = request(
      `${facts.IDP_URL}/token`,
      {
        method: 'POST',
        ca: readFileSync(CA),
        auth: `${client}:${secret}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          const at = (JSON.parse(text) as { access_token?: string }).access_token;
          if (at) resolve(at);
          else reject(new Error(`no access token: ${text}`));
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Asserts that `out` (an ncli run's stderr with --debug) holds none of `secrets`, nor any unredacted OAuth secret field. */
function expectNoSecrets(out: string, secrets: string[]): void {
  for (const s of [...REALM_SECRETS, ...secrets]) expect(out, `secret ${s.slice(0, 4)}… printed`).not.toContain(s);
  expect(out).not.toMatch(
    /(client_secret|code_verifier|password|device_code|refresh_token|[?&]code)=(?!<redacted>)[^&\s]/,
  );
  expect(out).not.toMatch(/"(access_token|refresh_token|id_token|device_code)":"(?!<redacted>)/);
  expect(out).not.toMatch(/Bearer [A-Za-z0-9]/);
}

describeCloud('federated login (OpenID Connect) against the test IdP', () => {
  let browser: Browser | undefined;
  const env = (cloud: string, extra: Record<string, string | undefined> = {}, cache = freshCache()) =>
    cloudEnv({ OS_CLOUD: cloud, DISPLAY: undefined, WAYLAND_DISPLAY: undefined, BROWSER: undefined, ...extra }, cache);
  /** `server list` IDs of a run, which must include project demo's fixture server. */
  const expectDemoServers = (r: RunResult) => {
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')).toContain(facts.DEMO_VM_ID);
  };

  beforeAll(async () => {
    expect(facts.IDP_URL, 'oidc-up.sh writes IDP_URL to cloud.env').toMatch(/^https:\/\/127\.0\.0\.1:/);
    expect(haveChromium, 'chromium is installed (scripts/cloud/oidc-up.sh)').toBe(true);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('v3oidcpassword: a project-scoped token for project demo and its servers, as keystoneauth gets', async () => {
    const cache = freshCache();
    const tok = await ncli(['--debug', 'token', 'issue', '-f', 'json'], env('devcloud-oidcpassword', {}, cache));
    expect(tok.code, tok.stderr).toBe(0);
    const ours = JSON.parse(tok.stdout) as { project_id: string; user_id: string; id: string };
    expect(ours.project_id).toBe(facts.DEMO_PROJECT_ID);
    expectNoSecrets(tok.stderr, [ours.id]);
    expect(tok.stderr).toContain('/OS-FEDERATION/identity_providers/ncli-idp/protocols/openid/auth');
    // the oracle: keystoneauth's v3oidcpassword, same clouds.yaml entry, same federated user
    const oracle = await run(
      '/usr/bin/openstack',
      ['--os-cloud', 'devcloud-oidcpassword', 'token', 'issue', '-f', 'json'],
      cloudEnv(),
    );
    expect(oracle.code, oracle.stderr).toBe(0);
    const theirs = JSON.parse(oracle.stdout) as { project_id: string; user_id: string };
    expect(theirs).toMatchObject({ project_id: ours.project_id, user_id: ours.user_id });
    // from the cache now: no IdP or Keystone request at all
    const list = await ncli(
      ['--debug', 'server', 'list', '-f', 'value', '-c', 'ID'],
      env('devcloud-oidcpassword', {}, cache),
    );
    expectDemoServers(list);
    expect(list.stderr).not.toContain(facts.IDP_URL);
    expect(list.stderr).not.toContain('OS-FEDERATION');
    // another client secret is another identity: the cached token is not handed out
    const other = await ncli(['server', 'list'], env('devcloud-oidcpassword', { OS_CLIENT_SECRET: 'not-it' }, cache));
    expect(other.code).toBe(1);
    expect(other.stderr.trim().split('\n')).toHaveLength(1);
    expect(other.stderr).toMatch(/refused client 'ncli-confidential'.*--os-client-secret/);
  });

  it('v3oidcclientcredentials: the service account reaches project demo', async () => {
    const r = await ncli(
      ['--debug', 'server', 'list', '-f', 'value', '-c', 'ID'],
      env('devcloud-oidcclientcredentials'),
    );
    expectDemoServers(r);
    expectNoSecrets(r.stderr, []);
    // the same federated user as keystoneauth's v3oidcclientcredentials
    const ours = await ncli(['token', 'issue', '-f', 'json'], env('devcloud-oidcclientcredentials'));
    const oracle = await run(
      '/usr/bin/openstack',
      ['--os-cloud', 'devcloud-oidcclientcredentials', 'token', 'issue', '-f', 'json'],
      cloudEnv(),
    );
    expect(oracle.code, oracle.stderr).toBe(0);
    const pick = (t: string) => {
      const j = JSON.parse(t) as { project_id: string; user_id: string };
      return { project_id: j.project_id, user_id: j.user_id };
    };
    expect(pick(ours.stdout)).toEqual(pick(oracle.stdout));
    expect(pick(ours.stdout).project_id).toBe(facts.DEMO_PROJECT_ID);
  });

  it('v3oidcaccesstoken: a given access token, then the cached token without one', async () => {
    const at = await idpAccessToken('ncli-confidential', 'ncli-confidential-secret');
    const cache = freshCache();
    const r = await ncli(
      ['--debug', 'server', 'list', '-f', 'value', '-c', 'ID'],
      env('devcloud-oidcaccesstoken', { OS_ACCESS_TOKEN: at }, cache),
    );
    expectDemoServers(r);
    expectNoSecrets(r.stderr, [at]);
    // the access token is not part of the cache's identity: the next run needs none
    const again = await ncli(['server', 'list', '-f', 'value', '-c', 'ID'], env('devcloud-oidcaccesstoken', {}, cache));
    expectDemoServers(again);
    // without the cache it is needed, and said so
    const none = await ncli(['server', 'list'], env('devcloud-oidcaccesstoken'));
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^ncli: v3oidcaccesstoken needs an access token .*--os-access-token/);
  });

  it('v3oidcdeviceauthz: the URL and code printed, confirmed in the browser, the command goes on', async () => {
    const cache = freshCache();
    const child = startNcli(
      ['--debug', 'server', 'list', '-f', 'value', '-c', 'ID'],
      env('devcloud-oidcdeviceauthz', {}, cache),
    );
    try {
      const m = await child.waitFor(/open (https:\/\/\S+) in a browser .* confirm the code (\S+)\./, {
        stream: 'stderr',
      });
      const page = await confirmDevice(browser!, m[1], 'alice', 'alice-secret');
      expect(page).toMatch(/sign-in|success|signed in|close/i);
      const { code } = await child.exited;
      expect(code, child.stderr()).toBe(0);
      expect(child.stdout().split('\n')).toContain(facts.DEMO_VM_ID);
      expectNoSecrets(child.stderr(), []);
    } finally {
      child.kill();
    }
    // cached: the next command asks nothing
    const again = await ncli(['server', 'list', '-f', 'value', '-c', 'ID'], env('devcloud-oidcdeviceauthz', {}, cache));
    expectDemoServers(again);
    expect(again.stderr).toBe('');
  }, 60_000);

  it('v3oidcauthcode: `auth login` opens the browser ($BROWSER), the redirect is caught on 127.0.0.1, the token cached', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ncli-browser-'));
    const opened = join(dir, 'url');
    const fakeBrowser = join(dir, 'browser.sh');
    writeFileSync(fakeBrowser, `#!/bin/sh\nprintf '%s' "$1" > ${opened}.tmp && mv ${opened}.tmp ${opened}\n`);
    chmodSync(fakeBrowser, 0o755);
    const cache = freshCache();
    const child = startNcli(
      ['--debug', 'auth', 'login'],
      env('devcloud-oidcauthcode', { BROWSER: fakeBrowser }, cache),
    );
    try {
      await child.waitFor(/Opening your browser/, { stream: 'stderr' });
      for (let i = 0; i < 100 && !existsSync(opened); i++) await new Promise((r) => setTimeout(r, 100));
      const url = readFileSync(opened, 'utf8');
      expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/auth\?/);
      const q = new URL(url).searchParams;
      expect(q.get('code_challenge_method')).toBe('S256');
      expect(q.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
      expect(q.get('state')).toMatch(/^[\w-]{16,}$/);
      const seen = await signIn(browser!, url, 'alice', 'alice-secret');
      expect(seen.text).toContain('You are signed in');
      const callback = seen.urls.find((u) => u.startsWith(q.get('redirect_uri')!));
      const code = new URL(callback!).searchParams.get('code')!;
      expect(code.length).toBeGreaterThan(10);
      const { code: exit } = await child.exited;
      expect(exit, child.stderr()).toBe(0);
      expect(child.stderr()).toMatch(/Logged in to project demo; the token is cached until /);
      expectNoSecrets(child.stderr(), [code]);
    } finally {
      child.kill();
    }
    // the next command asks nothing: no browser, no prompt, no output on stderr
    const next = await ncli(['server', 'list', '-f', 'value', '-c', 'ID'], env('devcloud-oidcauthcode', {}, cache));
    expectDemoServers(next);
    expect(next.stderr).toBe('');
  }, 60_000);

  it('auth login --no-browser prints the URL; a browser that never comes back ends in one line with the URL', async () => {
    const r = await ncli(
      ['auth', 'login', '--no-browser'],
      env('devcloud-oidcauthcode', { NCLI_LOGIN_TIMEOUT: '2', BROWSER: '/bin/false' }),
    );
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toBe('To sign in at the identity provider, open this URL in a browser on this machine:');
    expect(lines[1]).toMatch(/^ {2}https:\/\/127\.0\.0\.1:\d+\/auth\?/);
    expect(lines.slice(2)).toHaveLength(1);
    expect(lines[2]).toMatch(
      /^ncli: The browser did not come back within 2 s from https:\/\/127\.0\.0\.1:\d+\/auth\?\S+; run `ncli auth login --no-browser`/,
    );
  });

  it("v3websso: Keystone's WebSSO in the browser posts the token back to ncli", async () => {
    const cache = freshCache();
    const child = startNcli(['--debug', 'auth', 'login', '--no-browser'], env('devcloud-websso', {}, cache));
    try {
      const m = await child.waitFor(
        /\n {2}(http:\/\/127\.0\.0\.1:\d+\/v3\/auth\/OS-FEDERATION\/\S+websso\?origin=\S+)\n/,
        {
          stream: 'stderr',
        },
      );
      const seen = await signIn(browser!, m[1], 'alice', 'alice-secret');
      expect(seen.text).toContain('You are signed in');
      const { code } = await child.exited;
      expect(code, child.stderr()).toBe(0);
      expect(child.stderr()).toMatch(/Logged in to project demo/);
      expectNoSecrets(child.stderr(), []);
    } finally {
      child.kill();
    }
    const next = await ncli(['server', 'list', '-f', 'value', '-c', 'ID'], env('devcloud-websso', {}, cache));
    expectDemoServers(next);
    expect(next.stderr).toBe('');
  }, 60_000);

  it('one-line errors: wrong IdP password, unmapped user, client without the grant, IdP down, expired access token', async () => {
    const oneLine = (r: RunResult, re: RegExp) => {
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stderr).toMatch(re);
      expectNoSecrets(r.stderr, []);
    };
    oneLine(
      await ncli(['server', 'list'], env('devcloud-oidcpassword', { OS_PASSWORD: 'wrong' })),
      /^ncli: The identity provider at https:\/\/127\.0\.0\.1:\d+ refused user 'alice': invalid user name or password \(invalid_grant\); check the user name and password at the identity provider/,
    );
    oneLine(
      await ncli(['server', 'list'], env('devcloud-oidcpassword', { OS_USERNAME: 'bob', OS_PASSWORD: 'bob-secret' })),
      /^ncli: Keystone at http:\/\/127\.0\.0\.1:\d+\/v3 has no mapping for this user of identity provider 'ncli-idp' \(protocol openid\)/,
    );
    oneLine(
      await ncli(
        ['server', 'list'],
        env('devcloud-oidcpassword', { OS_CLIENT_ID: 'ncli-service', OS_CLIENT_SECRET: 'ncli-service-secret' }),
      ),
      /^ncli: The identity provider at \S+ does not allow client 'ncli-service' the password grant/,
    );
    oneLine(
      await ncli(
        ['server', 'list'],
        env('devcloud-oidcpassword', { OS_DISCOVERY_ENDPOINT: 'https://127.0.0.1:9/.well-known/openid-configuration' }),
      ),
      /^ncli: Cannot reach the identity provider at https:\/\/127\.0\.0\.1:9: connection refused; check that it is up/,
    );
    // ncli-short's access tokens live 3 s
    const at = await idpAccessToken('ncli-short', 'ncli-short-secret');
    await new Promise((r) => setTimeout(r, 4500));
    oneLine(
      await ncli(['server', 'list'], env('devcloud-oidcaccesstoken', { OS_ACCESS_TOKEN: at })),
      /^ncli: Keystone at \S+ refused the access token .*: it has expired or was revoked; get a new one from the identity provider \(--os-access-token\)\.$/m,
    );
  }, 60_000);
});
