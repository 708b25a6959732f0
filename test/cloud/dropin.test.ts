/**
 * ncli as a drop-in for openstackclient in scripts, against the real cloud: for a representative
 * set of compute commands, `ncli … -f json` and `openstack … -f json` (at the same compute API
 * version, 2.latest) agree key by key and JSON type by JSON type, and value by value where the
 * values are stable (this file's own server and flavor); `-f value`, `-f csv` and `-f shell`
 * agree byte for byte on scalar columns. Also flavor create/set/unset/delete checked against
 * `openstack flavor show`, the server create flags, and `server ssh` with a fake `ssh` on PATH
 * that records its arguments. Everything is made in the project `ncli-dropin` with the prefix
 * dropin-<pid> and deleted in afterAll. The differences the README lists are named here.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  cloudEnv,
  cloudFacts,
  describeCloud,
  ensureTestProject,
  freshCache,
  ncli,
  run as runCommand,
  openstackEnv,
  ok,
} from '../support/cloud.js';

const PROJECT = 'ncli-dropin';
const PREFIX = `dropin-${process.pid}`;
const SERVER = `${PREFIX}-vm`;
const FLAVOR = `${PREFIX}-f`;

/** openstackclient as admin in the test project (its openrc; `--os-cloud` would ignore the project). */
const oscEnv = (): Record<string, string> => openstackEnv('admin', PROJECT);

const osc = (args: string[]) =>
  runCommand('/usr/bin/openstack', ['--os-compute-api-version', '2.latest', ...args], oscEnv(), {
    timeoutMs: 120_000,
  });

/** The JSON type of a value: object, array, string, number, boolean, null. */
function jsonType(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/** `{key: JSON type}` of an object. */
function shape(o: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, jsonType(v)]));
}

