/**
 * server set/unset, rescue, image create, backup create and dump create as whole commands
 * (`main()` in-process) against a mocked Nova and Glance (undici MockAgent), for what the real
 * cloud will not do on demand: a snapshot that Glance marks killed or error, one that Nova
 * deletes after a failed upload, a quota refusal (403/413) of createImage, an old microversion
 * (Location header before 2.45, options refused before 2.19/2.26). The same commands against
 * the real cloud are in test/cloud/server-props.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { FakeTty, runNcli } from '../support/io.js';
import { mockCloud, type MockCloud } from '../support/mock-nova.js';

const GLANCE = 'http://glance.test:9292';
const SID = '6d7f5a8e-4f6b-4a43-9a4b-0d8e3c1f2a10';
const IMG = '0c6e2b4a-1a2b-4c3d-8e9f-112233445566';
const SERVER = { id: SID, name: 'vm1', status: 'ACTIVE', 'OS-EXT-STS:task_state': null };

function cloud(max = '2.93') {
  const c = mockCloud({ max });
  const run = (argv: string[]) => runNcli(argv, c.env, { dispatcher: c.agent, tokenStore: null });
  // the server by ID (ctx.server tries the ref as an ID first)
  const serverById = () => c.answer('GET', `/v2.1/servers/${SID}`, 200, { server: SERVER });
  return { c, run, serverById };
}

/** Glance answers the image's statuses in order, one per GET. */
function glanceStatuses(c: MockCloud, statuses: (string | 404)[]): void {
  const pool = c.agent.get(GLANCE);
  for (const st of statuses) {
    const reply =
      st === 404
        ? { statusCode: 404, data: '<html><body><h1>404 Not Found</h1>No image found with ID x</body></html>' }
        : {
            statusCode: 200,
            data: JSON.stringify({ id: IMG, name: 'snap', status: st, size: null, tags: [], image_type: 'snapshot' }),
            responseOptions: { headers: { 'content-type': 'application/json' } },
          };
    pool.intercept({ path: `/v2/images/${IMG}`, method: 'GET' }).reply(() => reply);
  }
}

