/**
 * The operator's inventory commands (hypervisor, hypervisor stats, aggregate, availability zone)
 * run in-process against a mocked Nova, for what the real cloud will not show on demand: the
 * hypervisor show of 2.88+ (uptime in the item, no counters) against the older one (GET …/uptime,
 * a driver without uptime, cpu_info as a string before 2.28), the statistics capped at 2.87, a
 * non-admin's 403, the plain zone listing a user gets, and the exact requests of `aggregate set`.
 * The same commands against the real cloud, checked against `openstack`, are in
 * test/cloud/inventory.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { uptimeFields, aggregatesOf } from '../../src/compute/hypervisors.js';
import { runNcli } from '../support/io.js';
import { mockAgent, mockCloud } from '../support/mock-nova.js';

function cloud(opts: Parameters<typeof mockCloud>[0] = {}) {
  const c = mockCloud(opts);
  const run = (argv: string[]) => runNcli(argv, c.env, { dispatcher: c.agent, tokenStore: null });
  return { ...c, run };
}

const H_ID = '5d343e1d-938e-4284-b98b-6a2b5406ba76';
const SERVICE = { id: '7c6fb0e4-3a1e-4a32-8c5c-3ec79dd7f1f6', host: 'compute-2', disabled_reason: null };
const UPTIME = ' 08:32:11 up 93 days, 18:25, 12 users,  load average: 0.20, 0.12, 0.14';
const COUNTERS = {
  vcpus: 8,
  vcpus_used: 2,
  memory_mb: 16384,
  memory_mb_used: 1024,
  local_gb: 100,
  local_gb_used: 2,
  free_ram_mb: 15360,
  free_disk_gb: 98,
  current_workload: 0,
  running_vms: 2,
  disk_available_least: 90,
};
const BASE = {
  id: H_ID,
  hypervisor_hostname: 'compute-2',
  state: 'up',
  status: 'enabled',
  hypervisor_type: 'fake',
  hypervisor_version: 1000,
  host_ip: '10.0.0.2',
  service: SERVICE,
};
const AGGREGATES = {
  aggregates: [
    { id: 1, name: 'ssd', availability_zone: null, hosts: ['compute-2'], metadata: {} },
    { id: 2, name: 'other', availability_zone: 'az1', hosts: ['compute-1'], metadata: { availability_zone: 'az1' } },
  ],
};
const forbidden = (rule: string) => ({
  forbidden: { code: 403, message: `Policy doesn't allow ${rule} to be performed.` },
});

describe('hypervisor show', () => {
  it('from 2.88: the uptime of the item, split; no counters and no GET …/uptime', async () => {
    const c = cloud({ max: '2.93' });
    c.answer('GET', '/v2.1/os-hypervisors/detail?hypervisor_hostname_pattern=compute-2', 200, {
      hypervisors: [{ ...BASE, uptime: UPTIME }],
    });
    c.answer('GET', '/v2.1/os-aggregates', 200, AGGREGATES);
    const r = await c.run(['hypervisor', 'show', 'compute-2', '-f', 'json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const shown = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(shown).toEqual({
      aggregates: ['ssd'],
      host_ip: '10.0.0.2',
      host_time: '08:32:11',
      hypervisor_hostname: 'compute-2',
      hypervisor_type: 'fake',
      hypervisor_version: 1000,
      id: H_ID,
      load_average: '0.20, 0.12, 0.14',
      service_host: 'compute-2',
      service_id: SERVICE.id,
      state: 'up',
      status: 'enabled',
      uptime: '93 days, 18:25',
      users: '12',
    });
    expect(Object.keys(shown)).toEqual(Object.keys(shown).sort());
    expect(c.seen.map((s) => s.headers['openstack-api-version'])).toEqual(['compute 2.93', 'compute 2.93']);
  });

  it('from 2.88: a driver without uptime shows uptime null, as the cloud gives it', async () => {
    const c = cloud({ max: '2.93' });
    c.answer('GET', `/v2.1/os-hypervisors/${H_ID}`, 200, { hypervisor: { ...BASE, uptime: null } });
    c.answer('GET', '/v2.1/os-aggregates', 200, { aggregates: [] });
    const r = await c.run(['hypervisor', 'show', H_ID, '-f', 'json']);
    expect(r.code).toBe(0);
    const shown = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(shown.uptime).toBeNull();
    expect(shown.aggregates).toEqual([]);
    expect(shown).not.toHaveProperty('vcpus');
    expect(shown).not.toHaveProperty('host_time');
  });

  it('before 2.88: the counters, and the uptime from GET …/uptime at the same version', async () => {
    const c = cloud({ max: '2.87' });
    c.answer('GET', `/v2.1/os-hypervisors/${H_ID}`, 200, {
      hypervisor: { ...BASE, ...COUNTERS, cpu_info: { arch: 'x86_64' } },
    });
    c.answer('GET', '/v2.1/os-aggregates', 200, AGGREGATES);
    c.answer('GET', `/v2.1/os-hypervisors/${H_ID}/uptime`, 200, {
      hypervisor: { id: H_ID, hypervisor_hostname: 'compute-2', state: 'up', status: 'enabled', uptime: UPTIME },
    });
    const r = await c.run(['hypervisor', 'show', H_ID, '-f', 'json']);
    expect(r.code).toBe(0);
    const shown = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(shown).toMatchObject({
      ...COUNTERS,
      cpu_info: { arch: 'x86_64' },
      aggregates: ['ssd'],
      host_time: '08:32:11',
      uptime: '93 days, 18:25',
      users: '12',
      load_average: '0.20, 0.12, 0.14',
      service_id: SERVICE.id,
      service_host: 'compute-2',
    });
    expect(shown).not.toHaveProperty('service');
    const uptime = c.seen.find((s) => s.path.endsWith('/uptime'))!;
    expect(uptime.headers['openstack-api-version']).toBe('compute 2.87');
  });

  it("before 2.88: a driver without uptime (501, the fake driver's) leaves the uptime fields out", async () => {
    const c = cloud({ max: '2.87' });
    c.answer('GET', `/v2.1/os-hypervisors/${H_ID}`, 200, { hypervisor: { ...BASE, ...COUNTERS, cpu_info: {} } });
    c.answer('GET', '/v2.1/os-aggregates', 200, { aggregates: [] });
    c.answer('GET', `/v2.1/os-hypervisors/${H_ID}/uptime`, 501, {
      notImplemented: { code: 501, message: 'The requested functionality is not supported.' },
    });
    const r = await c.run(['hypervisor', 'show', H_ID, '-f', 'json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const shown = JSON.parse(r.stdout) as Record<string, unknown>;
    for (const k of ['uptime', 'host_time', 'users', 'load_average']) expect(shown).not.toHaveProperty(k);
    expect(shown.vcpus).toBe(8);
  });

  it('before 2.28: cpu_info, a JSON string, is shown as an object; integer IDs are tried as IDs', async () => {
    const c = cloud({ max: '2.93', requestedVersion: undefined });
    c.answer('GET', '/v2.1/os-hypervisors/1', 200, {
      hypervisor: {
        ...BASE,
        id: 1,
        service: { id: 3, host: 'compute-2' },
        ...COUNTERS,
        cpu_info: '{"arch": "x86_64"}',
      },
    });
    c.answer('GET', '/v2.1/os-aggregates', 200, { aggregates: [] });
    c.answer('GET', '/v2.1/os-hypervisors/1/uptime', 501, { notImplemented: { code: 501, message: 'no' } });
    const r = await c.run(['--os-compute-api-version', '2.27', 'hypervisor', 'show', '1', '-f', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ id: 1, service_id: 3, cpu_info: { arch: 'x86_64' } });
  });

  it('a name that matches no hostname (Nova answers the pattern with 404) is not found, in one line', async () => {
    const c = cloud();
    c.answer('GET', '/v2.1/os-hypervisors/detail?hypervisor_hostname_pattern=nosuch', 404, {
      itemNotFound: { code: 404, message: "No hypervisor matching 'nosuch' could be found." },
    });
    const r = await c.run(['hypervisor', 'show', 'nosuch']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("ncli: No hypervisor with a name or ID of 'nosuch' exists.\n");
  });
});

describe('hypervisor list', () => {
  it('a non-admin gets one line saying an admin role is needed', async () => {
    const c = cloud();
    c.answer('GET', '/v2.1/os-hypervisors/detail', 403, forbidden('os_compute_api:os-hypervisors:list-detail'));
    const r = await c.run(['hypervisor', 'list']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^ncli: Listing hypervisors needs an admin role: Nova's policy refused it \(Policy doesn't allow os_compute_api:os-hypervisors:list-detail to be performed\) \(HTTP 403\); use the credentials of a user with the admin role\.\n$/,
    );
  });

  it('--matching searches by pattern without paging; no match is an empty list', async () => {
    const c = cloud();
    c.answer('GET', '/v2.1/os-hypervisors/detail?hypervisor_hostname_pattern=zz', 404, {
      itemNotFound: { code: 404, message: "No hypervisor matching 'zz' could be found." },
    });
    const r = await c.run(['hypervisor', 'list', '--matching', 'zz', '-f', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
  });

  it('--matching before 2.53 uses …/{pattern}/search', async () => {
    const c = cloud({ max: '2.52' });
    c.answer('GET', '/v2.1/os-hypervisors/comp/search', 200, {
      hypervisors: [{ id: 2, hypervisor_hostname: 'compute-2', state: 'up', status: 'enabled' }],
    });
    const r = await c.run(['hypervisor', 'list', '--matching', 'comp', '-f', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([
      { ID: 2, 'Hypervisor Hostname': 'compute-2', 'Hypervisor Type': '', 'Host IP': '', State: 'up' },
    ]);
  });

  it('--limit needs 2.33: refused in one line before any request', async () => {
    const c = cloud({ max: '2.30' });
    const r = await c.run(['hypervisor', 'list', '--limit', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('ncli: --limit needs compute API version 2.33; this cloud supports at most 2.30.\n');
    expect(c.seen).toEqual([]);
  });
});

describe('hypervisor stats show', () => {
  it('is sent at 2.87 on a newer cloud, keys sorted', async () => {
    const c = cloud({ max: '2.93' });
    c.answer('GET', '/v2.1/os-hypervisors/statistics', 200, {
      hypervisor_statistics: { vcpus: 16, count: 2, memory_mb: 32768 },
    });
    const r = await c.run(['hypervisor', 'stats', 'show', '-f', 'json']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('{\n  "count": 2,\n  "memory_mb": 32768,\n  "vcpus": 16\n}\n');
    expect(c.seen[0].headers['openstack-api-version']).toBe('compute 2.87');
  });

  it('at --os-compute-api-version 2.88: one line saying it is gone and what to use, no request', async () => {
    const c = cloud({ max: '2.93' });
    const r = await c.run(['--os-compute-api-version', '2.88', 'hypervisor', 'stats', 'show']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'ncli: The hypervisor statistics API was removed in compute API 2.88; this run asked for 2.88; ' +
        'Placement has the totals now (openstack resource provider usage show PROVIDER); ' +
        'leave --os-compute-api-version out to negotiate one.\n',
    );
    expect(c.seen).toEqual([]);
  });
});

describe('aggregate', () => {
  const AGG = {
    id: 7,
    name: 'ssd',
    availability_zone: 'az1',
    hosts: [],
    metadata: { availability_zone: 'az1', a: '1', b: '2' },
  };

  it('set --no-property --property replaces the properties (the zone key stays) in one request', async () => {
    const c = cloud();
    c.answer('GET', '/v2.1/os-aggregates', 200, { aggregates: [AGG] });
    c.answer('POST', '/v2.1/os-aggregates/7/action', 200, { aggregate: { ...AGG, metadata: { c: '3' } } });
    const r = await c.run(['aggregate', 'set', 'ssd', '--no-property', '--property', 'c=3']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(c.seen[1].body).toEqual({ set_metadata: { metadata: { a: null, b: null, c: '3' } } });
  });

  it('set --name --zone sends one PUT; --no-property alone clears', async () => {
    const c = cloud();
    c.answer('GET', '/v2.1/os-aggregates/7', 200, { aggregate: AGG });
    c.answer('PUT', '/v2.1/os-aggregates/7', 200, { aggregate: { ...AGG, name: 'fast' } });
    c.answer('POST', '/v2.1/os-aggregates/7/action', 200, { aggregate: AGG });
    const r = await c.run(['aggregate', 'set', '7', '--name', 'fast', '--zone', 'az2', '--no-property']);
    expect(r.code).toBe(0);
    expect(c.seen[1].body).toEqual({ aggregate: { name: 'fast', availability_zone: 'az2' } });
    expect(c.seen[2].body).toEqual({ set_metadata: { metadata: { a: null, b: null } } });
  });

  it('a rename to a taken name is one line (409)', async () => {
    const c = cloud();
    c.answer('GET', '/v2.1/os-aggregates/7', 200, { aggregate: AGG });
    c.answer('PUT', '/v2.1/os-aggregates/7', 409, {
      conflictingRequest: { code: 409, message: 'Aggregate other already exists.' },
    });
    const r = await c.run(['aggregate', 'set', '7', '--name', 'other']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("ncli: An aggregate named 'other' already exists (HTTP 409); choose another name.\n");
  });

  it('a non-admin gets one line saying an admin role is needed', async () => {
    const c = cloud();
    c.answer('POST', '/v2.1/os-aggregates', 403, forbidden('os_compute_api:os-aggregates:create'));
    const r = await c.run(['aggregate', 'create', 'x']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ncli: Managing host aggregates needs an admin role: .*os-aggregates:create.*\n$/);
  });

  it('unset without --property is a usage error', async () => {
    const r = await runNcli(['aggregate', 'unset', 'ssd'], {}, { dispatcher: mockAgent(), tokenStore: null });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('ncli: Give at least one --property KEY to remove.\n');
  });
});

describe('availability zone list', () => {
  it('falls back to the plain listing when the policy refuses the detailed one; --long says why hosts are missing', async () => {
    const c = cloud();
    c.answer('GET', '/v2.1/os-availability-zone/detail', 403, forbidden('os_compute_api:os-availability-zone:detail'));
    c.answer('GET', '/v2.1/os-availability-zone', 200, {
      availabilityZoneInfo: [{ zoneName: 'nova', zoneState: { available: true }, hosts: null }],
    });
    const r = await c.run(['availability', 'zone', 'list', '--long', '-f', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([
      {
        'Zone Name': 'nova',
        'Zone Status': 'available',
        'Zone Resource': '',
        'Host Name': '',
        'Service Name': '',
        'Service Status': '',
      },
    ]);
    expect(r.stderr).toMatch(/^ncli: hosts and services per zone need an admin role/);
  });

  it('--long: one row per service of each host, as openstackclient words it', async () => {
    const c = cloud();
    c.answer('GET', '/v2.1/os-availability-zone/detail', 200, {
      availabilityZoneInfo: [
        {
          zoneName: 'az1',
          zoneState: { available: false },
          hosts: {
            h1: {
              'nova-compute': { available: false, active: true, updated_at: '2026-12-06T10:00:00.000000' },
            },
          },
        },
        { zoneName: 'empty', zoneState: { available: true }, hosts: null },
      ],
    });
    const r = await c.run(['availability', 'zone', 'list', '--long', '-f', 'csv']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      '"Zone Name","Zone Status","Zone Resource","Host Name","Service Name","Service Status"\n' +
        '"az1","not available","","h1","nova-compute","enabled XXX 2026-12-06T10:00:00.000000"\n' +
        '"empty","available","","","",""\n',
    );
  });
});

describe('helpers', () => {
  it('uptimeFields splits the usual uptime line and keeps others whole', () => {
    expect(uptimeFields(' 17:37:14 up  2:33,  3 users,  load average: 0.33, 0.36, 0.34')).toEqual({
      host_time: '17:37:14',
      uptime: '2:33',
      users: '3',
      load_average: '0.33, 0.36, 0.34',
    });
    expect(uptimeFields('weird')).toEqual({ uptime: 'weird' });
    expect(uptimeFields(null)).toEqual({ uptime: null });
  });

  it('aggregatesOf matches cell-prefixed hosts within their cell', () => {
    const aggs = [
      { id: 1, name: 'cell1@ssd', hosts: ['h1'] },
      { id: 2, name: 'cell2@ssd', hosts: ['h1'] },
      { id: 3, name: 'plain', hosts: ['h2'] },
    ];
    expect(aggregatesOf(aggs, 'cell1@h1')).toEqual(['cell1@ssd']);
    expect(aggregatesOf(aggs, 'h2')).toEqual(['plain']);
  });
});
