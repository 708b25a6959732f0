/**
 * Resolution of what to connect to and how to authenticate, from `--os-*` flags, `OS_*`
 * environment variables and clouds.yaml, in that order of precedence (DEVELOPERS.md, issue 2):
 * a flag beats a variable, a variable beats clouds.yaml. Pure apart from reading clouds.yaml.
 *
 * The variable names are those of python-openstackclient / openstacksdk (and novaclient's
 * `OS_TENANT_*` and `OS_ENDPOINT_TYPE` aliases).
 */
import { loadClouds, type CloudEntry } from './clouds.js';

/** A configuration problem the user must fix; the message says how. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** The `--os-*` flag values as commander parses them (camelCase). All optional. */
export interface ConfigFlags {
  osCloud?: string;
  osAuthUrl?: string;
  osAuthType?: string;
  osUsername?: string;
  osUserId?: string;
  osPassword?: string;
  osProjectName?: string;
  osProjectId?: string;
  osUserDomainName?: string;
  osUserDomainId?: string;
  osProjectDomainName?: string;
  osProjectDomainId?: string;
  osDomainName?: string;
  osDomainId?: string;
  osRegionName?: string;
  osInterface?: string;
  osCacert?: string;
  insecure?: boolean;
  osComputeApiVersion?: string;
  osApplicationCredentialId?: string;
  osApplicationCredentialName?: string;
  osApplicationCredentialSecret?: string;
  osToken?: string;
  /** false with `--no-cache`. */
  cache?: boolean;
  /** seconds */
  timeout?: number;
}

export interface PasswordMethod {
  type: 'password';
  username?: string;
  userId?: string;
  password: string;
  userDomainName?: string;
  userDomainId?: string;
}
export interface ApplicationCredentialMethod {
  type: 'application_credential';
  id?: string;
  name?: string;
  secret: string;
  /** Needed with `name`: the owner. */
  username?: string;
  userId?: string;
  userDomainName?: string;
  userDomainId?: string;
}
export interface TokenMethod {
  type: 'token';
  token: string;
}
export type AuthMethod = PasswordMethod | ApplicationCredentialMethod | TokenMethod;

export type Scope =
  | { project: { id?: string; name?: string; domainId?: string; domainName?: string } }
  | { domain: { id?: string; name?: string } };

/** Everything needed to authenticate against Keystone v3. */
export interface AuthOptions {
  /** Keystone v3 base, always ending in `/v3` (no trailing slash). */
  authUrl: string;
  method: AuthMethod;
  /** Absent for application credentials (their scope is fixed) and unscoped requests. */
  scope?: Scope;
}

export type Interface = 'public' | 'internal' | 'admin';

/** The resolved connection settings for one run. */
export interface ResolvedConfig {
  /** The clouds.yaml entry used, if any. */
  cloudName?: string;
  auth: AuthOptions;
  regionName?: string;
  interface: Interface;
  cacert?: string;
  insecure: boolean;
  /** `2.x`, `latest`, or undefined (= negotiate the newest both sides know). */
  computeApiVersion?: string;
  /** Token cache on (default) or off (`--no-cache`, `OS_CACHE=false`). */
  cache: boolean;
  /** Per-request timeout, seconds. */
  timeoutSeconds: number;
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

function envBool(v: string | undefined): boolean | undefined {
  if (v === undefined || v === '') return undefined;
  const s = v.toLowerCase();
  if (TRUE.has(s)) return true;
  if (FALSE.has(s)) return false;
  return undefined;
}

/**
 * TLS settings from flags and environment alone (flag > env), for what needs no cloud, such as
 * `console tunnel --url`. {@link resolveConfig} adds clouds.yaml's `cacert` and `verify`.
 */
export function tlsFromFlagsAndEnv(flags: ConfigFlags, env: NodeJS.ProcessEnv): { cacert?: string; insecure: boolean } {
  return {
    cacert: flags.osCacert || env.OS_CACERT || undefined,
    insecure: flags.insecure === true || envBool(env.OS_INSECURE) === true,
  };
}

/** Normalizes `publicURL`, `internalURL`, `admin` … to the v3 interface name. */
export function normalizeInterface(v: string | undefined): Interface {
  const s = (v ?? 'public').toLowerCase().replace(/url$/, '');
  if (s === 'public' || s === 'internal' || s === 'admin') return s;
  throw new ConfigError(`Unknown interface '${v}': use public, internal or admin (--os-interface / OS_INTERFACE).`);
}

/**
 * A Keystone URL turned into its v3 base: `http://h:5000` → `http://h:5000/v3`,
 * `http://h:5000/v3/` → `http://h:5000/v3`, `http://h/identity` → `http://h/identity/v3`.
 * @throws ConfigError for a URL that does not parse, is not http(s), or names Keystone v2.0
 */
export function normalizeAuthUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConfigError(
      `The auth URL '${url}' is not a URL; it should look like https://keystone.example.com:5000/v3.`,
    );
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new ConfigError(`The auth URL '${url}' must start with http:// or https://.`);
  }
  let path = u.pathname.replace(/\/+$/, '');
  if (/\/v2\.0$/.test(path)) {
    throw new ConfigError(
      `The auth URL '${url}' names Keystone v2.0, which ncli does not speak; use the v3 URL (…/v3).`,
    );
  }
  if (!/\/v3$/.test(path)) path += '/v3';
  u.pathname = path;
  u.search = '';
  u.hash = '';
  return u.toString().replace(/\/$/, '');
}

