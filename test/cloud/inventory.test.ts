/**
 * The operator's inventory against the real local cloud, each checked against python-openstackclient
 * (`-f json`, key by key): hypervisors (one or two compute hosts), their show before and from 2.88
 * (openstack 6 cannot show a hypervisor at 2.88 with the fake driver: there the raw API is the
 * oracle), the statistics capped at 2.87, availability zones (admin and member), and an aggregate's
 * whole life: create, set, unset, add host, remove host, delete, with Nova's refusals in one line.
 * Values that move while other tests run (used counters, a service's last report, state) are
 * checked for their shape, not their value.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { nova } from '../support/cloud-api.js';
import { cloudEnv, describeCloud, freshCache, ncli, run, type RunResult } from '../support/cloud.js';

const env = cloudEnv({}, freshCache());
const demoEnv = cloudEnv({ OS_CLOUD: 'devcloud-demo' }, freshCache());

/** `openstack --os-cloud CLOUD [--os-compute-api-version MV] args…`. */
function openstack(args: string[], mv?: string, cloud = 'devcloud'): Promise<RunResult> {
  const version = mv ? ['--os-compute-api-version', mv] : [];
  return run('/usr/bin/openstack', ['--os-cloud', cloud, ...version, ...args], cloudEnv(), { timeoutMs: 60_000 });
}

/** Runs ncli and parses its JSON output, failing with its stderr when it did not succeed. */
async function json<T = unknown>(args: string[], e = env): Promise<T> {
  const r = await ncli([...args, '-f', 'json'], e);
  expect(r.stderr, args.join(' ')).toBe('');
  expect(r.code, args.join(' ')).toBe(0);
  return JSON.parse(r.stdout) as T;
}

