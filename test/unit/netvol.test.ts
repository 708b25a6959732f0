/**
 * `server add|remove port|network|security group|volume` and `server create --network --port
 * --nic --security-group --boot-from-volume` as whole commands (`main()` in-process) against a
 * fake Nova, Neutron and Cinder on undici's MockAgent, for what the real cloud won't do on
 * demand: names several networks share, a port bound elsewhere, a volume in use, Nova's refusal
 * of a volume in another availability zone (the local cloud attaches across zones), and the
 * exact create body of a boot from volume (the local cloud's fake volume driver cannot copy an
 * image into a volume). The same flows for real are in test/cloud/netvol.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { parseNic, parseNics } from '../../src/cli/nics.js';
import { waitForVolume, type VolumeClient } from '../../src/volume/client.js';
import { runNcli } from '../support/io.js';
import { MOCK_CLOUD_ENV, lowerHeaders, mockAgent, mockCloud, type MockNova } from '../support/mock-nova.js';

const NEUTRON = 'http://neutron.test:9696';
const CINDER = 'http://cinder.test:8776';
const SID = '11111111-2222-3333-4444-555555555555';
const IMAGE = '01692005-f686-4697-8383-0cce129c56f3';
const NET1 = 'aaaaaaaa-0000-0000-0000-000000000001';
const NET2 = 'aaaaaaaa-0000-0000-0000-000000000002';
const PORT = 'bbbbbbbb-0000-0000-0000-000000000001';
const SG_OWN = 'cccccccc-0000-0000-0000-000000000001';
const SG_OTHER = 'cccccccc-0000-0000-0000-000000000002';
const VOL = 'dddddddd-0000-0000-0000-000000000001';

interface Fake extends MockNova {
  env: NodeJS.ProcessEnv;
  /** Answers the next `method path` of Neutron or Cinder, recording the request. */
  neutron(method: string, path: string | RegExp, status: number, body: unknown): void;
  cinder(method: string, path: string | RegExp, status: number, body: unknown): void;
}

/** Keystone (a catalog with network and block-storage), Nova, Neutron and Cinder on one MockAgent. */
function fakeCloud(): Fake {
  const nova = mockCloud({
    max: '2.93',
    services: [
      { type: 'network', name: 'neutron', url: NEUTRON },
      { type: 'block-storage', name: 'cinder', url: `${CINDER}/v3/p1` },
    ],
  });
  const agent = nova.agent;
  const other = (origin: string) => (method: string, path: string | RegExp, status: number, body: unknown) => {
    agent
      .get(origin)
      .intercept({ path, method })
      .reply((req) => {
        const text = typeof req.body === 'string' ? req.body : undefined;
        nova.seen.push({
          method,
          path: `${origin}${req.path}`,
          headers: lowerHeaders(req.headers),
          body: text ? (JSON.parse(text) as unknown) : undefined,
        });
        return {
          statusCode: status,
          data: JSON.stringify(body),
          responseOptions: { headers: { 'content-type': 'application/json' } },
        };
      });
  };
  return {
    ...nova,
    neutron: other(NEUTRON),
    cinder: other(CINDER),
  };
}

const server = { id: SID, name: 'vm1', status: 'ACTIVE', 'OS-EXT-AZ:availability_zone': 'az1' };

function run(f: Fake, argv: string[]) {
  return runNcli(argv, f.env, { dispatcher: f.agent, tokenStore: null });
}