type Source = { flag?: string; env?: string | string[]; cloud?: string; cloudAuth?: string };

/**
 * Resolves flags, environment and clouds.yaml into a {@link ResolvedConfig}.
 * @param flags parsed global flags
 * @param env usually `process.env`
 * @throws ConfigError: unknown cloud, missing auth URL or credential, bad values
 */
export async function resolveConfig(flags: ConfigFlags, env: NodeJS.ProcessEnv, cwd?: string): Promise<ResolvedConfig> {
  const cloudName = flags.osCloud ?? (env.OS_CLOUD || undefined);
  let cloud: CloudEntry = {};
  if (cloudName) {
    const file = await loadClouds(env, cwd);
    const entry = file.clouds[cloudName];
    if (!entry) {
      const known = Object.keys(file.clouds);
      throw new ConfigError(
        file.files.length === 0
          ? `Cloud '${cloudName}' was asked for (--os-cloud / OS_CLOUD) but no clouds.yaml was found (searched ${file.searched.join(', ')}).`
          : `Cloud '${cloudName}' is not in ${file.files.join(' + ')}` +
              (known.length ? `; known clouds: ${known.join(', ')}.` : '; it defines no clouds.'),
      );
    }
    cloud = entry;
  }
  const cauth = cloud.auth ?? {};

  /** flag > env > clouds.yaml */
  const pick = (s: Source): string | undefined => {
    if (s.flag !== undefined && s.flag !== '') return s.flag;
    for (const name of ([] as string[]).concat(s.env ?? [])) {
      const v = env[name];
      if (v !== undefined && v !== '') return v;
    }
    if (s.cloudAuth !== undefined) {
      const v = cauth[s.cloudAuth];
      if (v !== undefined && v !== null && v !== '') return String(v);
    }
    if (s.cloud !== undefined) {
      const v = cloud[s.cloud];
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v === '' ? undefined : String(v);
    }
    return undefined;
  };

  const authUrlRaw = pick({ flag: flags.osAuthUrl, env: 'OS_AUTH_URL', cloudAuth: 'auth_url' });
  const token = pick({ flag: flags.osToken, env: 'OS_TOKEN', cloudAuth: 'token' });
  const acId = pick({
    flag: flags.osApplicationCredentialId,
    env: 'OS_APPLICATION_CREDENTIAL_ID',
    cloudAuth: 'application_credential_id',
  });
  const acName = pick({
    flag: flags.osApplicationCredentialName,
    env: 'OS_APPLICATION_CREDENTIAL_NAME',
    cloudAuth: 'application_credential_name',
  });
  const acSecret = pick({
    flag: flags.osApplicationCredentialSecret,
    env: 'OS_APPLICATION_CREDENTIAL_SECRET',
    cloudAuth: 'application_credential_secret',
  });
  const username = pick({ flag: flags.osUsername, env: 'OS_USERNAME', cloudAuth: 'username' });
  const userId = pick({ flag: flags.osUserId, env: 'OS_USER_ID', cloudAuth: 'user_id' });
  const password = pick({ flag: flags.osPassword, env: 'OS_PASSWORD', cloudAuth: 'password' });
  const userDomainName = pick({
    flag: flags.osUserDomainName,
    env: 'OS_USER_DOMAIN_NAME',
    cloudAuth: 'user_domain_name',
  });
  const userDomainId = pick({ flag: flags.osUserDomainId, env: 'OS_USER_DOMAIN_ID', cloudAuth: 'user_domain_id' });
  const projectName = pick({
    flag: flags.osProjectName,
    env: ['OS_PROJECT_NAME', 'OS_TENANT_NAME'],
    cloudAuth: 'project_name',
  });
  const projectId = pick({ flag: flags.osProjectId, env: ['OS_PROJECT_ID', 'OS_TENANT_ID'], cloudAuth: 'project_id' });
  const projectDomainName = pick({
    flag: flags.osProjectDomainName,
    env: 'OS_PROJECT_DOMAIN_NAME',
    cloudAuth: 'project_domain_name',
  });
  const projectDomainId = pick({
    flag: flags.osProjectDomainId,
    env: 'OS_PROJECT_DOMAIN_ID',
    cloudAuth: 'project_domain_id',
  });
  const domainName = pick({ flag: flags.osDomainName, env: 'OS_DOMAIN_NAME', cloudAuth: 'domain_name' });
  const domainId = pick({ flag: flags.osDomainId, env: 'OS_DOMAIN_ID', cloudAuth: 'domain_id' });
  const authType = pick({ flag: flags.osAuthType, env: 'OS_AUTH_TYPE', cloud: 'auth_type' });

  if (!authUrlRaw) {
    throw new ConfigError(
      cloudName
        ? `Cloud '${cloudName}' in clouds.yaml has no auth.auth_url; add it, or pass --os-auth-url.`
        : 'No auth URL: set OS_AUTH_URL (e.g. source your openrc), pass --os-auth-url, or choose a cloud from clouds.yaml with --os-cloud.',
    );
  }
  const authUrl = normalizeAuthUrl(authUrlRaw);

  const kind = inferAuthType(authType, { token, acId, acName, acSecret });
  let method: AuthMethod;
  let scope: Scope | undefined;
  if (kind === 'token') {
    if (!token) throw new ConfigError('Token auth needs a token: set OS_TOKEN or pass --os-token.');
    method = { type: 'token', token };
  } else if (kind === 'application_credential') {
    if (!acSecret) {
      throw new ConfigError(
        'Application credential auth needs its secret: set OS_APPLICATION_CREDENTIAL_SECRET or pass --os-application-credential-secret.',
      );
    }
    if (!acId && !acName) {
      throw new ConfigError(
        'Application credential auth needs its ID (OS_APPLICATION_CREDENTIAL_ID) or its name (OS_APPLICATION_CREDENTIAL_NAME) with the owner (OS_USERNAME).',
      );
    }
    if (!acId && !username && !userId) {
      throw new ConfigError(
        'An application credential given by name needs its owner: set OS_USERNAME (and OS_USER_DOMAIN_NAME) or OS_USER_ID.',
      );
    }
    method = { type: 'application_credential', id: acId, name: acId ? undefined : acName, secret: acSecret };
    if (!acId) Object.assign(method, userRef(username, userId, userDomainName, userDomainId));
  } else {
    if (!username && !userId) {
      throw new ConfigError('No user: set OS_USERNAME (or OS_USER_ID), pass --os-username, or use --os-cloud.');
    }
    if (password === undefined) {
      throw new ConfigError(
        `No password for user '${username ?? userId}': set OS_PASSWORD or pass --os-password (or use an application credential).`,
      );
    }
    method = { type: 'password', password, ...userRef(username, userId, userDomainName, userDomainId) };
  }

  if (kind !== 'application_credential') {
    if (projectId || projectName) {
      scope = {
        project: projectId
          ? { id: projectId }
          : {
              name: projectName,
              ...(projectDomainId
                ? { domainId: projectDomainId }
                : projectDomainName
                  ? { domainName: projectDomainName }
                  : userDomainId
                    ? { domainId: userDomainId }
                    : userDomainName
                      ? { domainName: userDomainName }
                      : { domainId: 'default' }),
            },
      };
    } else if (domainId || domainName) {
      scope = { domain: domainId ? { id: domainId } : { name: domainName } };
    }
  }

  const ifaceRaw = pick({ flag: flags.osInterface, env: ['OS_INTERFACE', 'OS_ENDPOINT_TYPE'], cloud: 'interface' });
  const tls = tlsFromFlagsAndEnv(flags, env);
  const cacheEnv = envBool(env.OS_CACHE);
  const timeoutRaw = flags.timeout ?? (env.OS_TIMEOUT ? Number(env.OS_TIMEOUT) : undefined);
  if (timeoutRaw !== undefined && !(timeoutRaw > 0))
    throw new ConfigError(`The timeout must be a positive number of seconds, not '${timeoutRaw}'.`);
  const apiVersion = pick({
    flag: flags.osComputeApiVersion,
    env: 'OS_COMPUTE_API_VERSION',
    cloud: 'compute_api_version',
  });

  return {
    cloudName,
    auth: { authUrl, method, scope },
    regionName: pick({ flag: flags.osRegionName, env: 'OS_REGION_NAME', cloud: 'region_name' }),
    interface: normalizeInterface(ifaceRaw),
    cacert: pick({ flag: flags.osCacert, env: 'OS_CACERT', cloud: 'cacert' }),
    insecure: tls.insecure || cloud.verify === false,
    computeApiVersion: apiVersion,
    cache: flags.cache === false ? false : (cacheEnv ?? true),
    timeoutSeconds: timeoutRaw ?? 30,
  };
}

function userRef(username?: string, userId?: string, domainName?: string, domainId?: string) {
  if (userId) return { userId };
  return {
    username,
    ...(domainId
      ? { userDomainId: domainId }
      : domainName
        ? { userDomainName: domainName }
        : { userDomainId: 'default' }),
  };
}

function inferAuthType(
  authType: string | undefined,
  have: { token?: string; acId?: string; acName?: string; acSecret?: string },
): 'password' | 'token' | 'application_credential' {
  if (authType) {
    const t = authType.toLowerCase();
    if (t === 'password' || t === 'v3password') return 'password';
    if (t === 'token' || t === 'v3token' || t === 'admin_token') return 'token';
    if (t === 'v3applicationcredential' || t === 'applicationcredential' || t === 'application_credential')
      return 'application_credential';
    throw new ConfigError(
      `Auth type '${authType}' is not supported by ncli; use password, v3applicationcredential or token.`,
    );
  }
  if (have.token) return 'token';
  if ((have.acId || have.acName) && have.acSecret) return 'application_credential';
  return 'password';
}
