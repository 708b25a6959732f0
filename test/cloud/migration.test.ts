/**
 * Server migrations against the real cloud's two compute hosts (scripts/cloud: the devcloud fake
 * driver; live migrations take LIVE_MIGRATION_SECONDS, or per server the metadata key
 * `devcloud_live_migration_seconds`): live and cold migration with --wait, the migration list and
 * a running live migration's show compared with openstackclient, abort and force-complete of a
 * running one, evacuation off a host forced down, reset-state, soft delete / restore / force
 * delete. Servers are named mig-<pid>-… (soft-mig-<pid>: the harness soft-deletes only soft-*
 * servers) in project admin, booted on the first host, and deleted in afterAll; every section
 * that moves servers to compute-2 or changes its service runs under the compute-2 lock
 * (test/support/cloud-api.ts `withComputeHost2`), and only compute-2 is ever forced down.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cloudEnv, cloudFacts, describeCloud, freshCache, ncli, openstack, ok } from '../support/cloud.js';
import { restartCompute, withComputeHost2 } from '../support/cloud-api.js';

const PREFIX = `mig-${process.pid}`;
const LONG = 240_000;

describeCloud('server migrations against the real cloud', () => {
  const facts = cloudFacts();
  const hosts = (facts.COMPUTE_HOSTS ?? '').split(',').filter(Boolean);
  const env = cloudEnv({}, freshCache());
  const run = (args: string[]) => ncli(args, env, { timeoutMs: 180_000 });
  const osc = async (args: string[]): Promise<unknown> => {
    const r = await openstack(['--os-compute-api-version', '2.80', ...args, '-f', 'json']);
    expect(r.stderr).toBe('');
    return JSON.parse(r.stdout) as unknown;
  };
  const where = async (name: string) =>
    JSON.parse(ok(await run(['server', 'show', name, '-f', 'json']))) as {
      id: string;
      status: string;
      'OS-EXT-SRV-ATTR:host': string;
      'OS-EXT-STS:task_state': string | null;
    };
  /** The other compute host. */
  const other = (host: string) => hosts.find((h) => h !== host)!;

  beforeAll(async () => {
    expect(hosts.length, 'the harness runs two compute hosts (COMPUTE_HOSTS in cloud.env)').toBe(2);
    // fast: live migrations of 2 s; slow: 120 s, to meet one running
    const boot = (name: string, seconds: number) =>
      run([
        'server',
        'create',
        name,
        '--image',
        'devcloud-image',
        '--flavor',
        'm1.tiny',
        '--network',
        'none',
        '--property',
        `devcloud_live_migration_seconds=${seconds}`,
        '--wait',
        '-f',
        'value',
        '-c',
        'id',
      ]);
    const made = await Promise.all([
      boot(`${PREFIX}-fast`, 2),
      boot(`${PREFIX}-slow`, 120),
      boot(`${PREFIX}-misc`, 2),
      boot(`soft-${PREFIX}`, 2),
    ]);
    for (const r of made) ok(r);
  }, LONG);

  afterAll(async () => {
    const live = ok(await run(['server', 'list', '--name', `^(soft-)?${PREFIX}`, '-f', 'value', '-c', 'ID']))
      .split('\n')
      .filter(Boolean);
    if (live.length) await run(['server', 'delete', '--force', ...live, '--wait']);
  }, LONG);

  it(
    'live migrates with --wait to the other host; openstack and the migration list agree',
    () =>
      withComputeHost2(async () => {
        const before = await where(`${PREFIX}-fast`);
        const out = ok(await run(['server', 'migrate', `${PREFIX}-fast`, '--live-migration', '--wait']));
        const target = other(before['OS-EXT-SRV-ATTR:host']);
        expect(out).toMatch(
          new RegExp(`^${PREFIX}-fast: live migration: ACTIVE on ${target} after .* \\(request req-`),
        );
        const shown = (await osc(['server', 'show', before.id])) as Record<string, unknown>;
        expect([shown.status, shown['OS-EXT-SRV-ATTR:host']]).toEqual(['ACTIVE', target]);
        // the record, as openstack server migration list shows it, key by key
        const mine = JSON.parse(
          ok(await run(['server', 'migration', 'list', '--server', `${PREFIX}-fast`, '-f', 'json'])),
        ) as Record<string, unknown>[];
        const theirs = (await osc(['server', 'migration', 'list', '--server', before.id])) as Record<string, unknown>[];
        expect(mine.length).toBe(1);
        expect(mine[0]).toMatchObject({ Type: 'live-migration', Status: 'completed', 'Dest Compute': target });
        for (const [k, v] of Object.entries(theirs[0])) expect([k, mine[0][k]]).toEqual([k, v]);
      }),
    LONG,
  );

  it(
    'cold migrates with --confirm --wait: VERIFY_RESIZE on the other host, then ACTIVE there',
    () =>
      withComputeHost2(async () => {
        const before = await where(`${PREFIX}-fast`);
        const target = other(before['OS-EXT-SRV-ATTR:host']);
        const out = ok(await run(['server', 'migrate', `${PREFIX}-fast`, '--confirm', '--wait']));
        const lines = out.trim().split('\n');
        expect(lines[0]).toMatch(new RegExp(`^${PREFIX}-fast: cold migration: VERIFY_RESIZE on ${target} after `));
        expect(lines[1]).toMatch(new RegExp(`^${PREFIX}-fast: resize confirmation: ACTIVE after `));
        const shown = (await osc(['server', 'show', before.id])) as Record<string, unknown>;
        expect([shown.status, shown['OS-EXT-SRV-ATTR:host']]).toEqual(['ACTIVE', target]);
        const types = (
          JSON.parse(ok(await run(['server', 'migration', 'list', '--server', before.id, '-f', 'json']))) as {
            Type: string;
            Status: string;
          }[]
        ).map((m) => `${m.Type}:${m.Status}`);
        expect(types).toContain('migration:confirmed');
      }),
    LONG,
  );

  it(
    'shows a running live migration as openstack does, aborts it, and forces the next one to complete',
    () =>
      withComputeHost2(async () => {
        const name = `${PREFIX}-slow`;
        const before = await where(name);
        const source = before['OS-EXT-SRV-ATTR:host'];
        expect(ok(await run(['server', 'migrate', name, '--live-migration']))).toMatch(/live migration accepted/);
        const running = async (): Promise<string> => {
          for (let i = 0; i < 60; i++) {
            const id = ok(
              await run([
                'server',
                'migration',
                'list',
                '--server',
                name,
                '--status',
                'running',
                '-f',
                'value',
                '-c',
                'Id',
              ]),
            ).trim();
            if (id) return id.split('\n')[0];
            await new Promise((r) => setTimeout(r, 1000));
          }
          throw new Error('no running live migration appeared');
        };
        const id = await running();
        const mine = JSON.parse(ok(await run(['server', 'migration', 'show', name, id, '-f', 'json']))) as Record<
          string,
          unknown
        >;
        const theirs = (await osc(['server', 'migration', 'show', before.id, id])) as Record<string, unknown>;
        for (const k of [
          'ID',
          'Server UUID',
          'Status',
          'Source Compute',
          'Dest Compute',
          'UUID',
          'Memory Total Bytes',
        ]) {
          expect([k, mine[k]]).toEqual([k, theirs[k]]);
        }
        expect(ok(await run(['server', 'migration', 'abort', name, id]))).toBe(
          `Migration ${id} of server ${name}: abort accepted.\n`,
        );
        // the server stays on its source host; the migration ends cancelled
        for (let i = 0; i < 60; i++) {
          const s = await where(name);
          if (s.status === 'ACTIVE' && !s['OS-EXT-STS:task_state']) break;
          await new Promise((r) => setTimeout(r, 1000));
        }
        expect((await where(name))['OS-EXT-SRV-ATTR:host']).toBe(source);
        const after = (await osc(['server', 'migration', 'list', '--server', before.id])) as {
          Id: number;
          Status: string;
        }[];
        expect(after.find((m) => String(m.Id) === id)?.Status).toBe('cancelled');

        // again, and force it to complete: done long before its 120 s
        ok(await run(['server', 'migrate', name, '--live-migration']));
        const id2 = await running();
        const t0 = Date.now();
        expect(ok(await run(['server', 'migration', 'force', 'complete', name, id2]))).toBe(
          `Migration ${id2} of server ${name}: force complete accepted.\n`,
        );
        for (let i = 0; i < 60; i++) {
          const s = await where(name);
          if (s['OS-EXT-SRV-ATTR:host'] !== source && !s['OS-EXT-STS:task_state']) break;
          await new Promise((r) => setTimeout(r, 1000));
        }
        expect((await where(name))['OS-EXT-SRV-ATTR:host']).toBe(other(source));
        expect(Date.now() - t0).toBeLessThan(100_000);
        // not running any more: one line, exit 1
        const gone = await run(['server', 'migration', 'abort', name, id2]);
        expect(gone.code).toBe(1);
        expect(gone.stderr).toMatch(/^ncli: .*migration.*\n$/);
        expect(gone.stderr.split('\n').length).toBe(2);
      }),
    LONG,
  );

  it(
    'evacuates a server off a host forced down, after one line saying why it cannot while the host is up',
    () =>
      withComputeHost2(async () => {
        const name = `${PREFIX}-misc`;
        const source = facts.COMPUTE2_HOST;
        const target = other(source);
        ok(await run(['server', 'migrate', name, '--live-migration', '--host', source, '--wait']));
        const up = await run(['server', 'evacuate', name]);
        expect(up.code).toBe(1);
        expect(up.stderr).toMatch(/^ncli: Nova refused the evacuation of server .*: .*\n$/);
        const force = (down: boolean) =>
          openstack(['compute', 'service', 'set', down ? '--down' : '--up', source, 'nova-compute']);
        try {
          expect((await force(true)).stderr).toBe('');
          const out = ok(await run(['server', 'evacuate', name, '--wait']));
          expect(out).toMatch(new RegExp(`^${name}: evacuation: ACTIVE on ${target} after `));
          const shown = (await osc(['server', 'show', name])) as Record<string, unknown>;
          expect([shown.status, shown['OS-EXT-SRV-ATTR:host']]).toEqual(['ACTIVE', target]);
        } finally {
          // Nova forces a host up only once its evacuations are done, which its restart completes
          await restartCompute(source);
          const r = await force(false);
          expect(r.stderr, `openstack compute service set --up ${source} nova-compute`).toBe('');
        }
      }),
    LONG,
  );

  it(
    'resets the state Nova records (server set --state), as openstack then shows',
    async () => {
      const name = `${PREFIX}-misc`;
      expect(ok(await run(['server', 'set', '--state', 'error', name, '--wait']))).toMatch(
        new RegExp(`^${name}: reset to error: ERROR after `),
      );
      expect(((await osc(['server', 'show', name])) as { status: string }).status).toBe('ERROR');
      ok(await run(['server', 'set', '--state', 'active', name]));
      expect(((await osc(['server', 'show', name])) as { status: string }).status).toBe('ACTIVE');
    },
    LONG,
  );

  it(
    'a deleted server is kept (reclaim_instance_interval): restore brings it back, delete --force removes it',
    async () => {
      const name = `soft-${PREFIX}`;
      const id = (await where(name)).id;
      ok(await run(['server', 'delete', name, '--wait']));
      // (openstackclient finds a soft-deleted server by ID only; ncli by name too)
      expect(((await osc(['server', 'show', id])) as { status: string }).status).toBe('SOFT_DELETED');
      expect(ok(await run(['server', 'restore', name, '--wait']))).toMatch(
        new RegExp(`^${name}: restore: ACTIVE after `),
      );
      expect(((await osc(['server', 'show', id])) as { status: string }).status).toBe('ACTIVE');
      ok(await run(['server', 'delete', name]));
      expect(ok(await run(['server', 'delete', '--force', id, '--wait']))).toMatch(/force delete: deleted after /);
      const after = await openstack(['server', 'show', id]);
      expect(after.code).not.toBe(0);
    },
    LONG,
  );
});
