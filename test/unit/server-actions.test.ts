/**
 * Server actions, create and events as whole commands (`main()` in-process) against a fake Nova
 * on undici's MockAgent, for what the real one won't do on demand: an ERROR status during
 * --wait with a fault, a failed event, a locked server's 409, a connection dropped after a
 * create POST or an action POST, a --wait-timeout that expires, an old microversion. Also the
 * wait policy (src/compute/wait.ts) with a fake clock. The same flows against the real cloud
 * are in test/cloud/actions.test.ts.
 */
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  observe,
  pollDelay,
  waitForServer,
  type WaitClock,
  ActionFailedError,
  WaitTimeoutError,
} from '../../src/compute/wait.js';
import { ACTIONS, targetOf as tableTarget, type ServerAction } from '../../src/compute/action-table.js';
import { CREATED } from '../../src/compute/wait.js';
import type { Server } from '../../src/compute/types.js';
import { runNcli } from '../support/io.js';
import { mockCloud, type MockCloud } from '../support/mock-nova.js';

const IMAGE = '01692005-f686-4697-8383-0cce129c56f3';
const GLANCE = 'http://glance.test:9292';

/** A server the fake holds, with the states its next GETs will show (one per GET, the last one stays). */
interface FakeServer {
  id: string;
  name: string;
  status: string;
  'OS-EXT-STS:task_state'?: string | null;
  locked?: boolean;
  fault?: { code: number; message: string };
  image?: unknown;
  flavor?: unknown;
  created?: string;
  /** States the next GETs show, in order (each GET takes the first; the last one stays). */
  script?: Partial<FakeServer>[];
  gone?: boolean;
}

type ActionHandler = (s: FakeServer, body: Record<string, unknown>) => { status: number; body?: unknown } | void;

interface Seen {
  method: string;
  path: string;
  body?: unknown;
}

/**
 * A stateful Nova on a MockAgent: servers by name/ID, POST actions (202 + a request ID, and the
 * transition the test scripts), DELETE, instance actions, create. Every request is recorded.
 */
class FakeNova {
  readonly servers: FakeServer[] = [];
  readonly seen: Seen[] = [];
  /** Instance actions by server ID. */
  readonly actions = new Map<
    string,
    { action: string; request_id: string; start_time: string; events?: unknown[] }[]
  >();
  onAction: ActionHandler = () => {};
  onCreate: (body: Record<string, unknown>) => { status: number; body?: unknown; error?: Error } = () => ({
    status: 500,
  });
  private n = 0;
  private readonly routes = new Map<
    string,
    { fn: (body?: Record<string, unknown>) => { status: number; body?: unknown }; calls: number }
  >();

  /**
   * Answers `METHOD path` (with its query) with `fn` instead of the fake's own logic; `fn` may
   * throw an error with a `code` to drop the connection. Checked after the test: a route never
   * asked fails it, as an unused interceptor does.
   */
  route(
    method: string,
    path: string,
    fn: (body?: Record<string, unknown>) => { status: number; body?: unknown },
  ): void {
    this.routes.set(`${method} ${path}`, { fn, calls: 0 });
  }

  /** Routes set with {@link route} that no request reached. */
  unusedRoutes(): string[] {
    return [...this.routes].filter(([, r]) => r.calls === 0).map(([k]) => k);
  }

  constructor(readonly cloud: MockCloud) {
    cloud.pool
      .intercept({ path: (p) => p !== '/v2.1/', method: () => true })
      .reply((opts) => this.handle(opts.method, opts.path, typeof opts.body === 'string' ? opts.body : undefined))
      .persist();
  }

  add(s: FakeServer): FakeServer {
    this.servers.push(s);
    return s;
  }

  private json(status: number, body?: unknown, headers: Record<string, string> = {}) {
    return {
      statusCode: status,
      data: body === undefined ? '' : JSON.stringify(body),
      responseOptions: { headers: { 'content-type': 'application/json', ...headers } },
    };
  }

  private view(s: FakeServer): Record<string, unknown> {
    const { script: _script, gone: _gone, ...rest } = s;
    return { 'OS-EXT-STS:task_state': null, image: { id: IMAGE }, flavor: { original_name: 'm1.tiny' }, ...rest };
  }