describe('names through Neutron', () => {
  it('a network name several networks share is one line naming their IDs; nothing is sent to Nova', async () => {
    const f = fakeCloud();
    f.answer('GET', `/v2.1/servers/${SID}`, 200, { server });
    f.neutron('GET', '/v2.0/networks?name=shared', 200, {
      networks: [
        { id: NET1, name: 'shared', project_id: 'p2' },
        { id: NET2, name: 'shared', project_id: 'p3' },
      ],
    });
    const r = await run(f, ['server', 'add', 'network', SID, 'shared']);
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: `ncli: More than one network is named 'shared' (${NET1}, ${NET2}); use an ID to be more specific.\n`,
    });
  });

  it("a security group name several projects share resolves to the token's project's, sent by ID", async () => {
    const f = fakeCloud();
    f.answer('GET', `/v2.1/servers/${SID}`, 200, { server });
    f.neutron('GET', '/v2.0/security-groups?name=default', 200, {
      security_groups: [
        { id: SG_OTHER, name: 'default', project_id: 'p2' },
        { id: SG_OWN, name: 'default', project_id: 'p1' },
      ],
    });
    f.answer('POST', `/v2.1/servers/${SID}/action`, 202, '');
    const r = await run(f, ['server', 'add', 'security', 'group', SID, 'default']);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(f.seen.find((s) => s.method === 'POST')?.body).toEqual({ addSecurityGroup: { name: SG_OWN } });
  });

  it('a security group that matches nothing is one line', async () => {
    const f = fakeCloud();
    f.answer('GET', `/v2.1/servers/${SID}`, 200, { server });
    f.neutron('GET', '/v2.0/security-groups?name=nope', 200, { security_groups: [] });
    const r = await run(f, ['server', 'remove', 'security', 'group', SID, 'nope']);
    expect([r.code, r.stderr]).toEqual([1, "ncli: No security group with a name or ID of 'nope' exists.\n"]);
  });
});

describe('ports', () => {
  it('a port bound to another server is refused before Nova is asked', async () => {
    const f = fakeCloud();
    f.answer('GET', `/v2.1/servers/${SID}`, 200, { server });
    f.neutron('GET', `/v2.0/ports/${PORT}`, 200, {
      port: { id: PORT, name: 'p1', network_id: NET1, device_id: 'other-vm', device_owner: 'compute:nova' },
    });
    const r = await run(f, ['server', 'add', 'port', SID, PORT]);
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: `ncli: Port p1 (${PORT}) is already bound to server other-vm; remove it there first (ncli server remove port SERVER PORT) or use a free port.\n`,
    });
  });

  it("Nova's PortInUse (a race with another binding) is one line with the fix", async () => {
    const f = fakeCloud();
    f.answer('GET', `/v2.1/servers/${SID}`, 200, { server });
    f.neutron('GET', `/v2.0/ports/${PORT}`, 200, { port: { id: PORT, name: 'p1', network_id: NET1, device_id: '' } });
    f.answer('POST', `/v2.1/servers/${SID}/os-interface`, 409, {
      conflictingRequest: { code: 409, message: `Port ${PORT} is still in use.` },
    });
    const r = await run(f, ['server', 'add', 'port', SID, PORT, '--tag', 'data']);
    expect([r.code, r.stderr]).toEqual([
      1,
      `ncli: Nova refused to add port p1 (${PORT}) to server vm1: Port ${PORT} is still in use (HTTP 409); remove it from where it is bound first.\n`,
    ]);
    expect(f.seen.find((s) => s.method === 'POST')?.body).toEqual({
      interfaceAttachment: { port_id: PORT, tag: 'data' },
    });
  });
});

