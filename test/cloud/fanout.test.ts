/**
 * One command across several clouds and regions (src/cli/fanout.ts) against the local cloud: its
 * clouds devcloud (admin), devcloud-demo (member) and devcloud-tls (RegionTLS over https), plus
 * entries this file adds to a copy of clouds.yaml: one pointing at an unreachable Keystone, one
 * with a user Keystone refuses, one whose user needs a TOTP passcode (no terminal here), and one
 * whose region has no compute endpoint. Every cloud's catalog has both regions (RegionOne over
 * http, RegionTLS over https with the harness's CA). The fan-out rows are compared with the union
 * of the single-cloud runs (`ncli --os-cloud X [--os-region-name R] server list -f json`).
 *
 * Nothing here changes the cloud: the runs are listings, and the refused actions are refused
 * before any request (the MFA user is the shared, idempotent one of test/support/cloud-mfa.ts).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { CLOUDS_YAML, cloudEnv, cloudFacts, describeCloud, freshCache, ncli } from '../support/cloud.js';
import { ensureMfaUser } from '../support/cloud-mfa.js';

type Row = Record<string, unknown>;

const SLOW = { timeout: 180_000 };

describeCloud('one command on several clouds and regions', () => {
  let facts: Record<string, string>;
  /** A copy of the harness's clouds.yaml with this file's extra clouds. */
  let cloudsFile: string;
  /** Only devcloud, devcloud-demo, devcloud-tls and the unreachable one: for --all-clouds. */
  let fourClouds: string;
  const env = (extra: Record<string, string | undefined> = {}, cache = freshCache()) =>
    cloudEnv({ OS_CLIENT_CONFIG_FILE: cloudsFile, OS_CLOUD: undefined, ...extra }, cache);

  /** `ncli --os-cloud C --os-region-name R COMMAND -f json`, rows as the fan-out should show them. */
  async function single(cloud: string, region: string, command: string[], extra: Record<string, string> = {}) {
    const r = await ncli(['--os-cloud', cloud, '--os-region-name', region, ...command, '-f', 'json'], env(extra));
    expect([cloud, region, r.code, r.stderr]).toEqual([cloud, region, 0, '']);
    return (JSON.parse(r.stdout) as Row[]).map((row) => ({ Cloud: cloud, Region: region, ...row }));
  }

  /**
   * The fan-out's rows and the union of the single runs, taken before and after it: other test
   * files may add or remove a server of these projects meanwhile, so the fan-out must equal the
   * union of one of the two, and a change during the run is tried again (three times at most).
   */
  async function compare(
    fanout: string[],
    command: string[],
    targets: [cloud: string, region: string][],
    extra: Record<string, string> = {},
  ): Promise<{ rows: Row[]; stderr: string; code: number | null }> {
    for (let attempt = 1; ; attempt++) {
      const union = async () => (await Promise.all(targets.map(([c, r]) => single(c, r, command, extra)))).flat();
      const before = await union();
      const fan = await ncli([...fanout, ...command, '-f', 'json'], env(extra));
      const after = await union();
      const rows = fan.stdout ? (JSON.parse(fan.stdout) as Row[]) : [];
      const same = (u: Row[]) => JSON.stringify(u) === JSON.stringify(rows);
      if (same(before) || same(after) || attempt === 3) {
        expect(rows).toEqual(same(after) ? after : before);
        return { rows, stderr: fan.stderr, code: fan.code };
      }
    }
  }

  beforeAll(async () => {
    facts = cloudFacts();
    const mfa = await ensureMfaUser();
    const dir = mkdtempSync(join(tmpdir(), 'ncli-fanout-'));
    const entry = (name: string, lines: string[]) => `  ${name}:\n${lines.map((l) => `    ${l}\n`).join('')}`;
    const password = (authUrl: string, user: string, pass: string, project: string, region = 'RegionOne') => [
      'auth_type: password',
      'auth:',
      `  auth_url: ${authUrl}`,
      `  username: ${user}`,
      `  password: ${pass}`,
      `  project_name: ${project}`,
      '  user_domain_name: Default',
      '  project_domain_name: Default',
      `region_name: ${region}`,
      'interface: public',
    ];
    const unreachable = entry('fanout-unreachable', password('http://127.0.0.1:1/v3', 'admin', 'secret', 'admin'));
    const harness = readFileSync(CLOUDS_YAML, 'utf8').replace(/\n*$/, '\n');
    cloudsFile = join(dir, 'clouds.yaml');
    writeFileSync(
      cloudsFile,
      harness +
        unreachable +
        entry('fanout-nobody', password(facts.KEYSTONE_URL, 'fanout-nobody', 'wrong', 'admin')) +
        entry('fanout-mfa', password(facts.KEYSTONE_URL, mfa.username, mfa.password, mfa.project)) +
        entry('fanout-noregion', password(facts.KEYSTONE_URL, 'demo', 'secret', 'demo', 'RegionNowhere')),
    );
    // --all-clouds reads every cloud of the file: these four only (no browser logins)
    const pick = (name: string) => new RegExp(`^  ${name}:\\n(?:    .*\\n)*`, 'm').exec(harness)![0];
    fourClouds = join(dir, 'four.yaml');
    writeFileSync(
      fourClouds,
      'clouds:\n' + pick('devcloud') + pick('devcloud-demo') + pick('devcloud-tls') + unreachable,
    );
  });

  it('--os-cloud a,b,c: the union of the single-cloud runs, Cloud and Region first', SLOW, async () => {
    const r = await compare(
      ['--os-cloud', 'devcloud,devcloud-demo,devcloud-tls'],
      ['server', 'list'],
      [
        ['devcloud', 'RegionOne'],
        ['devcloud-demo', 'RegionOne'],
        ['devcloud-tls', 'RegionTLS'],
      ],
    );
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(Object.keys(r.rows[0]).slice(0, 3)).toEqual(['Cloud', 'Region', 'ID']);
    expect(new Set(r.rows.map((x) => x.Cloud))).toEqual(new Set(['devcloud', 'devcloud-demo', 'devcloud-tls']));
    expect(r.rows.some((x) => x.ID === facts.DEMO_VM_ID && x.Cloud === 'devcloud-demo')).toBe(true);
  });

  it(
    '--all-clouds: every cloud of clouds.yaml; the unreachable one is one line, the others print, exit 1',
    SLOW,
    async () => {
      const cache = freshCache();
      const all = await ncli(
        ['--all-clouds', 'server', 'list', '--no-name-lookup', '-f', 'json'],
        env({ OS_CLIENT_CONFIG_FILE: fourClouds }, cache),
      );
      expect(all.code).toBe(1);
      expect(all.stderr).toBe(
        "ncli: cloud fanout-unreachable, region RegionOne: Cannot reach Keystone at http://127.0.0.1:1/v3: connection refused; check auth.auth_url of cloud 'fanout-unreachable' in " +
          `${fourClouds}.\n`,
      );
      const rows = JSON.parse(all.stdout) as Row[];
      expect([...new Set(rows.map((x) => `${String(x.Cloud)} ${String(x.Region)}`))]).toEqual([
        'devcloud RegionOne',
        'devcloud-demo RegionOne',
        'devcloud-tls RegionTLS',
      ]);
      for (const cloud of ['devcloud', 'devcloud-demo', 'devcloud-tls']) {
        const one = await ncli(
          ['--os-cloud', cloud, 'server', 'list', '--no-name-lookup', '-f', 'json', '-c', 'ID'],
          env({ OS_CLIENT_CONFIG_FILE: fourClouds }, cache),
        );
        const ids = (JSON.parse(one.stdout) as Row[]).map((x) => x.ID);
        // (servers other test files add meanwhile may differ: the fixtures must be there)
        const fixture = cloud === 'devcloud-demo' ? facts.DEMO_VM_ID : facts.VM1_ID;
        expect(ids).toContain(fixture);
        expect(rows.filter((x) => x.Cloud === cloud).map((x) => x.ID)).toContain(fixture);
      }
    },
  );

  it('--all-regions: RegionOne and RegionTLS of each cloud, equal to the single runs in each', SLOW, async () => {
    const ca = { OS_CACERT: facts.CLOUD_CA };
    const targets: [string, string][] = [];
    for (const c of ['devcloud', 'devcloud-demo']) for (const r of ['RegionOne', 'RegionTLS']) targets.push([c, r]);
    const r = await compare(
      ['--os-cloud', 'devcloud,devcloud-demo', '--all-regions'],
      ['server', 'list', '--no-name-lookup'],
      targets,
      ca,
    );
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect([...new Set(r.rows.map((x) => `${String(x.Cloud)} ${String(x.Region)}`))]).toEqual(
      targets.map((t) => t.join(' ')),
    );
  });

  it('the failures are one line each, naming cloud, region and cause; the other rows print; exit 1', SLOW, async () => {
    const clouds = 'devcloud,fanout-unreachable,fanout-nobody,fanout-mfa,fanout-noregion,devcloud-demo';
    const r = await compare(
      ['--os-cloud', clouds],
      ['flavor', 'list'],
      [
        ['devcloud', 'RegionOne'],
        ['devcloud-demo', 'RegionOne'],
      ],
    );
    expect(r.code).toBe(1);
    const lines = r.stderr.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(
      /^ncli: cloud fanout-unreachable, region RegionOne: Cannot reach Keystone at http:\/\/127\.0\.0\.1:1\/v3: connection refused/,
    );
    expect(lines[1]).toMatch(
      /^ncli: cloud fanout-nobody, region RegionOne: Keystone at \S+ refused user 'fanout-nobody' \(domain Default\): .*HTTP 401.*check the user name, password/,
    );
    expect(lines[2]).toMatch(
      /^ncli: cloud fanout-mfa, region RegionOne: Keystone at \S+ wants a TOTP passcode for user '\S+' \(domain Default\) \(multi-factor auth\) and there is no terminal to ask for it; pass it with --os-passcode/,
    );
    expect(lines[3]).toMatch(
      /^ncli: cloud fanout-noregion, region RegionNowhere: No public endpoint for the compute service in region 'RegionNowhere'; the catalog offers .*public@RegionOne/,
    );
  });

  it('without the CA, RegionTLS is one TLS line and RegionOne still prints', SLOW, async () => {
    const r = await ncli(
      ['--os-cloud', 'devcloud', '--all-regions', 'flavor', 'list', '-f', 'value', '-c', 'Name'],
      env(),
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^devcloud RegionOne m1\.tiny$/m);
    expect(r.stdout).not.toContain('RegionTLS');
    expect(r.stderr).toMatch(
      /^ncli: cloud devcloud, region RegionTLS: Cannot reach https:\/\/127\.0\.0\.1:\d+ .*TLS certificate not trusted.*--os-cacert FILE.*\n$/,
    );
  });

  it('every format puts Cloud and Region first; a show is one row per cloud', SLOW, async () => {
    const e = env();
    const two = ['--os-cloud', 'devcloud,devcloud-demo', 'flavor', 'list', '-c', 'Name', '--sort-column', 'Name'];
    const csv = await ncli([...two, '-f', 'csv'], e);
    expect(csv.stdout.split('\n')[0]).toBe('"Cloud","Region","Name"');
    expect(csv.stdout).toContain('"devcloud-demo","RegionOne","m1.tiny"');
    const value = await ncli([...two, '-f', 'value'], e);
    expect(value.stdout.split('\n').filter((l) => l.endsWith(' m1.tiny'))).toEqual([
      'devcloud RegionOne m1.tiny',
      'devcloud-demo RegionOne m1.tiny',
    ]);
    const yaml = await ncli([...two, '-f', 'yaml'], e);
    expect(yaml.stdout).toMatch(/^- Cloud: devcloud\S*\n {2}Region: RegionOne\n {2}Name: /);
    const table = await ncli(two, e);
    expect(table.stdout.split('\n')[1]).toMatch(/^│ Cloud +│ Region +│ Name +│$/);

    const shows = await ncli(
      ['--os-cloud', 'devcloud,devcloud-tls', 'hypervisor', 'stats', 'show', '-f', 'json'],
      env({ OS_CACERT: facts.CLOUD_CA }),
    );
    expect([shows.code, shows.stderr]).toEqual([0, '']);
    const one = await ncli(['--os-cloud', 'devcloud', 'hypervisor', 'stats', 'show', '-f', 'json'], env());
    const objs = JSON.parse(shows.stdout) as Row[];
    expect(objs.map((o) => [o.Cloud, o.Region])).toEqual([
      ['devcloud', 'RegionOne'],
      ['devcloud-tls', 'RegionTLS'],
    ]);
    expect(Object.keys(objs[0])).toEqual(['Cloud', 'Region', ...Object.keys(JSON.parse(one.stdout) as Row)]);
    const shell = await ncli(['--os-cloud', 'devcloud,devcloud-tls', 'hypervisor', 'stats', 'show', '-f', 'shell'], e);
    expect(shell.code).toBe(2);
  });

  it('each cloud and region keeps its own token cache entry: a second run logs in nowhere', SLOW, async () => {
    const cache = freshCache();
    const args = ['--os-cloud', 'devcloud,devcloud-tls', '--all-regions', 'flavor', 'list', '-f', 'value'];
    const first = await ncli(['--debug', ...args], env({ OS_CACERT: facts.CLOUD_CA }, cache));
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr.match(/REQ: POST \S+\/auth\/tokens/g)?.length).toBeGreaterThanOrEqual(3);
    const second = await ncli(['--debug', ...args], env({ OS_CACERT: facts.CLOUD_CA }, cache));
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).not.toMatch(/REQ: POST \S+\/auth\/tokens/);
    expect(second.stdout).toBe(first.stdout);
    expect(second.stderr).not.toContain('secret');
  });

  it('actions and commands that did not opt in are refused in one line before any request, exit 2', SLOW, async () => {
    for (const argv of [
      ['--os-cloud', 'devcloud,devcloud-demo', 'server', 'stop', 'vm1'],
      ['--all-regions', '--os-cloud', 'devcloud', 'server', 'reboot', 'vm1'],
      ['--all-clouds', 'server', 'show', 'vm1'],
    ]) {
      const r = await ncli(['--debug', ...argv], env());
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      // --debug would show any request (REQ: …) before the refusal; the stack trace follows it
      expect(r.stderr).toMatch(
        /^ncli: 'ncli server \w+' runs on one cloud and one region; \S.* is for the read-only commands .*server list.*\nUsageError: /,
      );
      expect(r.stderr).not.toContain('REQ:');
    }
    const viaEnv = await ncli(['server', 'stop', 'vm1'], env({ OS_CLOUD: 'devcloud,devcloud-demo' }));
    expect([viaEnv.code, viaEnv.stderr]).toEqual([
      2,
      expect.stringContaining('OS_CLOUD=devcloud,devcloud-demo is for the read-only commands'),
    ]);
  });

  it('help shows the options, completion offers the next cloud after a comma', SLOW, async () => {
    const top = await ncli(['--help'], env());
    expect(top.stdout).toMatch(/--all-clouds +List commands: run on every cloud of clouds\.yaml/);
    expect(top.stdout).toMatch(/--all-regions +List commands: run in every region/);
    const list = await ncli(['server', 'list', '--help'], env());
    expect(list.stdout).toContain('Several clouds and regions at once');
    const stop = await ncli(['server', 'stop', '--help'], env());
    expect(stop.stdout).not.toContain('Several clouds and regions at once');
    const comp = await ncli(['__complete', '--', '--os-cloud', 'devcloud,devcloud-d'], env());
    expect(comp.stdout).toBe('devcloud,devcloud-demo\n');
    const flags = await ncli(['__complete', '--', 'server', 'list', '--all-'], env());
    expect(flags.stdout.split('\n')).toEqual(expect.arrayContaining(['--all-clouds', '--all-regions']));
  });
});
