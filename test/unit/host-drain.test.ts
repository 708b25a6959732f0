/**
 * `ncli compute service …`, `ncli host drain` and `ncli host evacuate` as whole commands
 * (`main()` in-process) against a fake Nova on undici's MockAgent, for what the real cloud will
 * not do on demand: a live migration that fails mid-way (the failed event's details in the
 * summary), a connection dropped after a migrate POST (never sent twice), a 403 for a non-admin,
 * --wait-timeout during a drain, Ctrl-C. The same flows against the real cloud are in
 * test/cloud/drain.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { runNcli } from '../support/io.js';
import { mockCloud } from '../support/mock-nova.js';

const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const SRC = 'compute-1';
const DEST = 'compute-2';

interface FakeServer {
  id: string;
  name: string;
  status: string;
  task?: string | null;
  host: string;
  tenant_id?: string;
  /** States the next GETs of this server show, one per GET (the last one stays). */
  script?: Partial<FakeServer>[];
  migrations?: unknown[];
}

interface FakeService {
  id: string;
  binary: string;
  host: string;
  zone: string;
  status: string;
  state: string;
  updated_at: string;
  disabled_reason: string | null;
  forced_down: boolean;
}

/** Answers of the fake for one POST action: a status and body, or a thrown error (dropped connection). */
type OnAction = (
  s: FakeServer,
  body: Record<string, unknown>,
) => { status?: number; body?: unknown; events?: unknown[] } | void;

class HostFake {
  readonly servers: FakeServer[] = [];
  readonly services: FakeService[] = [SRC, DEST].map((host, i) => ({
    id: uuid(100 + i),
    binary: 'nova-compute',
    host,
    zone: 'nova',
    status: 'enabled',
    state: 'up',
    updated_at: '2026-12-06T12:00:00.000000',
    disabled_reason: null,
    forced_down: false,
  }));
  readonly seen: { method: string; path: string; body?: Record<string, unknown> }[] = [];
  readonly actions = new Map<
    string,
    { action: string; request_id: string; start_time: string; events?: unknown[] }[]
  >();
  onAction: OnAction = () => {};
  /** Overrides of `METHOD path` (path with its query). */
  readonly routes = new Map<string, () => { status: number; body?: unknown }>();
  private n = 0;

  constructor(pool: ReturnType<typeof mockCloud>['pool']) {
    pool
      .intercept({ path: (p) => p !== '/v2.1/', method: () => true })
      .reply((o) => this.handle(o.method, o.path, typeof o.body === 'string' ? o.body : undefined))
      .persist();
  }

  add(s: Omit<FakeServer, 'host'> & { host?: string }): FakeServer {
    const full = { host: SRC, tenant_id: 'p1', ...s };
    this.servers.push(full);
    return full;
  }

  posts(): { path: string; body?: Record<string, unknown> }[] {
    return this.seen.filter((r) => r.method === 'POST' && r.path.endsWith('/action'));
  }

  private json(status: number, body?: unknown, headers: Record<string, string> = {}) {
    return {
      statusCode: status,
      data: body === undefined ? '' : JSON.stringify(body),
      responseOptions: { headers: { 'content-type': 'application/json', ...headers } },
    };
  }

  private view(s: FakeServer) {
    return {
      id: s.id,
      name: s.name,
      status: s.status,
      tenant_id: s.tenant_id,
      'OS-EXT-STS:task_state': s.task ?? null,
      'OS-EXT-SRV-ATTR:host': s.host,
    };
  }

