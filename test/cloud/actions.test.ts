/**
 * Server actions, create, delete, events and the operator's server list against the real local
 * cloud (its fake virt driver does every transition; servers named fail-<action>… fail that
 * action inside nova-compute: scripts/cloud/py/devcloud_driver.py), with python-openstackclient
 * as the oracle. Everything happens in a project of its own, `ncli-actions` (made here if
 * missing, as scripts/bench/seed-bench-project.sh makes `bench`): the admin and demo projects are
 * what the other test files list and count, and they run at the same time. Throwaway servers are
 * named act-… (and fail-…-act…) and deleted in afterAll. Actions on several servers run at once,
 * so the file stays well under three minutes.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  NCLI,
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

/** The project the tests act in (admin has the admin role on it, demo the member role). */
const PROJECT = 'ncli-actions';

/** openstackclient's environment for a harness user in a project (test/support/cloud.ts). */
const oscEnv = (user: 'admin' | 'demo', project = PROJECT): Record<string, string> => openstackEnv(user, project);

/** openstack as admin in the test project, at a microversion that shows what ncli compares (locked_reason: 2.73; tags: 2.26). */
const osc = (args: string[], env = oscEnv('admin')) =>
  runCommand('/usr/bin/openstack', ['--os-compute-api-version', '2.79', ...args], env, { timeoutMs: 60_000 });

interface OscServer {
  id: string;
  name: string;
  status: string;
  'OS-EXT-STS:task_state': string | null;
  locked?: boolean;
  locked_reason?: string | null;
  flavor: string | { original_name?: string };
  image: string;
}

async function oscShow(name: string): Promise<OscServer> {
  const r = await osc(['server', 'show', name, '-f', 'json']);
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as OscServer;
}

const PREFIX = `act-${process.pid}`;

