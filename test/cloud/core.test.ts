/**
 * The core against the real local cloud: auth and catalog, the token cache across processes,
 * re-authentication after revocation, list/show output against what the cloud holds (with
 * python-openstackclient as the oracle), name resolution, every error case, --debug redaction.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { cloudEnv, cloudFacts, describeCloud, freshCache, ncli, openstack } from '../support/cloud.js';

const authRequests = (stderr: string) => (stderr.match(/REQ: POST \S+\/auth\/tokens/g) ?? []).length;

/**
 * The admin project's fixture servers (scripts/cloud/py/cloud_fixtures.py ADMIN_SERVERS): 25, more
 * than one page. Other test files boot and delete throwaway servers in the same project while this
 * one runs, so listings taken at different moments are compared on the fixtures only.
 */
const FIXTURE = /^(vm1|web\.1|webX1|dup|fill-\d\d)$/;
const fixtures = <T extends { Name: string }>(rows: T[]): T[] => rows.filter((s) => FIXTURE.test(s.Name));

describeCloud('core against the real cloud', () => {
  let facts: Record<string, string>;
  let servers: { ID: string; Name: string; Status: string; Image: string; Flavor: string }[];
  const cache = freshCache();
  const env = cloudEnv({}, cache);

  beforeAll(async () => {
    facts = cloudFacts();
    const r = await ncli(['server', 'list', '-f', 'json'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    servers = JSON.parse(r.stdout);
  });

  it('lists every server across pages, as openstack server list --limit -1 does', async () => {
    const oracle = await openstack(['server', 'list', '--limit', '-1', '-f', 'json']);
    expect(oracle.code).toBe(0);
    const want = fixtures(JSON.parse(oracle.stdout) as { ID: string; Name: string }[])
      .map((s) => `${s.ID} ${s.Name}`)
      .sort();
    expect(
      fixtures(servers)
        .map((s) => `${s.ID} ${s.Name}`)
        .sort(),
    ).toEqual(want);
    expect(want).toHaveLength(25); // the harness sets [api] max_limit = 20: more than one page
    const vm1 = servers.find((s) => s.Name === 'vm1')!;
    expect(vm1.ID).toBe(facts.VM1_ID);
    expect(vm1.Flavor).toBe('m1.tiny');
    expect(Object.keys(vm1)).toEqual(['ID', 'Name', 'Status', 'Networks', 'Image', 'Flavor']);
  });

  it('filters by name regex, status, limit and marker', async () => {
    const fill = JSON.parse((await ncli(['server', 'list', '--name', '^fill-0', '-f', 'json'], env)).stdout) as {
      Name: string;
    }[];
    expect(fill.map((s) => s.Name).sort()).toEqual([
      'fill-01',
      'fill-02',
      'fill-03',
      'fill-04',
      'fill-05',
      'fill-06',
      'fill-07',
      'fill-08',
      'fill-09',
    ]);
    const three = JSON.parse((await ncli(['server', 'list', '--limit', '3', '-f', 'json'], env)).stdout) as {
      ID: string;
    }[];
    expect(three).toHaveLength(3);
    // Newest first: throwaway servers of other test files sort before the fixtures, so a marker at
    // the newest fixture pages through fixtures only, whatever else runs meanwhile.
    const start = servers.indexOf(fixtures(servers)[0]);
    const page = async (marker: string, limit: number) =>
      (
        JSON.parse(
          (await ncli(['server', 'list', '--marker', marker, '--limit', String(limit), '-f', 'json'], env)).stdout,
        ) as { ID: string }[]
      ).map((s) => s.ID);
    const first = await page(servers[start].ID, 3);
    expect(first).toEqual(servers.slice(start + 1, start + 4).map((s) => s.ID));
    expect(await page(first[2], 2)).toEqual(servers.slice(start + 4, start + 6).map((s) => s.ID));
    const shutoff = await ncli(['server', 'list', '--status', 'SHUTOFF', '-f', 'json'], env);
    expect(fixtures(JSON.parse(shutoff.stdout) as typeof servers)).toEqual(
      fixtures(servers).filter((s) => s.Status === 'SHUTOFF'),
    );
  });

  it('sees other projects only with --all-projects', async () => {
    const mine = servers.map((s) => s.Name);
    expect(mine).not.toContain('demo-vm');
    const all = JSON.parse(
      (await ncli(['server', 'list', '--all-projects', '-f', 'json', '-c', 'Name', '-c', 'Project ID'], env)).stdout,
    ) as {
      Name: string;
      'Project ID': string;
    }[];
    const demo = all.find((s) => s.Name === 'demo-vm');
    expect(demo).toBeDefined();
    expect(demo!['Project ID']).not.toBe(facts.ADMIN_PROJECT_ID);
  });

  it('prints tables, values, csv and yaml, and selects columns', async () => {
    const table = await ncli(['server', 'list', '--name', '^vm1$'], env);
    expect(table.stdout).toMatch(/│ ID\s+│ Name\s+│ Status\s+│ Networks\s+│ Image\s+│ Flavor\s+│|\| ID\s+\| Name/);
    expect(table.stdout).toContain(facts.VM1_ID);
    const value = await ncli(['server', 'list', '--name', '^vm1$', '-f', 'value', '-c', 'ID', '-c', 'Name'], env);
    expect(value.stdout).toBe(`${facts.VM1_ID} vm1\n`);
    const csv = await ncli(['server', 'list', '--name', '^vm1$', '-f', 'csv', '-c', 'Name'], env);
    expect(csv.stdout).toBe('"Name"\n"vm1"\n');
    const yaml = await ncli(['server', 'list', '--name', '^vm1$', '-f', 'yaml', '-c', 'Name'], env);
    expect(yaml.stdout).toBe('- Name: vm1\n');
  });

  it('shows a server by name or ID with all its fields', async () => {
    const byName = JSON.parse((await ncli(['server', 'show', 'vm1', '-f', 'json'], env)).stdout);
    const byId = JSON.parse((await ncli(['server', 'show', facts.VM1_ID, '-f', 'json'], env)).stdout);
    expect(byName.id).toBe(facts.VM1_ID);
    expect(byId).toEqual(byName);
    const oracle = JSON.parse((await openstack(['server', 'show', facts.VM1_ID, '-f', 'json'])).stdout);
    expect(byName.name).toBe(oracle.name);
    expect(byName.status).toBe(oracle.status);
    expect(byName.created).toBe(oracle.created);
    const two = await ncli(['server', 'show', 'vm1', '-f', 'value', '-c', 'name', '-c', 'status'], env);
    expect(two.stdout).toBe('vm1\nACTIVE\n');
  });

  it("resolves names exactly: 'web.1' is not 'webX1'", async () => {
    const web = JSON.parse((await ncli(['server', 'show', 'web.1', '-f', 'json'], env)).stdout);
    expect(web.name).toBe('web.1');
    const webx = JSON.parse((await ncli(['server', 'show', 'webX1', '-f', 'json'], env)).stdout);
    expect(webx.name).toBe('webX1');
    expect(webx.id).not.toBe(web.id);
    const none = await ncli(['server', 'show', 'web', '-f', 'json'], env);
    expect(none.code).toBe(1);
    expect(none.stderr).toBe("ncli: No server with a name or ID of 'web' exists.\n");
  });

  it('refuses an ambiguous name and lists the matching IDs', async () => {
    const dups = servers.filter((s) => s.Name === 'dup').map((s) => s.ID);
    expect(dups).toHaveLength(2);
    const r = await ncli(['server', 'show', 'dup'], env);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    for (const id of dups) expect(r.stderr).toContain(id);
    expect(r.stderr).toMatch(/More than one server is named 'dup'.*use an ID/);
  });

  it('says no server exists for an unknown UUID', async () => {
    const r = await ncli(['server', 'show', '00000000-0000-0000-0000-000000000000'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("ncli: No server with a name or ID of '00000000-0000-0000-0000-000000000000' exists.\n");
  });

  it('lists flavors like openstack flavor list, private ones only where the project has access or with --all', async () => {
    const pub = JSON.parse((await ncli(['flavor', 'list', '-f', 'json'], env)).stdout) as Record<string, unknown>[];
    const oracle = JSON.parse((await openstack(['flavor', 'list', '-f', 'json'])).stdout) as Record<string, unknown>[];
    const norm = (rows: Record<string, unknown>[]) =>
      rows.map((r) => [r.ID, r.Name, r.RAM, r.Disk, r.Ephemeral, r.VCPUs, r['Is Public']].join('|')).sort();
    expect(norm(pub)).toEqual(norm(oracle));
    // admin's project was given access to the private flavor when it was created, as Nova does
    const demo = JSON.parse(
      (await ncli(['--os-cloud', 'devcloud-demo', 'flavor', 'list', '-f', 'json'], env)).stdout,
    ) as Record<string, unknown>[];
    expect(demo.map((f) => f.ID).sort()).toEqual(['1', '2', 'custom-x']);
    const all = JSON.parse((await ncli(['flavor', 'list', '--all', '-f', 'json'], env)).stdout) as Record<
      string,
      unknown
    >[];
    expect(all.find((f) => f.ID === 'priv-1')).toMatchObject({ Name: 'm1.private', 'Is Public': false });
  });

  it('shows a flavor by a non-UUID ID and by name', async () => {
    const byId = JSON.parse((await ncli(['flavor', 'show', 'custom-x', '-f', 'json'], env)).stdout);
    const byName = JSON.parse((await ncli(['flavor', 'show', 'm1.custom', '-f', 'json'], env)).stdout);
    expect(byId).toEqual(byName);
    expect(byId).toMatchObject({
      id: 'custom-x',
      name: 'm1.custom',
      ram: 1024,
      vcpus: 2,
      'OS-FLV-EXT-DATA:ephemeral': 5,
    });
    const none = await ncli(['flavor', 'show', 'm1.huge'], env);
    expect(none.code).toBe(1);
    expect(none.stderr).toBe("ncli: No flavor with a name or ID of 'm1.huge' exists.\n");
  });

  it('reuses the cached token across processes: one Keystone request for many runs', async () => {
    const c = cloudEnv({}, freshCache());
    const first = await ncli(['server', 'list', '--debug'], c);
    expect(first.code).toBe(0);
    expect(authRequests(first.stderr)).toBe(1);
    const runs = await Promise.all([1, 2, 3].map(() => ncli(['flavor', 'list', '--debug'], c)));
    for (const r of runs) {
      expect(r.code).toBe(0);
      expect(authRequests(r.stderr)).toBe(0);
      // the version document is cached too: a warm run sends exactly one request
      expect((r.stderr.match(/^DEBUG REQ: /gm) ?? []).length).toBe(1);
    }
    const dir = join(c.XDG_CACHE_HOME, 'ncli', 'tokens');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(statSync(join(dir, files[0])).mode & 0o777).toBe(0o600);
  });

  it('re-authenticates once when the cached token was revoked', async () => {
    const c = cloudEnv({}, freshCache());
    const token = (await ncli(['token', 'issue', '-f', 'value', '-c', 'id'], c)).stdout.trim();
    expect(token).toMatch(/^gAAAA/);
    const revoke = await openstack(['token', 'revoke', token]);
    expect(revoke.code).toBe(0);
    const r = await ncli(['server', 'list', '--debug', '-f', 'value', '-c', 'Name'], c);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('vm1');
    expect(r.stderr).toMatch(/RESP: 401 /);
    expect(authRequests(r.stderr)).toBe(1);
    const again = await ncli(['token', 'issue', '-f', 'value', '-c', 'id'], c);
    expect(again.stdout.trim()).not.toBe(token);
  });

  it('auth logout drops the cached token', async () => {
    const c = cloudEnv({}, freshCache());
    await ncli(['token', 'issue'], c);
    const out = await ncli(['auth', 'logout'], c);
    expect(out.code).toBe(0);
    expect(readdirSync(join(c.XDG_CACHE_HOME, 'ncli', 'tokens'))).toEqual([]);
    const r = await ncli(['server', 'list', '--debug'], c);
    expect(authRequests(r.stderr)).toBe(1);
    await ncli(['--os-cloud', 'devcloud-demo', 'token', 'issue'], c);
    expect(readdirSync(join(c.XDG_CACHE_HOME, 'ncli', 'tokens'))).toHaveLength(2);
    await ncli(['auth', 'logout', '--all'], c);
    expect(readdirSync(join(c.XDG_CACHE_HOME, 'ncli', 'tokens'))).toEqual([]);
  });

  it('authenticates from OS_* variables, an application credential and a token', async () => {
    const rc = readFileSync(join(process.env.NCLI_CLOUD_DIR ?? '/tmp/ncli-cloud', 'openrc'), 'utf8');
    const vars: Record<string, string> = {};
    for (const m of rc.matchAll(/export (OS_[A-Z_]+)=(.*)/g)) vars[m[1]] = m[2].replace(/^['"]|['"]$/g, '');
    const viaEnv = await ncli(
      ['server', 'list', '--name', '^vm1$', '-f', 'value', '-c', 'Name'],
      cloudEnv({ ...vars, OS_CLOUD: undefined, OS_CLIENT_CONFIG_FILE: '/nonexistent' }),
    );
    expect(viaEnv.stderr).toBe('');
    expect(viaEnv.stdout).toBe('vm1\n');
    const viaAppCred = await ncli(
      ['--os-cloud', 'devcloud-appcred', 'server', 'list', '--name', '^vm1$', '-f', 'value', '-c', 'Name'],
      cloudEnv(),
    );
    expect(viaAppCred.stderr).toBe('');
    expect(viaAppCred.stdout).toBe('vm1\n');
    const token = (await ncli(['token', 'issue', '-f', 'value', '-c', 'id'], cloudEnv())).stdout.trim();
    const viaToken = await ncli(
      ['server', 'list', '--name', '^vm1$', '-f', 'value', '-c', 'Name'],
      cloudEnv({
        OS_CLOUD: undefined,
        OS_CLIENT_CONFIG_FILE: '/nonexistent',
        OS_AUTH_URL: vars.OS_AUTH_URL,
        OS_TOKEN: token,
        OS_PROJECT_NAME: 'admin',
        OS_PROJECT_DOMAIN_NAME: 'Default',
        OS_REGION_NAME: vars.OS_REGION_NAME, // the catalog has two regions (RegionOne, RegionTLS)
      }),
    );
    expect(viaToken.stderr).toBe('');
    expect(viaToken.stdout).toBe('vm1\n');
    const demo = await ncli(['--os-cloud', 'devcloud-demo', 'server', 'list', '-f', 'value', '-c', 'Name'], cloudEnv());
    expect(demo.stdout).toBe('demo-vm\n');
  });

  it('negotiates the microversion and honours --os-compute-api-version', async () => {
    const old = JSON.parse(
      (await ncli(['--os-compute-api-version', '2.1', 'server', 'list', '--name', '^vm1$', '-f', 'json'], env)).stdout,
    );
    expect(old[0].Flavor).toBe('m1.tiny'); // before 2.47 the flavor's ID, named from the flavor list as openstackclient does
    const bad = await ncli(['--os-compute-api-version', '2.999', 'server', 'list'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /^ncli: Compute API version 2\.999 is not supported by this cloud: it supports 2\.1 to 2\.\d+; leave --os-compute-api-version out to negotiate one\.\n$/,
    );
    const junk = await ncli(['--os-compute-api-version', 'two', 'server', 'list'], env);
    expect(junk.code).toBe(2); // a malformed version is a usage error
    expect(junk.stderr).toMatch(/'two' is not a compute API version/);
  });

  it('gives one line, a non-zero exit and no stack trace for each bad input', async () => {
    const cases: [string[], Record<string, string | undefined>, RegExp, number][] = [
      [
        ['server', 'list'],
        { OS_CLOUD: undefined, OS_CLIENT_CONFIG_FILE: '/nonexistent' },
        /^ncli: No auth URL: set OS_AUTH_URL/,
        1,
      ],
      [
        ['--os-cloud', 'nosuch', 'server', 'list'],
        {},
        /^ncli: Cloud 'nosuch' is not in .*clouds\.yaml; known clouds: .*devcloud/,
        1,
      ],
      [
        ['--os-password', 'wrong', 'server', 'list'],
        {},
        /^ncli: Keystone at http:\/\/127\.0\.0\.1:5000\/v3 refused user 'admin' \(domain .*\): The request you have made requires authentication\. \(HTTP 401, request req-[0-9a-f-]+\); check the user name, password/,
        1,
      ],
      [
        ['--os-auth-url', 'http://127.0.0.1:5999/v3', 'server', 'list'],
        {},
        /^ncli: Cannot reach Keystone at http:\/\/127\.0\.0\.1:5999\/v3: connection refused; check OS_AUTH_URL/,
        1,
      ],
      [['--os-auth-url', 'http://127.0.0.1:6080/', 'server', 'list'], {}, /^ncli: .*HTML/, 1],
      [
        ['--os-region-name', 'Atlantis', 'server', 'list'],
        {},
        /^ncli: No public endpoint for the compute service in region 'Atlantis'/,
        1,
      ],
      [
        ['--os-interface', 'private', 'server', 'list'],
        {},
        /^error: option '--os-interface <interface>' argument 'private' is invalid/,
        2,
      ],
      [['server', 'list', '-c', 'Nope'], {}, /^ncli: Unknown column 'Nope'; choose from: ID, Name/, 2],
      [['server', 'list', '--limit', 'ten'], {}, /^ncli: --limit takes a whole number, not 'ten'\./, 2],
      [['server', 'frobnicate'], {}, /^error: unknown command 'frobnicate'/, 2],
      [['--timeout', '-1', 'server', 'list'], {}, /^ncli: --timeout takes a positive number of seconds/, 2],
    ];
    for (const [args, extra, re, code] of cases) {
      const r = await ncli(args, cloudEnv(extra, freshCache()));
      expect({ args, code: r.code }).toEqual({ args, code });
      expect(r.stderr, args.join(' ')).toMatch(re);
      expect(r.stderr, args.join(' ')).not.toMatch(/\n\s+at /); // no stack trace
    }
  });

  it('redacts every secret under --debug', async () => {
    const c = cloudEnv({}, freshCache());
    const r = await ncli(['--debug', '--no-cache', 'server', 'show', 'vm1'], c);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('REQ: POST http://127.0.0.1:5000/v3/auth/tokens');
    expect(r.stderr).toContain('x-subject-token: <redacted>');
    expect(r.stderr).toContain('X-Auth-Token: <redacted>');
    expect(r.stderr).not.toMatch(/"password":"secret"/);
    expect(r.stderr).not.toMatch(/gAAAA/);
    const ac = await ncli(['--debug', '--no-cache', '--os-cloud', 'devcloud-appcred', 'flavor', 'list'], c);
    expect(ac.code).toBe(0);
    expect(ac.stderr).not.toContain(cloudFacts().APPCRED_SECRET);
    const bad = await ncli(['--debug', '--os-password', 'Hunter2-pw', 'server', 'list'], c);
    expect(bad.code).toBe(1);
    expect(bad.stderr).not.toContain('Hunter2-pw');
    expect(bad.stderr).toMatch(/\n\s+at /); // --debug does show the stack trace
  });

  it('prints a --timings table on stderr', async () => {
    const r = await ncli(['--timings', 'server', 'list', '-f', 'value', '-c', 'Name'], env);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/GET\s+│ http:\/\/127\.0\.0\.1:8774\/v2\.1\/servers\/detail/);
    expect(r.stderr).toMatch(/Total/);
  });
});
