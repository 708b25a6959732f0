import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalizeAuthUrl, normalizeInterface, resolveConfig } from '../../src/config/options.js';
import { ConfigError } from '../../src/errors.js';
import { cloudNamesQuick } from '../../src/config/clouds.js';

const base = { OS_AUTH_URL: 'http://ks:5000/v3', OS_USERNAME: 'alice', OS_PASSWORD: 'pw', OS_PROJECT_NAME: 'p1' };

function cloudsDir(yaml: string, secure?: string): string {
  const d = mkdtempSync(join(tmpdir(), 'ncli-clouds-'));
  writeFileSync(join(d, 'clouds.yaml'), yaml);
  if (secure) writeFileSync(join(d, 'secure.yaml'), secure);
  return d;
}

const CLOUDS = `
clouds:
  prod:
    auth:
      auth_url: https://prod.example:5000
      username: bob
      project_name: ops
      user_domain_name: Corp
      project_domain_name: Corp
    region_name: RegionTwo
    interface: internal
  appcred:
    auth_type: v3applicationcredential
    auth:
      auth_url: http://ks:5000/v3/
      application_credential_id: ac1
      application_credential_secret: s3cret
`;

describe('resolveConfig', () => {
  it('reads OS_* variables and defaults the domains to "default"', async () => {
    const c = await resolveConfig({}, base);
    expect(c.auth.authUrl).toBe('http://ks:5000/v3');
    expect(c.auth.method).toEqual({ type: 'password', username: 'alice', password: 'pw', userDomainId: 'default' });
    expect(c.auth.scope).toEqual({ project: { name: 'p1', domainId: 'default' } });
    expect(c.interface).toBe('public');
    expect(c.cache).toBe(true);
    expect(c.timeoutSeconds).toBe(30);
  });

  it('lets flags beat env and env beat clouds.yaml', async () => {
    const dir = cloudsDir(CLOUDS, 'clouds:\n  prod:\n    auth:\n      password: from-secure\n');
    const env = {
      OS_CLIENT_CONFIG_FILE: join(dir, 'clouds.yaml'),
      OS_CLIENT_SECURE_FILE: join(dir, 'secure.yaml'),
      OS_REGION_NAME: 'EnvRegion',
    };
    const c = await resolveConfig({ osCloud: 'prod', osUsername: 'flaguser' }, env);
    expect(c.auth.authUrl).toBe('https://prod.example:5000/v3');
    expect(c.auth.method).toMatchObject({
      type: 'password',
      username: 'flaguser',
      password: 'from-secure',
      userDomainName: 'Corp',
    });
    expect(c.auth.scope).toEqual({ project: { name: 'ops', domainName: 'Corp' } });
    expect(c.regionName).toBe('EnvRegion');
    expect(c.interface).toBe('internal');
    expect(c.cloudName).toBe('prod');
  });

  it('builds application-credential auth without a scope', async () => {
    const dir = cloudsDir(CLOUDS);
    const c = await resolveConfig(
      { osCloud: 'appcred' },
      { OS_CLIENT_CONFIG_FILE: join(dir, 'clouds.yaml'), OS_PROJECT_NAME: 'ignored' },
    );
    expect(c.auth.method).toEqual({ type: 'application_credential', id: 'ac1', name: undefined, secret: 's3cret' });
    expect(c.auth.scope).toBeUndefined();
  });

  it('infers token auth from OS_TOKEN and scopes by project ID', async () => {
    const c = await resolveConfig({}, { OS_AUTH_URL: 'http://ks:5000', OS_TOKEN: 'tok', OS_PROJECT_ID: 'pid' });
    expect(c.auth.method).toEqual({ type: 'token', token: 'tok' });
    expect(c.auth.scope).toEqual({ project: { id: 'pid' } });
  });

  it('scopes to a domain when no project is given', async () => {
    const c = await resolveConfig({}, { ...base, OS_PROJECT_NAME: '', OS_DOMAIN_NAME: 'Corp' });
    expect(c.auth.scope).toEqual({ domain: { name: 'Corp' } });
  });

  it('names the unknown cloud and the known ones', async () => {
    const dir = cloudsDir(CLOUDS);
    await expect(
      resolveConfig({ osCloud: 'nope' }, { OS_CLIENT_CONFIG_FILE: join(dir, 'clouds.yaml') }),
    ).rejects.toThrow(/Cloud 'nope' is not in .*clouds\.yaml; known clouds: prod, appcred\./);
  });

  it('says what is missing', async () => {
    await expect(resolveConfig({}, {})).rejects.toThrow(/No auth URL: set OS_AUTH_URL/);
    await expect(resolveConfig({}, { OS_AUTH_URL: 'http://ks/v3' })).rejects.toThrow(/No user/);
    await expect(resolveConfig({}, { OS_AUTH_URL: 'http://ks/v3', OS_USERNAME: 'a' })).rejects.toThrow(
      /No password for user 'a'/,
    );
    await expect(resolveConfig({}, { ...base, OS_AUTH_TYPE: 'v3oidc' })).rejects.toThrow(ConfigError);
  });

  it('honours OS_CACHE=false, --no-cache, --insecure and verify: false', async () => {
    expect((await resolveConfig({}, { ...base, OS_CACHE: 'false' })).cache).toBe(false);
    expect((await resolveConfig({ cache: false }, base)).cache).toBe(false);
    expect((await resolveConfig({ insecure: true }, base)).insecure).toBe(true);
    const dir = cloudsDir(
      'clouds:\n  c:\n    verify: false\n    auth: {auth_url: "http://k/v3", username: u, password: p}\n',
    );
    expect((await resolveConfig({ osCloud: 'c' }, { OS_CLIENT_CONFIG_FILE: join(dir, 'clouds.yaml') })).insecure).toBe(
      true,
    );
  });
});

describe('normalizers', () => {
  it('turns any Keystone URL into its v3 base', () => {
    expect(normalizeAuthUrl('http://h:5000')).toBe('http://h:5000/v3');
    expect(normalizeAuthUrl('http://h:5000/v3/')).toBe('http://h:5000/v3');
    expect(normalizeAuthUrl('https://h/identity')).toBe('https://h/identity/v3');
    expect(() => normalizeAuthUrl('http://h:5000/v2.0')).toThrow(/v2\.0/);
    expect(() => normalizeAuthUrl('not a url')).toThrow(/not a URL/);
  });
  it('accepts novaclient endpoint types', () => {
    expect(normalizeInterface('publicURL')).toBe('public');
    expect(normalizeInterface('internalURL')).toBe('internal');
    expect(() => normalizeInterface('private')).toThrow(/Unknown interface 'private'/);
  });
  it('lists cloud names without a YAML parser', () => {
    const dir = cloudsDir(CLOUDS);
    expect(cloudNamesQuick({ OS_CLIENT_CONFIG_FILE: join(dir, 'clouds.yaml') })).toEqual(['prod', 'appcred']);
  });
});
