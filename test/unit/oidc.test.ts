/**
 * Federated login, the pure parts: the v3oidc* / v3websso settings from clouds.yaml and the
 * environment (keystoneauth's keys), the token cache identity (client secret verified, access
 * token not part of it) and the redaction of OAuth 2.0 secrets in --debug lines. The flows
 * themselves run against the real IdP in test/cloud/oidc.test.ts.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfig, type OidcMethod } from '../../src/config/options.js';
import { scopeKey } from '../../src/config/scope-key.js';
import { longLivedSecrets } from '../../src/identity/secret-verifier.js';
import { redactBody, redactUrl } from '../../src/redact.js';

const CLOUDS = `
clouds:
  sso:
    auth_type: v3oidcpassword
    auth:
      auth_url: https://ks.example:5000
      identity_provider: myidp
      protocol: openid
      discovery_endpoint: https://idp.example/.well-known/openid-configuration
      client_id: cli
      client_secret: shh
      username: alice
      password: pw
      project_name: demo
  tok:
    auth_type: v3oidcaccesstoken
    auth:
      auth_url: https://ks.example:5000/v3
      identity_provider: myidp
      protocol: openid
`;

function env(extra: Record<string, string> = {}) {
  const d = mkdtempSync(join(tmpdir(), 'ncli-oidc-'));
  writeFileSync(join(d, 'clouds.yaml'), CLOUDS);
  return { OS_CLIENT_CONFIG_FILE: join(d, 'clouds.yaml'), ...extra };
}

describe('federated auth types', () => {
  it('reads keystoneauth’s clouds.yaml keys for v3oidcpassword', async () => {
    const c = await resolveConfig({ osCloud: 'sso' }, env());
    expect(c.auth.authUrl).toBe('https://ks.example:5000/v3');
    expect(c.auth.method).toEqual({
      type: 'oidc',
      grant: 'password',
      identityProvider: 'myidp',
      protocol: 'openid',
      clientId: 'cli',
      clientSecret: 'shh',
      discoveryEndpoint: 'https://idp.example/.well-known/openid-configuration',
      scope: 'openid profile',
      username: 'alice',
      password: 'pw',
    } satisfies OidcMethod);
    expect(c.auth.scope).toEqual({ project: { name: 'demo', domainId: 'default' } });
  });

  it('says which setting is missing, in one line', async () => {
    await expect(
      resolveConfig({ osAuthUrl: 'http://ks/v3', osAuthType: 'v3oidcpassword', osProtocol: 'openid' }, {}),
    ).rejects.toThrow(/^v3oidcpassword needs the identity provider's ID in Keystone: pass --os-identity-provider/);
    await expect(
      resolveConfig(
        { osAuthUrl: 'http://ks/v3', osAuthType: 'v3oidcauthcode', osIdentityProvider: 'i', osProtocol: 'openid' },
        { OS_CLIENT_ID: 'c' },
      ),
    ).rejects.toThrow(/needs the IdP's endpoints: pass --os-discovery-endpoint/);
  });

  it('a v3oidcaccesstoken cloud resolves without a token (a cached one may do), and takes OS_ACCESS_TOKEN', async () => {
    const without = await resolveConfig({ osCloud: 'tok' }, env());
    expect((without.auth.method as OidcMethod).accessToken).toBeUndefined();
    const withToken = await resolveConfig({ osCloud: 'tok' }, env({ OS_ACCESS_TOKEN: 'at-1' }));
    expect((withToken.auth.method as OidcMethod).accessToken).toBe('at-1');
  });

  it('caches by IdP, client, grant and user; the client secret is verified, the access token is no part of it', async () => {
    const a = await resolveConfig({ osCloud: 'tok' }, env({ OS_ACCESS_TOKEN: 'at-1' }));
    const b = await resolveConfig({ osCloud: 'tok' }, env({ OS_ACCESS_TOKEN: 'at-2' }));
    expect(scopeKey(a.auth, undefined, 'token/1')).toBe(scopeKey(b.auth, undefined, 'token/1'));
    expect(longLivedSecrets(a.auth)).toEqual([]);
    const p = await resolveConfig({ osCloud: 'sso' }, env());
    const q = await resolveConfig({ osCloud: 'sso', osClientSecret: 'other' }, env());
    expect(scopeKey(p.auth, undefined, 'token/1')).toBe(scopeKey(q.auth, undefined, 'token/1'));
    expect(longLivedSecrets(p.auth)).toEqual(['pw', 'shh']);
    expect(longLivedSecrets(q.auth)).toEqual(['pw', 'other']);
    const bob = await resolveConfig({ osCloud: 'sso', osUsername: 'bob' }, env());
    expect(scopeKey(bob.auth, undefined, 'token/1')).not.toBe(scopeKey(p.auth, undefined, 'token/1'));
    expect(JSON.stringify(p)).toContain('shh'); // (the config holds it; the key never does)
  });
});

describe('redaction of OAuth 2.0 secrets', () => {
  it('removes secret form fields and JSON keys, keeps the rest', () => {
    const form =
      'grant_type=authorization_code&code=abc123&redirect_uri=http%3A%2F%2F127.0.0.1%3A1%2Fcallback&code_verifier=v3r&client_secret=s&password=p&device_code=d&user_code=WXYZ';
    const out = redactBody(form);
    for (const s of ['abc123', 'v3r', 'client_secret=s', 'password=p', 'device_code=d']) expect(out).not.toContain(s);
    expect(out).toContain('grant_type=authorization_code');
    expect(out).toContain('user_code=WXYZ');
    const json = redactBody(
      JSON.stringify({
        access_token: 'A',
        refresh_token: 'R',
        id_token: 'I',
        device_code: 'D',
        user_code: 'U',
        expires_in: 60,
      }),
    );
    expect(JSON.parse(json)).toEqual({
      access_token: '<redacted>',
      refresh_token: '<redacted>',
      id_token: '<redacted>',
      device_code: '<redacted>',
      user_code: 'U',
      expires_in: 60,
    });
    expect(redactUrl('http://127.0.0.1:5/callback?code=xyz&state=s1')).toBe(
      'http://127.0.0.1:5/callback?code=<redacted>&state=s1',
    );
  });
});
