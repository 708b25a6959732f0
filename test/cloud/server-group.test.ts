/**
 * Server groups against the real cloud, with openstackclient as the oracle: create, show and list
 * `-f json` key by key against `openstack server group …`; `server create --hint group=NAME` puts
 * two servers of an anti-affinity group on the cloud's two compute hosts, and a third one fails
 * with NoValidHost in one line; a create over the instances quota is refused in one line naming
 * the quota, its limit and its use; delete. Everything happens in a project of its own,
 * `ncli-groups` (quotas changed there are this file's alone); groups and servers are named
 * grp-<pid>-… and deleted in afterAll.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  cloudEnv,
  cloudFacts,
  describeCloud,
  ensureTestProject,
  freshCache,
  ncli,
  openstack,
  ok,
} from '../support/cloud.js';
import { withComputeHost2 } from '../support/cloud-api.js';

const PROJECT = 'ncli-groups';
const PREFIX = `grp-${process.pid}`;

type Json = Record<string, unknown>;

describeCloud('server groups against the real cloud', () => {
  const facts = cloudFacts();
  const env = cloudEnv({ OS_PROJECT_NAME: PROJECT }, freshCache());
  const run = (args: string[]) => ncli(args, env, { timeoutMs: 120_000 });
  const osc = async (args: string[]) => {
    const r = await openstack(args);
    expect(r.stderr).toBe('');
    return JSON.parse(r.stdout) as unknown;
  };
  const boot = (name: string, ...more: string[]) =>
    run(['server', 'create', name, '--image', 'devcloud-image', '--flavor', 'm1.tiny', '--network', 'none', ...more]);
  const created: Json[] = [];

  beforeAll(async () => {
    await ensureTestProject(PROJECT, { description: 'ncli test/cloud/server-group.test.ts', quota: true });
  }, 120_000);

  afterAll(async () => {
    const ids = (await run(['server', 'list', '--name', `^${PREFIX}`, '-f', 'value', '-c', 'ID'])).stdout
      .split('\n')
      .filter(Boolean);
    if (ids.length) await run(['server', 'delete', ...ids, '--wait']);
    const groups = JSON.parse((await run(['server', 'group', 'list', '-f', 'json'])).stdout || '[]') as Json[];
    const mine = groups.filter((g) => String(g.Name).startsWith(PREFIX)).map((g) => String(g.ID));
    if (mine.length) await run(['server', 'group', 'delete', ...mine]);
    await openstack(['quota', 'set', '--instances', '40', PROJECT]);
  }, 300_000);

  it(
    'creates groups and shows and lists them as openstack server group show|list do, key by key',
    { timeout: 180_000 },
    async () => {
      for (const [name, ...args] of [
        [`${PREFIX}-anti`, '--policy', 'anti-affinity'],
        [`${PREFIX}-pairs`, '--policy', 'anti-affinity', '--rule', 'max_server_per_host=1'],
        [`${PREFIX}-soft`, '--policy', 'soft-affinity'],
      ]) {
        created.push(JSON.parse(ok(await run(['server', 'group', 'create', name, ...args, '-f', 'json']))) as Json);
      }
      expect(created[1]).toMatchObject({ policy: 'anti-affinity', rules: { max_server_per_host: 1 }, members: [] });
      expect(created[2]).toMatchObject({ policy: 'soft-affinity', rules: {} });
      for (const g of created) {
        const theirs = (await osc(['server', 'group', 'show', String(g.id), '-f', 'json'])) as Json;
        expect(g).toEqual(theirs);
        // by name, as ncli resolves it in its project
        expect(JSON.parse(ok(await run(['server', 'group', 'show', String(g.name), '-f', 'json'])))).toEqual(theirs);
      }
      const mine = (JSON.parse(ok(await run(['server', 'group', 'list', '--long', '-f', 'json']))) as Json[]).filter(
        (g) => String(g.Name).startsWith(PREFIX),
      );
      const theirs = (
        (await osc(['server', 'group', 'list', '--all-projects', '--long', '-f', 'json'])) as Json[]
      ).filter((g) => String(g.Name).startsWith(PREFIX));
      const byId = (a: Json, b: Json) => String(a.ID).localeCompare(String(b.ID));
      expect(mine.sort(byId)).toEqual(theirs.sort(byId));
      expect(Object.keys(mine[0])).toEqual(['ID', 'Name', 'Policy', 'Members', 'Project Id', 'User Id']);
      // before 2.64: a list of policies, as openstack shows at that version
      const old = JSON.parse(
        ok(await run(['--os-compute-api-version', '2.63', 'server', 'group', 'show', `${PREFIX}-anti`, '-f', 'json'])),
      ) as Json;
      expect(old).toMatchObject({ policies: ['anti-affinity'] });
      expect(old).not.toHaveProperty('policy');
    },
  );

  it(
    'puts two servers of an anti-affinity group (--hint group=NAME) on two hosts; a third fails with NoValidHost in one line',
    { timeout: 300_000 },
    // compute-2 must stay up and no other file may move servers meanwhile (a drain would move one of
    // these onto the other's host): the cloud's compute-2 lock, and the servers gone before it is released
    () =>
      withComputeHost2(async () => {
        const out = ok(
          await boot(`${PREFIX}-a`, '--hint', `group=${PREFIX}-anti`, '--min', '2', '--max', '2', '--wait'),
        );
        expect(out.trimEnd().split('\n')).toHaveLength(2);
        const hosts: string[] = [];
        const ids: string[] = [];
        for (const n of [`${PREFIX}-a-1`, `${PREFIX}-a-2`]) {
          const s = JSON.parse(ok(await run(['server', 'show', n, '-f', 'json']))) as Json;
          hosts.push(String(s['OS-EXT-SRV-ATTR:host']));
          ids.push(String(s.id));
        }
        expect(hosts.sort()).toEqual(
          [facts.COMPUTE1_HOST ?? 'devcloud-compute', facts.COMPUTE2_HOST ?? 'compute-2'].sort(),
        );
        const group = (await osc(['server', 'group', 'show', `${String(created[0].id)}`, '-f', 'json'])) as Json;
        expect((group.members as string[]).sort()).toEqual(ids.sort());
        // two hosts, both taken: the scheduler finds none
        const r = await boot(`${PREFIX}-a-3`, '--hint', `group=${String(created[0].id)}`, '--wait');
        expect(r.code).toBe(1);
        expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
        expect(r.stderr).toMatch(/^ncli: The create of server grp-\d+-a-3 failed: .*No valid host was found/);
        const gone = await run(['server', 'delete', `${PREFIX}-a-1`, `${PREFIX}-a-2`, `${PREFIX}-a-3`, '--wait']);
        expect(gone.stderr).toBe('');
      }),
  );

  it(
    'refuses a create over the instances quota in one line: which quota, its limit, its use',
    { timeout: 180_000 },
    async () => {
      const used = (await run(['server', 'list', '-f', 'value', '-c', 'ID'])).stdout.split('\n').filter(Boolean).length;
      const q = await openstack(['quota', 'set', '--force', '--instances', String(used), PROJECT]);
      expect([q.code, q.stderr]).toEqual([0, '']);
      const r = await boot(`${PREFIX}-over`);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(
        `ncli: Over quota creating server ${PREFIX}-over (instances: limit ${used}, in use ${used}, asked for 1 more) ` +
          `(HTTP 403, request ${/request (req-[0-9a-f-]+)/.exec(r.stderr)?.[1]}); delete unused resources or have an admin raise the quota.\n`,
      );
      await openstack(['quota', 'set', '--instances', '40', PROJECT]);
    },
  );

  it('deletes groups by name, and says which one failed', { timeout: 180_000 }, async () => {
    const r = await run(['server', 'group', 'delete', `${PREFIX}-pairs`, `${PREFIX}-soft`, `${PREFIX}-nonesuch`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `ncli: No server group with a name or ID of '${PREFIX}-nonesuch' exists.\nncli: 1 of 3 server groups failed to delete.\n`,
    );
    for (const g of created.slice(1)) {
      const gone = await openstack(['server', 'group', 'show', String(g.id)]);
      expect(gone.code).not.toBe(0);
    }
  });
});
