/**
 * Ports, networks, security groups and volumes of servers against the real local cloud (Neutron,
 * and Cinder with its fake volume driver, which Nova's fake virt driver "attaches" for real), with
 * python-openstackclient as the oracle: `server add|remove port|network|fixed ip|security
 * group|volume`, `server volume list|update`, and `server create --network NAME --security-group
 * NAME`. Works in a project of its own, `ncli-netvol` (made idempotently), so that the admin and
 * demo listings other files count stay as they are; its throwaway servers, port, security group
 * and volume are named netvol-<pid>… and deleted in afterAll.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  cloudEnv,
  describeCloud,
  ensureTestProject,
  freshCache,
  ncli,
  run as runCommand,
  openstackEnv,
  ok,
  fails,
} from '../support/cloud.js';

const PROJECT = 'ncli-netvol';

/** openstackclient's environment for admin, scoped to the test project (test/support/cloud.ts). */
const oscEnv = (): Record<string, string> => openstackEnv('admin', PROJECT);

/** openstack as admin in the test project, at 2.89 (the server volume list columns ncli compares). */
const osc = (args: string[]) =>
  runCommand('/usr/bin/openstack', ['--os-compute-api-version', '2.89', ...args], oscEnv(), { timeoutMs: 90_000 });

async function oscJson<T = Record<string, unknown>>(args: string[]): Promise<T> {
  const r = await osc([...args, '-f', 'json']);
  expect([args.join(' '), r.stderr]).toEqual([args.join(' '), '']);
  return JSON.parse(r.stdout) as T;
}

const PREFIX = `netvol-${process.pid}`;

interface OscServer {
  id: string;
  addresses: Record<string, unknown>;
  security_groups: { name: string }[];
}

