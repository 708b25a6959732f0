/**
 * Compute services, `host drain` and `host evacuate` against the real cloud's two fake compute
 * hosts (cloud.env COMPUTE1_HOST, COMPUTE2_HOST), with python-openstackclient as the oracle.
 * The servers are this file's own, in two projects of its own (`ncli-drain`, `ncli-drain-2`), booted
 * on the second host (new servers go to the first one unless asked: scripts/cloud/py/
 * devcloud_weigher.py) with 1-second live migrations (metadata devcloud_live_migration_seconds),
 * so the fixture servers of the other files (vm1, …, on the first host) stay where they are. The
 * second host is locked against other test files for the whole file (test/support/cloud-api.ts
 * `lockComputeHost2`), any
 * other server found on the second host is put back there, and afterAll deletes this file's
 * servers and leaves the second host's nova-compute enabled and up.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  adminCredentials,
  keystoneToken,
  lockComputeHost2,
  nova,
  restartCompute,
  waitServer,
  type ServerView,
} from '../support/cloud-api.js';
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

const facts = cloudFacts();
const HOSTS = (facts.COMPUTE_HOSTS ?? '').split(',').filter(Boolean);
const HOST = facts.COMPUTE2_HOST ?? 'compute-2';
const PROJECTS = ['ncli-drain', 'ncli-drain-2'];
const PREFIX = `drn-${process.pid}`;
const REASON = `ncli drain test ${process.pid}`;

interface OscService {
  ID: string;
  Host: string;
  Status: string;
  State: string;
  'Disabled Reason': string | null;
  'Forced Down'?: boolean;
}

describeCloud('compute services, host drain and host evacuate against the real cloud', () => {
  if (HOSTS.length < 2) {
    it.skip(`needs two compute hosts (cloud.env COMPUTE_HOSTS is '${HOSTS.join(',')}'): run npm run cloud:up from a checkout whose harness has compute-2`, () => {});
    return;
  }
  const env = cloudEnv({}, freshCache());
  const run = (args: string[]) => ncli(args, env, { timeoutMs: 240_000 });
  const mine = new Map<string, string>(); // id -> project
  let foreign: string[] = [];
  let release: (() => void) | undefined;

  async function oscServices(): Promise<OscService[]> {
    const r = await openstack([
      'compute',
      'service',
      'list',
      '--long',
      '--service',
      'nova-compute',
      '--host',
      HOST,
      '-f',
      'json',
    ]);
    expect(r.stderr).toBe('');
    return JSON.parse(r.stdout) as OscService[];
  }
  async function onHost(): Promise<{ ID: string; Name: string; Status: string }[]> {
    const r = await openstack(['server', 'list', '--all-projects', '--host', HOST, '--limit', '-1', '-f', 'json']);
    expect(r.stderr).toBe('');
    return JSON.parse(r.stdout) as { ID: string; Name: string; Status: string }[];
  }
  /** Boots `n` servers on HOST in `project`, 1-second live migrations; `stopped` of them SHUTOFF. */
  async function boot(project: string, names: string[], stopped = 0): Promise<void> {
    const token = (await keystoneToken({ ...adminCredentials(), project })).id;
    const ids = [];
    for (const name of names) {
      const r = await nova<{ server: { id: string } }>(
        'POST',
        '/servers',
        {
          server: {
            name,
            imageRef: facts.IMAGE_ID,
            flavorRef: '1',
            networks: 'none',
            availability_zone: `nova:${HOST}`,
            metadata: { devcloud_live_migration_seconds: '1' },
          },
        },
        { token },
      );
      expect(r.status).toBe(202);
      ids.push(r.body.server.id);
      mine.set(r.body.server.id, project);
    }
    for (const [i, id] of ids.entries()) {
      await waitServer(id, (s) => !!s && s.status === 'ACTIVE' && !s['OS-EXT-STS:task_state'], 120_000);
      if (i < stopped) {
        expect((await nova('POST', `/servers/${id}/action`, { 'os-stop': null })).status).toBe(202);
        await waitServer(id, (s) => !!s && s.status === 'SHUTOFF' && !s['OS-EXT-STS:task_state']);
      }
    }
  }

  beforeAll(async () => {
    release = await lockComputeHost2();
    for (const p of PROJECTS) await ensureTestProject(p, { description: 'ncli test/cloud/drain.test.ts' });
    // make sure the host takes servers (a run before may have died halfway)
    await run(['compute', 'service', 'set', HOST, 'nova-compute', '--enable', '--up']);
    foreign = (await onHost()).map((s) => s.ID);
    await Promise.all([
      boot(
        PROJECTS[0],
        [1, 2, 3, 4].map((i) => `${PREFIX}-a${i}`),
        1,
      ),
      boot(
        PROJECTS[1],
        [1, 2, 3, 4].map((i) => `${PREFIX}-b${i}`),
        1,
      ),
    ]);
  }, 300_000);

  afterAll(async () => {
    try {
      await Promise.all(
        [...mine.keys()].map(async (id) => {
          await nova('DELETE', `/servers/${id}`);
          await waitServer(id, (s: ServerView | null) => s === null, 120_000).catch(() => undefined);
        }),
      );
      // evacuation records go with their servers: the host can be forced up again (if Nova still
      // refuses, its restart completes the records: scripts/cloud/restart-compute.sh)
      const up = await run(['compute', 'service', 'set', HOST, 'nova-compute', '--enable', '--up']);
      if (up.code !== 0) {
        await restartCompute(HOST);
        await run(['compute', 'service', 'set', HOST, 'nova-compute', '--enable', '--up']);
      }
      // servers of other files that the drain moved: back where they were
      const back = foreign.filter((id) => !mine.has(id));
      if (back.length)
        await run(['server', 'migrate', ...back, '--all-projects', '--live-migration', '--host', HOST, '--wait']);
    } finally {
      release?.();
    }
  }, 300_000);

  it('compute service set --disable with a reason, then --enable: openstack compute service list --long agrees', async () => {
    expect(
      ok(await run(['compute', 'service', 'set', HOST, 'nova-compute', '--disable', '--disable-reason', REASON])),
    ).toBe(`nova-compute on ${HOST}: disabled ("${REASON}"), state up.\n`);
    const [osc] = await oscServices();
    expect(osc).toMatchObject({ Host: HOST, Status: 'disabled', 'Disabled Reason': REASON });
    const ours = JSON.parse(
      ok(
        await run(['compute', 'service', 'list', '--long', '--host', HOST, '--service', 'nova-compute', '-f', 'json']),
      ),
    );
    expect(ours).toEqual([
      expect.objectContaining({
        ID: osc.ID,
        Host: HOST,
        Status: 'disabled',
        'Disabled Reason': REASON,
        'Forced Down': false,
      }),
    ]);
    expect(ok(await run(['compute', 'service', 'set', HOST, 'nova-compute', '--enable']))).toBe(
      `nova-compute on ${HOST}: enabled, state up.\n`,
    );
    expect((await oscServices())[0]).toMatchObject({ Status: 'enabled', 'Disabled Reason': null });
  }, 300_000);

  it('host drain --wait: 8 servers of two projects leave the host (live, and cold + confirm for the stopped ones); the service stays disabled with the reason', async () => {
    const before = await onHost();
    expect(before.filter((s) => mine.has(s.ID))).toHaveLength(8);
    const dry = ok(await run(['host', 'drain', HOST, '--dry-run']));
    expect(dry.split('\n')[0]).toBe(
      `${HOST}: would disable nova-compute ("ncli host drain"); would move ${before.length} of ${before.length} servers, 4 at a time:`,
    );
    expect(dry).toMatch(
      new RegExp(`${PREFIX}-a1 \\(SHUTOFF, project [0-9a-f]{32}\\): cold migration, then resize confirmation`),
    );
    expect((await oscServices())[0].Status).toBe('enabled'); // a dry run changes nothing

    const out = ok(await run(['host', 'drain', HOST, '--disable-reason', REASON, '--wait']));
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toBe(`${HOST}: nova-compute disabled ("${REASON}"): nothing new is scheduled there.`);
    expect(lines[lines.length - 1]).toBe(`${HOST}: ${before.length} moved, 0 failed; the host is empty.`);
    expect(out).toMatch(new RegExp(`^${PREFIX}-a2: live migration: ACTIVE on ${facts.COMPUTE1_HOST} after`, 'm'));
    expect(out).toMatch(
      new RegExp(
        `^${PREFIX}-b1: cold migration: VERIFY_RESIZE on ${facts.COMPUTE1_HOST} after .*; resize confirmation: SHUTOFF after`,
        'm',
      ),
    );

    // the oracle: nothing on the host, the service disabled with the reason, the servers kept their state
    expect(await onHost()).toEqual([]);
    expect((await oscServices())[0]).toMatchObject({ Status: 'disabled', 'Disabled Reason': REASON });
    for (const [id] of mine) {
      const r = await openstack([
        'server',
        'show',
        id,
        '-f',
        'json',
        '-c',
        'status',
        '-c',
        'OS-EXT-SRV-ATTR:host',
        '-c',
        'name',
      ]);
      const s = JSON.parse(r.stdout) as Record<string, string>;
      expect([s.name, s['OS-EXT-SRV-ATTR:host'], s.status]).toEqual([
        s.name,
        facts.COMPUTE1_HOST,
        /-[ab]1$/.test(s.name) ? 'SHUTOFF' : 'ACTIVE',
      ]);
    }
  }, 300_000);

  it('host evacuate refuses while the service is up, then --force-down evacuates every server', async () => {
    ok(await run(['compute', 'service', 'set', HOST, 'nova-compute', '--enable']));
    await boot(PROJECTS[0], [`${PREFIX}-e1`, `${PREFIX}-e2`], 1);
    const refused = await run(['host', 'evacuate', HOST, '--wait']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `ncli: Nova evacuates only a host whose nova-compute is down, and nova-compute on ${HOST} is up: run \`ncli compute service set ${HOST} nova-compute --down\` first (once the host is fenced), or add --force-down here.\n`,
    );
    expect((await oscServices())[0]['Forced Down']).toBe(false);

    const out = ok(await run(['host', 'evacuate', HOST, '--force-down', '--wait']));
    expect(out).toMatch(new RegExp(`^${HOST}: nova-compute forced down\\.\n`));
    expect(out).toMatch(new RegExp(`^${PREFIX}-e1: evacuation: SHUTOFF on ${facts.COMPUTE1_HOST} after`, 'm'));
    expect(out).toMatch(new RegExp(`^${PREFIX}-e2: evacuation: ACTIVE on ${facts.COMPUTE1_HOST} after`, 'm'));
    expect(out).toMatch(new RegExp(`^${HOST}: 2 moved, 0 failed; the host is empty\\.$`, 'm'));
    expect(await onHost()).toEqual([]);
    expect((await oscServices())[0]).toMatchObject({ State: 'down', 'Forced Down': true });
  }, 300_000);
});