  private handle(method: string, fullPath: string, text?: string) {
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    this.seen.push({ method, path: fullPath, body });
    const override = this.routes.get(`${method} ${fullPath}`);
    if (override) {
      override.calls++;
      const r = override.fn(body);
      return this.json(r.status, r.body);
    }
    const url = new URL(fullPath, 'http://x');
    const path = url.pathname.replace(/^\/v2\.1/, '');
    if (method === 'GET' && path === '/servers/detail') {
      // Nova's name filter is a regular expression (MySQL REGEXP; JavaScript's is close enough here)
      const name = url.searchParams.get('name');
      const re = name ? new RegExp(name) : undefined;
      const list = this.servers.filter((s) => !s.gone && (!re || re.test(s.name)));
      return this.json(200, { servers: list.map((s) => this.view(s)) });
    }
    let m = /^\/servers\/([^/]+)$/.exec(path);
    if (m && method === 'GET') {
      const s = this.servers.find((x) => x.id === m![1]);
      if (!s || s.gone)
        return this.json(404, { itemNotFound: { code: 404, message: `Instance ${m[1]} could not be found.` } });
      const next = s.script?.shift();
      if (next) Object.assign(s, next);
      if (s.gone)
        return this.json(404, { itemNotFound: { code: 404, message: `Instance ${s.id} could not be found.` } });
      return this.json(200, { server: this.view(s) });
    }
    if (m && method === 'DELETE') {
      const s = this.servers.find((x) => x.id === m![1]);
      if (!s || s.gone) return this.json(404, { itemNotFound: { code: 404, message: 'not found' } });
      const r = this.onAction(s, { delete: null });
      if (r) return this.json(r.status, r.body);
      if (!s.script?.length) s.script = [{ 'OS-EXT-STS:task_state': 'deleting' }, { gone: true }];
      return this.json(204, undefined, { 'x-openstack-request-id': this.req(s, 'delete') });
    }
    m = /^\/servers\/([^/]+)\/action$/.exec(path);
    if (m && method === 'POST') {
      const s = this.servers.find((x) => x.id === m![1])!;
      const r = this.onAction(s, body ?? {});
      if (r && r.status >= 400) return this.json(r.status, r.body);
      const name = Object.keys(body ?? {})[0].replace(/^os-/, '');
      return this.json(r?.status ?? 202, r?.body, { 'x-openstack-request-id': this.req(s, name) });
    }
    m = /^\/servers\/([^/]+)\/os-instance-actions(?:\/([^/]+))?$/.exec(path);
    if (m && method === 'GET') {
      const list = this.actions.get(m[1]) ?? [];
      if (m[2]) {
        const a = list.find((x) => x.request_id === m[2]);
        if (!a) return this.json(404, { itemNotFound: { code: 404, message: `Action ${m[2]} not found` } });
        return this.json(200, { instanceAction: { events: [], ...a } });
      }
      return this.json(200, { instanceActions: [...list].reverse().map(({ events: _e, ...a }) => a) });
    }
    if (path === '/servers' && method === 'POST') {
      const r = this.onCreate((body?.server ?? {}) as Record<string, unknown>);
      return this.json(r.status, r.body, { 'x-openstack-request-id': 'req-create-1' });
    }
    return this.json(599, { error: { message: `fake: no route for ${method} ${fullPath}` } });
  }

  /** Records an instance action; returns its request ID. */
  req(s: FakeServer, action: string, events?: unknown[]): string {
    const id = `req-${action}-${++this.n}`;
    const list = this.actions.get(s.id) ?? [];
    list.push({ action, request_id: id, start_time: new Date().toISOString().replace('Z', ''), events });
    this.actions.set(s.id, list);
    return id;
  }

  /** The POST /action bodies sent, in order. */
  actionBodies(): unknown[] {
    return this.seen.filter((r) => r.method === 'POST' && r.path.endsWith('/action')).map((r) => r.body);
  }
}

/** A mock cloud with the fake Nova, and a runner. */
const fakes: FakeNova[] = [];
afterEach(() => {
  for (const f of fakes.splice(0)) expect(f.unusedRoutes()).toEqual([]);
});

function setup(opts: Parameters<typeof mockCloud>[0] = {}) {
  const c = mockCloud(opts);
  const nova = new FakeNova(c);
  fakes.push(nova);
  const run = (argv: string[], o: { tty?: boolean; env?: NodeJS.ProcessEnv } = {}) =>
    runNcli(argv, { ...c.env, ...o.env }, { dispatcher: c.agent, tokenStore: null }, { tty: o.tty });
  return { c, nova, run };
}

const TINY = { id: '1', name: 'm1.tiny', ram: 512, disk: 1, vcpus: 1 };
const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** The wait target of an action without parameters, on a running server (or `before`). */
function targetOf(kind: ServerAction['kind'] | 'create', before: Partial<Server> = {}) {
  if (kind === 'create') return CREATED;
  return tableTarget({ kind } as ServerAction, { id: 'x', name: 'x', status: 'ACTIVE', ...before });
}

/** The body an action sends. */
function actionBody(a: ServerAction): unknown {
  const r = (ACTIONS[a.kind].request as (p: ServerAction) => { method: string; body?: unknown })(a);
  return r.body;
}

