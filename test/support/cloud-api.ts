/**
 * Direct REST access to the local cloud for tests that need to set things up or look at what
 * the real services answer, without going through ncli: Keystone v3 tokens (api-ref identity
 * "Password authentication with scoped authorization"), Nova requests with a microversion, and
 * throwaway servers (api-ref compute "Create Server" / "Delete Server").
 *
 * Credentials come from the harness's clouds.yaml (cloud `devcloud`: admin), URLs from cloud.env;
 * nothing here prints or logs a token or password. HTTPS URLs (the nginx TLS front) are verified
 * against the harness CA (cloud.env CLOUD_CA).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, fetch, type Response } from 'undici';
import YAML from 'yaml';
import { CLOUD_DIR, CLOUDS_YAML, ROOT, cloudFacts, run } from './cloud.js';

/** A Keystone user and its project scope. */
export interface Credentials {
  username: string;
  password: string;
  project: string;
  /** Domain name of user and project; default `Default`. */
  domain?: string;
}

/** The admin credentials of clouds.yaml's `devcloud` cloud. */
export function adminCredentials(): Credentials {
  const doc = YAML.parse(readFileSync(CLOUDS_YAML, 'utf8')) as {
    clouds: Record<string, { auth: { username: string; password: string; project_name: string } }>;
  };
  const a = doc.clouds.devcloud.auth;
  return { username: a.username, password: a.password, project: a.project_name };
}

let tlsAgent: Agent | undefined;

/** An undici dispatcher that trusts the harness CA (for the https:// URLs of the TLS front). */
export function cloudTlsAgent(): Agent {
  tlsAgent ??= new Agent({ connect: { ca: readFileSync(cloudFacts().CLOUD_CA) } });
  return tlsAgent;
}

/** `fetch` for the cloud: https URLs are verified against the harness CA. */
export function cloudFetch(url: string, init: Parameters<typeof fetch>[1] = {}): Promise<Response> {
  return fetch(url, url.startsWith('https:') ? { ...init, dispatcher: cloudTlsAgent() } : init);
}

/** A project-scoped password-auth request body (POST /v3/auth/tokens). */
export function passwordAuthBody(c: Credentials, methods: string[] = ['password'], passcode?: string): unknown {
  const user = { name: c.username, domain: { name: c.domain ?? 'Default' } };
  const identity: Record<string, unknown> = { methods };
  if (methods.includes('password')) identity.password = { user: { ...user, password: c.password } };
  if (methods.includes('totp')) identity.totp = { user: { ...user, passcode } };
  return {
    auth: { identity, scope: { project: { name: c.project, domain: { name: c.domain ?? 'Default' } } } },
  };
}

/** A Keystone token: its id (X-Subject-Token) and the token body (catalog, roles, …). */
export interface Token {
  id: string;
  body: { token: { catalog: { type: string; endpoints: { interface: string; region_id: string; url: string }[] }[] } };
}

/**
 * A project-scoped token for `c` from Keystone at `authUrl` (default cloud.env KEYSTONE_URL, ends in /v3).
 * @throws Error with Keystone's status and message when it refuses
 */
export async function keystoneToken(c: Credentials = adminCredentials(), authUrl?: string): Promise<Token> {
  const url = `${authUrl ?? cloudFacts().KEYSTONE_URL}/auth/tokens`;
  const res = await cloudFetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(passwordAuthBody(c)),
  });
  const text = await res.text();
  const id = res.headers.get('x-subject-token');
  if (res.status !== 201 || !id) throw new Error(`Keystone refused ${c.username}: HTTP ${res.status} ${text}`);
  return { id, body: JSON.parse(text) as Token['body'] };
}

let adminToken: Promise<Token> | undefined;

/** The admin token (one per test process; Keystone tokens live an hour here). */
export function adminTokenOnce(): Promise<Token> {
  adminToken ??= keystoneToken();
  return adminToken;
}

/** A Nova answer: status, parsed JSON body (undefined when empty) and headers. */
export interface NovaAnswer<T = unknown> {
  status: number;
  body: T;
  headers: Response['headers'];
}

/**
 * One request to Nova (plain http, cloud.env NOVA_URL, unless `base` says otherwise) as admin.
 * @param microversion sent as `OpenStack-API-Version: compute X`; default 2.84
 */
