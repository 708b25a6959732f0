/**
 * Helpers for tests against the project's real local cloud (`npm run cloud:up`): where it keeps
 * its credentials, whether it answers, and running the real `bin/ncli` as a separate process with
 * its own cache folder. Under CI=true a cloud that is down fails the suite instead of skipping it.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const NCLI = join(ROOT, 'bin', 'ncli');
export const CLOUD_DIR = process.env.NCLI_CLOUD_DIR ?? '/tmp/ncli-cloud';
export const CLOUDS_YAML = join(CLOUD_DIR, 'clouds.yaml');

/** Facts the harness wrote to cloud.env (VM1_ID, DEMO_VM_ID, ports, …). */
export function cloudFacts(): Record<string, string> {
  const out: Record<string, string> = {};
  const file = join(CLOUD_DIR, 'cloud.env');
  if (!existsSync(file)) return out;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^(?:export\s+)?([A-Z0-9_]+)=['"]?(.*?)['"]?$/.exec(line.trim());
    if (m) out[m[1]] = m[2]!;
  }
  return out;
}

async function keystoneAnswers(): Promise<boolean> {
  try {
    const res = await fetch('http://127.0.0.1:5000/v3', { signal: AbortSignal.timeout(3000) });
    return res.ok;
  } catch {
    return false;
  }
}

const up = existsSync(CLOUDS_YAML) && (await keystoneAnswers());

/**
 * `describe` for suites that need the real cloud: runs them when it is up; when it is down,
 * skips them locally but fails under CI (the integration tests never skip there).
 */
export function describeCloud(name: string, fn: () => void): void {
  if (up) {
    describe(name, fn);
  } else if (process.env.CI) {
    describe(name, () => {
      it('needs the local cloud (npm run cloud:up)', () => {
        throw new Error(
          `The local cloud is not up (${CLOUDS_YAML} missing or Keystone not answering on 127.0.0.1:5000); run npm run cloud:up.`,
        );
      });
    });
  } else {
    describe.skip(name, fn);
  }
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A fresh, empty cache folder (XDG_CACHE_HOME) for one or more ncli runs. */
export function freshCache(): string {
  return mkdtempSync(join(tmpdir(), 'ncli-test-cache-'));
}

/**
 * The environment of an ncli run against the local cloud: `OS_CLOUD` (devcloud unless given),
 * clouds.yaml from the harness, a private cache folder, no session bus (file cache) and no
 * OS_* variables inherited from the caller.
 */
export function cloudEnv(extra: Record<string, string | undefined> = {}, cache = freshCache()): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('OS_') && k !== 'DBUS_SESSION_BUS_ADDRESS') env[k] = v;
  }
  Object.assign(env, { OS_CLIENT_CONFIG_FILE: CLOUDS_YAML, OS_CLOUD: 'devcloud', XDG_CACHE_HOME: cache });
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** A run that must succeed: nothing on stderr, exit 0; returns its stdout. */
export function ok(r: RunResult): string {
  expect([r.stderr, r.code]).toEqual(['', 0]);
  return r.stdout;
}

/** A run that must fail as ncli fails: exit 1, nothing on stdout, one line on stderr; returns stderr. */
export function fails(r: RunResult): string {
  expect([r.code, r.stdout, r.stderr.trimEnd().split('\n').length]).toEqual([1, '', 1]);
  return r.stderr;
}

/** Runs `bin/ncli args…` to completion. */
export function ncli(
  args: string[],
  env: Record<string, string> = cloudEnv(),
  opts: { input?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return run(process.execPath, [NCLI, ...args], env, opts);
}

/** Runs any command to completion, collecting output. */
export function run(
  cmd: string,
  args: string[],
  env: Record<string, string> = cloudEnv(),
  opts: { input?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 45_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.on('error', () => {}); // a child that exits without reading its input
    child.stdin.end(opts.input ?? '');
  });
}

/** The `openstack` CLI (python-openstackclient) as an oracle, with the same cloud. */
export async function openstack(args: string[]): Promise<RunResult> {
  return run('/usr/bin/openstack', ['--os-cloud', 'devcloud', ...args], cloudEnv());
}

/**
 * A project of a test file's own, made idempotently with openstackclient (Keystone's `project
 * create --or-show` and `role add` are): admin gets the admin role on it, demo (with `demo`) the
 * member role, and with `quota` it gets room for many small servers. Test files act in projects
 * of their own so that the admin and demo listings other files count stay as they are.
 * @throws through `expect` when a command fails
 */
export async function ensureTestProject(
  name: string,
  opts: { description: string; demo?: boolean; quota?: boolean },
): Promise<void> {
  const role = (user: string, r: string) => [
    'role',
    'add',
    '--user',
    user,
    '--user-domain',
    'Default',
    '--project',
    name,
    '--project-domain',
    'Default',
    r,
  ];
  const steps = [
    ['project', 'create', '--or-show', '--domain', 'Default', '--description', opts.description, name],
    role('admin', 'admin'),
    ...(opts.demo ? [role('demo', 'member')] : []),
    ...(opts.quota ? [['quota', 'set', '--instances', '40', '--cores', '80', '--ram', '204800', name]] : []),
  ];
  for (const args of steps) {
    const r = await openstack(args);
    expect([args.join(' '), r.code, r.stderr]).toEqual([args.join(' '), 0, '']);
  }
}

/**
 * The environment of openstackclient for a user of the harness (its openrc), scoped to `project`:
 * with `--os-cloud`, openstackclient ignores `--os-project-name`; with OS_* variables it does not.
 */
export function openstackEnv(user: 'admin' | 'demo', project: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('OS_')) env[k] = v;
  const file = join(CLOUD_DIR, user === 'admin' ? 'openrc' : 'openrc-demo');
  for (const line of existsSync(file) ? readFileSync(file, 'utf8').split('\n') : []) {
    const m = /^export (OS_[A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) env[m[1]] = m[2].replace(/^['"]|['"]$/g, '');
  }
  if (!env.OS_PASSWORD) env.OS_PASSWORD = 'secret';
  env.OS_PROJECT_NAME = project;
  return env;
}