describeCloud('ncli as a drop-in for openstackclient (-f json|value|csv|shell)', () => {
  const facts = cloudFacts();
  const env = cloudEnv({ OS_PROJECT_NAME: PROJECT }, freshCache());
  const run = (args: string[], e = env) => ncli(args, e, { timeoutMs: 180_000 });
  /** Both tools' JSON for one command. */
  const both = async (args: string[]) => {
    const [mine, theirs] = await Promise.all([run([...args, '-f', 'json']), osc([...args, '-f', 'json'])]);
    return { mine: JSON.parse(ok(mine)) as unknown, theirs: JSON.parse(ok(theirs)) as unknown };
  };
  let created: Record<string, unknown>;

  beforeAll(async () => {
    await ensureTestProject(PROJECT, { description: 'ncli test/cloud/dropin.test.ts', quota: true });
    const [server] = await Promise.all([
      run([
        'server',
        'create',
        SERVER,
        '--image',
        'devcloud-image',
        '--flavor',
        'm1.tiny',
        '--network',
        facts.PRIVATE_NET_ID,
        '--availability-zone',
        'nova',
        '--description',
        'drop-in test',
        '--tag',
        'blue',
        '--tag',
        'green',
        '--config-drive',
        'true',
        '--property',
        'role=test',
        '--wait',
        '-f',
        'json',
      ]),
      run([
        'flavor',
        'create',
        FLAVOR,
        '--id',
        FLAVOR,
        '--ram',
        '128',
        '--disk',
        '1',
        '--vcpus',
        '2',
        '--swap',
        '16',
        '--rxtx-factor',
        '1.5',
        '--private',
        '--property',
        'hw:cpu_policy=shared',
        '--description',
        'drop-in flavor',
        '-f',
        'json',
      ]),
    ]);
    created = JSON.parse(ok(server)) as Record<string, unknown>;
  }, 300_000);

  afterAll(async () => {
    await run(['server', 'delete', SERVER, '--wait']);
    await run(['flavor', 'delete', FLAVOR]);
  }, 300_000);

  it('server create: the new flags reach Nova, and the output is server show', async () => {
    expect(created).toMatchObject({
      name: SERVER,
      status: 'ACTIVE',
      description: 'drop-in test',
      tags: ['blue', 'green'],
      config_drive: 'True',
      'OS-EXT-AZ:availability_zone': 'nova',
      properties: { role: 'test' },
      image: `devcloud-image (${facts.IMAGE_ID})`,
    });
    const theirs = JSON.parse(ok(await osc(['server', 'show', SERVER, '-f', 'json']))) as Record<string, unknown>;
    expect(shape(created)).toEqual(shape(theirs));
  }, 300_000);

  it('server show -f json: every key, type and value of openstack server show', async () => {
    const { mine, theirs } = await both(['server', 'show', SERVER]);
    expect(mine).toEqual(theirs);
    const m = mine as Record<string, unknown>;
    expect(Object.keys(m)).toEqual(Object.keys(m).sort());
    expect(m.addresses).toEqual({ private: [expect.stringMatching(/^\d+\.\d+\.\d+\.\d+$/)] });
    expect(typeof m['OS-EXT-STS:power_state']).toBe('number');
  }, 300_000);

  it('server list and server list --long -f json: the same rows', async () => {
    for (const long of [[], ['--long']]) {
      const { mine, theirs } = await both(['server', 'list', '--name', `^${PREFIX}`, ...long]);
      expect(mine).toEqual(theirs);
      expect((mine as unknown[]).length).toBe(1);
    }
    // openstackclient's extra columns, asked for with -c
    const cols = ['-c', 'ID', '-c', 'Project ID', '-c', 'User ID', '-c', 'Created At', '-c', 'Security Groups'];
    const { mine, theirs } = await both(['server', 'list', '--name', `^${PREFIX}`, ...cols]);
    expect(mine).toEqual(theirs);
  }, 300_000);

  it('-f value, csv and shell: the same bytes as openstack for scalar columns (None, True, numbers)', async () => {
    const cases = [
      ['server', 'list', '--name', `^${PREFIX}`, '-f', 'value', '-c', 'Name', '-c', 'ID', '-c', 'Status'],
      ['server', 'list', '--name', `^${PREFIX}`, '-f', 'csv', '-c', 'Name', '-c', 'Task State', '-c', 'Power State'],
      ['server', 'list', '--name', `^${PREFIX}`, '-f', 'csv', '-c', 'Name', '-c', 'Status'],
      // -c names a --long column: openstackclient adds it to the short list
      ['server', 'list', '--name', `^${PREFIX}`, '-f', 'value', '-c', 'Task State', '-c', 'Host', '-c', 'Name'],
      ['server', 'list', '--name', `^${PREFIX}`, '-f', 'json', '-c', 'Power State', '-c', 'Properties'],
      ['server', 'show', SERVER, '-f', 'value', '-c', 'status', '-c', 'name', '-c', 'locked', '-c', 'key_name'],
      ['server', 'show', SERVER, '-f', 'shell', '-c', 'key_name', '-c', 'OS-EXT-STS:vm_state', '-c', 'locked'],
      ['server', 'show', SERVER, '-f', 'shell', '--prefix', 'vm_', '-c', 'name', '-c', 'progress'],
      ['flavor', 'show', FLAVOR, '-f', 'value', '-c', 'ram', '-c', 'os-flavor-access:is_public', '-c', 'name'],
    ];
    for (const args of cases) {
      const [mine, theirs] = await Promise.all([run(args), osc(args)]);
      expect([args.join(' '), ok(mine)]).toEqual([args.join(' '), ok(theirs)]);
    }
    const shell = ok(await run(['server', 'show', SERVER, '-f', 'shell', '-c', 'key_name', '-c', 'locked']));
    expect(shell).toBe('key_name="None"\nlocked="False"\n');
  }, 300_000);

  it('flavor create, show and list: openstack flavor show agrees (swap: a number from 2.75, the README says)', async () => {
    const { mine, theirs } = await both(['flavor', 'show', FLAVOR]);
    const m = mine as Record<string, unknown>;
    const t = theirs as Record<string, unknown>;
    // swap 16: openstacksdk asks at 2.61, where Nova answers "" for no swap (ncli's 0 from 2.75: the README)
    expect(m).toEqual(t);
    expect(m).toMatchObject({
      name: FLAVOR,
      id: FLAVOR,
      ram: 128,
      disk: 1,
      vcpus: 2,
      swap: 16,
      rxtx_factor: 1.5,
      'os-flavor-access:is_public': false,
      description: 'drop-in flavor',
      properties: { 'hw:cpu_policy': 'shared' },
      access_project_ids: [],
    });
    const list = await both(['flavor', 'list', '--all', '--long']);
    const mineRow = (list.mine as Record<string, unknown>[]).find((r) => r.ID === FLAVOR);
    const theirRow = (list.theirs as Record<string, unknown>[]).find((r) => r.ID === FLAVOR);
    expect(mineRow).toEqual(theirRow);
  }, 300_000);

  it('flavor set and unset: properties, description and project access, as openstack then shows', async () => {
    const project = ok(await osc(['project', 'show', PROJECT, '-f', 'value', '-c', 'id'])).trim();
    // --project by name here, by ID in unset below (openstackclient's find_project takes either)
    ok(await run(['flavor', 'set', FLAVOR, '--property', 'a=1', '--description', 'changed', '--project', PROJECT]));
    let shown = JSON.parse(ok(await osc(['flavor', 'show', FLAVOR, '-f', 'json']))) as Record<string, unknown>;
    expect(shown).toMatchObject({
      description: 'changed',
      properties: { a: '1', 'hw:cpu_policy': 'shared' },
      access_project_ids: [project],
    });
    ok(await run(['flavor', 'set', FLAVOR, '--no-property', '--property', 'b=2']));
    ok(await run(['flavor', 'unset', FLAVOR, '--project', project]));
    shown = JSON.parse(ok(await osc(['flavor', 'show', FLAVOR, '-f', 'json']))) as Record<string, unknown>;
    expect(shown).toMatchObject({ properties: { b: '2' }, access_project_ids: [] });
    ok(await run(['flavor', 'unset', FLAVOR, '--property', 'b']));
    shown = JSON.parse(ok(await osc(['flavor', 'show', FLAVOR, '-f', 'json']))) as Record<string, unknown>;
    expect(shown.properties).toEqual({});
    // errors: one line, exit 1
    const taken = await run(['flavor', 'create', FLAVOR, '--id', FLAVOR]);
    expect([taken.code, taken.stdout, taken.stderr]).toEqual([
      1,
      '',
      `ncli: A flavor with ID '${FLAVOR}' or name '${FLAVOR}' already exists; choose another or delete it first.\n`,
    ]);
    const missing = await run(['flavor', 'unset', FLAVOR, '--property', 'nope']);
    expect([missing.code, missing.stderr]).toEqual([1, `ncli: Flavor '${FLAVOR}' has no property 'nope'.\n`]);
    const bad = await run(['flavor', 'set', FLAVOR, '--property', 'novalue']);
    expect([bad.code, bad.stderr]).toEqual([2, "ncli: --property takes KEY=VALUE, not 'novalue'.\n"]);
  }, 300_000);

  it('flavor delete removes a flavor openstack then does not find', async () => {
    const extra = `${PREFIX}-gone`;
    ok(await run(['flavor', 'create', extra, '--ram', '64']));
    ok(await run(['flavor', 'delete', extra]));
    const r = await osc(['flavor', 'show', extra, '-f', 'json']);
    expect(r.code).toBe(1);
  }, 300_000);

  it('lists of the cloud: the same keys and JSON types as openstack (hypervisors, services, zones, events)', async () => {
    const commands = [
      ['hypervisor', 'list', '--long'],
      ['compute', 'service', 'list', '--long'],
      ['availability', 'zone', 'list', '--long'],
      ['server', 'event', 'list', SERVER, '--long'],
      ['keypair', 'list'],
      ['aggregate', 'list', '--long'],
      ['server', 'migration', 'list'],
    ];
    for (const args of commands) {
      const { mine, theirs } = await both(args);
      const m = mine as Record<string, unknown>[];
      const t = theirs as Record<string, unknown>[];
      if (!m.length || !t.length) {
        // only another test's resources can appear between the two runs
        continue;
      }
      expect([args.join(' '), shape(m[0])]).toEqual([args.join(' '), shape(t[0])]);
      expect([args.join(' '), Object.keys(m[0])]).toEqual([args.join(' '), Object.keys(t[0])]);
    }
  }, 300_000);

  it('server ssh: the address openstack would pick, the ssh arguments in its order, ssh exit status', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'ncli-fake-ssh-'));
    const log = join(bin, 'argv');
    writeFileSync(join(bin, 'ssh'), `#!/bin/sh\nprintf '%s\\n' "$@" > "${log}"\nexit 7\n`);
    chmodSync(join(bin, 'ssh'), 0o755);
    const sshEnv = { ...env, PATH: `${bin}:${env.PATH}` };
    const shown = JSON.parse(ok(await run(['server', 'show', SERVER, '-f', 'json']))) as {
      addresses: Record<string, string[]>;
    };
    const addr = shown.addresses.private[0];
    // no floating IP: --public (the default) finds nothing, one line, ssh not run
    const pub = await run(['server', 'ssh', SERVER], sshEnv);
    expect([pub.code, pub.stderr]).toEqual([
      1,
      `ncli: Server '${SERVER}' has no public address (it has no floating IP: try --private, or add a floating IP).\n`,
    ]);
    expect(existsSync(log)).toBe(false);
    const r = await run(
      ['server', 'ssh', SERVER, '--private', '-4', '-p', '2222', '-i', '/k', '-o', 'BatchMode=yes', '--', '-A', '-t'],
      sshEnv,
    );
    expect(r.code).toBe(7);
    // the login defaults to the cloud's user name (admin), as openstackclient's does
    expect(readFileSync(log, 'utf8').trimEnd().split('\n')).toEqual([
      addr,
      '-A',
      '-t',
      '-p',
      '2222',
      '-i',
      '/k',
      '-o',
      'BatchMode=yes',
      '-l',
      'admin',
    ]);
    // a network named like the type comes first (openstackclient's "old style" addresses)
    const named = await run(['server', 'ssh', SERVER, '--address-type', 'private', '-l', 'debian'], sshEnv);
    expect([named.code, named.stderr]).toEqual([7, '']);
    expect(readFileSync(log, 'utf8').trimEnd().split('\n')).toEqual([addr, '-l', 'debian']);
    const v6 = await run(['server', 'ssh', SERVER, '--private', '-6'], sshEnv);
    expect([v6.code, v6.stderr]).toEqual([1, `ncli: Server '${SERVER}' has no private IPv6 address.\n`]);
  }, 300_000);

  it('server image create --wait -f json: the keys, JSON types and values of openstack server image create', async () => {
    // one after the other: Nova refuses a second snapshot while the first runs (409)
    const mineRun = await run([
      'server',
      'image',
      'create',
      SERVER,
      '--name',
      `${PREFIX}-snap-n`,
      '--wait',
      '-f',
      'json',
    ]);
    const theirsRun = await osc([
      'server',
      'image',
      'create',
      SERVER,
      '--name',
      `${PREFIX}-snap-o`,
      '--wait',
      '-f',
      'json',
    ]);
    try {
      const mine = JSON.parse(ok(mineRun)) as Record<string, unknown>;
      const theirs = JSON.parse(ok(theirsRun)) as Record<string, unknown>;
      expect(shape(mine)).toEqual(shape(theirs));
      const props = (o: Record<string, unknown>) => o.properties as Record<string, unknown>;
      expect(shape(props(mine))).toEqual(shape(props(theirs)));
      // the same values but for the image's own: ID, name, times, its file's path
      const own = ['id', 'name', 'created_at', 'updated_at', 'file'];
      const rest = (o: Record<string, unknown>) =>
        Object.fromEntries(Object.entries(o).filter(([k]) => !own.includes(k)));
      expect(rest(mine)).toEqual(rest(theirs));
      expect(mine).toMatchObject({
        name: `${PREFIX}-snap-n`,
        status: 'active',
        file: `/v2/images/${String(mine.id)}/file`,
      });
      expect(props(mine)).toMatchObject({ image_type: 'snapshot', instance_uuid: created.id });
    } finally {
      await osc(['image', 'delete', `${PREFIX}-snap-n`, `${PREFIX}-snap-o`]);
    }
  }, 300_000);
});