describe('server actions on several servers', () => {
  it('stop --wait: one POST per server, polled to SHUTOFF, one outcome line each, exit 0', async () => {
    const { nova, run } = setup();
    nova.add({ id: uuid(1), name: 'vm1', status: 'ACTIVE' });
    nova.add({ id: uuid(2), name: 'web.1', status: 'ACTIVE' });
    nova.onAction = (s) => {
      s.script = [{ 'OS-EXT-STS:task_state': 'powering-off' }, { status: 'SHUTOFF', 'OS-EXT-STS:task_state': null }];
    };
    const r = await run(['server', 'stop', 'vm1', 'web.1', '--wait']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^vm1: stop: SHUTOFF after \d+\.\d s \(request req-stop-\d\)\.\nweb\.1: stop: SHUTOFF after \d+\.\d s \(request req-stop-\d\)\.\n$/,
    );
    expect(nova.actionBodies()).toEqual([{ 'os-stop': null }, { 'os-stop': null }]);
    // names without a shared prefix: one exact search each
    const lookups = nova.seen.filter((x) => x.path.startsWith('/v2.1/servers/detail'));
    expect(lookups.map((x) => new URL(x.path, 'http://x').searchParams.get('name')).sort()).toEqual([
      '^vm1$',
      '^web\\.1$',
    ]);
  });

  it('a name that does not resolve is reported by name while the others still run; exit 1', async () => {
    const { nova, run } = setup();
    nova.add({ id: uuid(1), name: 'vm1', status: 'SHUTOFF' });
    nova.add({ id: uuid(2), name: 'vm2', status: 'SHUTOFF' });
    const r = await run(['server', 'start', 'vm1', 'ghost', 'vm2']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('vm1: start accepted (request req-start-1).\nvm2: start accepted (request req-start-2).\n');
    expect(r.stderr).toBe(
      "ncli: No server with a name or ID of 'ghost' exists.\nncli: 1 of 3 servers failed to start.\n",
    );
    expect(nova.actionBodies()).toEqual([{ 'os-start': null }, { 'os-start': null }]);
  });

  it('names that share a prefix are resolved with one search (Nova on MySQL has no `|`); a duplicate name is refused', async () => {
    const { nova, run } = setup();
    for (const i of [1, 2, 3]) nova.add({ id: uuid(i), name: `web-${i}`, status: 'SHUTOFF' });
    nova.add({ id: uuid(4), name: 'web-3', status: 'SHUTOFF' });
    const r = await run(['server', 'start', 'web-1', 'web-2', 'web-3', 'web-9']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      'web-1: start accepted (request req-start-1).\nweb-2: start accepted (request req-start-2).\n',
    );
    expect(r.stderr).toBe(
      `ncli: More than one server is named 'web-3' (${uuid(3)}, ${uuid(4)}); use an ID to be more specific.\n` +
        "ncli: No server with a name or ID of 'web-9' exists.\nncli: 2 of 4 servers failed to start.\n",
    );
    const lookups = nova.seen.filter((x) => x.path.startsWith('/v2.1/servers/detail'));
    expect(lookups.map((x) => Object.fromEntries(new URL(x.path, 'http://x').searchParams))).toEqual([
      { name: '^web-', limit: '201' },
    ]);
  });

  it("Nova's 409 for a wrong state is one line naming the server and Nova's reason", async () => {
    const { nova, run } = setup();
    nova.add({ id: uuid(1), name: 'vm1', status: 'ACTIVE' });
    nova.onAction = (s) => ({
      status: 409,
      body: {
        conflictingRequest: { code: 409, message: `Cannot 'start' instance ${s.id} while it is in vm_state active` },
      },
    });
    const r = await run(['server', 'start', 'vm1']);
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: `ncli: Nova refused the start of server vm1: Cannot 'start' instance ${uuid(1)} while it is in vm_state active (HTTP 409).\n`,
    });
  });

  it('a locked server, a policy refusal and a 404 mid-way are one line each', async () => {
    const { nova, run } = setup();
    nova.add({ id: uuid(1), name: 'locked-vm', status: 'ACTIVE' });
    nova.add({ id: uuid(2), name: 'theirs', status: 'ACTIVE' });
    nova.add({ id: uuid(3), name: 'going', status: 'ACTIVE' });
    nova.onAction = (s) => {
      if (s.name === 'locked-vm')
        return { status: 409, body: { conflictingRequest: { code: 409, message: `Instance ${s.id} is locked` } } };
      if (s.name === 'theirs')
        return {
          status: 403,
          body: {
            forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:servers:reboot to be performed." },
          },
        };
      return { status: 404, body: { itemNotFound: { code: 404, message: `Instance ${s.id} could not be found.` } } };
    };
    const r = await run(['server', 'reboot', 'locked-vm', 'theirs', 'going', '--hard']);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')).toEqual([
      `ncli: Server locked-vm is locked, so Nova refused the hard reboot: Instance ${uuid(1)} is locked (HTTP 409).`,
      "ncli: Nova's policy does not let this user hard reboot server theirs: Policy doesn't allow os_compute_api:servers:reboot to be performed (HTTP 403).",
      'ncli: Server going no longer exists (Nova answered 404 to the hard reboot) (HTTP 404).',
      'ncli: 3 of 3 servers failed to reboot.',
      '',
    ]);
    expect(nova.actionBodies()).toEqual(Array(3).fill({ reboot: { type: 'HARD' } }));
  });

  it('an ERROR status during --wait ends the wait with the fault and the failed event details', async () => {
    const { nova, run } = setup();
    const s = nova.add({ id: uuid(1), name: 'vm1', status: 'SHUTOFF' });
    nova.onAction = () => {
      s.script = [
        { 'OS-EXT-STS:task_state': 'powering-on' },
        { status: 'ERROR', 'OS-EXT-STS:task_state': null, fault: { code: 500, message: 'Disk image is corrupt' } },
      ];
    };
    const original = nova.req.bind(nova);
    nova.req = (srv, action) =>
      original(srv, action, [
        {
          event: 'compute_start_instance',
          result: 'Error',
          details: 'qemu: could not open disk image',
          start_time: 'x',
        },
      ]);
    const r = await run(['server', 'start', 'vm1', '--wait']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'ncli: The start of server vm1 failed: it is in ERROR; fault: Disk image is corrupt; event compute_start_instance failed: qemu: could not open disk image.\n',
    );
  });

  it('an action that fails inside nova-compute and is rolled back (status unchanged, event Error) fails the wait', async () => {
    const { nova, run } = setup();
    const s = nova.add({ id: uuid(1), name: 'fail-start-1', status: 'SHUTOFF' });
    nova.onAction = () => {
      s.script = [{ 'OS-EXT-STS:task_state': 'powering-on' }, { 'OS-EXT-STS:task_state': null }];
    };
    const original = nova.req.bind(nova);
    nova.req = (srv, action) =>
      original(srv, action, [
        { event: 'compute_start_instance', result: 'Error', traceback: 'Traceback…\nInjectedFault: boom\n' },
      ]);
    const r = await run(['server', 'start', 'fail-start-1', '--wait']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'ncli: The start of server fail-start-1 failed: it is SHUTOFF, not ACTIVE; event compute_start_instance failed: InjectedFault: boom.\n',
    );
  });

  it('a --wait-timeout that expires says where the server is and how to wait longer; the others still finish', async () => {
    const { nova, run } = setup();
    const slow = nova.add({ id: uuid(1), name: 'slow', status: 'ACTIVE' });
    const fast = nova.add({ id: uuid(2), name: 'fast', status: 'ACTIVE' });
    nova.onAction = (s) => {
      s.script =
        s === slow
          ? [{ status: 'REBOOT', 'OS-EXT-STS:task_state': 'rebooting' }]
          : [{ status: 'ACTIVE', 'OS-EXT-STS:task_state': null }];
    };
    const t0 = Date.now();
    const r = await run(['server', 'reboot', 'slow', 'fast', '--wait-timeout', '1']);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^fast: reboot: ACTIVE after/);
    expect(r.stderr).toBe(
      'ncli: Server slow is REBOOT (task rebooting) after 1 s, not yet ACTIVE; the action goes on in Nova; wait longer with --wait-timeout SECONDS.\nncli: 1 of 2 servers failed to reboot.\n',
    );
    expect(fast.status).toBe('ACTIVE');
  });

  it('delete --wait: a server Nova still shows as DELETED is deleted, worded as a 404 is', async () => {
    const { nova, run } = setup();
    nova.add({ id: uuid(1), name: 'a1', status: 'ACTIVE' });
    // an admin (or a read just after the delete) sees the row soft-deleted before it is gone
    nova.onAction = (s) => void (s.script = [{ status: 'DELETED' }]);
    const r = await run(['server', 'delete', 'a1', '--wait']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^a1: delete: deleted after \d+\.\d s \(request req-/);
    expect(r.code).toBe(0);
  });

  it('delete of several: "N of M servers failed to delete", and the names cache forgets the deleted ones', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'ncli-act-'));
    const { nova, run } = setup();
    nova.add({ id: uuid(1), name: 'a1', status: 'ACTIVE' });
    nova.add({ id: uuid(2), name: 'a2', status: 'ACTIVE', locked: true });
    nova.add({ id: uuid(3), name: 'a3', status: 'ACTIVE' });
    const env = { OS_CACHE: 'true', XDG_CACHE_HOME: cache };
    expect((await run(['server', 'list', '--no-name-lookup', '-f', 'value', '-c', 'Name'], { env })).stdout).toBe(
      'a1\na2\na3\n',
    );
    nova.onAction = (s) =>
      s.locked
        ? { status: 409, body: { conflictingRequest: { code: 409, message: `Instance ${s.id} is locked` } } }
        : undefined;
    const r = await run(['server', 'delete', 'a1', 'a2', 'a3', '--wait'], { env });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^a1: delete: deleted after .*\na3: delete: deleted after .*\n$/);
    expect(r.stderr).toBe(
      `ncli: Server a2 is locked, so Nova refused the delete: Instance ${uuid(2)} is locked (HTTP 409).\nncli: 1 of 3 servers failed to delete.\n`,
    );
    const dir = join(cache, 'ncli', 'names');
    const file = readdirSync(dir).find((f) => f.endsWith('.server.json'))!;
    const names = (JSON.parse(readFileSync(join(dir, file), 'utf8')) as { items: { name: string }[] }).items;
    expect(names.map((i) => i.name)).toEqual(['a2']);
  });

  it('a dropped connection after an action POST is never sent again: Nova recorded it, so the wait goes on', async () => {
    const { nova, run } = setup();
    const s = nova.add({ id: uuid(1), name: 'vm1', status: 'ACTIVE' });
    // the POST reaches Nova, but its answer is lost
    let posts = 0;
    nova.route('POST', `/v2.1/servers/${uuid(1)}/action`, () => {
      posts++;
      nova.req(s, 'reboot');
      s.script = [{ status: 'ACTIVE', 'OS-EXT-STS:task_state': null }];
      throw Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    });
    const r = await run(['server', 'reboot', 'vm1', '--wait']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /^ncli: The answer to the reboot of server vm1 was lost \(Cannot reach .*\), but Nova recorded it \(request req-reboot-1\); not sent again\.\n$/,
    );
    expect(r.stdout).toMatch(/^vm1: reboot: ACTIVE after .* \(request req-reboot-1\)\.\n$/);
    expect(posts).toBe(1);
  });

  it('lock --reason on a cloud older than 2.73 is one line before any request to the server', async () => {
    const c = mockCloud({ max: '2.60' }); // nothing but the version document: any other request fails the test
    const r = await runNcli(['server', 'lock', 'vm1', '--reason', 'maintenance'], c.env, {
      dispatcher: c.agent,
      tokenStore: null,
    });
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: 'ncli: --reason needs compute API version 2.73; this cloud supports at most 2.60.\n',
    });
  });

  it('server migrate --host on a cloud older than 2.30 is refused before any request', async () => {
    const c = mockCloud({ max: '2.29' });
    const r = await runNcli(['server', 'migrate', 'vm1', '--live-migration', '--host', 'compute-2'], c.env, {
      dispatcher: c.agent,
      tokenStore: null,
    });
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: 'ncli: --host needs compute API version 2.30; this cloud supports at most 2.29.\n',
    });
  });

  it('lock --reason sends locked_reason; --wait checks the locked field', async () => {
    const { nova, run } = setup();
    const s = nova.add({ id: uuid(1), name: 'vm1', status: 'ACTIVE', locked: false });
    nova.onAction = () => void (s.script = [{ locked: true }]);
    const r = await run(['server', 'lock', uuid(1), '--reason', 'maintenance', '--wait']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`vm1 (${uuid(1)}): lock: locked (request req-lock-1).\n`);
    expect(nova.actionBodies()).toEqual([{ lock: { locked_reason: 'maintenance' } }]);
  });

  it('resize --flavor --confirm: resize, wait for VERIFY_RESIZE, confirm, wait for ACTIVE', async () => {
    const { nova, run } = setup();
    const s = nova.add({ id: uuid(1), name: 'vm1', status: 'ACTIVE' });
    nova.route('GET', '/v2.1/flavors/m1.small', () => ({
      status: 404,
      body: { itemNotFound: { code: 404, message: 'x' } },
    }));
    nova.route('GET', '/v2.1/flavors/detail?is_public=None', () => ({
      status: 200,
      body: { flavors: [{ id: '2', name: 'm1.small', ram: 2048, disk: 20, vcpus: 1 }] },
    }));
    nova.onAction = (_s, body) => {
      s.script =
        'resize' in body
          ? [
              { status: 'RESIZE', 'OS-EXT-STS:task_state': 'resize_migrating' },
              { status: 'VERIFY_RESIZE', 'OS-EXT-STS:task_state': null },
            ]
          : [{ status: 'ACTIVE' }];
    };
    const r = await run(['server', 'resize', 'vm1', '--flavor', 'm1.small', '--confirm', '--wait']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^vm1: resize: VERIFY_RESIZE after .*\nvm1: resize confirmation: ACTIVE after .*\n$/);
    expect(nova.actionBodies()).toEqual([{ resize: { flavorRef: '2' } }, { confirmResize: null }]);
  });

  it('on a terminal, --wait draws live lines on stderr and erases them; a pipe gets none', async () => {
    const { nova, run } = setup();
    const s = nova.add({ id: uuid(1), name: 'vm1', status: 'ACTIVE' });
    nova.onAction = () => void (s.script = [{ status: 'PAUSED' }]);
    const tty = await run(['server', 'pause', 'vm1', '--wait'], { tty: true });
    expect(tty.code).toBe(0);
    expect(tty.stderr).toContain('\x1b[2Kvm1  ');
    const ESC = String.fromCharCode(27);
    expect(tty.stderr.endsWith(`${ESC}[1A${ESC}[J`)).toBe(true); // the one line erased at the end
    expect(tty.stdout).toMatch(/^vm1: pause: PAUSED after/);
  });
});