/** The oracle's JSON output. */
async function oracle<T = unknown>(args: string[], mv?: string, cloud?: string): Promise<T> {
  const r = await openstack([...args, '-f', 'json'], mv, cloud);
  expect(r.code, `openstack ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout) as T;
}

type Row = Record<string, unknown>;

/** `row` without the `volatile` keys, which must still be present. */
function stable(row: Row, volatile: readonly string[]): Row {
  const out: Row = { ...row };
  for (const k of volatile) {
    expect(row, `key ${k}`).toHaveProperty(k);
    delete out[k];
  }
  return out;
}

/**
 * A hypervisor as `openstack hypervisor show` words the raw API's answer at `mv`: sorted keys,
 * `service` as `service_id`/`service_host`, and the given aggregates.
 */
async function fromApi(id: string, mv: string, aggregates: unknown): Promise<Row> {
  const api = await nova<{ hypervisor: Row & { service: { id: string; host: string } } }>(
    'GET',
    `/os-hypervisors/${id}`,
    undefined,
    { microversion: mv },
  );
  expect(api.status).toBe(200);
  const { service, ...rest } = api.body.hypervisor;
  const out: Row = { ...rest, aggregates, service_host: service.host, service_id: service.id };
  return Object.fromEntries(
    Object.keys(out)
      .sort()
      .map((k) => [k, out[k]]),
  );
}

/** Counters that move while other tests boot and delete servers. */
const USED = [
  'vcpus_used',
  'memory_mb_used',
  'local_gb_used',
  'free_ram_mb',
  'free_disk_gb',
  'running_vms',
  'current_workload',
  'disk_available_least',
  // other test files disable services and force them down (drain, evacuate)
  'state',
  'status',
];

describeCloud('hypervisors, zones and aggregates against the real cloud', () => {
  const tag = `${process.pid}-${Date.now().toString(36)}`;
  const agg = `ncli-inv-${tag}`;
  const zoned = `ncli-inv-zoned-${tag}`;
  let hosts: string[] = [];

  beforeAll(async () => {
    const list = await oracle<Row[]>(['hypervisor', 'list'], '2.88');
    hosts = list.map((h) => String(h['Hypervisor Hostname']));
    expect(hosts.length).toBeGreaterThanOrEqual(1);
  });

  afterAll(async () => {
    // whatever a failed test left behind
    for (const name of [agg, `${agg}-renamed`, zoned]) {
      const shown = await openstack(['aggregate', 'show', name, '-f', 'json']);
      if (shown.code !== 0) continue;
      for (const h of (JSON.parse(shown.stdout) as { hosts: string[] }).hosts) {
        await openstack(['aggregate', 'remove', 'host', name, h]);
      }
      await openstack(['aggregate', 'delete', name]);
    }
  });

  it('hypervisor list (and --long) has the rows and keys of openstack hypervisor list', async () => {
    const byId = (a: Row, b: Row) => String(a.ID).localeCompare(String(b.ID));
    for (const [args, mv] of [
      [['hypervisor', 'list'], '2.88'],
      [['hypervisor', 'list', '--long'], '2.88'],
      [['hypervisor', 'list', '--long'], '2.87'],
    ] as const) {
      const ours = (await json<Row[]>(mv === '2.87' ? ['--os-compute-api-version', mv, ...args] : [...args])).sort(
        byId,
      );
      const theirs = (await oracle<Row[]>([...args], mv)).sort(byId);
      expect(ours.map((r) => Object.keys(r))).toEqual(theirs.map((r) => Object.keys(r)));
      const moving = ['State', 'vCPUs Used', 'Memory MB Used'].filter((k) => k in theirs[0]);
      expect(ours.map((r) => stable(r, moving))).toEqual(theirs.map((r) => stable(r, moving)));
      for (const r of ours) expect(['up', 'down']).toContain(r.State);
      if (mv === '2.87') for (const r of ours) expect(typeof r['vCPUs Used']).toBe('number');
    }
    const matching = await json<Row[]>(['hypervisor', 'list', '--matching', hosts[0]]);
    expect(matching.map((r) => r['Hypervisor Hostname'])).toContain(hosts[0]);
    expect(await json<Row[]>(['hypervisor', 'list', '--matching', `no-such-host-${tag}`])).toEqual([]);
  }, 300_000);

  it('hypervisor show before 2.88 has the keys and values of openstack hypervisor show (FakeDriver has no uptime)', async () => {
    for (const host of hosts) {
      const ours = await json<Row>(['--os-compute-api-version', '2.87', 'hypervisor', 'show', host]);
      expect(ours).not.toHaveProperty('uptime');
      const r = await openstack(['hypervisor', 'show', host, '-f', 'json'], '2.87');
      if (r.code === 0) {
        const theirs = JSON.parse(r.stdout) as Row;
        expect(Object.keys(ours)).toEqual(Object.keys(theirs));
        expect(stable(ours, USED)).toEqual(stable(theirs, USED));
        continue;
      }
      // openstack 6 fails on a host whose service is down (the uptime call answers 400); ncli shows
      // it without uptime: then the raw API is the oracle
      expect(r.stderr).toMatch(/is unavailable at this time/);
      const want = await fromApi(String(ours.id), '2.87', ours.aggregates);
      expect(Object.keys(ours)).toEqual(Object.keys(want));
      expect(stable(ours, USED)).toEqual(stable(want, USED));
    }
  }, 300_000);

  it('hypervisor show from 2.88 shows what the cloud gives: uptime, no counters', async () => {
    for (const host of hosts) {
      const ours = await json<Row>(['hypervisor', 'show', host]);
      const want = await fromApi(String(ours.id), '2.93', ours.aggregates);
      expect(Object.keys(ours)).toEqual(Object.keys(want));
      expect(stable(ours, ['state', 'status'])).toEqual(stable(want, ['state', 'status']));
      expect(['enabled', 'disabled']).toContain(ours.status);
      expect(ours.uptime).toBeNull(); // the fake driver has no uptime
      expect(ours).not.toHaveProperty('vcpus');
      expect(ours.hypervisor_hostname).toBe(host);
    }
  }, 300_000);

  it('hypervisor stats show is sent at 2.87 and has the keys of openstack hypervisor stats show; 2.88 is refused', async () => {
    const ours = await json<Row>(['hypervisor', 'stats', 'show']);
    const theirs = await oracle<Row>(['hypervisor', 'stats', 'show']);
    expect(Object.keys(ours)).toEqual(Object.keys(theirs));
    for (const k of ['count', 'vcpus', 'memory_mb', 'local_gb']) expect(ours[k], k).toEqual(theirs[k]);
    expect(ours.count).toBe(hosts.length);
    const refused = await ncli(['--os-compute-api-version', '2.88', 'hypervisor', 'stats', 'show'], env);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(
      /^ncli: The hypervisor statistics API was removed in compute API 2\.88; this run asked for 2\.88; Placement has the totals now .*\n$/,
    );
  }, 300_000);

  it('a member gets one line saying an admin role is needed', async () => {
    for (const args of [
      ['hypervisor', 'list'],
      ['aggregate', 'list'],
      ['aggregate', 'create', `${agg}-member`],
    ]) {
      const r = await ncli(args, demoEnv);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(/^ncli: [^\n]+ needs an admin role: Nova's policy refused it \([^\n]+\n$/);
    }
  }, 300_000);

  it('availability zone list (and --long) has the rows of openstack availability zone list --compute', async () => {
    const ours = await json<Row[]>(['availability', 'zone', 'list', '--compute']);
    expect(ours).toEqual(await oracle<Row[]>(['availability', 'zone', 'list', '--compute']));
    // a service's state and last report move (every few seconds; other test files disable services
    // and force them down): the rows are compared without it, its shape is checked
    const rows = (list: Row[]) =>
      list
        .map((r) => {
          expect(String(r['Service Status'])).toMatch(/^$|^(enabled|disabled) (:-\)|XXX) \S+$/);
          return { ...r, 'Service Status': r['Service Status'] ? 'set' : '' };
        })
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    const long = await json<Row[]>(['availability', 'zone', 'list', '--long', '--compute']);
    expect(rows(long)).toEqual(rows(await oracle<Row[]>(['availability', 'zone', 'list', '--compute', '--long'])));
    for (const h of hosts)
      expect(long.some((r) => r['Host Name'] === h && r['Service Name'] === 'nova-compute')).toBe(true);
    // a member sees the plain listing, as openstack falls back to it
    const member = await json<Row[]>(['availability', 'zone', 'list', '--compute'], demoEnv);
    expect(member).toEqual(
      await oracle<Row[]>(['availability', 'zone', 'list', '--compute'], undefined, 'devcloud-demo'),
    );
  }, 300_000);

  it('aggregate create, set, unset, add host, remove host, delete: as openstack aggregate show sees them', async () => {
    const host = hosts[0];
    const show = () => oracle<Row>(['aggregate', 'show', agg]);

    const created = await json<Row>(['aggregate', 'create', agg, '--property', 'ssd=true', '--property', 'tier=gold']);
    let theirs = await show();
    expect(Object.keys(created)).toEqual(Object.keys(theirs));
    expect(stable(created, ['updated_at'])).toEqual(stable(theirs, ['updated_at']));
    expect(theirs.properties).toEqual({ ssd: 'true', tier: 'gold' });
    expect(await json<Row>(['aggregate', 'show', agg])).toEqual(theirs);

    const taken = await ncli(['aggregate', 'create', agg], env);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(
      new RegExp(`^ncli: An aggregate named '${agg}' already exists \\(HTTP 409[^\\n]*; choose another name\\.\\n$`),
    );

    const set = await ncli(['aggregate', 'set', agg, '--property', 'rack=r1', '--name', `${agg}-renamed`], env);
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    const renamed = `${agg}-renamed`;
    expect((await json<Row>(['aggregate', 'show', renamed])).properties).toEqual({
      ssd: 'true',
      tier: 'gold',
      rack: 'r1',
    });
    expect((await ncli(['aggregate', 'set', renamed, '--name', agg], env)).code).toBe(0);

    expect((await ncli(['aggregate', 'unset', agg, '--property', 'tier'], env)).code).toBe(0);
    expect((await json<Row>(['aggregate', 'show', agg])).properties).toEqual({ ssd: 'true', rack: 'r1' });
    expect((await ncli(['aggregate', 'set', agg, '--no-property', '--property', 'only=1'], env)).code).toBe(0);
    expect((await show()).properties).toEqual({ only: '1' });

    const added = await json<Row>(['aggregate', 'add', 'host', agg, host]);
    expect(added.hosts).toEqual([host]);
    theirs = await show();
    expect(theirs.hosts).toEqual([host]);
    expect(stable(added, ['updated_at'])).toEqual(stable(theirs, ['updated_at']));
    // the hypervisor's show names its aggregates
    expect((await json<Row>(['hypervisor', 'show', host])).aggregates).toContain(agg);

    const listed = (await json<Row[]>(['aggregate', 'list', '--long'])).find((r) => r.Name === agg);
    const listedTheirs = (await oracle<Row[]>(['aggregate', 'list', '--long'])).find((r) => r.Name === agg);
    expect(listed).toEqual(listedTheirs);
    expect(listed).toMatchObject({ Properties: { only: '1' }, Hosts: [host] });

    const again = await ncli(['aggregate', 'add', 'host', agg, host], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(
      new RegExp(`^ncli: Host '${host}' is already in aggregate ${agg} \\(ID \\d+\\) \\(HTTP 409[^\\n]*\\n$`),
    );
    const ghost = await ncli(['aggregate', 'add', 'host', agg, `no-such-host-${tag}`], env);
    expect(ghost.code).toBe(1);
    expect(ghost.stderr).toMatch(/^ncli: No compute host named 'no-such-host-[^']+' exists [^\n]*\(HTTP 404[^\n]*\n$/);
    const busy = await ncli(['aggregate', 'delete', agg], env);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toMatch(
      new RegExp(`^ncli: Aggregate ${agg} \\(ID \\d+\\) still has hosts \\(${host}\\) .*remove them first[^\\n]*\\n$`),
    );

    const removed = await json<Row>(['aggregate', 'remove', 'host', agg, host]);
    expect(removed.hosts).toEqual([]);
    const notIn = await ncli(['aggregate', 'remove', 'host', agg, host], env);
    expect(notIn.code).toBe(1);
    expect(notIn.stderr).toMatch(
      new RegExp(`^ncli: Host '${host}' is not in aggregate ${agg} \\(ID \\d+\\) \\(it has no hosts\\)[^\\n]*\\n$`),
    );

    const gone = await ncli(['aggregate', 'delete', agg, `no-such-aggregate-${tag}`], env);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe(
      `ncli: No aggregate with a name or ID of 'no-such-aggregate-${tag}' exists.\nncli: 1 of 2 aggregates failed to delete.\n`,
    );
    expect((await openstack(['aggregate', 'show', agg])).code).not.toBe(0);
  }, 300_000);

  it('aggregate create --zone: the zone is the aggregate’s, not a property, as openstack shows it', async () => {
    const created = await json<Row>(['aggregate', 'create', zoned, '--zone', `${zoned}-az`, '--property', 'k=v']);
    const theirs = await oracle<Row>(['aggregate', 'show', zoned]);
    expect(stable(created, ['updated_at'])).toEqual(stable(theirs, ['updated_at']));
    expect(theirs).toMatchObject({ availability_zone: `${zoned}-az`, properties: { k: 'v' } });
    expect((await ncli(['aggregate', 'set', zoned, '--no-property'], env)).code).toBe(0);
    expect(await json<Row>(['aggregate', 'show', zoned])).toMatchObject({
      availability_zone: `${zoned}-az`,
      properties: {},
    });
    expect((await ncli(['aggregate', 'delete', zoned], env)).code).toBe(0);
  }, 300_000);
});