  private handle(method: string, full: string, text?: string) {
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    this.seen.push({ method, path: full, body });
    const url = new URL(full, 'http://x');
    const path = url.pathname.replace(/^\/v2\.1/, '');
    const override = this.routes.get(`${method} ${path}${url.search}`) ?? this.routes.get(`${method} ${path}`);
    if (override) {
      const r = override();
      return this.json(r.status, r.body);
    }
    const q = url.searchParams;
    if (method === 'GET' && path === '/os-services') {
      const list = this.services.filter(
        (s) => (!q.get('host') || s.host === q.get('host')) && (!q.get('binary') || s.binary === q.get('binary')),
      );
      return this.json(200, { services: list });
    }
    let m = /^\/os-services\/([^/]+)$/.exec(path);
    if (m && method === 'PUT') {
      const svc = this.services.find((s) => s.id === m![1])!;
      if (body?.status) svc.status = body.status as string;
      if (body?.status === 'enabled') svc.disabled_reason = null;
      if (body?.disabled_reason !== undefined) svc.disabled_reason = body.disabled_reason as string;
      if (body?.forced_down !== undefined) {
        svc.forced_down = body.forced_down as boolean;
        svc.state = svc.forced_down ? 'down' : 'up';
      }
      return this.json(200, { service: svc });
    }
    if (method === 'GET' && path === '/servers/detail') {
      const list = this.servers.filter((s) => !q.get('host') || s.host === q.get('host'));
      return this.json(200, { servers: list.map((s) => this.view(s)) });
    }
    m = /^\/servers\/([^/]+)$/.exec(path);
    if (m && method === 'GET') {
      const s = this.servers.find((x) => x.id === m![1]);
      if (!s) return this.json(404, { itemNotFound: { code: 404, message: 'not found' } });
      const next = s.script?.length && s.script.length > 1 ? s.script.shift() : s.script?.[0];
      if (next) Object.assign(s, next);
      return this.json(200, { server: this.view(s) });
    }
    m = /^\/servers\/([^/]+)\/migrations$/.exec(path);
    if (m && method === 'GET') {
      const s = this.servers.find((x) => x.id === m![1])!;
      return this.json(200, { migrations: s.task === 'migrating' ? (s.migrations ?? []) : [] });
    }
    m = /^\/servers\/([^/]+)\/action$/.exec(path);
    if (m && method === 'POST') {
      const s = this.servers.find((x) => x.id === m![1])!;
      const r = this.onAction(s, body ?? {});
      if (r?.status && r.status >= 400) return this.json(r.status, r.body);
      const name = Object.keys(body ?? {})[0];
      const action =
        {
          'os-migrateLive': 'live-migration',
          migrate: 'migrate',
          confirmResize: 'confirmResize',
          evacuate: 'evacuate',
        }[name] ?? name;
      return this.json(r?.status ?? 202, r?.body, { 'x-openstack-request-id': this.record(s, action, r?.events) });
    }
    m = /^\/servers\/([^/]+)\/os-instance-actions(?:\/([^/]+))?$/.exec(path);
    if (m && method === 'GET') {
      const list = this.actions.get(m[1]) ?? [];
      if (m[2]) {
        const a = list.find((x) => x.request_id === m[2]);
        if (!a) return this.json(404, { itemNotFound: { code: 404, message: 'no action' } });
        return this.json(200, { instanceAction: { events: [], ...a } });
      }
      return this.json(200, { instanceActions: [...list].reverse().map(({ events: _e, ...a }) => a) });
    }
    return this.json(599, { error: { message: `fake: no route for ${method} ${full}` } });
  }

  /** Records an instance action; returns its request ID. */
  record(s: FakeServer, action: string, events?: unknown[]): string {
    const id = `req-${action}-${++this.n}`;
    const list = this.actions.get(s.id) ?? [];
    list.push({ action, request_id: id, start_time: new Date().toISOString().replace('Z', ''), events });
    this.actions.set(s.id, list);
    return id;
  }
}

function setup(max = '2.93') {
  const c = mockCloud({ max });
  const nova = new HostFake(c.pool);
  const run = (argv: string[], o: { tty?: boolean } = {}) =>
    runNcli(argv, c.env, { dispatcher: c.agent, tokenStore: null }, { tty: o.tty });
  return { nova, run };
}

/** A live migration Nova runs: migrating (50 % to DEST), then ACTIVE on DEST. */
function liveMigrates(s: FakeServer): void {
  s.migrations = [{ status: 'running', dest_compute: DEST, memory_total_bytes: 100, memory_processed_bytes: 50 }];
  s.script = [{ task: 'migrating' }, { task: 'migrating' }, { task: null, host: DEST }];
}