describe('server image create', () => {
  it('--wait: a snapshot Glance marks killed is one line with the failed event of the createImage action', async () => {
    const { c, run, serverById } = cloud();
    serverById();
    c.answer('POST', `/v2.1/servers/${SID}/action`, 202, { image_id: IMG }, { 'x-openstack-request-id': 'req-snap' });
    glanceStatuses(c, ['queued', 'killed']);
    c.answer('GET', `/v2.1/servers/${SID}/os-instance-actions/req-snap`, 200, {
      instanceAction: {
        action: 'createImage',
        request_id: 'req-snap',
        events: [{ event: 'compute_snapshot_instance', result: 'Error', details: 'upload failed: disk full' }],
      },
    });
    const r = await run(['server', 'image', 'create', SID, '--name', 'snap', '--property', 'a=b', '--wait']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `ncli: The snapshot snap (${IMG}) of server vm1 failed: it is killed in Glance; event compute_snapshot_instance failed: upload failed: disk full.\n`,
    );
    const post = c.seen.find((s) => s.method === 'POST')!;
    expect(post.body).toEqual({ createImage: { name: 'snap', metadata: { a: 'b' } } });
  });

  it('--wait: a snapshot that goes to error is one line too', async () => {
    const { c, run, serverById } = cloud();
    serverById();
    c.answer('POST', `/v2.1/servers/${SID}/action`, 202, { image_id: IMG });
    glanceStatuses(c, ['error']);
    const r = await run(['server', 'image', 'create', SID, '--name', 'snap', '--wait']);
    expect([r.code, r.stdout]).toEqual([1, '']);
    expect(r.stderr).toBe(`ncli: The snapshot snap (${IMG}) of server vm1 failed: it is error in Glance.\n`);
  });

  it('--wait: an image Nova deleted after a failed snapshot (404) is one line', async () => {
    const { c, run, serverById } = cloud();
    serverById();
    c.answer('POST', `/v2.1/servers/${SID}/action`, 202, { image_id: IMG });
    glanceStatuses(c, ['saving', 404]);
    const r = await run(['server', 'image', 'create', SID, '--wait']);
    expect([r.code, r.stdout]).toEqual([1, '']);
    expect(r.stderr).toBe(
      `ncli: The snapshot vm1 (${IMG}) of server vm1 failed: Glance no longer has it (Nova deletes a failed snapshot).\n`,
    );
  });

  it('a 403 quota refusal of createImage is one line naming the quota message, and nothing is polled', async () => {
    const { c, run, serverById } = cloud('2.38');
    serverById();
    c.answer(
      'POST',
      `/v2.1/servers/${SID}/action`,
      403,
      { forbidden: { code: 403, message: 'Image metadata limit exceeded' } },
      { 'x-openstack-request-id': 'req-q' },
    );
    const r = await run(['server', 'image', 'create', SID, '--property', 'a=1', '--property', 'b=2', '--wait']);
    expect([r.code, r.stdout]).toEqual([1, '']);
    expect(r.stderr).toBe(
      'ncli: Nova refused the snapshot of server vm1: a quota is exceeded: Image metadata limit exceeded; the request had 2 properties (HTTP 403, request req-q); free some images or ask for a higher quota.\n',
    );
  });

  it('a 413 over-limit refusal of createBackup is one line', async () => {
    const { c, run, serverById } = cloud();
    serverById();
    c.answer('POST', `/v2.1/servers/${SID}/action`, 413, {
      overLimit: { code: 413, message: "Quota exceeded for resources: ['images']", retryAfter: '0' },
    });
    const r = await run(['server', 'backup', 'create', SID, '--type', 'daily', '--rotate', '2']);
    expect([r.code, r.stdout]).toEqual([1, '']);
    expect(r.stderr).toBe(
      "ncli: Nova refused the backup of server vm1: a quota is exceeded: Quota exceeded for resources: ['images'] (HTTP 413); free some images or ask for a higher quota.\n",
    );
    expect(c.seen.find((s) => s.method === 'POST')!.body).toEqual({
      createBackup: { name: 'vm1', backup_type: 'daily', rotation: 2 },
    });
  });

  it('before 2.45 the image ID comes from the Location header; prints the image as openstackclient does', async () => {
    const { c, run, serverById } = cloud('2.44');
    serverById();
    c.answer('POST', `/v2.1/servers/${SID}/action`, 202, '', { location: `http://glance.test:9292/images/${IMG}` });
    glanceStatuses(c, ['queued']);
    const r = await run(['server', 'image', 'create', SID, '--name', 'snap', '-f', 'json']);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      id: IMG,
      name: 'snap',
      properties: { image_type: 'snapshot' },
      status: 'queued',
      tags: [],
    });
  });

  it('a --property without = is a usage error before any request', async () => {
    const r = await runNcli(['server', 'image', 'create', SID, '--property', 'novalue'], {}, { tokenStore: null });
    expect(r).toEqual({ code: 2, stdout: '', stderr: "ncli: --property takes KEY=VALUE, not 'novalue'.\n" });
  });
});

