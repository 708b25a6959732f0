/**
 * Limits, quotas and usage against the real cloud, with openstackclient as the oracle: `quota set`
 * on a project of this file's own (`ncli-quota`, made in beforeAll), read back with `openstack
 * quota show`; `quota show` (project, --default, --class), `quota list --compute`, `limits show
 * --absolute`, `usage show|list` `-f json` key by key against `openstack …`; one-line refusals for
 * a member (quota set, usage list). The quotas of no other project are changed.
 */
import { beforeAll, expect, it } from 'vitest';
import { cloudEnv, describeCloud, ensureTestProject, freshCache, ncli, openstack, ok } from '../support/cloud.js';

const PROJECT = 'ncli-quota';

type Json = Record<string, unknown>;

describeCloud('limits, quotas and usage against the real cloud', () => {
  const env = cloudEnv({}, freshCache());
  const demo = cloudEnv({ OS_CLOUD: 'devcloud-demo' }, freshCache());
  const run = (args: string[], e = env) => ncli(args, e, { timeoutMs: 120_000 });
  const json = async (args: string[], e = env) => JSON.parse(ok(await run([...args, '-f', 'json'], e))) as unknown;
  const osc = async (args: string[]) => {
    const r = await openstack([...args, '-f', 'json']);
    expect(r.stderr).toBe('');
    return JSON.parse(r.stdout) as unknown;
  };
  /** Every key of `mine` has the value `theirs` has. */
  const agrees = (mine: Json, theirs: Json) => {
    for (const k of Object.keys(mine)) expect([k, mine[k]]).toEqual([k, theirs[k]]);
  };
  let projectId = '';

  beforeAll(async () => {
    await ensureTestProject(PROJECT, { description: 'ncli test/cloud/quota.test.ts' });
    projectId = String(((await osc(['project', 'show', PROJECT])) as Json).id);
  }, 120_000);

  it(
    'sets quotas that openstack quota show then reads back, and shows them with its keys',
    { timeout: 180_000 },
    async () => {
      const values = {
        instances: 7,
        cores: 9,
        ram: 4096,
        'key-pairs': 11,
        'server-groups': 3,
        'server-group-members': 4,
        properties: 64,
      };
      const flags = Object.entries(values).flatMap(([k, n]) => [`--${k}`, String(n)]);
      expect(await run(['quota', 'set', PROJECT, ...flags])).toEqual({ code: 0, stdout: '', stderr: '' });
      const theirs = (await osc(['quota', 'show', PROJECT])) as Json;
      expect(theirs).toMatchObject(values);
      const mine = (await json(['quota', 'show', PROJECT])) as Json;
      expect(mine).toMatchObject({ ...values, project: projectId, project_name: PROJECT });
      agrees(mine, theirs);
      // by ID too; --metadata-items is --properties
      ok(await run(['quota', 'set', projectId, '--metadata-items', '65']));
      expect(((await osc(['quota', 'show', PROJECT])) as Json).properties).toBe(65);
    },
  );

  it('shows defaults and the default class as openstack does', { timeout: 180_000 }, async () => {
    agrees(
      (await json(['quota', 'show', '--default', PROJECT])) as Json,
      (await osc(['quota', 'show', '--default', PROJECT])) as Json,
    );
    const cls = (await json(['quota', 'show', '--class', 'default'])) as Json;
    expect(cls.project).toBe('default');
    const { project_name: _, ...theirs } = (await osc(['quota', 'show', '--class', 'default'])) as Json;
    // openstack asks for quota classes at 2.1, where they have no server groups
    const { 'server-groups': _g, 'server-group-members': _m, ...common } = cls;
    agrees(common, theirs);
  });

  it(
    'lists the project among those with non-default quotas, as openstack quota list --compute',
    { timeout: 180_000 },
    async () => {
      const mine = (await json(['quota', 'list', '--compute'])) as Json[];
      const theirs = (await osc(['quota', 'list', '--compute'])) as Json[];
      const row = mine.find((r) => r['Project ID'] === projectId)!;
      expect(row).toMatchObject({ Instances: 7, Cores: 9, Ram: 4096, 'Key Pairs': 11, 'Metadata Items': 65 });
      expect(Object.keys(row)).toEqual(Object.keys(theirs[0]));
      const same = theirs.find((r) => r['Project ID'] === projectId)!;
      for (const [k, val] of Object.entries(row)) if (val !== null) expect([k, val]).toEqual([k, same[k]]);
      const one = (await json(['quota', 'list', '--compute', '--project', PROJECT])) as Json[];
      expect(one.map((r) => r['Project ID'])).toEqual([projectId]);
    },
  );

  it('shows absolute limits as openstack limits show --absolute (its compute rows)', { timeout: 180_000 }, async () => {
    const mine = (await json(['limits', 'show', '--absolute', '--project', PROJECT])) as Json[];
    const theirs = (await osc(['limits', 'show', '--absolute', '--project', PROJECT])) as Json[];
    expect(mine).toContainEqual({ Name: 'maxTotalInstances', Value: 7 });
    expect(mine).toContainEqual({ Name: 'maxTotalCores', Value: 9 });
    for (const r of mine) expect(theirs).toContainEqual(r);
    expect(await json(['limits', 'show', '--rate'])).toEqual(await osc(['limits', 'show', '--rate']));
    expect((await run(['limits', 'show'])).code).toBe(2);
  });

  it('shows usage with openstack usage show|list keys', { timeout: 240_000 }, async () => {
    // a period without servers: Nova answers {}; openstack prints '' for each (a difference in the README)
    const empty = ['--start', '2020-01-01', '--end', '2020-01-02'];
    const mine = (await json(['usage', 'show', '--project', PROJECT, ...empty])) as Json;
    const theirs = (await osc(['usage', 'show', '--project', PROJECT, ...empty])) as Json;
    expect(Object.keys(mine).sort()).toEqual(Object.keys(theirs).sort());
    expect(mine).toEqual({ Project: projectId, Servers: [], 'RAM MB-Hours': 0, 'CPU Hours': 0, 'Disk GB-Hours': 0 });
    // with a server: the same project and servers (hours grow between the two runs; openstack
    // reads only the first page of 20, so on a cloud where this file ran often it sees fewer)
    const inProject = cloudEnv({ OS_PROJECT_NAME: PROJECT }, freshCache());
    const name = `quota-${process.pid}`;
    const boot = ['server', 'create', name, '--image', 'devcloud-image', '--flavor', 'm1.tiny', '--network', 'none'];
    const id = String(((await json([...boot, '--wait'], inProject)) as Json).id);
    let own: Json;
    let oscOwn: Json;
    const ids = (u: Json) => (u.Servers as Json[]).map((x) => String(x.instance_id)).sort();
    try {
      // Nova once answered `{"tenant_usage": {}}` 0.7 s after the server went ACTIVE (CI, nova-api
      // log) and the server 2 s later: read until the server is there, for 30 s at most
      const deadline = Date.now() + 30_000;
      for (;;) {
        own = (await json(['usage', 'show'], inProject)) as Json;
        if (ids(own).includes(id) || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 1000));
      }
      oscOwn = (await osc(['usage', 'show', '--project', PROJECT])) as Json;
    } finally {
      await run(['server', 'delete', name, '--wait'], inProject);
    }
    expect(own.Project).toBe(oscOwn.Project);
    expect(ids(own)).toContain(id);
    expect(ids(own)).toEqual(expect.arrayContaining(ids(oscOwn)));
    expect(typeof own['CPU Hours']).toBe('number');
    // the admin project has more servers than Nova's max_limit (20) in a page: ncli reads every page
    // (openstack usage show stops after the first)
    const admin = ((await json(['usage', 'show'])) as Json).Servers as Json[];
    expect(admin.length).toBeGreaterThan(20);
    expect(new Set(admin.map((x) => x.instance_id)).size).toBe(admin.length);
    const all = (await json(['usage', 'list'])) as Json[];
    const oscAll = (await osc(['usage', 'list'])) as Json[];
    expect(Object.keys(all[0]).sort()).toEqual(Object.keys(oscAll[0]).sort());
    expect(all.every((u) => Array.isArray(u.Servers) && typeof u['CPU Hours'] === 'number')).toBe(true);
    expect(await json(['usage', 'list', '--start', '2020-01-01', '--end', '2020-01-02'])).toEqual([]);
    const bad = await run(['usage', 'list', '--start', '2026-13-01']);
    expect(bad).toEqual({ code: 2, stdout: '', stderr: "ncli: --start takes a date YYYY-MM-DD, not '2026-13-01'.\n" });
  });

  it('refuses a member in one line: quota set, usage list, quota list', { timeout: 180_000 }, async () => {
    for (const [args, words] of [
      [['quota', 'set', 'demo', '--instances', '5'], 'Setting quotas needs an admin role'],
      [['usage', 'list'], 'Listing the usage of every project needs an admin role'],
      [['quota', 'list', '--compute'], 'Listing projects needs an admin role'],
    ] as const) {
      const r = await run([...args], demo);
      expect(r.code).toBe(1);
      expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
      expect(r.stderr).toContain(words);
    }
    // a member reads its own project's quotas by name without listing projects
    expect(((await json(['quota', 'show', 'demo'], demo)) as Json).project_name).toBe('demo');
  });
});