describe('volumes', () => {
  const volume = (extra: Record<string, unknown>) => ({
    volume: { id: VOL, name: 'data', status: 'available', availability_zone: 'az2', attachments: [], ...extra },
  });

  it('a volume Cinder shows in use elsewhere (not multiattach) is refused before Nova is asked', async () => {
    const f = fakeCloud();
    f.answer('GET', `/v2.1/servers/${SID}`, 200, { server });
    f.cinder(
      'GET',
      `/v3/p1/volumes/${VOL}`,
      200,
      volume({ status: 'in-use', attachments: [{ server_id: 'vm-x', device: '/dev/vdb' }] }),
    );
    const r = await run(f, ['server', 'add', 'volume', SID, VOL]);
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: `ncli: Volume data (${VOL}) is in use by server vm-x and not multiattach; detach it first (ncli server remove volume SERVER VOLUME).\n`,
    });
  });

  it("a volume in another availability zone: Nova's refusal is one line saying so", async () => {
    const f = fakeCloud();
    f.answer('GET', `/v2.1/servers/${SID}`, 200, { server });
    f.cinder('GET', '/v3/p1/volumes/detail?name=data', 200, { volumes: [volume({}).volume] });
    f.answer('POST', `/v2.1/servers/${SID}/os-volume_attachments`, 400, {
      badRequest: {
        code: 400,
        message:
          'Invalid volume: Instance 1111 and volume dddd are not in the same availability_zone. Instance is in az1. Volume is in az2',
      },
    });
    const r = await run(f, ['server', 'add', 'volume', SID, 'data', '--device', '/dev/vdc']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^ncli: Nova refused to attach volume data \(dddddddd-[0-9-]+\) to server vm1: Invalid volume: .*not in the same availability_zone.* \(HTTP 400\); this cloud attaches only within one availability zone .*: use a volume of the server’s zone\.\n$/,
    );
    expect(f.seen.find((s) => s.method === 'POST')?.body).toEqual({
      volumeAttachment: { volumeId: VOL, device: '/dev/vdc' },
    });
  });

  it('a volume Nova says is in use (Cinder said available a moment before) is one line with the fix', async () => {
    const f = fakeCloud();
    f.answer('GET', `/v2.1/servers/${SID}`, 200, { server });
    f.cinder('GET', `/v3/p1/volumes/${VOL}`, 200, volume({}));
    f.answer('POST', `/v2.1/servers/${SID}/os-volume_attachments`, 400, {
      badRequest: { code: 400, message: `Invalid volume: volume ${VOL} status must be available, but is in-use.` },
    });
    const r = await run(f, ['server', 'add', 'volume', SID, VOL, '--enable-delete-on-termination', '--tag', 't']);
    expect(r.stderr).toBe(
      `ncli: Nova refused to attach volume data (${VOL}) to server vm1: Invalid volume: volume ${VOL} status must be available, but is in-use (HTTP 400); detach it first (ncli server remove volume SERVER VOLUME) or use a multiattach volume.\n`,
    );
    expect(f.seen.find((s) => s.method === 'POST')?.body).toEqual({
      volumeAttachment: { volumeId: VOL, tag: 't', delete_on_termination: true },
    });
  });

  it('server volume update before 2.85 is refused in one line before any request but discovery', async () => {
    const f = fakeCloud();
    const r = await run(f, [
      '--os-compute-api-version',
      '2.79',
      'server',
      'volume',
      'update',
      SID,
      VOL,
      '--delete-on-termination',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ncli: --delete-on-termination needs compute API version 2\.85.*\n$/);
  });

  it('server volume list: the columns of openstackclient at 2.79 (ID first, no attachment IDs)', async () => {
    const f = fakeCloud();
    f.answer('GET', `/v2.1/servers/${SID}`, 200, { server });
    f.answer('GET', `/v2.1/servers/${SID}/os-volume_attachments`, 200, {
      volumeAttachments: [
        { id: VOL, device: '/dev/vdb', serverId: SID, volumeId: VOL, tag: null, delete_on_termination: false },
      ],
    });
    const r = await run(f, ['--os-compute-api-version', '2.79', 'server', 'volume', 'list', SID, '-f', 'json']);
    expect(JSON.parse(r.stdout)).toEqual([
      {
        ID: VOL,
        Device: '/dev/vdb',
        'Server ID': SID,
        'Volume ID': VOL,
        Tag: null,
        'Delete On Termination?': false,
      },
    ]);
  });
});