describeCloud('server actions against the real cloud', () => {
  const facts = cloudFacts();
  const env = cloudEnv({ OS_PROJECT_NAME: PROJECT }, freshCache());
  const run = (args: string[], e = env) => ncli(args, e, { timeoutMs: 120_000 });
  const names = [1, 2, 3, 4].map((i) => `${PREFIX}-${i}`);
  let startedAt: string;

  beforeAll(async () => {
    await ensureTestProject(PROJECT, { description: 'ncli test/cloud/actions.test.ts', demo: true, quota: true });
    startedAt = new Date(Date.now() - 5000).toISOString().replace(/\.\d+Z$/, 'Z');
    // four servers in one request (Nova names them PREFIX-1 … PREFIX-4), by image and flavor names
    const r = await run([
      'server',
      'create',
      PREFIX,
      '--image',
      'devcloud-image',
      '--flavor',
      'm1.tiny',
      '--network',
      'none',
      '--min',
      '4',
      '--max',
      '4',
      '--wait',
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trimEnd().split('\n').sort()).toEqual(
      names.map((n) => expect.stringMatching(new RegExp(`^${n} \\([0-9a-f-]{36}\\): ACTIVE after .* \\(request req-`))),
    );
  });

  afterAll(async () => {
    // everything this file made, whatever state a failed test left it in (two searches: Nova on
    // MySQL escapes `|`, so one `^(a|b)` search would find nothing)
    const ids: string[] = [];
    for (const pattern of [`^${PREFIX}`, `^fail-.*-${PREFIX}$`]) {
      const list = await run(['server', 'list', '--name', pattern, '-f', 'value', '-c', 'ID']);
      ids.push(...list.stdout.split('\n').filter(Boolean));
    }
    if (ids.length) await run(['server', 'delete', ...ids, '--wait']);
  });

  it('does each action by name with --wait, and openstack server show then agrees', async () => {
    const [a, b, c] = names;
    type Step = [args: string[], status: string, check?: (s: OscServer) => void];
    const chains: [string, Step[]][] = [
      [
        a,
        [
          [['stop'], 'SHUTOFF'],
          [['start'], 'ACTIVE'],
          [['pause'], 'PAUSED'],
          [['unpause'], 'ACTIVE'],
          [['suspend'], 'SUSPENDED'],
          [['resume'], 'ACTIVE'],
        ],
      ],
      [
        b,
        [
          [['shelve'], 'SHELVED_OFFLOADED'],
          [['unshelve'], 'ACTIVE'],
          [['reboot'], 'ACTIVE'],
          [['reboot', '--hard'], 'ACTIVE'],
          [
            ['lock', '--reason', 'ncli test'],
            'ACTIVE',
            (s) => expect([s.locked, s.locked_reason]).toEqual([true, 'ncli test']),
          ],
          [['unlock'], 'ACTIVE', (s) => expect(s.locked).toBe(false)],
        ],
      ],
      [
        c,
        [
          [['resize', '--flavor', 'm1.small'], 'VERIFY_RESIZE'],
          [['resize', '--confirm'], 'ACTIVE', (s) => expect(JSON.stringify(s.flavor)).toContain('m1.small')],
          [['resize', '--flavor', 'm1.tiny'], 'VERIFY_RESIZE'],
          [['resize', '--revert'], 'ACTIVE', (s) => expect(JSON.stringify(s.flavor)).toContain('m1.small')],
          [['rebuild', '--image', 'devcloud-image-2'], 'ACTIVE', (s) => expect(s.image).toContain(facts.IMAGE2_ID)],
          [['stop'], 'SHUTOFF'],
          // a stopped server stays stopped through a rebuild (from its own image by default)
          [['rebuild'], 'SHUTOFF', (s) => expect(s.image).toContain(facts.IMAGE2_ID)],
        ],
      ],
    ];
    await Promise.all(
      chains.map(async ([name, steps]) => {
        for (const [args, status, check] of steps) {
          const out = ok(await run(['server', ...args, name, '--wait']));
          expect(out).toMatch(
            new RegExp(
              `^${name}: [a-z ]+: (${status} after \\d+\\.\\d s|(un)?locked) \\(request req-[0-9a-f-]+\\)\\.\\n$`,
            ),
          );
          const s = await oscShow(name);
          expect([args.join(' '), s.status, s['OS-EXT-STS:task_state']]).toEqual([args.join(' '), status, null]);
          check?.(s);
        }
      }),
    );
  }, 240_000);

  it('acts on several servers at once; an unknown name among them is reported while the others run', async () => {
    const r = await run([
      'server',
      'stop',
      names[0],
      names[1],
      `${PREFIX}-ghost`,
      names[3],
      '--wait',
      '--parallel',
      '3',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout.trimEnd().split('\n')).toEqual(
      [names[0], names[1], names[3]].map((n) => expect.stringMatching(new RegExp(`^${n}: stop: SHUTOFF after`))),
    );
    expect(r.stderr).toBe(
      `ncli: No server with a name or ID of '${PREFIX}-ghost' exists.\nncli: 1 of 4 servers failed to stop.\n`,
    );
    const oracle = JSON.parse(
      (await osc(['server', 'list', '--name', `^${PREFIX}-[124]$`, '-f', 'json', '-c', 'Name', '-c', 'Status'])).stdout,
    ) as { Status: string }[];
    expect(oracle.map((s) => s.Status)).toEqual(['SHUTOFF', 'SHUTOFF', 'SHUTOFF']);
    ok(await run(['server', 'start', names[0], names[1], names[3], '--wait']));
  });

  it("refuses a transition Nova refuses in one line naming the server and Nova's reason", async () => {
    const r = await run(['server', 'start', names[0]]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      new RegExp(
        `^ncli: Nova refused the start of server ${names[0]}: Cannot 'start' instance [0-9a-f-]{36} while it is in vm_state active \\(HTTP 409, request req-[0-9a-f-]+\\)\\.\\n$`,
      ),
    );
  });

  it('a locked server refuses a non-admin, in one line', async () => {
    // a server of the project locked by demo (a member): Nova refuses demo's actions on it (admins may)
    const demo = cloudEnv({ OS_CLOUD: 'devcloud-demo', OS_PROJECT_NAME: PROJECT }, freshCache());
    const name = `${PREFIX}-demo`;
    ok(
      await run(
        [
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
          'id',
        ],
        demo,
      ),
    );
    try {
      ok(await run(['server', 'lock', name], demo));
      const r = await run(['server', 'stop', name], demo);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        new RegExp(
          `^ncli: Server ${name} is locked, so Nova refused the stop: Instance [0-9a-f-]{36} is locked \\(HTTP 409`,
        ),
      );
      ok(await run(['server', 'unlock', name], demo));
    } finally {
      await run(['server', 'delete', name, '--wait'], demo);
    }
  });

  it("ends --wait on an injected failure with Nova's fault or the failed event's details", async () => {
    const boot = `fail-boot-${PREFIX}`;
    const start = `fail-start-${PREFIX}`;
    const [b, s] = await Promise.all([
      run([
        'server',
        'create',
        boot,
        '--image',
        'devcloud-image',
        '--flavor',
        'm1.tiny',
        '--network',
        'none',
        '--wait',
      ]),
      run([
        'server',
        'create',
        start,
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
      ]),
    ]);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(
      new RegExp(
        `^ncli: The create of server ${boot} failed: it is in ERROR; fault: Build of instance [0-9a-f-]{36} aborted: devcloud: injected failure of boot`,
      ),
    );
    expect(ok(s)).toBe('ACTIVE\n');
    ok(await run(['server', 'stop', start, '--wait']));
    const r = await run(['server', 'start', start, '--wait']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `ncli: The start of server ${start} failed: it is SHUTOFF, not ACTIVE; event compute_start_instance failed: devcloud: injected failure of start for server ${start} (its name starts with fail-start).\n`,
    );
  });

  it('lists events as openstack server event list does, and shows one with its steps', async () => {
    const mine = JSON.parse(ok(await run(['server', 'event', 'list', names[1], '-f', 'json']))) as Record<
      string,
      string
    >[];
    const oracle = JSON.parse((await osc(['server', 'event', 'list', names[1], '-f', 'json'])).stdout) as Record<
      string,
      string
    >[];
    expect(mine.map((e) => [e['Request ID'], e.Action, e['Start Time']])).toEqual(
      oracle.map((e) => [e['Request ID'], e.Action, e['Start Time']]),
    );
    expect(Object.keys(mine[0])).toEqual(['Request ID', 'Server ID', 'Action', 'Start Time']);
    expect(mine.map((e) => e.Action).slice(-1)).toEqual(['create']); // newest first
    const lock = mine.find((e) => e.Action === 'lock')!;
    type Shown = { action: string; request_id: string; events: { event: string }[] };
    const show = JSON.parse(
      ok(await run(['server', 'event', 'show', names[1], lock['Request ID'], '-f', 'json'])),
    ) as Shown;
    const want = JSON.parse(
      (await osc(['server', 'event', 'show', names[1], lock['Request ID'], '-f', 'json'])).stdout,
    ) as Shown;
    expect([show.action, show.request_id]).toEqual([want.action, want.request_id]);
    expect(show.events.map((e) => e.event)).toEqual(want.events.map((e) => e.event));
  });

  it('names images in server list as openstackclient does', async () => {
    const mine = JSON.parse(
      ok(await run(['server', 'list', '--name', `^${PREFIX}-`, '-f', 'json', '-c', 'ID', '-c', 'Image'])),
    ) as { ID: string; Image: string }[];
    const oracle = JSON.parse(
      (await osc(['server', 'list', '--name', `^${PREFIX}-`, '-f', 'json', '-c', 'ID', '-c', 'Image'])).stdout,
    ) as { ID: string; Image: string }[];
    const byId = (rows: { ID: string; Image: string }[]) => rows.map((r) => `${r.ID} ${r.Image}`).sort();
    expect(byId(mine)).toEqual(byId(oracle));
    expect(mine.map((r) => r.Image)).toContain('devcloud-image-2'); // the rebuilt one
    const ids = JSON.parse(
      ok(await run(['server', 'list', '--name', `^${PREFIX}-`, '--no-name-lookup', '-f', 'json', '-c', 'Image'])),
    ) as { Image: string }[];
    expect(new Set(ids.map((r) => r.Image))).toEqual(new Set([facts.IMAGE_ID, facts.IMAGE2_ID]));
  });

  it('filters as Nova does, the same servers openstack server list finds', async () => {
    const only = `^${PREFIX}-[0-9]$`;
    const ncliNames = async (...args: string[]) =>
      ok(await run(['server', 'list', '--name', only, ...args, '-f', 'value', '-c', 'Name']))
        .split('\n')
        .filter(Boolean)
        .sort();
    const oscNames = async (...args: string[]) =>
      (
        JSON.parse((await osc(['server', 'list', '--name', only, ...args, '-f', 'json', '-c', 'Name'])).stdout) as {
          Name: string;
        }[]
      )
        .map((s) => s.Name)
        .sort();
    const [a, , c, d] = names;
    ok(await run(['server', 'lock', d]));
    const tag = await osc(['server', 'set', '--tag', 'ncli-test', '--tag', 'blue', a]);
    expect([tag.code, tag.stderr]).toEqual([0, '']);
    expect(await ncliNames('--image', 'devcloud-image-2')).toEqual([c]);
    expect(await ncliNames('--image', 'devcloud-image-2')).toEqual(await oscNames('--image', 'devcloud-image-2'));
    expect(await ncliNames('--flavor', 'm1.small')).toEqual(await oscNames('--flavor', 'm1.small'));
    expect(await ncliNames('--locked')).toEqual([d]);
    expect(await ncliNames('--unlocked')).toEqual(names.filter((n) => n !== d));
    expect(await ncliNames('--tags', 'ncli-test,blue')).toEqual([a]);
    expect(await ncliNames('--not-tags', 'ncli-test')).toEqual(names.slice(1));
    expect(await ncliNames('--host', 'devcloud-compute')).toEqual(names);
    expect(await ncliNames('--changes-since', startedAt)).toEqual(await oscNames('--changes-since', startedAt));
    expect(await ncliNames('--changes-since', '2099-01-01T00:00:00Z')).toEqual([]);
    // server-side sort, as openstack's --sort
    const sorted = ok(
      await run(['server', 'list', '--name', only, '--sort', 'display_name:desc', '-f', 'value', '-c', 'Name']),
    );
    expect(sorted.split('\n').filter(Boolean)).toEqual([...names].reverse());
    ok(await run(['server', 'unlock', d]));
  }, 120_000);

  it('--ip and --network NETWORK_ID: a server on the private network is found by its address', async () => {
    const name = `${PREFIX}-net`;
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
          facts.PRIVATE_NET_ID,
          '--wait',
          '-f',
          'json',
        ]),
      ),
    );
    // addresses as openstackclient prints them: {network: [address…]}
    const addr = (created.addresses.private as string[])[0];
    // Nova hands `ip` to Neutron as a substring when Neutron has ip-substring-filtering (it does
    // here): a part of the address, not a regular expression (`$` never matches)
    const found = ok(await run(['server', 'list', '--ip', addr, '-f', 'value', '-c', 'Name', '-c', 'Networks']));
    expect(found).toBe(`${name} {"private":["${addr}"]}\n`);
    const oracle = JSON.parse((await osc(['server', 'list', '--ip', addr, '-f', 'json', '-c', 'Name'])).stdout) as {
      Name: string;
    }[];
    expect(oracle.map((s) => s.Name)).toEqual([name]);
    expect(ok(await run(['server', 'list', '--ip', `${addr}$`, '-f', 'value', '-c', 'Name']))).toBe('');
  });

  it('deletes with --wait (openstack then finds nothing), forgets the name, and --deleted still lists it (admin)', async () => {
    const cache = freshCache();
    const e = cloudEnv({ OS_PROJECT_NAME: PROJECT }, cache);
    ok(await run(['server', 'list', '--name', `^${PREFIX}-`], e)); // fills the names cache
    const target = names[3];
    const out = ok(await run(['server', 'delete', target, '--wait'], e));
    expect(out).toMatch(new RegExp(`^${target}: delete: deleted after \\d+\\.\\d s \\(request req-`));
    const gone = await osc(['server', 'show', target]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/No server with a name or ID/);
    const complete = await ncli(['__complete', 'server', 'show', `${PREFIX}-`], e);
    expect(complete.stdout.split('\n')).not.toContain(target);
    expect(complete.stdout.split('\n')).toContain(names[0]);
    const deleted = ok(
      await run(['server', 'list', '--deleted', '--name', `^${target}$`, '-f', 'value', '-c', 'Name', '-c', 'Status']),
    );
    expect(deleted).toBe(`${target} DELETED\n`);
  });

  it('output controls: --sort-column, --max-width, --fit-width, -f shell with eval', async () => {
    const desc = ok(
      await run([
        'server',
        'list',
        '--name',
        `^${PREFIX}-[0-9]$`,
        '--sort-column',
        'Name',
        '--sort-descending',
        '-f',
        'value',
        '-c',
        'Name',
      ]),
    );
    expect(desc.split('\n').filter(Boolean)).toEqual(names.slice(0, 3).reverse());
    // 6 columns fit in 70 (a column is never cut below 8 characters, as cliff does)
    const narrow = ok(await run(['server', 'list', '--name', `^${PREFIX}-`, '--max-width', '70']));
    expect(
      Math.max(
        ...narrow
          .trimEnd()
          .split('\n')
          .map((l) => l.length),
      ),
    ).toBeLessThanOrEqual(70);
    const fit = ok(await run(['server', 'list', '--name', `^${PREFIX}-`, '--fit-width'], { ...env, COLUMNS: '90' }));
    expect(
      Math.max(
        ...fit
          .trimEnd()
          .split('\n')
          .map((l) => l.length),
      ),
    ).toBeLessThanOrEqual(90);
    const shell = ok(
      await run(['server', 'show', names[0], '-f', 'shell', '-c', 'status', '-c', 'name', '--prefix', 'vm_']),
    );
    // fields in openstackclient's (sorted) order, whatever the order of -c
    expect(shell).toBe(`vm_name="${names[0]}"\nvm_status="ACTIVE"\n`);
    const evaled = execFileSync(
      'bash',
      [
        '-c',
        `eval "$("$0" "$1" server show "$2" -f shell -c status)"; echo "$status"`,
        process.execPath,
        NCLI,
        names[0],
      ],
      {
        env,
      },
    ).toString();
    expect(evaled).toBe('ACTIVE\n');
  });
});