describe('server create', () => {
  const glance = (c: MockCloud) => c.agent.get(GLANCE);

  it('resolves image and flavor names, sends networks, metadata and user data, waits and prints the server', async () => {
    const { c, nova, run } = setup();
    glance(c)
      .intercept({ path: '/v2/images?name=devcloud-image', method: 'GET' })
      .reply(200, { images: [{ id: IMAGE, name: 'devcloud-image' }] });
    nova.route('GET', '/v2.1/flavors/m1.tiny', () => ({
      status: 404,
      body: { itemNotFound: { code: 404, message: 'x' } },
    }));
    nova.route('GET', '/v2.1/flavors/detail?is_public=None', () => ({
      status: 200,
      body: { flavors: [{ id: '1', name: 'm1.tiny', ram: 512, disk: 1, vcpus: 1 }] },
    }));
    nova.onCreate = (body) => {
      nova.add({
        id: uuid(7),
        name: body.name as string,
        status: 'BUILD',
        'OS-EXT-STS:task_state': 'spawning',
        script: [{ status: 'ACTIVE', 'OS-EXT-STS:task_state': null }],
      });
      return { status: 202, body: { server: { id: uuid(7), adminPass: 'S3cret!' } } };
    };
    const dir = mkdtempSync(join(tmpdir(), 'ncli-ud-'));
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'ud'), '#cloud-config\n');
    const r = await run([
      'server',
      'create',
      'act-1',
      '--image',
      'devcloud-image',
      '--flavor',
      'm1.tiny',
      '--network',
      'none',
      '--property',
      'role=web',
      '--user-data',
      join(dir, 'ud'),
      '--wait',
      '-f',
      'json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ id: uuid(7), name: 'act-1', status: 'ACTIVE' });
    expect(r.stdout).not.toContain('S3cret');
    const post = nova.seen.find((x) => x.method === 'POST' && x.path === '/v2.1/servers')!;
    expect(post.body).toEqual({
      server: {
        name: 'act-1',
        imageRef: IMAGE,
        flavorRef: '1',
        networks: 'none',
        metadata: { role: 'web' },
        user_data: Buffer.from('#cloud-config\n').toString('base64'),
      },
    });
  });

  it('an unknown image is one line, before any POST', async () => {
    const { c, nova, run } = setup();
    glance(c).intercept({ path: '/v2/images?name=nope', method: 'GET' }).reply(200, { images: [] });
    nova.route('GET', '/v2.1/flavors/m1.tiny', () => ({ status: 200, body: { flavor: TINY } }));
    const r = await run(['server', 'create', 'x', '--image', 'nope', '--flavor', 'm1.tiny']);
    expect(r).toEqual({ code: 1, stdout: '', stderr: "ncli: No image with a name or ID of 'nope' exists.\n" });
    expect(nova.seen.filter((x) => x.method === 'POST')).toEqual([]);
  });

  it('a connection dropped after the create POST: found by name and creation time, waited on, never posted again', async () => {
    const { c, nova, run } = setup();
    glance(c)
      .intercept({ path: `/v2/images/${IMAGE}`, method: 'GET' })
      .reply(200, { id: IMAGE, name: 'devcloud-image' });
    nova.route('GET', '/v2.1/flavors/1', () => ({ status: 200, body: { flavor: TINY } }));
    let posts = 0;
    nova.route('POST', '/v2.1/servers', () => {
      posts++;
      nova.add({
        id: uuid(9),
        name: 'act-lost',
        status: 'BUILD',
        'OS-EXT-STS:task_state': 'spawning',
        created: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        script: [{ status: 'ACTIVE', 'OS-EXT-STS:task_state': null }],
      });
      throw Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    });
    const r = await run([
      'server',
      'create',
      'act-lost',
      '--image',
      IMAGE,
      '--flavor',
      '1',
      '--wait',
      '-f',
      'value',
      '-c',
      'status',
    ]);
    expect(posts).toBe(1);
    expect(r.stdout).toBe('ACTIVE\n');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      new RegExp(
        `^ncli: the answer to the create of server act-lost was lost \\(Cannot reach .*\\); found act-lost \\(${uuid(9)}\\) by name and creation time: not created again\\.\\n$`,
      ),
    );
    const lookup = nova.seen.find((x) => x.path.startsWith('/v2.1/servers/detail?'))!;
    expect(new URL(lookup.path, 'http://x').searchParams.get('changes-since')).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    );
  });

  it('a connection dropped after the create POST with no server made: one line, nothing posted again', async () => {
    const { c, nova, run } = setup();
    glance(c)
      .intercept({ path: `/v2/images/${IMAGE}`, method: 'GET' })
      .reply(200, { id: IMAGE, name: 'devcloud-image' });
    nova.route('GET', '/v2.1/flavors/1', () => ({ status: 200, body: { flavor: TINY } }));
    nova.route('POST', '/v2.1/servers', () => {
      throw Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    });
    const r = await run(['server', 'create', 'act-x', '--image', IMAGE, '--flavor', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^ncli: The answer to the create of server act-x was lost .* no server named act-x has appeared since; ncli does not send a create twice/,
    );
  });

  it('create --wait that ends in ERROR prints the fault', async () => {
    const { c, nova, run } = setup();
    glance(c)
      .intercept({ path: `/v2/images/${IMAGE}`, method: 'GET' })
      .reply(200, { id: IMAGE, name: 'i' });
    nova.route('GET', '/v2.1/flavors/1', () => ({ status: 200, body: { flavor: TINY } }));
    nova.onCreate = () => {
      nova.add({
        id: uuid(5),
        name: 'fail-boot-1',
        status: 'BUILD',
        script: [{ status: 'ERROR', fault: { code: 500, message: `Build of instance ${uuid(5)} aborted: injected` } }],
      });
      return { status: 202, body: { server: { id: uuid(5) } } };
    };
    const r = await run(['server', 'create', 'fail-boot-1', '--image', IMAGE, '--flavor', '1', '--wait']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `ncli: The create of server fail-boot-1 failed: it is in ERROR; fault: Build of instance ${uuid(5)} aborted: injected.\n`,
    );
  });
});

