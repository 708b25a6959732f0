/**
 * Quota refusals, scheduler hints and server group paging against a fake Nova (undici MockAgent):
 * the 403 bodies are Nova's own (nova/exception.py TooManyInstances, ServerGroupLimitExceeded, as
 * the local cloud answered them), which a real cloud gives only once a project is full.
 */
import { describe, expect, it } from 'vitest';
import { parseHints } from '../../src/cli/parse.js';
import { listResource } from '../../src/compute/resource.js';
import { SERVER_GROUP } from '../../src/compute/resources/server-group.js';
import { quotaRefusal } from '../../src/compute/quotas.js';
import { ApiError } from '../../src/http/errors.js';
import { mockCloud, mockNova } from '../support/mock-nova.js';
import { answerGroupPages, fakeGroups, runOnMock } from '../support/mock-setup.js';

const IMAGE = '01692005-f686-4697-8383-0cce129c56f3';
const GROUP = '1ad1e534-6a3e-4498-97e2-a425c22a6b96';
const TINY = { id: '1', name: 'm1.tiny', ram: 512, disk: 1, vcpus: 1 };
const REQ = { 'x-openstack-request-id': 'req-2a948053-5fa9-4117-85b6-b00d39bb6c6a' };

/** A mock cloud where `server create x --image IMAGE --flavor 1` reaches the POST. */
function createCloud() {
  const c = mockCloud();
  c.agent
    .get('http://glance.test:9292')
    .intercept({ path: `/v2/images/${IMAGE}`, method: 'GET' })
    .reply(200, { id: IMAGE, name: 'devcloud-image' });
  c.answer('GET', '/v2.1/flavors/1', 200, { flavor: TINY });
  const run = (argv: string[]) => runOnMock(c, argv);
  return { c, run };
}

const CREATE = ['server', 'create', 'x', '--image', IMAGE, '--flavor', '1', '--network', 'none'];

describe('a create over quota', () => {
  it('says which quota, its limit and its use in one line (Nova 403 TooManyInstances)', async () => {
    const { c, run } = createCloud();
    c.answer(
      'POST',
      '/v2.1/servers',
      403,
      {
        forbidden: {
          code: 403,
          message: 'Quota exceeded for instances: Requested 1, but already used 3 of 3 instances',
        },
      },
      REQ,
    );
    const r = await run(CREATE);
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'ncli: Over quota creating server x (instances: limit 3, in use 3, asked for 1 more) (HTTP 403, request req-2a948053-5fa9-4117-85b6-b00d39bb6c6a); delete unused resources or have an admin raise the quota.\n',
    });
    expect(c.seen.filter((s) => s.method === 'POST')).toHaveLength(1);
  });

  it('names each quota when several are over (cores and ram), and a 413 from an older cloud too', () => {
    const e = new ApiError({
      status: 413,
      method: 'POST',
      url: 'http://nova/v2.1/servers',
      service: 'compute',
      serverMessage:
        'Quota exceeded for cores, ram: Requested 8, 16384, but already used 16, 32768 of 20, 40960 cores, ram',
    });
    expect((quotaRefusal(e, 'creating server big') as Error).message).toBe(
      'Over quota creating server big (cores: limit 20, in use 16, asked for 8 more; ram: limit 40960, in use 32768, asked for 16384 more) (HTTP 413); delete unused resources or have an admin raise the quota.',
    );
    const policy = new ApiError({
      status: 403,
      method: 'POST',
      url: 'http://nova/v2.1/servers',
      service: 'compute',
      serverMessage: "Policy doesn't allow os_compute_api:servers:create to be performed.",
    });
    expect(quotaRefusal(policy, 'creating server x')).toBe(policy);
  });

  it('a server group over its quota is one line with Nova’s words', async () => {
    const c = mockCloud();
    c.answer(
      'POST',
      '/v2.1/os-server-groups',
      403,
      { forbidden: { code: 403, message: 'Quota exceeded, too many server groups.' } },
      REQ,
    );
    const r = await runOnMock(c, ['server', 'group', 'create', 'g', '--policy', 'anti-affinity']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'ncli: Over quota creating server group g: Quota exceeded, too many server groups (HTTP 403, request req-2a948053-5fa9-4117-85b6-b00d39bb6c6a); delete unused resources or have an admin raise the quota.\n',
    );
  });
});