describe('server create networking', () => {
  it('--network, --nic and --port by name, --security-group by name, --boot-from-volume: the POST body', async () => {
    const f = fakeCloud();
    f.agent
      .get('http://glance.test:9292')
      .intercept({ path: `/v2/images/${IMAGE}`, method: 'GET' })
      .reply(200, JSON.stringify({ id: IMAGE, name: 'img', status: 'active' }), {
        headers: { 'content-type': 'application/json' },
      });
    f.answer('GET', '/v2.1/flavors/1', 200, { flavor: { id: '1', name: 'm1.tiny', ram: 512, disk: 1, vcpus: 1 } });
    f.neutron('GET', '/v2.0/networks?name=private', 200, { networks: [{ id: NET1, name: 'private' }] });
    f.neutron('GET', `/v2.0/networks/${NET2}`, 200, { network: { id: NET2, name: 'private-2' } });
    f.neutron('GET', '/v2.0/ports?name=p1', 200, { ports: [{ id: PORT, name: 'p1', network_id: NET1 }] });
    f.neutron('GET', '/v2.0/security-groups?name=web', 200, {
      security_groups: [{ id: SG_OWN, name: 'web', project_id: 'p1' }],
    });
    f.answer('POST', '/v2.1/servers', 202, { server: { id: SID } });
    f.answer('GET', `/v2.1/servers/${SID}`, 200, { server: { ...server, status: 'BUILD' } });
    const r = await run(f, [
      'server',
      'create',
      'vm1',
      '--image',
      IMAGE,
      '--flavor',
      '1',
      '--nic',
      `net-id=${NET2},v4-fixed-ip=10.0.0.5,tag=nt`,
      '--network',
      'private',
      '--port',
      'p1',
      '--security-group',
      'web',
      '--boot-from-volume',
      '2',
      '-f',
      'value',
      '-c',
      'status',
    ]);
    expect([r.code, r.stderr, r.stdout]).toEqual([0, '', 'BUILD\n']);
    expect(f.seen.find((s) => s.method === 'POST')?.body).toEqual({
      server: {
        name: 'vm1',
        imageRef: '',
        flavorRef: '1',
        networks: [{ uuid: NET2, fixed_ip: '10.0.0.5', tag: 'nt' }, { uuid: NET1 }, { port: PORT }],
        security_groups: [{ name: SG_OWN }],
        block_device_mapping_v2: [
          { uuid: IMAGE, boot_index: '0', source_type: 'image', destination_type: 'volume', volume_size: 2 },
        ],
      },
    });
  });

  it('--network none with another NIC, and a malformed --nic, are usage errors before any request', async () => {
    // no Keystone, no Nova: a request would fail the test (the agent refuses the network)
    const f = { env: MOCK_CLOUD_ENV, agent: mockAgent() } as unknown as Fake;
    const base = ['server', 'create', 'vm1', '--image', 'img', '--flavor', '1'];
    let r = await run(f, [...base, '--network', 'none', '--port', 'p1']);
    expect([r.code, r.stderr]).toEqual([
      2,
      'ncli: --nic none (or --network none) cannot be used with any other --nic, --network or --port value.\n',
    ]);
    r = await run(f, [...base, '--nic', 'net-id=a,port-id=b']);
    expect([r.code, r.stderr]).toEqual([
      2,
      'ncli: Invalid --nic net-id=a,port-id=b: give either a network (net-id) or a port (port-id), not both.\n',
    ]);
  });
});

describe('parseNic', () => {
  it('reads every key, auto and none, and refuses unknown keys and empty values', () => {
    expect(parseNic('net-id=n,v6-fixed-ip=::5,tag=t')).toEqual({ net: 'n', v6FixedIp: '::5', tag: 't' });
    expect(parseNic('port-id=p')).toEqual({ port: 'p' });
    expect(parseNic('auto')).toBe('auto');
    expect(() => parseNic('net=n')).toThrow(/Invalid --nic net=n: it must be of the form/);
    expect(() => parseNic('net-id=')).toThrow(/Invalid --nic net-id=:/);
    expect(() => parseNic('v4-fixed-ip=1.2.3.4')).toThrow(/needs net-id or port-id/);
    expect(() => parseNics(['a,b'])).toThrow(/',' and '=' are not allowed/);
    expect(parseNics()).toBeUndefined();
  });
});

describe('waitForVolume', () => {
  const clock = () => {
    let t = 0;
    return { now: () => t, sleep: async (ms: number) => void (t += ms) };
  };
  const client = (statuses: string[]) =>
    ({
      getVolume: async () => ({ id: VOL, status: statuses.length > 1 ? statuses.shift()! : statuses[0] }),
    }) as unknown as VolumeClient;

  it('returns the volume once it is in the status asked for', async () => {
    const v = await waitForVolume(client(['attaching', 'attaching', 'in-use']), VOL, 'in-use', {
      timeoutSeconds: 60,
      label: 'data',
      clock: clock(),
    });
    expect(v.status).toBe('in-use');
  });

  it('an error status ends the wait in one line; so does the timeout', async () => {
    await expect(
      waitForVolume(client(['attaching', 'error_attaching']), VOL, 'in-use', {
        timeoutSeconds: 60,
        label: 'data',
        clock: clock(),
      }),
    ).rejects.toThrow('Volume data went to error_attaching in Cinder instead of in-use.');
    await expect(
      waitForVolume(client(['detaching']), VOL, 'available', { timeoutSeconds: 5, label: 'data', clock: clock() }),
    ).rejects.toThrow('Volume data is detaching after 5 s, not yet available.');
  });
});