describe('server event', () => {
  it('list follows the 2.58 pages, newest first, with openstack server event list columns; show formats events', async () => {
    const { nova, run } = setup();
    nova.add({ id: uuid(1), name: 'vm1', status: 'ACTIVE' });
    const path = `/v2.1/servers/${uuid(1)}/os-instance-actions`;
    nova.route('GET', path, () => ({
      status: 200,
      body: {
        instanceActions: [
          { action: 'stop', request_id: 'req-2', instance_uuid: uuid(1), start_time: '2026-12-02T10:00:02.000000' },
        ],
        links: [
          { rel: 'next', href: `http://nova.test:8774/v2.1/servers/${uuid(1)}/os-instance-actions?marker=req-2` },
        ],
      },
    }));
    nova.route('GET', `${path}?marker=req-2`, () => ({
      status: 200,
      body: {
        instanceActions: [
          { action: 'create', request_id: 'req-1', instance_uuid: uuid(1), start_time: '2026-12-02T10:00:01.000000' },
        ],
      },
    }));
    const r = await run(['server', 'event', 'list', 'vm1', '-f', 'csv']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      `"Request ID","Server ID","Action","Start Time"\n"req-2","${uuid(1)}","stop","2026-12-02T10:00:02.000000"\n"req-1","${uuid(1)}","create","2026-12-02T10:00:01.000000"\n`,
    );
    nova.route('GET', `${path}/req-2`, () => ({
      status: 200,
      body: {
        instanceAction: {
          action: 'stop',
          request_id: 'req-2',
          message: 'Error',
          events: [
            {
              event: 'compute_stop_instance',
              result: 'Error',
              start_time: 'T1',
              finish_time: 'T2',
              host: 'c1',
              details: 'boom',
            },
          ],
        },
      },
    }));
    const show = await run(['server', 'event', 'show', 'vm1', 'req-2', '-f', 'value', '-c', 'events']);
    expect(show.stdout).toBe('compute_stop_instance  Error  T1 → T2  on c1: boom\n');
  });

  it('paging options on a cloud older than 2.58 are one line', async () => {
    const { nova, run } = setup({ max: '2.51' });
    nova.add({ id: uuid(1), name: 'vm1', status: 'ACTIVE' });
    const r = await run(['server', 'event', 'list', 'vm1', '--limit', '2']);
    expect(r.stderr).toBe(
      'ncli: Paging or filtering server events needs compute API version 2.58; this cloud supports at most 2.51.\n',
    );
  });
});

