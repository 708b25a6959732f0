/**
 * Fan-out (src/cli/fanout.ts) with fakes, for what the real cloud won't do on demand: many clouds
 * to see the parallel bound, a handler that fails on one target in each way (refused login, an
 * internal error, a usage error everywhere), and the refusals before any request. The
 * handler is a fake where the bound is measured; whole commands run through `main()` against a
 * MockAgent Keystone whose catalog has two compute regions for `--all-regions`. The same against
 * the real cloud is test/cloud/fanout.test.ts.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Context } from '../../src/cli/context.js';
import {
  catalogRegions,
  checkFanout,
  fanoutAsk,
  fanoutExitCode,
  fanoutRender,
  limiter,
  mergePrinted,
  runFanout,
  type FanoutAsk,
} from '../../src/cli/fanout.js';
import type { CommandSpec, Manifest } from '../../src/cli/spec.js';
import { UsageError } from '../../src/errors.js';
import { AuthError } from '../../src/identity/keystone.js';
import { FakeTty, testIO, runNcli } from '../support/io.js';
import { mockAgent, versionDocument } from '../support/mock-nova.js';

/** A clouds.yaml of `names`, each with its own auth URL and region R-<name>; returns its path. */
function cloudsYaml(names: string[], extra = ''): string {
  const dir = mkdtempSync(join(tmpdir(), 'ncli-fanout-'));
  const body = names
    .map(
      (n) =>
        `  ${n}:\n    auth:\n      auth_url: http://keystone-${n}.test/v3\n      username: u\n      password: p\n` +
        `      project_name: demo\n      user_domain_name: Default\n      project_domain_name: Default\n` +
        `    region_name: R-${n}\n`,
    )
    .join('');
  const path = join(dir, 'clouds.yaml');
  writeFileSync(path, `clouds:\n${body}${extra}`);
  return path;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const LIST: CommandSpec = { help: 'List things', args: [], output: 'list', fanout: true };
const MANIFEST: Manifest = {
  version: '0',
  groups: [
    {
      name: 'thing',
      help: '',
      module: '',
      commands: [
        { name: 'list', export: 'do_list', spec: LIST },
        { name: 'stop', export: 'do_stop', spec: { help: 'Stop', args: [] } },
      ],
    },
  ],
};

describe('what the options ask for', () => {
  it('no fan-out without a comma, --all-clouds or --all-regions', () => {
    expect(fanoutAsk({ osCloud: 'a' }, {})).toBeUndefined();
    expect(fanoutAsk({}, { OS_CLOUD: 'a' })).toBeUndefined();
  });

  it('a comma list from the flag or OS_CLOUD, in order, without repeats; the flag beats the variable', () => {
    expect(fanoutAsk({ osCloud: 'b, a,b,' }, {})).toEqual({
      clouds: ['b', 'a'],
      allRegions: false,
      asked: '--os-cloud b, a,b,',
    });
    expect(fanoutAsk({}, { OS_CLOUD: 'a,c' })).toMatchObject({ clouds: ['a', 'c'], asked: 'OS_CLOUD=a,c' });
    expect(fanoutAsk({ osCloud: 'x' }, { OS_CLOUD: 'a,c' })).toBeUndefined();
  });

  it('--all-clouds (every cloud, read later) and --all-regions (of the cloud given, or of the environment)', () => {
    expect(fanoutAsk({ allClouds: true }, { OS_CLOUD: 'a' })).toEqual({
      clouds: undefined,
      allRegions: false,
      asked: '--all-clouds',
    });
    expect(fanoutAsk({ allRegions: true, osCloud: 'a' }, {})).toEqual({
      clouds: ['a'],
      allRegions: true,
      asked: '--all-regions',
    });
    expect(fanoutAsk({ allRegions: true }, {})).toMatchObject({ clouds: [undefined] });
  });

  it('contradictions are usage errors', () => {
    expect(() => fanoutAsk({ allClouds: true, osCloud: 'a' }, {})).toThrow(
      new UsageError('--all-clouds and --os-cloud contradict each other; give one of them.'),
    );
    expect(() => fanoutAsk({ allRegions: true, osRegionName: 'R' }, {})).toThrow(/--all-regions and --os-region-name/);
    expect(() => fanoutAsk({ osCloud: ',' }, {})).toThrow(new UsageError("--os-cloud ',' names no cloud."));
  });
});

describe('refusals before any request', () => {
  const ask: FanoutAsk = { clouds: ['a', 'b'], allRegions: false, asked: '--os-cloud a,b' };

  it('a command that did not opt in is refused, naming the ones that did', () => {
    const stop = MANIFEST.groups[0].commands[1].spec;
    expect(() => checkFanout(ask, stop, 'thing stop', MANIFEST, 'table')).toThrow(
      new UsageError(
        "'ncli thing stop' runs on one cloud and one region; --os-cloud a,b is for the read-only commands thing list.",
      ),
    );
    expect(() => checkFanout(ask, LIST, 'thing list', MANIFEST, 'json')).not.toThrow();
  });

  it('-f shell (one resource) is refused', () => {
    expect(() => checkFanout(ask, { ...LIST, output: 'show' }, 'thing show', MANIFEST, 'shell')).toThrow(UsageError);
  });

  it('through main: an action with several clouds, or --all-regions, exits 2 with one line and no request', async () => {
    const env = { OS_CLIENT_CONFIG_FILE: cloudsYaml(['a', 'b']) };
    // the agent has no interceptor and no network: any request would fail the run otherwise
    const deps = { dispatcher: mockAgent(), tokenStore: null };
    const r = await runNcli(['--os-cloud', 'a,b', 'server', 'stop', 'vm1'], env, deps);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(
      /^ncli: 'ncli server stop' runs on one cloud and one region; --os-cloud a,b is for the read-only commands .*server list.*\.\n$/,
    );
    const show = await runNcli(['--all-regions', '--os-cloud', 'a', 'flavor', 'show', 'm1'], env, deps);
    expect(show.code).toBe(2);
    expect(show.stderr.split('\n')).toHaveLength(2);
    expect(show.stderr).toContain('--all-regions is for the read-only commands');
    const viaEnv = await runNcli(['server', 'delete', 'vm1'], { ...env, OS_CLOUD: 'a,b' }, deps);
    expect(viaEnv.code).toBe(2);
    expect(viaEnv.stderr).toContain('OS_CLOUD=a,b is for the read-only commands');
  });

  it('through main: `completion` never uses a cloud, so OS_CLOUD=a,b does not stop it', async () => {
    const r = await runNcli(['completion', 'bash'], { OS_CLOUD: 'a,b' }, { tokenStore: null });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ncli');
  });
});

describe('the parallel bound', () => {
  it('a limiter runs at most n at once, in order, and frees its slot on failure', async () => {
    const limit = limiter(3);
    let now = 0;
    let most = 0;
    const started: number[] = [];
    const jobs = Array.from({ length: 10 }, (_, i) =>
      limit(async () => {
        started.push(i);
        most = Math.max(most, ++now);
        await sleep(5 + (i % 3) * 5);
        now--;
        if (i === 4) throw new Error('boom');
        return i;
      }),
    );
    const settled = await Promise.allSettled(jobs);
    expect(most).toBe(3);
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(settled.filter((s) => s.status === 'rejected')).toHaveLength(1);
  });

  it('ten clouds run four at once, each on a context of its own cloud, rows in cloud order', async () => {
    const names = Array.from({ length: 10 }, (_, i) => `c${i}`);
    const t = testIO({ env: { OS_CLIENT_CONFIG_FILE: cloudsYaml(names) } });
    const parent = new Context(t.io, {}, { format: 'json' }, { tokenStore: null });
    let now = 0;
    let most = 0;
    const code = await runFanout(parent, {
      ask: { clouds: names, allRegions: false, asked: '--os-cloud …' },
      deps: { tokenStore: null },
      run: async (ctx) => {
        most = Math.max(most, ++now);
        const cfg = await ctx.config();
        // later clouds answer sooner: the output order is still the clouds'
        await sleep(40 - Number(cfg.cloudName!.slice(1)) * 3);
        now--;
        await ctx.list(['Name', 'Auth'], [{ Name: `${cfg.cloudName}-vm`, Auth: cfg.auth.authUrl }]);
      },
    });
    expect(code).toBe(0);
    expect(most).toBe(4);
    const rows = JSON.parse(t.out.text()) as Record<string, string>[];
    expect(rows).toEqual(
      names.map((n) => ({ Cloud: n, Region: `R-${n}`, Name: `${n}-vm`, Auth: `http://keystone-${n}.test/v3` })),
    );
    expect(Object.keys(rows[0])).toEqual(['Cloud', 'Region', 'Name', 'Auth']);
    expect(t.err.text()).toBe('');
  });
});

describe('a failing target', () => {
  const names = ['a', 'bad', 'c'];
  const run = (fail: (cloud: string) => Error | undefined) => async (ctx: Context) => {
    const cloud = (await ctx.config()).cloudName!;
    const e = fail(cloud);
    if (e) throw e;
    await ctx.list(['Name'], [{ Name: `${cloud}-vm` }]);
  };

  it('is one stderr line naming the cloud, region and cause; the others print; exit 1', async () => {
    const t = testIO({ env: { OS_CLIENT_CONFIG_FILE: cloudsYaml(names) } });
    const parent = new Context(t.io, {}, { format: 'value' }, { tokenStore: null });
    const code = await runFanout(parent, {
      ask: { clouds: names, allRegions: false, asked: '--os-cloud a,bad,c' },
      run: run((c) =>
        c === 'bad'
          ? new AuthError('Keystone at http://keystone-bad.test/v3 refused user ’u’: wrong password.')
          : undefined,
      ),
    });
    expect(code).toBe(1);
    expect(t.out.text()).toBe('a R-a a-vm\nc R-c c-vm\n');
    expect(t.err.text()).toBe(
      'ncli: cloud bad, region R-bad: Keystone at http://keystone-bad.test/v3 refused user ’u’: wrong password.\n',
    );
  });

  it('a cloud that is not in clouds.yaml is one line too', async () => {
    const t = testIO({ env: { OS_CLIENT_CONFIG_FILE: cloudsYaml(['a']) } });
    const parent = new Context(t.io, {}, { format: 'value' }, { tokenStore: null });
    const code = await runFanout(parent, {
      ask: { clouds: ['a', 'nope'], allRegions: false, asked: '--os-cloud a,nope' },
      run: run(() => undefined),
    });
    expect(code).toBe(1);
    expect(t.out.text()).toBe('a R-a a-vm\n');
    expect(t.err.lines()).toEqual([
      expect.stringMatching(/^ncli: cloud nope: Cloud 'nope' is not in .*; known clouds: a\.$/),
    ]);
  });

  it('a bug in one target is an internal error line for it alone', async () => {
    const t = testIO({ env: { OS_CLIENT_CONFIG_FILE: cloudsYaml(names) } });
    const parent = new Context(t.io, {}, { format: 'csv' }, { tokenStore: null });
    const code = await runFanout(parent, {
      ask: { clouds: names, allRegions: false, asked: '--all-clouds' },
      run: run((c) => (c === 'c' ? new TypeError('x is undefined') : undefined)),
    });
    expect(code).toBe(1);
    expect(t.out.lines()).toEqual(['"Cloud","Region","Name"', '"a","R-a","a-vm"', '"bad","R-bad","bad-vm"']);
    expect(t.err.lines()).toEqual([
      'ncli: cloud c, region R-c: internal error: x is undefined (run with --debug for the stack trace)',
    ]);
  });

  it('every target failing on a usage error exits 2 and prints no table', async () => {
    const t = testIO({ env: { OS_CLIENT_CONFIG_FILE: cloudsYaml(names) } });
    const parent = new Context(t.io, {}, {}, { tokenStore: null });
    const code = await runFanout(parent, {
      ask: { clouds: names, allRegions: false, asked: '--all-clouds' },
      run: run(() => new UsageError('--changes-since takes an ISO 8601 time.')),
    });
    expect(code).toBe(2);
    expect(t.out.text()).toBe('');
    expect(t.err.lines()).toHaveLength(3);
  });
});

describe('passwords asked on a terminal', () => {
  it('one cloud at a time, each question naming its cloud', async () => {
    // no password in clouds.yaml: each cloud asks for one
    const path = cloudsYaml(['a', 'b', 'c']);
    writeFileSync(path, readFileSync(path, 'utf8').replace(/\n {6}password: p/g, ''));
    const t = testIO({ tty: true, env: { OS_CLIENT_CONFIG_FILE: path }, stdin: new FakeTty() });
    const parent = new Context(t.io, {}, { format: 'value' }, { tokenStore: null });
    const questions: string[] = [];
    let now = 0;
    let most = 0;
    const code = await runFanout(parent, {
      ask: { clouds: ['a', 'b', 'c'], allRegions: false, asked: '--os-cloud a,b,c' },
      deps: {
        tokenStore: null,
        ask: async (question) => {
          most = Math.max(most, ++now);
          questions.push(question);
          await sleep(10);
          now--;
          return 'typed';
        },
      },
      run: async (ctx) => {
        const cfg = await ctx.config();
        const m = cfg.auth.method;
        await ctx.list(['Password'], [{ Password: m.type === 'password' ? m.password.length : -1 }]);
      },
    });
    expect(code).toBe(0);
    expect(most).toBe(1);
    expect(questions.sort()).toEqual([
      "[cloud a] Password for user 'u': ",
      "[cloud b] Password for user 'u': ",
      "[cloud c] Password for user 'u': ",
    ]);
    expect(t.out.text()).toBe('a R-a 5\nb R-b 5\nc R-c 5\n');
  });
});

describe('merging', () => {
  it('Cloud and Region first, then every column in the order first seen; a show is one row', () => {
    const merged = mergePrinted([
      { cloud: 'a', region: 'R1', code: 0, printed: [{ columns: ['ID', 'Name'], rows: [{ ID: 1, Name: 'x' }] }] },
      { cloud: 'b', region: undefined, code: 1, error: new Error('no'), printed: [] },
      {
        cloud: undefined,
        region: 'R2',
        code: 0,
        printed: [{ columns: ['ID', 'Forced Down'], rows: [{ ID: 2, 'Forced Down': false }] }],
      },
    ]);
    expect(merged.columns).toEqual(['Cloud', 'Region', 'ID', 'Name', 'Forced Down']);
    expect(merged.rows).toEqual([
      { Cloud: 'a', Region: 'R1', ID: 1, Name: 'x' },
      { Cloud: null, Region: 'R2', ID: 2, 'Forced Down': false },
    ]);
  });

  it('-c keeps Cloud and Region first unless it names them', () => {
    expect(fanoutRender({ columns: ['Name'] }).columns).toEqual(['Cloud', 'Region', 'Name']);
    expect(fanoutRender({ columns: ['Name', 'cloud'] }).columns).toEqual(['Region', 'Name', 'cloud']);
    expect(fanoutRender({ format: 'json' })).toEqual({ format: 'json' });
  });

  it('exit codes', () => {
    const ok = { cloud: 'a', region: 'R', printed: [], code: 0 };
    expect(fanoutExitCode([ok, { ...ok, code: 3 }])).toBe(3);
    expect(fanoutExitCode([ok, { ...ok, code: 1, error: new AuthError('no') }])).toBe(1);
    expect(fanoutExitCode([{ ...ok, code: 1, error: new UsageError('no') }])).toBe(2);
  });

  it('regions of a catalog: by region_id, else region, for the interface, sorted', () => {
    const ep = (iface: string, region_id?: string, region?: string) => ({
      interface: iface,
      region_id,
      region,
      url: 'u',
    });
    expect(
      catalogRegions(
        [
          { type: 'compute', endpoints: [ep('public', 'R2'), ep('public', undefined, 'R1'), ep('admin', 'R3')] },
          { type: 'image', endpoints: [ep('public', 'R9')] },
        ],
        'compute',
        'public',
      ),
    ).toEqual(['R1', 'R2']);
  });
});

describe('--all-regions through main against a fake Keystone and two Novas', () => {
  const NOVA_A = 'http://nova-a.test:8774';
  const NOVA_B = 'http://nova-b.test:8774';
  const KS = 'http://keystone-k.test';

  /** Keystone's catalog: compute in RegionA and RegionB (and admin-only in RegionC). */
  function token(): unknown {
    const ep = (region: string, url: string, iface = 'public') => ({
      id: `${region}-${iface}`,
      interface: iface,
      region_id: region,
      region,
      url,
    });
    return {
      token: {
        methods: ['password'],
        expires_at: new Date(Date.now() + 3_600_000).toISOString(),
        user: { id: 'u1', name: 'u' },
        project: { id: 'p1', name: 'demo' },
        catalog: [
          {
            type: 'compute',
            endpoints: [
              ep('RegionA', `${NOVA_A}/v2.1`),
              ep('RegionB', `${NOVA_B}/v2.1`),
              ep('RegionC', 'http://c', 'admin'),
            ],
          },
        ],
      },
    };
  }

  it('one row set per region of the catalog; a region that fails is one line; exit 1', async () => {
    const agent = mockAgent();
    let logins = 0;
    agent
      .get(KS)
      .intercept({ path: '/v3/auth/tokens', method: 'POST' })
      .reply(() => ({
        statusCode: 201,
        data: JSON.stringify(token()),
        responseOptions: { headers: { 'content-type': 'application/json', 'x-subject-token': `tok${++logins}` } },
      }))
      .persist();
    const a = agent.get(NOVA_A);
    a.intercept({ path: '/v2.1/', method: 'GET' })
      .reply(200, JSON.stringify(versionDocument('2.93')))
      .persist();
    a.intercept({ path: /^\/v2\.1\/flavors\/detail/, method: 'GET' }).reply(
      200,
      JSON.stringify({
        flavors: [
          {
            id: '1',
            name: 'm1.tiny',
            ram: 512,
            disk: 1,
            'OS-FLV-EXT-DATA:ephemeral': 0,
            vcpus: 1,
            'os-flavor-access:is_public': true,
          },
        ],
      }),
      { headers: { 'content-type': 'application/json' } },
    );
    agent
      .get(NOVA_B)
      .intercept({ path: '/v2.1/', method: 'GET' })
      .reply(500, JSON.stringify({ computeFault: { code: 500, message: 'nova-api is broken' } }), {
        headers: { 'content-type': 'application/json' },
      })
      .persist();
    const clouds = join(mkdtempSync(join(tmpdir(), 'ncli-fanout-')), 'clouds.yaml');
    writeFileSync(
      clouds,
      `clouds:\n  k:\n    auth:\n      auth_url: ${KS}/v3\n      username: u\n      password: p\n      project_name: demo\n` +
        `      user_domain_name: Default\n      project_domain_name: Default\n`,
    );
    const r = await runNcli(
      ['--os-cloud', 'k', '--all-regions', 'flavor', 'list', '-f', 'json', '-c', 'Name'],
      { OS_CLIENT_CONFIG_FILE: clouds, OS_CACHE: 'false' },
      { dispatcher: agent, tokenStore: null },
    );
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual([{ Cloud: 'k', Region: 'RegionA', Name: 'm1.tiny' }]);
    expect(r.stderr).toMatch(/^ncli: cloud k, region RegionB: [^\n]*nova-api is broken[^\n]*\n$/);
    // the login that read the catalog (no region) and one per region: each its own token
    expect(logins).toBe(3);
  });
});