describe('server create --hint', () => {
  it('sends os:scheduler_hints, a repeated key as a list, group=NAME as the group ID', async () => {
    const { c, run } = createCloud();
    // a name is looked up in the listing: a first short page, then an empty one (offset paging)
    c.answer('GET', '/v2.1/os-server-groups?limit=1000', 200, {
      server_groups: [{ id: GROUP, name: 'spread', policy: 'anti-affinity', members: [] }],
    });
    c.answer('GET', '/v2.1/os-server-groups?offset=1&limit=1000', 200, { server_groups: [] });
    c.answer('POST', '/v2.1/servers', 202, { server: { id: 'srv-1' } });
    c.answer('GET', '/v2.1/servers/srv-1', 200, { server: { id: 'srv-1', name: 'x', status: 'BUILD' } });
    const r = await run([
      ...CREATE,
      '--hint',
      'group=spread',
      '--hint',
      'same_host=a',
      '--hint',
      'same_host=b',
      '-f',
      'json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const post = c.seen.find((s) => s.method === 'POST')!;
    expect((post.body as Record<string, unknown>)['os:scheduler_hints']).toEqual({
      group: GROUP,
      same_host: ['a', 'b'],
    });
  });

  it('refuses a hint without = before any request', async () => {
    expect(() => parseHints(['group'])).toThrow("--hint takes KEY=VALUE, not 'group'.");
    expect(parseHints(['a=1', 'b=2=3', 'a=4'])).toEqual({ a: ['1', '4'], b: '2=3' });
    expect(parseHints(undefined)).toBeUndefined();
  });
});

describe('offset paging (os-server-groups) on a cloud with a low max_limit', () => {
  it('reads on after a first short page until a shorter one', async () => {
    const nova = mockNova();
    // Nova caps each page at [api] max_limit = 20 whatever limit asks for
    answerGroupPages(nova, [20, 20, 5]);
    const all = await listResource(nova.client, SERVER_GROUP);
    expect(all.map((g) => g.id)).toEqual(fakeGroups(45).map((g) => g.id));
  });
});

describe('usage paging (os-simple-tenant-usage from 2.40)', () => {
  const su = (id: string, tenant = 'p1') => ({ instance_id: id, tenant_id: tenant, hours: 1 });
  const period = { start: '2026-11-01T00:00:00', end: '2026-12-01T00:00:00' };
  const q = 'start=2026-11-01T00%3A00%3A00&end=2026-12-01T00%3A00%3A00';

  it('usage list follows tenant_usages_links and adds up a project split over pages', async () => {
    const { listUsage } = await import('../../src/compute/usage.js');
    const nova = mockNova();
    nova.answer('GET', `/v2.1/os-simple-tenant-usage?detailed=1&${q}`, 200, {
      tenant_usages: [
        { tenant_id: 'p1', server_usages: [su('a'), su('b')], total_hours: 2, total_vcpus_usage: 2 },
        { tenant_id: 'p2', server_usages: [su('c', 'p2')], total_hours: 1, total_vcpus_usage: 1 },
      ],
      tenant_usages_links: [{ rel: 'next', href: `http://nova.test:8774/v2.1/os-simple-tenant-usage?marker=c` }],
    });
    nova.answer('GET', `/v2.1/os-simple-tenant-usage?detailed=1&${q}&marker=c`, 200, {
      tenant_usages: [{ tenant_id: 'p2', server_usages: [su('d', 'p2')], total_hours: 1, total_vcpus_usage: 1.5 }],
    });
    const all = await listUsage(nova.client, period);
    expect(all.map((u) => [u.tenant_id, u.server_usages?.map((s) => s.instance_id), u.total_vcpus_usage])).toEqual([
      ['p1', ['a', 'b'], 2],
      ['p2', ['c', 'd'], 2.5],
    ]);
  });

  it('usage show follows tenant_usage_links; a project without servers is zeros', async () => {
    const { getUsage } = await import('../../src/compute/usage.js');
    const nova = mockNova();
    nova.answer('GET', `/v2.1/os-simple-tenant-usage/p1?${q}`, 200, {
      tenant_usage: { tenant_id: 'p1', server_usages: [su('a')], total_memory_mb_usage: 512 },
      tenant_usage_links: [{ rel: 'next', href: 'http://nova.test:8774/v2.1/os-simple-tenant-usage/p1?marker=a' }],
    });
    nova.answer('GET', `/v2.1/os-simple-tenant-usage/p1?${q}&marker=a`, 200, {
      tenant_usage: { tenant_id: 'p1', server_usages: [su('b')], total_memory_mb_usage: 256 },
    });
    nova.answer('GET', `/v2.1/os-simple-tenant-usage/p9?${q}`, 200, { tenant_usage: {} });
    const one = await getUsage(nova.client, 'p1', period);
    expect([one.server_usages?.map((s) => s.instance_id), one.total_memory_mb_usage]).toEqual([['a', 'b'], 768]);
    expect(await getUsage(nova.client, 'p9', period)).toMatchObject({
      tenant_id: 'p9',
      server_usages: [],
      total_memory_mb_usage: 0,
      total_vcpus_usage: 0,
      total_local_gb_usage: 0,
    });
  });
});