describe('the wait policy', () => {
  const srv = (status: string, task: string | null = null, extra: Partial<Server> = {}): Server => ({
    id: 'x',
    name: 'x',
    status,
    'OS-EXT-STS:task_state': task,
    ...extra,
  });

  it('targets per action', () => {
    expect(targetOf('stop').statuses).toEqual(['SHUTOFF']);
    expect(targetOf('shelve').label).toBe('SHELVED or SHELVED_OFFLOADED');
    expect(targetOf('rebuild', { status: 'SHUTOFF' }).statuses).toEqual(['SHUTOFF']);
    expect(targetOf('rebuild', { status: 'ACTIVE' }).statuses).toEqual(['ACTIVE']);
    expect(targetOf('resize').statuses).toEqual(['VERIFY_RESIZE']);
    expect(targetOf('delete').gone).toBe(true);
    expect(targetOf('create').statuses).toEqual(['ACTIVE']);
  });

  it('observes where a server stands', () => {
    const active = targetOf('start');
    expect(observe(srv('ACTIVE'), active)).toBe('done');
    expect(observe(srv('ACTIVE', 'powering-on'), active)).toBe('pending');
    expect(observe(srv('SHUTOFF'), active)).toBe('settled');
    expect(observe(srv('ERROR'), active)).toBe('error');
    expect(observe(null, active)).toBe('vanished');
    expect(observe(null, targetOf('delete'))).toBe('done');
    expect(observe(srv('ERROR', 'deleting'), targetOf('delete'))).toBe('pending');
    expect(observe(srv('ACTIVE', null, { locked: true }), targetOf('lock'))).toBe('done');
    expect(observe(srv('ACTIVE', null, { locked: false }), targetOf('lock'))).toBe('pending');
  });

  it('backs off from 0.5 s to 5 s with jitter', () => {
    expect(pollDelay(1, () => 0.5)).toBe(500);
    expect(pollDelay(2, () => 0.5)).toBe(750);
    expect(pollDelay(20, () => 0.5)).toBe(5000);
    expect(pollDelay(1, () => 0)).toBe(450);
    expect(pollDelay(1, () => 0.999)).toBeLessThanOrEqual(550);
  });

  it('polls with an injected clock until done, or until the timeout', async () => {
    let now = 0;
    const sleeps: number[] = [];
    const clock: WaitClock = { now: () => now, sleep: async (ms) => void (sleeps.push(ms), (now += ms)) };
    const states = [srv('REBOOT', 'rebooting'), srv('REBOOT', 'rebooting'), srv('ACTIVE')];
    const done = await waitForServer(async () => states.shift()!, targetOf('reboot'), {
      timeoutSeconds: 60,
      label: 'vm1',
      action: 'reboot',
      clock,
      random: () => 0.5,
    });
    expect(done?.status).toBe('ACTIVE');
    expect(sleeps).toEqual([500, 750]);

    now = 0;
    sleeps.length = 0;
    const stuck = waitForServer(async () => srv('BUILD', 'spawning', { progress: 40 }), targetOf('create'), {
      timeoutSeconds: 3,
      label: 'vm1',
      action: 'create',
      clock,
      random: () => 0.5,
    });
    await expect(stuck).rejects.toThrow(WaitTimeoutError);
    await expect(stuck).rejects.toThrow('Server vm1 is BUILD (task spawning, 40 %) after 3 s, not yet ACTIVE.');
    expect(sleeps.reduce((a, b) => a + b, 0)).toBe(3000); // the last sleep is cut to the deadline
  });

  it('a settled server with no failed event keeps waiting (the events are asked each time)', async () => {
    let now = 0;
    const clock: WaitClock = { now: () => now, sleep: async (ms) => void (now += ms) };
    const states = [srv('VERIFY_RESIZE'), srv('ACTIVE')];
    let asked = 0;
    await waitForServer(async () => states.shift()!, targetOf('confirm-resize'), {
      timeoutSeconds: 60,
      label: 'vm1',
      action: 'resize confirmation',
      clock,
      failures: async () => (asked++, []),
    });
    expect(asked).toBe(1); // VERIFY_RESIZE with no task: settled, not yet ACTIVE; no failed event: go on
  });

  it('builds action bodies as the api-ref samples', () => {
    expect(actionBody({ kind: 'start' })).toEqual({ 'os-start': null });
    expect(actionBody({ kind: 'reboot' })).toEqual({ reboot: { type: 'SOFT' } });
    expect(actionBody({ kind: 'lock' })).toEqual({ lock: null });
    expect(actionBody({ kind: 'shelve' })).toEqual({ shelve: null });
    expect(actionBody({ kind: 'rebuild', imageRef: IMAGE })).toEqual({ rebuild: { imageRef: IMAGE } });
    expect(actionBody({ kind: 'migrate' })).toEqual({ migrate: null });
    expect(actionBody({ kind: 'migrate', host: 'compute-2' })).toEqual({ migrate: { host: 'compute-2' } });
    expect(actionBody({ kind: 'live-migrate', blockMigration: 'auto' })).toEqual({
      'os-migrateLive': { host: null, block_migration: 'auto' },
    });
    expect(actionBody({ kind: 'live-migrate', host: 'c2', blockMigration: false })).toEqual({
      'os-migrateLive': { host: 'c2', block_migration: false, disk_over_commit: false },
    });
    expect(actionBody({ kind: 'evacuate' })).toEqual({ evacuate: {} });
    expect(actionBody({ kind: 'reset-state', state: 'error' })).toEqual({ 'os-resetState': { state: 'error' } });
    expect(actionBody({ kind: 'force-delete' })).toEqual({ forceDelete: null });
    expect(actionBody({ kind: 'restore' })).toEqual({ restore: null });
    expect(ACTIONS.delete.request({})).toEqual({ method: 'DELETE' });
  });

  it('every action declares its instance action, its help body and a wait target', () => {
    for (const [kind, def] of Object.entries(ACTIONS)) {
      expect(def.instanceAction, kind).toMatch(/^[a-zA-Z_-]+$/);
      expect(def.help, kind).not.toBe('');
      expect(typeof def.target, kind).toBe('function');
    }
    expect(ACTIONS['live-migrate'].instanceAction).toBe('live-migration');
    expect(ACTIONS['reset-state'].instanceAction).toBe('resetState');
  });

  it('a rolled-back migration ends the wait naming the host it stayed on and the failed event', async () => {
    let now = 0;
    const clock: WaitClock = { now: () => now, sleep: async (ms) => void (now += ms) };
    const target = targetOf('live-migrate', { 'OS-EXT-SRV-ATTR:host': 'compute-1' });
    const stayed = srv('ACTIVE', null, { 'OS-EXT-SRV-ATTR:host': 'compute-1' });
    const failed = waitForServer(async () => stayed, target, {
      timeoutSeconds: 60,
      label: 'vm1',
      action: 'live migration',
      clock,
      failures: async () => [{ event: 'conductor_live_migrate_instance', reason: 'No valid host was found.' }],
    });
    await expect(failed).rejects.toThrow(
      'The live migration of server vm1 failed: it is still ACTIVE on compute-1; event conductor_live_migrate_instance failed: No valid host was found.',
    );
  });

  it('a migration or evacuation is done only on another host; a rolled-back one is settled', () => {
    const on = (host: string, status = 'ACTIVE', task: string | null = null) =>
      srv(status, task, { 'OS-EXT-SRV-ATTR:host': host });
    const cold = targetOf('migrate', { 'OS-EXT-SRV-ATTR:host': 'compute-1' });
    expect(cold.label).toBe('VERIFY_RESIZE or ACTIVE or SHUTOFF on another host');
    expect(observe(on('compute-1', 'ACTIVE', 'resize_prep'), cold)).toBe('pending');
    expect(observe(on('compute-2', 'VERIFY_RESIZE'), cold)).toBe('done');
    expect(observe(on('compute-1'), cold)).toBe('settled'); // not moved: ask the events
    const live = targetOf('live-migrate', { 'OS-EXT-SRV-ATTR:host': 'compute-1', status: 'PAUSED' });
    expect(live.statuses).toEqual(['PAUSED']);
    expect(observe(on('compute-2', 'PAUSED'), live)).toBe('done');
    expect(observe(on('compute-1', 'PAUSED'), live)).toBe('settled');
    const evac = targetOf('evacuate', { 'OS-EXT-SRV-ATTR:host': 'compute-1', status: 'SHUTOFF' });
    expect(evac.statuses).toEqual(['SHUTOFF']);
    expect(observe(on('compute-2', 'SHUTOFF'), evac)).toBe('done');
    // a non-admin sees no host: the status alone decides
    expect(targetOf('migrate').hostNot).toBeUndefined();
    expect(tableTarget({ kind: 'reset-state', state: 'error' }, srv('ACTIVE')).statuses).toEqual(['ERROR']);
    expect(observe(srv('ERROR'), tableTarget({ kind: 'reset-state', state: 'error' }, srv('ACTIVE')))).toBe('done');
  });

  it('ActionFailedError keeps the fault', () => {
    const e = new ActionFailedError('x', { fault: { message: 'm' } });
    expect(e.code).toBe('FAILED');
    expect(e.fault?.message).toBe('m');
  });
});

