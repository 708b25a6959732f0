/**
 * server set/unset, rescue/unrescue, show --diagnostics/--topology, image create, backup create
 * and dump create against the real local cloud, with python-openstackclient as the oracle. Works
 * in the project `ncli-actions` (made idempotently here too, as test/cloud/actions.test.ts makes
 * it) on throwaway servers named sp-<pid>… and fail-snapshot-sp-<pid> (the harness's devcloud
 * driver fails that one's snapshot); servers and images are deleted in afterAll.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  cloudEnv,
  describeCloud,
  freshCache,
  ensureTestProject,
  ncli,
  run as runCommand,
  openstackEnv,
  ok,
} from '../support/cloud.js';

const PROJECT = 'ncli-actions';

/** openstackclient's environment for admin, scoped to a project (test/support/cloud.ts). */
const oscEnv = (project = PROJECT): Record<string, string> => openstackEnv('admin', project);

const osc = (args: string[], project = PROJECT) =>
  runCommand('/usr/bin/openstack', ['--os-compute-api-version', '2.79', ...args], oscEnv(project), {
    timeoutMs: 60_000,
  });

async function oscJson<T = Record<string, unknown>>(args: string[]): Promise<T> {
  const r = await osc([...args, '-f', 'json']);
  expect([args.join(' '), r.stderr]).toEqual([args.join(' '), '']);
  return JSON.parse(r.stdout) as T;
}

const PREFIX = `sp-${process.pid}`;