export async function nova<T = unknown>(
  method: string,
  path: string,
  body?: unknown,
  opts: { microversion?: string; base?: string; token?: string } = {},
): Promise<NovaAnswer<T>> {
  const token = opts.token ?? (await adminTokenOnce()).id;
  const res = await cloudFetch(`${opts.base ?? cloudFacts().NOVA_URL}${path}`, {
    method,
    headers: {
      'X-Auth-Token': token,
      'OpenStack-API-Version': `compute ${opts.microversion ?? '2.84'}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, headers: res.headers };
}

/** A server as GET /servers/{id} shows it (the fields tests look at). */
export interface ServerView {
  id: string;
  name: string;
  status: string;
  'OS-EXT-STS:task_state': string | null;
  'OS-EXT-STS:power_state': number;
  addresses: Record<string, { addr: string }[]>;
  fault?: { code: number; message: string; details?: string };
  /** The compute host (admin only): cloud.env COMPUTE1_HOST or COMPUTE2_HOST. */
  'OS-EXT-SRV-ATTR:host'?: string | null;
}

/**
 * Waits until `done(server)` holds, polling GET /servers/{id} every 200 ms.
 * @returns the server, or null once it is gone (404)
 * @throws Error after `timeoutMs` (default 60 s), naming the last status seen
 */
export async function waitServer(
  id: string,
  done: (s: ServerView | null) => boolean,
  timeoutMs = 60_000,
): Promise<ServerView | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await nova<{ server: ServerView }>('GET', `/servers/${id}`);
    const s = r.status === 404 ? null : r.body.server;
    if (done(s)) return s;
    if (Date.now() > deadline) throw new Error(`server ${id} still ${s ? s.status : 'gone'} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Settled: not building and no task running. */
export const settled = (s: ServerView | null): boolean =>
  s === null || (s.status !== 'BUILD' && s['OS-EXT-STS:task_state'] === null);

/**
 * Boots a throwaway server in project admin and waits until it settles (ACTIVE, or ERROR for
 * the `fail-boot` names of devcloud_driver.py).
 * @param networks `'none'` (default) or network ids (e.g. cloud.env PRIVATE_NET_ID)
 * @throws Error when Nova refuses the request
 */
export async function bootServer(
  name: string,
  opts: { networks?: 'none' | string[]; image?: string; flavor?: string; host?: string } = {},
): Promise<ServerView> {
  const networks =
    opts.networks === undefined || opts.networks === 'none' ? 'none' : opts.networks.map((uuid) => ({ uuid }));
  const r = await nova<{ server: { id: string } }>(
    'POST',
    '/servers',
    {
      server: {
        name,
        imageRef: opts.image ?? cloudFacts().IMAGE_ID,
        flavorRef: opts.flavor ?? '1',
        networks,
        ...(opts.host ? { host: opts.host } : {}),
      },
    },
    // `host` (a compute host, e.g. cloud.env COMPUTE2_HOST) needs 2.74; unplaced servers go to COMPUTE1_HOST
    opts.host ? { microversion: '2.74' } : {},
  );
  if (r.status !== 202) throw new Error(`Nova refused to boot ${name}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  return (await waitServer(r.body.server.id, settled)) as ServerView;
}

/**
 * Deletes a server (if it still exists) and waits until it is gone. A `soft-*` server (soft
 * delete, scripts/cloud/py/nova_api_wsgi.py) that ends SOFT_DELETED is force-deleted.
 */
export async function deleteServer(id: string): Promise<void> {
  const r = await nova('DELETE', `/servers/${id}`);
  if (r.status !== 204 && r.status !== 404) throw new Error(`Nova refused to delete ${id}: HTTP ${r.status}`);
  const s = await waitServer(id, (v) => v === null || v.status === 'SOFT_DELETED');
  if (s !== null) {
    const f = await nova('POST', `/servers/${id}/action`, { forceDelete: null });
    if (f.status !== 202 && f.status !== 404) throw new Error(`Nova refused to force-delete ${id}: HTTP ${f.status}`);
    await waitServer(id, (v) => v === null);
  }
}

/**
 * Restarts the nova-compute of a compute host (default cloud.env COMPUTE2_HOST) with
 * scripts/cloud/restart-compute.sh and waits until it has started up. Needed after an
 * evacuation, before `compute service set --up`: Nova refuses to force a host up while `done`
 * evacuation migrations remain, which only the host's restart completes. Takes 10–40 s.
 * @throws Error with the script's output when it fails
 */
export async function restartCompute(host = cloudFacts().COMPUTE2_HOST): Promise<void> {
  const script = join(ROOT, 'scripts', 'cloud', 'restart-compute.sh');
  const r = await run('bash', [script, host], process.env as Record<string, string>, { timeoutMs: 180_000 });
  if (r.code !== 0) throw new Error(`restart-compute.sh ${host} failed (${r.code}): ${r.stderr || r.stdout}`);
}

/**
 * Runs `fn` holding the cloud's compute-2 lock (`flock` on $NCLI_CLOUD_DIR/run/compute-2.lock,
 * shared by every test process and checkout): tests that put servers on compute-2, move them
 * there or away, or disable / force down its service must not overlap, or one's evacuation
 * meets the other's boot (NoValidHost). The lock is released when `fn` settles, or when the
 * test process dies (the holder is a child `flock` reading this process's pipe).
 * @param waitMs how long to wait for the lock (default 10 min)
 * @throws Error when the lock is not had within waitMs
 */
export async function withComputeHost2<T>(fn: () => Promise<T>, waitMs = 600_000): Promise<T> {
  const release = await lockComputeHost2(waitMs);
  try {
    return await fn();
  } finally {
    release();
  }
}

/**
 * Takes the compute-2 lock of {@link withComputeHost2} for longer than one function (a whole
 * file's beforeAll to afterAll); the returned function releases it (so does the process's death).
 * @throws Error when the lock is not had within waitMs
 */
export function lockComputeHost2(waitMs = 600_000): Promise<() => void> {
  return lockCloud('compute-2', { waitMs });
}

/**
 * Runs `fn` holding the cloud's serial-proxy lock ($NCLI_CLOUD_DIR/run/serial-proxy.lock):
 * shared by the tests that connect to nova-serialproxy, exclusive for the one that stops and
 * restarts it, so that no test meets the proxy down.
 * @throws Error when the lock is not had within waitMs (default 10 min)
 */
export async function withSerialProxy<T>(
  fn: () => Promise<T>,
  opts: { exclusive?: boolean; waitMs?: number } = {},
): Promise<T> {
  const release = await lockCloud('serial-proxy', { shared: !opts.exclusive, waitMs: opts.waitMs });
  try {
    return await fn();
  } finally {
    release();
  }
}

/**
 * Takes the cloud lock NAME (`flock` on $NCLI_CLOUD_DIR/run/NAME.lock, shared by every test
 * process and checkout; `shared` for a reader's lock). The holder is a child `flock` reading this
 * process's pipe: the returned function releases the lock, and so does the process's death.
 * @throws Error when the lock is not had within waitMs (default 10 min)
 */
export async function lockCloud(name: string, opts: { shared?: boolean; waitMs?: number } = {}): Promise<() => void> {
  const waitMs = opts.waitMs ?? 600_000;
  const lock = join(CLOUD_DIR, 'run', `${name}.lock`);
  const mode = opts.shared ? ['-s'] : [];
  const holder = spawn(
    'flock',
    [...mode, '-w', String(Math.ceil(waitMs / 1000)), lock, '-c', 'echo locked; exec cat'],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    holder.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('locked')) resolve();
    });
    holder.on('exit', (code) => reject(new Error(`no ${name} lock (${lock}) within ${waitMs} ms (flock ${code})`)));
    holder.on('error', reject);
  });
  return () => holder.stdin.end();
}

/**
 * One request to Cinder (cloud.env CINDER_URL, project admin) as admin.
 * @param path below /v3/{project_id}, e.g. `/volumes/detail`
 * @param microversion sent as `OpenStack-API-Version: volume X`; default 3.0
 */
export async function cinder<T = unknown>(
  method: string,
  path: string,
  body?: unknown,
  opts: { microversion?: string } = {},
): Promise<NovaAnswer<T>> {
  const facts = cloudFacts();
  const res = await cloudFetch(`${facts.CINDER_URL}/${facts.ADMIN_PROJECT_ID}${path}`, {
    method,
    headers: {
      'X-Auth-Token': (await adminTokenOnce()).id,
      'OpenStack-API-Version': `volume ${opts.microversion ?? '3.0'}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, headers: res.headers };
}
