/**
 * `server list` as operators use it, as whole commands against a mocked Nova and Glance
 * (undici MockAgent): image names from Glance (`id=in:…`) kept in the names cache, booted-from-
 * volume servers, `--no-name-lookup`, every Nova filter turned into its query parameter, the
 * microversion each needs, and the output controls. The real-cloud side (openstackclient as the
 * oracle) is in test/cloud/actions.test.ts.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runNcli, testIO } from '../support/io.js';
import { KEYSTONE, mockAgent, mockCloud } from '../support/mock-nova.js';

const GLANCE = 'http://glance.test:9292';
const IMG1 = '11111111-1111-4111-8111-111111111111';
const IMG2 = '22222222-2222-4222-8222-222222222222';
const GONE = '99999999-9999-4999-8999-999999999999';

const SERVERS = [
  { id: 'a', name: 'web-1', status: 'ACTIVE', image: { id: IMG1 }, flavor: { original_name: 'm1.tiny' } },
  { id: 'b', name: 'web-2', status: 'SHUTOFF', image: { id: IMG1 }, flavor: { original_name: 'm1.small' } },
  { id: 'c', name: 'db-1', status: 'ACTIVE', image: { id: IMG2 }, flavor: { original_name: 'm1.tiny' } },
  { id: 'd', name: 'vol-1', status: 'ACTIVE', image: '', flavor: { original_name: 'm1.tiny' } },
  { id: 'e', name: 'old-1', status: 'ACTIVE', image: { id: GONE }, flavor: { original_name: 'm1.tiny' } },
];

function cloud(opts: Parameters<typeof mockCloud>[0] = {}) {
  const c = mockCloud(opts);
  const run = (argv: string[], env: NodeJS.ProcessEnv = {}, tty = false) =>
    runNcli(argv, { ...c.env, ...env }, { dispatcher: c.agent, tokenStore: null }, { tty });
  return { ...c, run, glance: c.agent.get(GLANCE) };
}

const glanceIds = (ids: string[]) => `/v2/images?id=${encodeURIComponent(`in:${ids.join(',')}`)}`;

describe('server list image names', () => {
  it('names images with one Glance request for the distinct IDs; a volume-booted server says so', async () => {
    const c = cloud();
    c.answer('GET', '/v2.1/servers/detail', 200, { servers: SERVERS });
    c.glance.intercept({ path: glanceIds([IMG1, IMG2, GONE]), method: 'GET' }).reply(200, {
      images: [
        { id: IMG1, name: 'debian-12' },
        { id: IMG2, name: 'ubuntu-24.04' },
      ],
    });
    const r = await c.run(['server', 'list', '-f', 'json', '-c', 'Name', '-c', 'Image']);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([
      { Name: 'web-1', Image: 'debian-12' },
      { Name: 'web-2', Image: 'debian-12' },
      { Name: 'db-1', Image: 'ubuntu-24.04' },
      { Name: 'vol-1', Image: 'N/A (booted from volume)' },
      { Name: 'old-1', Image: GONE }, // Glance no longer shows it: its ID
    ]);
  });

  it('--no-name-lookup keeps IDs and asks Glance nothing; --long has Image ID too', async () => {
    const c = cloud();
    c.answer('GET', '/v2.1/servers/detail', 200, { servers: SERVERS.slice(0, 1) });
    const r = await c.run([
      'server',
      'list',
      '--no-name-lookup',
      '--long',
      '-f',
      'json',
      '-c',
      'Image Name',
      '-c',
      'Image ID',
    ]);
    expect(JSON.parse(r.stdout)).toEqual([{ 'Image Name': IMG1, 'Image ID': IMG1 }]);
  });

  it('keeps image names in the names cache: the next run asks Glance only for new IDs', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'ncli-img-'));
    const env = { OS_CACHE: 'true', XDG_CACHE_HOME: cache };
    const c = cloud();
    c.answer('GET', '/v2.1/servers/detail', 200, { servers: SERVERS.slice(0, 1) });
    c.glance
      .intercept({ path: glanceIds([IMG1]), method: 'GET' })
      .reply(200, { images: [{ id: IMG1, name: 'debian-12' }] });
    expect((await c.run(['server', 'list', '-f', 'value', '-c', 'Image'], env)).stdout).toBe('debian-12\n');
    c.answer('GET', '/v2.1/servers/detail', 200, { servers: SERVERS.slice(0, 3) });
    c.glance
      .intercept({ path: glanceIds([IMG2]), method: 'GET' })
      .reply(200, { images: [{ id: IMG2, name: 'ubuntu' }] });
    const r = await c.run(['server', 'list', '-f', 'value', '-c', 'Image'], env);
    expect(r.stdout).toBe('debian-12\ndebian-12\nubuntu\n');
    // and shell completion offers them for --image
    const t = testIO({ env: { ...c.env, ...env } });
    // the built completer: it reads dist/manifest.json
    const { complete } = (await import(new URL('../../dist/cli/complete.js', import.meta.url).href)) as {
      complete: (words: string[], io: unknown) => Promise<number>;
    };
    await complete(['server', 'list', '--image', 'deb'], t.io);
    expect(t.out.text()).toBe('debian-12\n');
  });

  it('a Glance failure leaves IDs (a --debug line), never a failed list', async () => {
    const c = cloud();
    c.answer('GET', '/v2.1/servers/detail', 200, { servers: SERVERS.slice(0, 1) });
    c.glance.intercept({ path: glanceIds([IMG1]), method: 'GET' }).reply(403, { error: { message: 'nope' } });
    const r = await c.run(['server', 'list', '-f', 'value', '-c', 'Image']);
    expect(r).toMatchObject({ code: 0, stdout: `${IMG1}\n`, stderr: '' });
  });
});

describe('server list filters', () => {
  it('sends every filter as Nova names it, with flavor and image resolved to IDs', async () => {
    const c = cloud();
    c.answer('GET', '/v2.1/flavors/m1.tiny', 404, { itemNotFound: { code: 404, message: 'x' } });
    c.answer('GET', '/v2.1/flavors/detail?is_public=None', 200, {
      flavors: [{ id: '1', name: 'm1.tiny', ram: 512, disk: 1, vcpus: 1 }],
    });
    c.glance
      .intercept({ path: '/v2/images?name=debian-12', method: 'GET' })
      .reply(200, { images: [{ id: IMG1, name: 'debian-12' }] });
    c.answer('GET', /^\/v2\.1\/servers\/detail\?/, 200, { servers: [] });
    const r = await c.run([
      'server',
      'list',
      '--flavor',
      'm1.tiny',
      '--image',
      'debian-12',
      '--host',
      'cmp-3',
      '--ip',
      '10\\.0\\.',
      '--changes-since',
      '2026-12-01T00:00:00Z',
      '--changes-before',
      '2026-12-02',
      '--locked',
      '--tags',
      'prod,db',
      '--tags',
      'eu',
      '--not-tags',
      'old',
      '--deleted',
      '--all-projects',
      '--sort',
      'display_name:asc,created_at',
      '--sort',
      'vm_state:desc',
    ]);
    expect(r.stderr).toBe('');
    const q = new URL(c.seen.at(-1)!.path, 'http://x').searchParams;
    expect(Object.fromEntries([...q.keys()].map((k) => [k, q.getAll(k).join('|')]))).toEqual({
      flavor: '1',
      image: IMG1,
      host: 'cmp-3',
      ip: '10\\.0\\.',
      'changes-since': '2026-12-01T00:00:00Z',
      'changes-before': '2026-12-02',
      locked: 'true',
      tags: 'prod,db,eu',
      'not-tags': 'old',
      deleted: 'true',
      all_tenants: '1',
      sort_key: 'display_name|created_at|vm_state',
      sort_dir: 'asc|desc|desc',
    });
  });

  it('--unlocked is locked=false; --locked and --unlocked together are a usage error', async () => {
    const c = cloud();
    c.answer('GET', '/v2.1/servers/detail?locked=false', 200, { servers: [] });
    expect((await c.run(['server', 'list', '--unlocked'])).code).toBe(0);
    const both = await c.run(['server', 'list', '--locked', '--unlocked']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/cannot be used with option '--(un)?locked'/);
  });

  it('a filter the cloud is too old for is one line naming the version', async () => {
    const c = cloud({ max: '2.60' });
    const r = await c.run(['server', 'list', '--locked']);
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'ncli: Filtering servers by lock state needs compute API version 2.73; this cloud supports at most 2.60.\n',
    });
    const old = cloud({ max: '2.25' });
    expect((await old.run(['server', 'list', '--tags', 'x'])).stderr).toBe(
      'ncli: Filtering servers by tag needs compute API version 2.26; this cloud supports at most 2.25.\n',
    );
  });

  it('bad --sort and --changes-since values are usage errors before any request', async () => {
    const agent = mockAgent(); // no interceptor: any request fails the test
    const env = {
      OS_AUTH_URL: `${KEYSTONE}/v3`,
      OS_USERNAME: 'u',
      OS_PASSWORD: 'p',
      OS_PROJECT_NAME: 'p',
      OS_CACHE: 'false',
    };
    const c = { run: (argv: string[]) => runNcli(argv, env, { dispatcher: agent, tokenStore: null }) };
    expect((await c.run(['server', 'list', '--sort', 'name:up'])).stderr).toBe(
      "ncli: --sort takes KEY[:asc|desc] (e.g. display_name:asc), not 'name:up'.\n",
    );
    const t = await c.run(['server', 'list', '--changes-since', 'yesterday']);
    expect(t.stderr).toBe(
      "ncli: --changes-since takes an ISO 8601 time such as 2026-03-04T06:27:59Z, not 'yesterday'.\n",
    );
  });
});

describe('server list output controls', () => {
  it('--sort-column with --sort-descending sorts the rows; an unknown column is a usage error', async () => {
    const c = cloud();
    c.answer('GET', '/v2.1/servers/detail', 200, { servers: SERVERS.slice(0, 3) });
    c.answer('GET', '/v2.1/servers/detail', 200, { servers: SERVERS.slice(0, 3) });
    const r = await c.run([
      'server',
      'list',
      '--no-name-lookup',
      '--sort-column',
      'Status',
      '--sort-column',
      'Name',
      '--sort-descending',
      '-f',
      'value',
      '-c',
      'Name',
    ]);
    expect(r.stdout).toBe('web-2\nweb-1\ndb-1\n');
    const bad = await c.run(['server', 'list', '--no-name-lookup', '--sort-column', 'Nope']);
    expect(bad).toMatchObject({
      code: 2,
      stderr: "ncli: Unknown sort column 'Nope'; choose from: ID, Name, Status, Networks, Image, Flavor.\n",
    });
  });

  it('--max-width fits the table, wrapping long cells; -f shell is for shows', async () => {
    const c = cloud();
    const long = {
      ...SERVERS[0],
      name: 'a-server-with-a-very-long-name-indeed',
      addresses: { net: [{ addr: '10.0.0.1' }, { addr: 'fd00::1' }] },
    };
    c.answer('GET', '/v2.1/servers/detail', 200, { servers: [long] });
    const r = await c.run(['server', 'list', '--no-name-lookup', '--max-width', '70']);
    const lines = r.stdout.trimEnd().split('\n');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(70);
    expect(r.stdout.replace(/[│\s]/g, '')).toContain('a-server-with-a-very-long-name-indeed'.slice(0, 8));
    const shell = await c.run(['server', 'list', '--no-name-lookup', '-f', 'shell']);
    expect(shell.code).toBe(2);
    expect(shell.stderr).toMatch(/argument 'shell' is invalid/);
  });

  it('show -f shell prints name="value" lines that eval safely, with --prefix', async () => {
    const c = cloud();
    const vm = {
      id: '11111111-2222-4333-8444-555555555555',
      name: 'vm $(touch /tmp/x) "1"',
      status: 'ACTIVE',
      'OS-EXT-STS:vm_state': 'active',
    };
    c.answer('GET', `/v2.1/servers/${vm.id}`, 200, { server: vm });
    c.answer('GET', `/v2.1/servers/${vm.id}`, 200, { server: vm });
    const r = await c.run(['server', 'show', vm.id, '-f', 'shell', '-c', 'name', '-c', 'OS-EXT-STS:vm_state']);
    // fields in openstackclient's sorted order, whatever the order of -c
    expect(r.stdout).toBe('os_ext_sts_vm_state="active"\nname="vm \\$(touch /tmp/x) \\"1\\""\n');
    const p = await c.run(['server', 'show', vm.id, '-f', 'shell', '-c', 'status', '--prefix', 'vm_']);
    expect(p.stdout).toBe('vm_status="ACTIVE"\n');
    // what bash makes of it
    const { execFileSync } = await import('node:child_process');
    const echoed = execFileSync('bash', [
      '-c',
      `eval "$1"; printf '%s|%s' "$name" "$os_ext_sts_vm_state"`,
      'x',
      r.stdout,
    ]).toString();
    expect(echoed).toBe('vm $(touch /tmp/x) "1"|active');
  });
});

describe('--limit', () => {
  it('takes -1 (no limit) or N >= 0; below -1 is a usage error before any request', async () => {
    for (const argv of [
      ['server', 'list', '--limit', '-5'],
      ['server', 'event', 'list', 'vm1', '--limit', '-2'],
      ['server', 'migration', 'list', '--limit', '-3'],
    ]) {
      const agent = mockAgent(); // no interceptor at all: any request would fail the test
      const env = { OS_AUTH_URL: `${KEYSTONE}/v3`, OS_USERNAME: 'alice', OS_PASSWORD: 'pw', OS_PROJECT_NAME: 'demo' };
      const r = await runNcli(argv, env, { dispatcher: agent, tokenStore: null });
      expect(r.stderr).toMatch(/^ncli: --limit takes -1 \(no limit\) or a number of 0 or more, not -\d\.\n$/);
      expect(r.code).toBe(2);
    }
  });
});