describe('compute service', () => {
  it('list: the columns of openstack compute service list; --long adds Disabled Reason and Forced Down (2.11)', async () => {
    const { nova, run } = setup();
    nova.services[1].status = 'disabled';
    nova.services[1].disabled_reason = 'RAM swap';
    const r = await run(['compute', 'service', 'list', '--long', '--service', 'nova-compute', '-f', 'json']);
    expect(r.stderr).toBe('');
    const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(Object.keys(rows[0])).toEqual([
      'ID',
      'Binary',
      'Host',
      'Zone',
      'Status',
      'State',
      'Updated At',
      'Disabled Reason',
      'Forced Down',
    ]);
    expect(rows[1]).toMatchObject({
      Host: DEST,
      Status: 'disabled',
      'Disabled Reason': 'RAM swap',
      'Forced Down': false,
    });
    expect(nova.seen[0].path).toBe('/v2.1/os-services?binary=nova-compute');
  });

  it('list before 2.11: no Forced Down column', async () => {
    const { run } = setup('2.10');
    const r = await run(['compute', 'service', 'list', '--long', '-f', 'csv']);
    expect(r.stdout.split('\n')[0]).toBe('"ID","Binary","Host","Zone","Status","State","Updated At","Disabled Reason"');
  });

  it('set from 2.53: found by host and binary, then one PUT by UUID with status, reason and forced_down', async () => {
    const { nova, run } = setup();
    const r = await run([
      'compute',
      'service',
      'set',
      DEST,
      'nova-compute',
      '--disable',
      '--disable-reason',
      'RAM swap',
      '--down',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`nova-compute on ${DEST}: disabled ("RAM swap"), forced down, state down.\n`);
    const put = nova.seen.filter((x) => x.method === 'PUT');
    expect(put).toEqual([
      {
        method: 'PUT',
        path: `/v2.1/os-services/${uuid(101)}`,
        body: { status: 'disabled', disabled_reason: 'RAM swap', forced_down: true },
      },
    ]);
  });

  it('set before 2.53: the host/binary bodies of /os-services/disable-log-reason and /force-down', async () => {
    const { nova, run } = setup('2.40');
    for (const p of ['disable-log-reason', 'force-down'])
      nova.routes.set(`PUT /os-services/${p}`, () => ({ status: 200, body: {} }));
    const r = await run([
      'compute',
      'service',
      'set',
      DEST,
      'nova-compute',
      '--disable',
      '--disable-reason',
      'x',
      '--down',
    ]);
    expect(r.code).toBe(0);
    expect(nova.seen.filter((x) => x.method === 'PUT').map((x) => [x.path, x.body])).toEqual([
      ['/v2.1/os-services/disable-log-reason', { host: DEST, binary: 'nova-compute', disabled_reason: 'x' }],
      ['/v2.1/os-services/force-down', { host: DEST, binary: 'nova-compute', forced_down: true }],
    ]);
  });

  it('set: --disable-reason without --disable and nothing to set are usage errors; an unknown host names the known ones', async () => {
    const { nova, run } = setup();
    expect(await run(['compute', 'service', 'set', DEST, 'nova-compute', '--disable-reason', 'x'])).toMatchObject({
      code: 2,
      stderr: 'ncli: --disable-reason needs --disable.\n',
    });
    const r = await run(['compute', 'service', 'set', 'nohost', 'nova-compute', '--enable']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`ncli: No nova-compute service on host nohost (hosts with nova-compute: ${SRC}, ${DEST}).\n`);
    expect(nova.seen.filter((x) => x.method === 'PUT')).toEqual([]);
  });
});

describe('host drain', () => {
  it('disables the service with the reason first, live-migrates running and cold-migrates (and confirms) stopped servers, host empty: exit 0', async () => {
    const { nova, run } = setup();
    const a = nova.add({ id: uuid(1), name: 'vm1', status: 'ACTIVE' });
    const b = nova.add({ id: uuid(2), name: 'vm2', status: 'SHUTOFF', tenant_id: 'p2' });
    nova.onAction = (s, body) => {
      if (body['os-migrateLive']) liveMigrates(s);
      if ('migrate' in body)
        s.script = [{ task: 'resize_migrating' }, { status: 'VERIFY_RESIZE', task: null, host: DEST }];
      if ('confirmResize' in body) s.script = [{ status: 'SHUTOFF', task: null }];
    };
    const r = await run(['host', 'drain', SRC, '--disable-reason', 'RAM swap', '--wait']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe(`${SRC}: nova-compute disabled ("RAM swap"): nothing new is scheduled there.`);
    expect(lines[1]).toMatch(
      new RegExp(`^vm1: live migration: ACTIVE on ${DEST} after \\d+\\.\\d s \\(request req-live-migration-\\d\\)\\.$`),
    );
    expect(lines[2]).toMatch(
      /^vm2: cold migration: VERIFY_RESIZE on compute-2 after .*; resize confirmation: SHUTOFF after .*\.$/,
    );
    expect(lines[3]).toBe(`${SRC}: 2 moved, 0 failed; the host is empty.`);
    // the service was disabled before the servers were listed
    const order = nova.seen.map((x) => `${x.method} ${x.path.split('?')[0]}`);
    expect(order.indexOf(`PUT /v2.1/os-services/${uuid(100)}`)).toBeLessThan(order.indexOf('GET /v2.1/servers/detail'));
    expect(nova.seen.find((x) => x.method === 'PUT')!.body).toEqual({
      status: 'disabled',
      disabled_reason: 'RAM swap',
    });
    expect(nova.seen.find((x) => x.path.startsWith('/v2.1/servers/detail'))!.path).toBe(
      `/v2.1/servers/detail?all_tenants=1&host=${SRC}`,
    );
    expect(nova.posts().map((p) => [p.path.split('/')[3], p.body])).toEqual([
      [a.id, { 'os-migrateLive': { host: null, block_migration: 'auto' } }],
      [b.id, { migrate: null }],
      [b.id, { confirmResize: null }],
    ]);
  });

  it('--dry-run lists what would move and what cannot, and changes nothing', async () => {
    const { nova, run } = setup();
    nova.add({ id: uuid(1), name: 'vm1', status: 'ACTIVE' });
    nova.add({ id: uuid(2), name: 'vm2', status: 'SUSPENDED' });
    const r = await run(['host', 'drain', SRC, '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        `${SRC}: would disable nova-compute ("ncli host drain"); would move 1 of 2 servers, 4 at a time:`,
        '  vm1 (ACTIVE, project p1): live migration',
        '  vm2 (SUSPENDED, project p1): cannot move: it is SUSPENDED: only ACTIVE, PAUSED and SHUTOFF servers can move',
        '',
      ].join('\n'),
    );
    expect(nova.seen.filter((x) => x.method !== 'GET')).toEqual([]);
  });

  it('a live migration that fails mid-way: the failed event and its details in the summary; the host is not empty: exit 1', async () => {
    const { nova, run } = setup();
    nova.add({ id: uuid(1), name: 'vm1', status: 'ACTIVE' });
    nova.add({ id: uuid(2), name: 'vm2', status: 'ACTIVE' });
    nova.onAction = (s) => {
      if (s.name === 'vm1') return liveMigrates(s);
      // Nova rolls the migration back: the server stays ACTIVE on the source, the event failed
      s.script = [{ task: 'migrating' }, { task: null }];
      return {
        events: [
          {
            event: 'compute_live_migration',
            result: 'Error',
            details: 'Migration pre-check error: Unable to migrate vm2: Disk of instance is too large',
          },
        ],
      };
    };
    const r = await run(['host', 'drain', SRC, '--wait']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^vm1: live migration: ACTIVE on compute-2 after/m);
    expect(r.stderr).toMatch(
      /^ncli: The live migration of server vm2 failed: it is still ACTIVE on compute-1; event compute_live_migration failed: Migration pre-check error: Unable to migrate vm2: Disk of instance is too large\.$/m,
    );
    expect(r.stderr).toMatch(/^ncli: compute-1: 1 moved, 1 failed; 1 server is still on the host: vm2\.$/m);
  });

  it('a connection dropped after a migrate POST: never sent again; Nova has no record, so the server is named and left', async () => {
    const { nova, run } = setup();
    nova.add({ id: uuid(1), name: 'vm1', status: 'SHUTOFF' });
    nova.onAction = () => {
      throw Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    };
    const r = await run(['host', 'drain', SRC, '--cold', '--wait']);
    expect(r.code).toBe(1);
    expect(nova.posts()).toHaveLength(1);
    expect(r.stderr).toMatch(
      /The answer to the cold migration of server vm1 was lost .* ncli does not send an action twice/,
    );
    expect(r.stderr).toMatch(/1 server is still on the host: vm1\.$/m);
  });

  it('a connection dropped after a live-migrate POST that Nova recorded: not sent again, followed to the end', async () => {
    const { nova, run } = setup();
    nova.add({ id: uuid(1), name: 'vm1', status: 'ACTIVE' });
    nova.onAction = (s) => {
      nova.record(s, 'live-migration');
      liveMigrates(s);
      throw Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    };
    const r = await run(['host', 'drain', SRC, '--wait']);
    expect(r.code).toBe(0);
    expect(nova.posts()).toHaveLength(1);
    expect(r.stderr).toMatch(
      /^ncli: The answer to the live migration of server vm1 was lost .*but Nova recorded it \(request req-live-migration-1\); not sent again\.$/m,
    );
    expect(r.stdout).toMatch(/the host is empty\.$/m);
  });

  it('a non-admin: one line saying an admin role is needed, nothing changed', async () => {
    const { nova, run } = setup();
    nova.routes.set('GET /os-services?host=compute-1&binary=nova-compute', () => ({
      status: 403,
      body: {
        forbidden: { code: 403, message: 'Policy does not allow os_compute_api:os-services:list to be performed.' },
      },
    }));
    const r = await run(['host', 'drain', SRC, '--wait']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      "ncli: Listing compute services needs an admin role: Nova's policy refused it (Policy does not allow os_compute_api:os-services:list to be performed) (HTTP 403); use the credentials of a user with the admin role.\n",
    );
    expect(nova.seen.map((x) => x.method)).toEqual(['GET']);
  });

  it('a migration refused by policy (403) and one with no valid host (400) are named one line each', async () => {
    const { nova, run } = setup();
    nova.add({ id: uuid(1), name: 'vm1', status: 'ACTIVE' });
    nova.add({ id: uuid(2), name: 'vm2', status: 'SHUTOFF' });
    nova.onAction = (s) =>
      s.name === 'vm1'
        ? {
            status: 403,
            body: {
              forbidden: {
                code: 403,
                message: 'Policy does not allow os_compute_api:os-migrate-server:migrate_live to be performed.',
              },
            },
          }
        : {
            status: 400,
            body: {
              badRequest: { code: 400, message: 'No valid host was found. No valid host found for cold migrate' },
            },
          };
    const r = await run(['host', 'drain', SRC, '--wait']);
    expect(r.code).toBe(1);
    const err = r.stderr.split('\n');
    expect(err).toContain(
      "ncli: The live migration of server vm1 needs an admin role: Nova's policy refused it (Policy does not allow os_compute_api:os-migrate-server:migrate_live to be performed) (HTTP 403); use the credentials of a user with the admin role.",
    );
    expect(
      err.some((l) =>
        /^ncli: No other host can take server vm2 \(NoValidHost\): Nova refused the cold migration of server vm2: No valid host was found/.test(
          l,
        ),
      ),
    ).toBe(true);
    expect(err).toContain('ncli: compute-1: 0 moved, 2 failed; 2 servers are still on the host: vm1, vm2.');
  });

  it('--wait-timeout during a drain: the server still migrating is named with its state; exit 1', async () => {
    const { nova, run } = setup();
    nova.add({ id: uuid(1), name: 'vm1', status: 'ACTIVE' });
    nova.onAction = (s) => {
      s.migrations = [{ status: 'running', dest_compute: DEST, memory_total_bytes: 100, memory_processed_bytes: 10 }];
      s.script = [{ task: 'migrating' }];
    };
    const r = await run(['host', 'drain', SRC, '--wait-timeout', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^ncli: Server vm1 is ACTIVE \(task migrating\) after 1 s, not yet ACTIVE on another host; the action goes on in Nova; wait longer with --wait-timeout SECONDS\.$/m,
    );
    expect(r.stderr).toMatch(/0 moved, 1 failed; 1 server is still on the host: vm1\.$/m);
  });

  it('on a terminal: one live line per server with status, task, progress and destination, erased at the end', async () => {
    const { nova, run } = setup();
    nova.add({ id: uuid(1), name: 'vm1', status: 'ACTIVE' });
    nova.onAction = (s) => liveMigrates(s);
    const r = await run(['host', 'drain', SRC, '--wait'], { tty: true });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/vm1 {2}ACTIVE {2}migrating {2}50% {2}→ compute-2 {2}\d+ s/);
    expect(r.stderr.endsWith('\x1b[J')).toBe(true);
  });

  it('Ctrl-C: starts no more migrations and waits for none; exit 130 with what goes on', async () => {
    const { nova, run } = setup();
    for (let i = 1; i <= 3; i++) nova.add({ id: uuid(i), name: `vm${i}`, status: 'ACTIVE' });
    nova.onAction = (s) => {
      s.script = [{ task: 'migrating' }];
      setTimeout(() => process.emit('SIGINT'), 50);
    };
    const r = await run(['host', 'drain', SRC, '--wait', '--parallel', '1']);
    expect(r.code).toBe(130);
    expect(nova.posts()).toHaveLength(1);
    expect(r.stderr).toMatch(/^ncli: Stopped waiting for server vm1 .*its live migration goes on in Nova\.$/m);
    expect(r.stderr).toMatch(
      /^ncli: Stopped \(Ctrl-C\): 0 moved, 1 still moving in Nova, 2 not started, 0 failed; run `ncli host drain compute-1` again to move the rest\.$/m,
    );
  });

  it('a second run follows a live migration a first run started, and moves the rest', async () => {
    const { nova, run } = setup();
    const a = nova.add({ id: uuid(1), name: 'vm1', status: 'ACTIVE', task: 'migrating' });
    a.script = [{ task: 'migrating' }, { task: null, host: DEST }];
    nova.add({ id: uuid(2), name: 'vm2', status: 'ACTIVE' });
    nova.onAction = (s) => liveMigrates(s);
    const r = await run(['host', 'drain', SRC, '--wait']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(nova.posts().map((p) => p.path)).toEqual([`/v2.1/servers/${uuid(2)}/action`]);
    expect(r.stdout).toMatch(/^vm1: live migration: ACTIVE on compute-2 after/m);
  });
});

describe('host evacuate', () => {
  it('refuses in one line while the service is up, naming the fix; nothing sent', async () => {
    const { nova, run } = setup();
    nova.add({ id: uuid(1), name: 'vm1', status: 'ACTIVE' });
    const r = await run(['host', 'evacuate', SRC, '--wait']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'ncli: Nova evacuates only a host whose nova-compute is down, and nova-compute on compute-1 is up: run `ncli compute service set compute-1 nova-compute --down` first (once the host is fenced), or add --force-down here.\n',
    );
    expect(nova.seen.filter((x) => x.method !== 'GET')).toEqual([]);
  });

  it('--force-down: forces the service down, evacuates ACTIVE, SHUTOFF and ERROR servers, names the others', async () => {
    const { nova, run } = setup();
    nova.add({ id: uuid(1), name: 'vm1', status: 'ACTIVE' });
    nova.add({ id: uuid(2), name: 'vm2', status: 'ERROR' });
    nova.add({ id: uuid(3), name: 'vm3', status: 'SHELVED' });
    nova.onAction = (s) => {
      s.script = [{ task: 'rebuilding' }, { status: 'ACTIVE', task: null, host: DEST }];
    };
    const r = await run(['host', 'evacuate', SRC, '--force-down', '--wait']);
    expect(r.code).toBe(1);
    expect(nova.seen.find((x) => x.method === 'PUT')!.body).toEqual({ forced_down: true });
    expect(nova.posts().map((p) => p.body)).toEqual([{ evacuate: {} }, { evacuate: {} }]);
    expect(r.stdout).toMatch(
      /^compute-1: nova-compute forced down\.\nvm1: evacuation: ACTIVE on compute-2 after .*\nvm2: evacuation: ACTIVE on compute-2 after/,
    );
    expect(r.stderr).toBe(
      'ncli: Server vm3 cannot move: it is SHELVED: Nova evacuates ACTIVE, SHUTOFF and ERROR servers only.\nncli: compute-1: 2 moved, 1 failed; 1 server is still on the host: vm3.\n',
    );
  });
});