describeCloud('server set/unset, rescue, image, backup and dump against the real cloud', () => {
  const env = cloudEnv({ OS_PROJECT_NAME: PROJECT }, freshCache());
  const run = (args: string[]) => ncli(args, env, { timeoutMs: 120_000 });
  const vm = `${PREFIX}-1`;
  const failing = `fail-snapshot-${PREFIX}`;

  beforeAll(async () => {
    await ensureTestProject(PROJECT, { description: 'ncli cloud tests', quota: true });
    const boot = (name: string) =>
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
        '--wait',
        '-f',
        'value',
        '-c',
        'status',
      ]);
    const [a, b] = await Promise.all([boot(vm), boot(failing)]);
    expect(ok(a)).toBe('ACTIVE\n');
    expect(ok(b)).toBe('ACTIVE\n');
  }, 180_000);

  afterAll(async () => {
    const images = await osc(['image', 'list', '--private', '-f', 'value', '-c', 'ID', '-c', 'Name']);
    const ids = images.stdout
      .split('\n')
      .filter((l) => l.includes(PREFIX))
      .map((l) => l.split(' ')[0]);
    if (ids.length) await osc(['image', 'delete', ...ids]);
    const list = await run(['server', 'list', '--name', PREFIX, '-f', 'value', '-c', 'ID']);
    const servers = list.stdout.split('\n').filter(Boolean);
    if (servers.length) await run(['server', 'delete', ...servers, '--wait']);
  }, 120_000);

  it('set --name/--description/--property/--tag and unset round trip, as openstack server show sees them', async () => {
    const renamed = `${PREFIX}-renamed`;
    expect(
      ok(
        await run([
          'server',
          'set',
          vm,
          '--name',
          renamed,
          '--description',
          'ncli test',
          '--property',
          'role=db',
          '--property',
          'owner=ops',
          '--tag',
          'prod',
          '--tag',
          'blue',
        ]),
      ),
    ).toBe('');
    let s = await oscJson(['server', 'show', renamed]);
    expect([s.name, s.description, s.properties, [...(s.tags as string[])].sort()]).toEqual([
      renamed,
      'ncli test',
      { role: 'db', owner: 'ops' },
      ['blue', 'prod'],
    ]);
    expect(ok(await run(['server', 'unset', renamed, '--property', 'owner', '--tag', 'prod', '--description']))).toBe(
      '',
    );
    s = await oscJson(['server', 'show', renamed]);
    expect([s.description, s.properties, s.tags]).toEqual(['', { role: 'db' }, ['blue']]);
    // a key it does not have: one line, exit 1
    const r = await run(['server', 'unset', renamed, '--property', 'owner']);
    expect([r.code, r.stdout]).toEqual([1, '']);
    expect(r.stderr).toMatch(
      new RegExp(`^ncli: Server ${renamed} has no property 'owner' \\(HTTP 404, request req-[0-9a-f-]+\\)\\.\\n$`),
    );
    expect(ok(await run(['server', 'set', renamed, '--name', vm, '--password', 'Rescue-Me-1', '--no-password']))).toBe(
      '',
    );
  }, 120_000);

  it('a --property without = is one line before any request', async () => {
    const r = await run(['server', 'set', vm, '--property', 'novalue']);
    expect(r).toEqual({ code: 2, stdout: '', stderr: "ncli: --property takes KEY=VALUE, not 'novalue'.\n" });
  });

  it('rescue and unrescue with --wait; openstack server show agrees after each', async () => {
    expect(ok(await run(['server', 'rescue', vm, '--image', 'devcloud-image-2', '--wait']))).toMatch(
      new RegExp(`^${vm}: rescue: RESCUE after \\d+\\.\\d s \\(request req-[0-9a-f-]+\\)\\.\\n$`),
    );
    let s = await oscJson(['server', 'show', vm]);
    expect([s.status, s['OS-EXT-STS:task_state']]).toEqual(['RESCUE', null]);
    expect(ok(await run(['server', 'unrescue', vm, '--wait']))).toMatch(new RegExp(`^${vm}: unrescue: ACTIVE after`));
    s = await oscJson(['server', 'show', vm]);
    expect([s.status, s['OS-EXT-STS:task_state']]).toEqual(['ACTIVE', null]);
  }, 120_000);

  it('show --diagnostics prints what openstack server show --diagnostics does (at 2.48+), --topology adds topology', async () => {
    const mine = JSON.parse(ok(await run(['server', 'show', vm, '--diagnostics', '-f', 'json']))) as Record<
      string,
      unknown
    >;
    const theirs = await oscJson(['--os-compute-api-version', '2.48', 'server', 'show', vm, '--diagnostics']);
    expect(mine).toEqual(theirs);
    const topo = JSON.parse(ok(await run(['server', 'show', vm, '--topology', '-f', 'json']))) as Record<
      string,
      unknown
    >;
    const oscTopo = await oscJson(['server', 'show', vm, '--topology']);
    expect(topo.topology).toEqual(oscTopo.topology);
    expect(topo.id).toBe(oscTopo.id);
  }, 60_000);

  it('image create --wait returns the active image, as openstack image show then shows it', async () => {
    const name = `${PREFIX}-snap`;
    const mine = JSON.parse(
      ok(
        await run([
          'server',
          'image',
          'create',
          vm,
          '--name',
          name,
          '--property',
          'purpose=test',
          '--wait',
          '-f',
          'json',
        ]),
      ),
    ) as Record<string, unknown> & { properties: Record<string, unknown> };
    expect([mine.name, mine.status, mine.size]).toEqual([name, 'active', 1024]);
    expect(mine.properties).toMatchObject({ purpose: 'test', image_type: 'snapshot' });
    const theirs = await oscJson(['image', 'show', name]);
    expect(Object.keys(mine).sort()).toEqual(Object.keys(theirs).sort());
    for (const k of ['id', 'name', 'status', 'size', 'checksum', 'owner', 'visibility'])
      expect(mine[k]).toEqual(theirs[k]);
    expect(Object.keys(mine.properties).sort()).toEqual(Object.keys(theirs.properties as object).sort());
  }, 120_000);

  it('backup create --wait makes an active backup image with its type', async () => {
    const name = `${PREFIX}-daily`;
    const mine = JSON.parse(
      ok(
        await run([
          'server',
          'backup',
          'create',
          vm,
          '--name',
          name,
          '--type',
          'daily',
          '--rotate',
          '2',
          '--wait',
          '-f',
          'json',
        ]),
      ),
    ) as { status: string; properties: Record<string, unknown> };
    expect(mine.status).toBe('active');
    expect(mine.properties).toMatchObject({ image_type: 'backup', backup_type: 'daily' });
    const theirs = await oscJson<{ status: string }>(['image', 'show', name]);
    expect(theirs.status).toBe('active');
  }, 120_000);

  it('a snapshot that fails in nova-compute ends image create --wait in one line', async () => {
    const r = await run(['server', 'image', 'create', failing, '--name', `${PREFIX}-bad`, '--wait']);
    expect([r.code, r.stdout]).toEqual([1, '']);
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(r.stderr).toMatch(
      new RegExp(`^ncli: The snapshot ${PREFIX}-bad \\([0-9a-f-]{36}\\) of server ${failing} failed: `),
    );
    expect(r.stderr).toContain('injected failure of snapshot');
  }, 120_000);

  it('dump create is accepted and recorded as trigger_crash_dump', async () => {
    const out = ok(await run(['server', 'dump', 'create', vm]));
    const m = new RegExp(`^${vm}: crash dump accepted \\(request (req-[0-9a-f-]+)\\)\\.\\n$`).exec(out);
    expect(m).not.toBeNull();
    const ev = await oscJson<{ action: string }>(['server', 'event', 'show', vm, m![1]]);
    expect(ev.action).toBe('trigger_crash_dump');
  }, 60_000);
});