describe('server set / unset', () => {
  it('sends name and description in one PUT, then metadata, password, tags, in that order; prints nothing', async () => {
    const { c, run, serverById } = cloud();
    serverById();
    c.answer('PUT', `/v2.1/servers/${SID}`, 200, { server: SERVER });
    c.answer('POST', `/v2.1/servers/${SID}/metadata`, 200, { metadata: { role: 'db' } });
    c.answer('POST', `/v2.1/servers/${SID}/action`, 202, '');
    c.answer('PUT', `/v2.1/servers/${SID}/tags/prod`, 201, '');
    const r = await run([
      'server',
      'set',
      SID,
      '--name',
      'vm2',
      '--description',
      'd',
      '--property',
      'role=db',
      '--password',
      'Pw-not-shown',
      '--tag',
      'prod',
      '--debug',
    ]);
    expect([r.code, r.stdout]).toEqual([0, '']);
    expect(r.stderr).not.toContain('Pw-not-shown');
    expect(c.seen.map((s) => [s.method, s.path, s.body])).toEqual([
      ['GET', `/v2.1/servers/${SID}`, undefined],
      ['PUT', `/v2.1/servers/${SID}`, { server: { name: 'vm2', description: 'd' } }],
      ['POST', `/v2.1/servers/${SID}/metadata`, { metadata: { role: 'db' } }],
      ['POST', `/v2.1/servers/${SID}/action`, { changePassword: { adminPass: 'Pw-not-shown' } }],
      ['PUT', `/v2.1/servers/${SID}/tags/prod`, undefined],
    ]);
  });

  it('--root-password asks twice without echo and sends the password once; a mismatch changes nothing', async () => {
    const until = async (ok: () => boolean) => {
      for (let i = 0; i < 500 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
    };
    const { c, serverById } = cloud();
    serverById();
    c.answer('POST', `/v2.1/servers/${SID}/action`, 202, '');
    const stdin = new FakeTty();
    const run = runNcli(
      ['server', 'set', SID, '--root-password'],
      c.env,
      { dispatcher: c.agent, tokenStore: null },
      { tty: true, stdin },
    );
    await until(() => stdin.modes.length === 1);
    stdin.write('Typed-Pw\r');
    await until(() => stdin.modes.length === 3);
    stdin.write('Typed-Pw\r');
    const r = await run;
    expect([r.code, r.stdout]).toEqual([0, '']);
    expect(r.stderr).toBe('New password: \nRetype new password: \n');
    expect(c.seen.find((x) => x.method === 'POST')!.body).toEqual({ changePassword: { adminPass: 'Typed-Pw' } });

    const stdin2 = new FakeTty();
    const run2 = runNcli(
      ['server', 'set', SID, '--root-password'],
      {},
      { tokenStore: null },
      { tty: true, stdin: stdin2 },
    );
    await until(() => stdin2.modes.length === 1);
    stdin2.write('one\r');
    await until(() => stdin2.modes.length === 3);
    stdin2.write('two\r');
    const r2 = await run2;
    expect(r2.code).toBe(2);
    expect(r2.stderr.split('\n').filter(Boolean).pop()).toBe(
      'ncli: The passwords do not match; the password is unchanged.',
    );
  });

  it('--no-password clears the metadata service password', async () => {
    const { c, run, serverById } = cloud();
    serverById();
    c.answer('DELETE', `/v2.1/servers/${SID}/os-server-password`, 204, '');
    const r = await run(['server', 'set', SID, '--no-password']);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('--tag on a cloud older than 2.26 is refused in one line before any request but discovery', async () => {
    const { c, run } = cloud('2.25');
    const r = await run(['server', 'set', SID, '--tag', 'prod']);
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: 'ncli: --tag needs compute API version 2.26; this cloud supports at most 2.25.\n',
    });
    expect(c.seen).toEqual([]);
  });

  it('unset: a property the server does not have is one line', async () => {
    const { c, run, serverById } = cloud();
    serverById();
    c.answer(
      'DELETE',
      `/v2.1/servers/${SID}/metadata/nope`,
      404,
      { itemNotFound: { code: 404, message: 'Metadata item was not found' } },
      { 'x-openstack-request-id': 'req-m' },
    );
    const r = await run(['server', 'unset', SID, '--property', 'nope']);
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: `ncli: Server vm1 (${SID}) has no property 'nope' (HTTP 404, request req-m).\n`,
    });
  });

  it('a locked server: Nova refuses the change in one line', async () => {
    const { c, run, serverById } = cloud();
    serverById();
    c.answer('POST', `/v2.1/servers/${SID}/metadata`, 409, {
      conflictingRequest: { code: 409, message: `Instance ${SID} is locked` },
    });
    const r = await run(['server', 'set', SID, '--property', 'a=b']);
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: `ncli: Nova refused to set the properties of server vm1 (${SID}): Instance ${SID} is locked (HTTP 409).\n`,
    });
  });
});

describe('server rescue / dump create', () => {
  it('rescue sends the image and password, never printing the password Nova answers', async () => {
    const { c, run, serverById } = cloud();
    serverById();
    c.agent
      .get(GLANCE)
      .intercept({ path: `/v2/images/${IMG}`, method: 'GET' })
      .reply(200, { id: IMG, name: 'rescue-img', status: 'active' });
    c.answer('POST', `/v2.1/servers/${SID}/action`, 200, { adminPass: 'GeneratedSecret' });
    const r = await run(['server', 'rescue', SID, '--image', IMG, '--password', 'MyPw']);
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toMatch(/GeneratedSecret|MyPw/);
    expect(c.seen.find((s) => s.method === 'POST')!.body).toEqual({
      rescue: { adminPass: 'MyPw', rescue_image_ref: IMG },
    });
  });

  it('dump create needs 2.17', async () => {
    const { run } = cloud('2.16');
    const r = await run(['server', 'dump', 'create', SID]);
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: 'ncli: `ncli server dump create` needs compute API version 2.17; this cloud supports at most 2.16.\n',
    });
  });
});
