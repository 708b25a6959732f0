/**
 * A multi-factor (password + TOTP) Keystone user in the local cloud, made on demand by tests:
 * Keystone's `[auth] methods` includes totp there (scripts/cloud/templates/keystone.conf). Follows
 * the Keystone api-ref: "Create user" (options multi_factor_auth_enabled,
 * multi_factor_auth_rules), "Create credential" (type totp, blob = base32 secret) and "Assign
 * role to user on project".
 *
 * A login of this user with a password only answers 401 with an `Openstack-Auth-Receipt` header
 * and a body `{"receipt": {...}, "required_auth_methods": [["password", "totp"]]}` (the inner
 * order varies); the same request with the receipt header and method totp (or both methods in
 * one request) gets the token. Passcodes: totpCode(secret) from ./totp.ts.
 */
import { adminTokenOnce, cloudFetch, passwordAuthBody, type Credentials } from './cloud-api.js';
import { cloudFacts } from './cloud.js';
import { newTotpSecret } from './totp.js';

/** What a test needs to log in as the MFA user. */
export interface MfaUser extends Credentials {
  userId: string;
  /** The TOTP secret, base32 (RFC 4648), for totpCode(). */
  secret: string;
  /** The user's domain name (Default). */
  domain: string;
  /** Keystone's auth URL, plain http (cloud.env KEYSTONE_URL). */
  authUrl: string;
}

/** Options of {@link ensureMfaUser}. */
export interface MfaUserOptions {
  /** User name; default `ncli-mfa`. */
  username?: string;
  /** Project the user gets `role` on, and scopes to; default `admin` (its servers: vm1, …). */
  project?: string;
  /** Role on the project; default `member`. */
  role?: string;
  /** Password to set; default `mfa-secret` (a throwaway cloud's test user). */
  password?: string;
}

interface Resource {
  id: string;
  name: string;
}
interface User extends Resource {
  options?: { multi_factor_auth_enabled?: boolean; multi_factor_auth_rules?: string[][] };
}

async function keystone<T>(method: string, path: string, body?: unknown): Promise<T> {
  const token = (await adminTokenOnce()).id;
  const res = await cloudFetch(`${cloudFacts().KEYSTONE_URL}${path}`, {
    method,
    headers: { 'X-Auth-Token': token, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 400) {
    const err = new Error(`Keystone ${method} ${path}: HTTP ${res.status} ${text}`) as Error & { status: number };
    err.status = res.status;
    throw err;
  }
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Whether a password-only login gets Keystone's MFA receipt (401 + Openstack-Auth-Receipt): the password is right. */
async function passwordGetsReceipt(username: string, password: string, project: string): Promise<boolean> {
  const res = await cloudFetch(`${cloudFacts().KEYSTONE_URL}/auth/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(passwordAuthBody({ username, password, project })),
  });
  await res.text();
  return res.status === 401 && res.headers.get('openstack-auth-receipt') !== null;
}

/** The first item of a Keystone list (GET path, list under `key`), or undefined. */
async function first<T = Resource>(path: string, key: string): Promise<T | undefined> {
  return (await keystone<Record<string, T[]>>('GET', path))[key][0];
}

/**
 * Makes sure the MFA user exists as asked and returns how to log in as it. Idempotent and safe
 * to call from several test files at once: an existing user keeps its TOTP secret (admins read
 * credential blobs in clear) and gets its rule, role and password set again only when they
 * differ (a password change would revoke the tokens other test files hold).
 *
 * @throws Error with Keystone's answer when a request fails (e.g. the cloud is down)
 */
export async function ensureMfaUser(opts: MfaUserOptions = {}): Promise<MfaUser> {
  const username = opts.username ?? 'ncli-mfa';
  const password = opts.password ?? 'mfa-secret';
  const projectName = opts.project ?? 'admin';
  const project = await first(`/projects?name=${encodeURIComponent(projectName)}&domain_id=default`, 'projects');
  if (!project) throw new Error(`No project ${projectName} in the local cloud.`);
  const role = await first(`/roles?name=${encodeURIComponent(opts.role ?? 'member')}`, 'roles');
  if (!role) throw new Error(`No role ${opts.role ?? 'member'} in the local cloud.`);
  const options = { multi_factor_auth_enabled: true, multi_factor_auth_rules: [['password', 'totp']] };

  const byName = `/users?name=${encodeURIComponent(username)}&domain_id=default`;
  let user = await first<User>(byName, 'users');
  if (!user) {
    try {
      user = (
        await keystone<{ user: User }>('POST', '/users', {
          user: { name: username, password, domain_id: 'default', default_project_id: project.id, options },
        })
      ).user;
    } catch (e) {
      if ((e as { status?: number }).status !== 409) throw e; // created meanwhile by another test file
      user = await first<User>(byName, 'users');
      if (!user) throw e;
    }
  }
  const o = user.options ?? {};
  if (
    !o.multi_factor_auth_enabled ||
    JSON.stringify(o.multi_factor_auth_rules) !== JSON.stringify(options.multi_factor_auth_rules)
  ) {
    await keystone('PATCH', `/users/${user.id}`, { user: { options } });
  }
  // A password change revokes the user's tokens (other test files may be using some): change it
  // only when a password-only login does not get a receipt (the receipt proves the password).
  if (!(await passwordGetsReceipt(username, password, projectName))) {
    await keystone('PATCH', `/users/${user.id}`, { user: { password } });
  }
  await keystone('PUT', `/projects/${project.id}/users/${user.id}/roles/${role.id}`);

  const creds = await keystone<{ credentials: { id: string; blob: string }[] }>(
    'GET',
    `/credentials?user_id=${user.id}&type=totp`,
  );
  let secret = creds.credentials[0]?.blob;
  if (!secret) {
    // (two callers racing here each add one: fine, Keystone accepts a passcode of any of them)
    secret = newTotpSecret();
    await keystone('POST', '/credentials', { credential: { type: 'totp', user_id: user.id, blob: secret } });
  }
  return {
    username,
    password,
    project: projectName,
    domain: 'Default',
    userId: user.id,
    secret,
    authUrl: cloudFacts().KEYSTONE_URL,
  };
}
