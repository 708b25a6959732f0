/**
 * One-line errors that name the real cause, against the real Keystone and Nova: a bad OS_TOKEN is
 * the token's fault (not the auth URL's), an unreachable Keystone from clouds.yaml names the cloud
 * and the file, a malformed --os-compute-api-version is a usage error (exit 2), and file errors
 * say "no such file or directory: PATH" rather than ENOENT.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { closedPort } from '../unit/tunnel/helpers.js';
import { cloudEnv, describeCloud, ncli } from '../support/cloud.js';

describeCloud('error messages that name the cause', () => {
  it('OS_TOKEN=garbage: the token is invalid or expired, and OS_TOKEN / --os-token is named', async () => {
    const env = cloudEnv({
      OS_CLOUD: undefined,
      OS_AUTH_URL: 'http://127.0.0.1:5000/v3',
      OS_TOKEN: 'garbage',
      OS_PROJECT_NAME: 'admin',
      OS_PROJECT_DOMAIN_ID: 'default',
    });
    const r = await ncli(['server', 'list'], env);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^ncli: Keystone at http:\/\/127\.0\.0\.1:5000\/v3 does not accept the given token \(Could not recognize Fernet token, HTTP 404, request req-[0-9a-f-]+\): it is invalid or expired; get a new one \(openstack token issue\) and pass it with OS_TOKEN or --os-token\.\n$/,
    );
  }, 60_000);

  it('an unreachable Keystone from clouds.yaml names the cloud and the file; from OS_AUTH_URL, the variable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ncli-faraway-'));
    const file = join(dir, 'clouds.yaml');
    const port = await closedPort();
    writeFileSync(
      file,
      `clouds:\n  faraway:\n    auth:\n      auth_url: http://127.0.0.1:${port}/v3\n      username: admin\n      password: secret\n      project_name: admin\n      user_domain_name: Default\n      project_domain_name: Default\n`,
    );
    const env = cloudEnv({ OS_CLIENT_CONFIG_FILE: file, OS_CLOUD: 'faraway' });
    const r = await ncli(['server', 'list'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `ncli: Cannot reach Keystone at http://127.0.0.1:${port}/v3: connection refused; check auth.auth_url of cloud 'faraway' in ${file}.\n`,
    );
    const viaEnv = await ncli(['server', 'list'], { ...env, OS_AUTH_URL: `http://127.0.0.1:${port}/v3` });
    expect(viaEnv.stderr).toBe(
      `ncli: Cannot reach Keystone at http://127.0.0.1:${port}/v3: connection refused; check OS_AUTH_URL / --os-auth-url.\n`,
    );
  }, 60_000);

  it('--os-compute-api-version abc is a usage error (exit 2); a well-formed one the cloud lacks stays exit 1', async () => {
    const bad = await ncli(['--os-compute-api-version', 'abc', 'flavor', 'list']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      "ncli: --os-compute-api-version: 'abc' is not a compute API version; use 2.N (e.g. 2.79) or latest.\n",
    );
    const far = await ncli(['--os-compute-api-version', '3.1', 'flavor', 'list']);
    expect(far.code).toBe(1);
    expect(far.stderr).toMatch(/^ncli: Compute API version 3\.1 is not supported by this cloud/);
  }, 60_000);

  it('file errors name the missing folder: screenshot -o, --log, OS_CACERT', async () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'ncli-nofile-')), 'nope');
    const shot = await ncli(['console', 'screenshot', 'vm1', '-o', join(missing, 'x.png')]);
    expect(shot.code).toBe(1);
    expect(shot.stderr).toBe(
      `ncli: Cannot write the screenshot to ${missing}/x.png: no such file or directory: ${missing}.\n`,
    );
    const log = await ncli([
      'console',
      'tunnel',
      '--url',
      'ws://127.0.0.1:9/?token=x',
      '--stdio',
      '--log',
      join(missing, 'x.log'),
    ]);
    expect(log.stderr).toBe(
      `ncli: Cannot write the console log ${missing}/x.log: no such file or directory: ${missing}.\n`,
    );
    const ca = await ncli(['flavor', 'list'], cloudEnv({ OS_CACERT: join(missing, 'ca.pem') }));
    expect(ca.stderr).toBe(
      `ncli: Cannot read the CA bundle ${missing}/ca.pem (--os-cacert / OS_CACERT / clouds.yaml cacert): no such file or directory: ${missing}.\n`,
    );
  }, 60_000);
});