describe('Ctrl-C during --wait', () => {
  it('stops waiting with one line per server and exit 130; the action is not undone', async () => {
    const { startFakeCloud } = await import('../support/fake-cloud.js');
    const { spawn } = await import('node:child_process');
    const fake = await startFakeCloud();
    try {
      const vm = { id: uuid(1), name: 'vm1', status: 'REBOOT', 'OS-EXT-STS:task_state': 'rebooting' };
      fake.on('GET', '/compute/v2.1/servers/detail', () => ({
        status: 200,
        body: { servers: [{ ...vm, status: 'ACTIVE' }] },
      }));
      fake.on('POST', `/compute/v2.1/servers/${uuid(1)}/action`, () => ({
        status: 202,
        headers: { 'x-openstack-request-id': 'req-r1' },
      }));
      let polled = 0;
      fake.on('GET', `/compute/v2.1/servers/${uuid(1)}`, () => (polled++, { status: 200, body: { server: vm } }));
      const bin = new URL('../../bin/ncli', import.meta.url).pathname;
      const child = spawn(process.execPath, [bin, 'server', 'reboot', 'vm1', '--wait'], {
        env: { PATH: process.env.PATH, HOME: '/nonexistent', ...fake.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      // once it polls, interrupt it
      for (let i = 0; i < 100 && polled === 0; i++) await new Promise((r) => setTimeout(r, 50));
      child.kill('SIGINT');
      const code = await new Promise<number | null>((r) => child.on('close', r));
      expect(code).toBe(130);
      expect(stderr).toBe(
        'ncli: Stopped waiting for server vm1 (REBOOT (task rebooting)); its reboot goes on in Nova.\n',
      );
      expect(fake.requests.filter((r) => r.startsWith('POST /compute/v2.1/servers/'))).toHaveLength(1);
    } finally {
      await fake.close();
    }
  });
});