describeCloud('server ports, networks, security groups and volumes against the real cloud', () => {
  const env = cloudEnv({ OS_PROJECT_NAME: PROJECT }, freshCache());
  const run = (args: string[]) => ncli(args, env, { timeoutMs: 120_000 });
  const [vm1, vm2] = [`${PREFIX}-1`, `${PREFIX}-2`];
  const sg = `${PREFIX}-sg`;
  const port = `${PREFIX}-port`;
  const volume = `${PREFIX}-vol`;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    await ensureTestProject(PROJECT, { description: 'ncli test/cloud/netvol.test.ts', quota: true });
    const [g, p, v] = await Promise.all([
      oscJson<{ id: string }>(['security', 'group', 'create', sg]),
      oscJson<{ id: string }>(['port', 'create', '--network', 'private-2', port]),
      oscJson<{ id: string }>(['volume', 'create', '--size', '1', volume]),
    ]);
    Object.assign(ids, { sg: g.id, port: p.id, volume: v.id });
    // two servers by network and security group names (Neutron lookups), in one request
    const r = await run([
      'server',
      'create',
      PREFIX,
      '--image',
      'devcloud-image',
      '--flavor',
      'm1.tiny',
      '--network',
      'private',
      '--security-group',
      sg,
      '--min',
      '2',
      '--max',
      '2',
      '--wait',
    ]);
    expect(r.stderr).toBe('');
    for (const name of [vm1, vm2]) {
      ids[name] = (await oscJson<{ id: string }>(['server', 'show', name])).id;
    }
  }, 300_000);

  afterAll(async () => {
    const list = await run(['server', 'list', '--name', `^${PREFIX}`, '-f', 'value', '-c', 'ID']);
    const servers = list.stdout.split('\n').filter(Boolean);
    if (servers.length) await run(['server', 'delete', ...servers, '--wait']);
    await osc(['port', 'delete', port]);
    await osc(['volume', 'delete', '--force', volume]);
    await osc(['security', 'group', 'delete', sg]);
  }, 300_000);

  it('server create --network NAME --security-group NAME: openstack server show has both', async () => {
    const s = await oscJson<OscServer>(['server', 'show', vm1]);
    expect(Object.keys(s.addresses)).toEqual(['private']);
    expect(s.security_groups.map((g) => g.name)).toEqual([sg]);
  });

  it('adds a port made in Neutron, refuses it for a second server while bound, removes it with --wait', async () => {
    ok(await run(['server', 'add', 'port', vm1, port, '--tag', 'data']));
    let p = await oscJson<{ device_id: string }>(['port', 'show', port]);
    expect(p.device_id).toBe(ids[vm1]);
    const s = await oscJson<OscServer>(['server', 'show', vm1]);
    expect(Object.keys(s.addresses).sort()).toEqual(['private', 'private-2']);

    const err = fails(await run(['server', 'add', 'port', vm2, port]));
    expect(err).toBe(
      `ncli: Port ${port} (${ids.port}) is already bound to server ${ids[vm1]}; remove it there first (ncli server remove port SERVER PORT) or use a free port.\n`,
    );

    ok(await run(['server', 'remove', 'port', vm1, port, '--wait']));
    p = await oscJson<{ device_id: string }>(['port', 'show', port]);
    expect(p.device_id).toBe('');
  }, 240_000);

  it('adds and removes a network by name; a fixed IP on a network is printed as openstackclient does', async () => {
    ok(await run(['server', 'add', 'network', vm2, 'private-2']));
    let s = await oscJson<OscServer>(['server', 'show', vm2]);
    expect(Object.keys(s.addresses).sort()).toEqual(['private', 'private-2']);
    ok(await run(['server', 'remove', 'network', vm2, 'private-2', '--wait']));
    s = await oscJson<OscServer>(['server', 'show', vm2]);
    expect(Object.keys(s.addresses)).toEqual(['private']);

    const fixed = JSON.parse(ok(await run(['server', 'add', 'fixed', 'ip', vm2, 'private-2', '-f', 'json']))) as Record<
      string,
      unknown
    >;
    expect(Object.keys(fixed)).toEqual([
      'Port ID',
      'Server ID',
      'Network ID',
      'MAC Address',
      'Port State',
      'Fixed IPs',
      'Tag',
    ]);
    expect(fixed['Server ID']).toBe(ids[vm2]);
    const p = await oscJson<{ device_id: string; fixed_ips: { ip_address: string }[] }>([
      'port',
      'show',
      String(fixed['Port ID']),
    ]);
    expect(p.device_id).toBe(ids[vm2]);
    expect(fixed['Fixed IPs']).toEqual([expect.objectContaining({ ip_address: p.fixed_ips[0].ip_address })]);
    ok(await run(['server', 'remove', 'network', vm2, 'private-2', '--wait']));

    const err = fails(await run(['server', 'add', 'network', vm2, `${PREFIX}-no-such-net`]));
    expect(err).toBe(`ncli: No network with a name or ID of '${PREFIX}-no-such-net' exists.\n`);
  }, 240_000);

  it('adds and removes a security group by name; removing one the server lacks is one line', async () => {
    ok(await run(['server', 'add', 'security', 'group', vm1, 'default']));
    let s = await oscJson<OscServer>(['server', 'show', vm1]);
    expect(s.security_groups.map((g) => g.name).sort()).toEqual(['default', sg].sort());
    ok(await run(['server', 'remove', 'security', 'group', vm1, 'default']));
    s = await oscJson<OscServer>(['server', 'show', vm1]);
    expect(s.security_groups.map((g) => g.name)).toEqual([sg]);
    const err = fails(await run(['server', 'remove', 'security', 'group', vm1, 'default']));
    expect(err).toMatch(
      /^ncli: Server \S+ does not have security group default \([0-9a-f-]{36}\); nothing removed\.\n$/,
    );
  }, 240_000);

  it('attaches a volume made in Cinder, lists it as openstack does, updates it (2.85), detaches it', async () => {
    const added = JSON.parse(ok(await run(['server', 'add', 'volume', vm1, volume, '--wait', '-f', 'json']))) as Record<
      string,
      unknown
    >;
    expect(added).toMatchObject({ ID: ids.volume, 'Server ID': ids[vm1], 'Volume ID': ids.volume });
    expect(Object.keys(added)).toEqual(['ID', 'Server ID', 'Volume ID', 'Device', 'Tag', 'Delete On Termination']);
    expect((await oscJson<{ status: string }>(['volume', 'show', volume])).status).toBe('in-use');

    // in use by vm1: refused for vm2 before Nova is asked
    const err = fails(await run(['server', 'add', 'volume', vm2, volume]));
    expect(err).toBe(
      `ncli: Volume ${volume} (${ids.volume}) is in use by server ${ids[vm1]} and not multiattach; detach it first (ncli server remove volume SERVER VOLUME).\n`,
    );

    const mine = JSON.parse(
      ok(await run(['server', 'volume', 'list', vm1, '-f', 'json', '--os-compute-api-version', '2.89'])),
    ) as Record<string, unknown>[];
    const theirs = await oscJson<Record<string, unknown>[]>(['server', 'volume', 'list', vm1]);
    expect(mine).toEqual(theirs);
    expect(mine).toHaveLength(1);
    expect(mine[0]['Delete On Termination?']).toBe(false);

    ok(await run(['server', 'volume', 'update', vm1, volume, '--delete-on-termination']));
    const after = await oscJson<Record<string, unknown>[]>(['server', 'volume', 'list', vm1]);
    expect(after[0]['Delete On Termination?']).toBe(true);
    ok(await run(['server', 'volume', 'update', vm1, volume, '--preserve-on-termination']));

    ok(await run(['server', 'remove', 'volume', vm1, volume, '--wait']));
    expect((await oscJson<{ status: string }>(['volume', 'show', volume])).status).toBe('available');
    expect(await oscJson<unknown[]>(['server', 'volume', 'list', vm1])).toEqual([]);
    const again = fails(await run(['server', 'remove', 'volume', vm1, volume]));
    expect(again).toBe(`ncli: Volume ${volume} (${ids.volume}) is not attached to server ${vm1}; nothing removed.\n`);
  }, 240_000);

  it('server create --boot-from-volume 1: Cinder copies the image into a new bootable volume; it outlives the server', async () => {
    const name = `${PREFIX}-bfv`;
    const created = JSON.parse(
      ok(
        await run([
          'server',
          'create',
          name,
          '--image',
          'devcloud-image',
          '--flavor',
          'm1.tiny',
          '--network',
          'private',
          '--boot-from-volume',
          '1',
          '--wait',
          '-f',
          'json',
        ]),
      ),
    ) as { id: string; status: string };
    expect(created.status).toBe('ACTIVE');
    const attached = await oscJson<{ 'Volume ID': string; Device: string }[]>(['server', 'volume', 'list', name]);
    expect(attached).toHaveLength(1);
    const volumeId = attached[0]['Volume ID'];
    try {
      const vol = await oscJson<{
        status: string;
        size: number;
        bootable: string;
        volume_image_metadata: Record<string, string>;
      }>(['volume', 'show', volumeId]);
      expect([vol.status, vol.size, vol.bootable]).toEqual(['in-use', 1, 'true']);
      expect(vol.volume_image_metadata.image_name).toBe('devcloud-image');
      ok(await run(['server', 'delete', name, '--wait']));
      // delete_on_termination false, as openstackclient sends it: the volume stays, detached
      expect((await oscJson<{ status: string }>(['volume', 'show', volumeId])).status).toBe('available');
    } finally {
      await osc(['volume', 'delete', '--force', volumeId]);
    }
  }, 300_000);
});
