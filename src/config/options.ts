/**
 * Resolution of what to connect to and how to authenticate, from `--os-*` flags, `OS_*`
 * environment variables and clouds.yaml, in that order of precedence (a flag beats a variable, a
 * variable beats clouds.yaml; the table in ./global-options.ts says which flag, variable and key
 * set what). Pure apart from reading clouds.yaml.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { fileErrorReason } from '../fs-reasons.js';
import { loadClouds, type CloudEntry } from './clouds.js';
import { readSettings, type SettingName, type Settings } from './global-options.js';
import { oidcGrantOf, oidcMethod, type OidcMethod } from './oidc-options.js';

export type { OidcMethod } from './oidc-options.js';

/** The global flags `resolveConfig` reads (any subset), by attribute name (`osAuthUrl`, `cache`). */
export type ConfigFlags = Partial<Record<SettingName, string | boolean>>;

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
/**
 * Keystone's `totp` method (keystone/auth/plugins/totp.py; keystoneauth `v3totp`): the user and a
 * time-based passcode (RFC 6238). `passcode` is undefined when it was not given: it is asked for at
 * login time, on a terminal, only when Keystone wants one (a cached token needs none).
 */
export interface TotpMethod {
  type: 'totp';
  username?: string;
  userId?: string;
  passcode?: string;
  userDomainName?: string;
  userDomainId?: string;
}
export type AuthMethod = PasswordMethod | ApplicationCredentialMethod | TokenMethod | TotpMethod | OidcMethod;

export type Scope =
  | { project: { id?: string; name?: string; domainId?: string; domainName?: string } }
  | { domain: { id?: string; name?: string } };

/** Everything needed to authenticate against Keystone v3. */
export interface AuthOptions {
  /** Keystone v3 base, always ending in `/v3` (no trailing slash). */
  authUrl: string;
  method: AuthMethod;
  /**
   * A second factor sent with `method` (keystoneauth `v3multifactor` with `v3password,v3totp`, or a
   * passcode given with a password); also what answers Keystone's auth receipt.
   */
  secondFactor?: TotpMethod;
  /** Absent for application credentials (their scope is fixed) and unscoped requests. */
  scope?: Scope;
  /**
   * Where `authUrl` came from when it was a clouds.yaml entry (`auth.auth_url of cloud 'prod' in
   * /etc/openstack/clouds.yaml`), for messages; absent when it came from OS_AUTH_URL or
   * --os-auth-url. Not part of the cache key.
   */
  authUrlOrigin?: string;
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

/** The settings of a run and the clouds.yaml cloud they were read with. */
export interface ResolvedSettings {
  /** The clouds.yaml cloud used (`--os-cloud` / `OS_CLOUD`), if any. */
  cloudName?: string;
  settings: Settings;
  /** The clouds.yaml files the cloud was read from, when the auth URL came from them. */
  authUrlFiles?: string[];
}

/**
 * Every global option's value (flag > env > clouds.yaml), with no check that they make up a
 * usable configuration: what `console tunnel --url` needs (TLS settings, timeout) without a cloud.
 * @throws ConfigError: a cloud that is not in clouds.yaml, a clouds.yaml that does not parse, a bad value
 */
export async function resolveSettings(
  flags: ConfigFlags,
  env: NodeJS.ProcessEnv,
  cwd?: string,
): Promise<ResolvedSettings> {
  const plain = readSettings(flags, env);
  const cloudName = plain.osCloud;
  let cloud: CloudEntry = {};
  let files: string[] = [];
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
    files = file.files;
  }
  const settings = readSettings(flags, env, cloud);
  // the auth URL came from clouds.yaml when neither a flag nor a variable gave one
  const fromCloud = cloudName && settings.osAuthUrl !== undefined && plain.osAuthUrl === undefined;
  return { cloudName, settings, ...(fromCloud ? { authUrlFiles: files } : {}) };
}

/**
 * Resolves flags, environment and clouds.yaml into a {@link ResolvedConfig}.
 * @param flags parsed global flags (any subset)
 * @param env usually `process.env`
 * @throws ConfigError: unknown cloud, missing auth URL or credential, bad values
 */
export async function resolveConfig(flags: ConfigFlags, env: NodeJS.ProcessEnv, cwd?: string): Promise<ResolvedConfig> {
  return configFromSettings(await resolveSettings(flags, env, cwd));
}

/**
 * The connection settings of {@link resolveConfig} from already resolved settings.
 * @throws ConfigError: missing auth URL or credential, bad values
 */
export function configFromSettings(resolved: ResolvedSettings): ResolvedConfig {
  const { cloudName, settings: s } = resolved;
  const authUrlRaw = s.osAuthUrl;
  const token = s.osToken;
  const acId = s.osApplicationCredentialId;
  const acName = s.osApplicationCredentialName;
  const acSecret = s.osApplicationCredentialSecret;
  const username = s.osUsername;
  const userId = s.osUserId;
  const password = s.osPassword;
  const userDomainName = s.osUserDomainName;
  const userDomainId = s.osUserDomainId;
  const projectName = s.osProjectName;
  const projectId = s.osProjectId;
  const projectDomainName = s.osProjectDomainName;
  const projectDomainId = s.osProjectDomainId;
  const domainName = s.osDomainName;
  const domainId = s.osDomainId;
  const authType = s.osAuthType;
  const passcode = s.osPasscode;

  if (!authUrlRaw) {
    throw new ConfigError(
      cloudName
        ? `Cloud '${cloudName}' in clouds.yaml has no auth.auth_url; add it, or pass --os-auth-url.`
        : 'No auth URL: set OS_AUTH_URL (e.g. source your openrc), pass --os-auth-url, or choose a cloud from clouds.yaml with --os-cloud.',
    );
  }
  const authUrl = normalizeAuthUrl(authUrlRaw);

  const kind = inferAuthType(authType, s.osAuthMethods, { token, acId, acName, acSecret });
  let method: AuthMethod;
  let secondFactor: TotpMethod | undefined;
  let scope: Scope | undefined;
  if (kind === 'oidc') {
    method = oidcMethod(oidcGrantOf(authType!)!, s);
  } else if (kind === 'totp') {
    if (!username && !userId) {
      throw new ConfigError('TOTP auth needs the user: set OS_USERNAME (or OS_USER_ID) or pass --os-username.');
    }
    method = {
      type: 'totp',
      ...userRef(username, userId, userDomainName, userDomainId),
      ...(passcode ? { passcode } : {}),
    };
  } else if (kind === 'token') {
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
    // v3multifactor (password + totp), or a passcode given with a password: send both at once
    if (kind === 'multifactor' || passcode) {
      secondFactor = {
        type: 'totp',
        ...userRef(username, userId, userDomainName, userDomainId),
        ...(passcode ? { passcode } : {}),
      };
    }
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

  return {
    cloudName,
    auth: {
      authUrl,
      method,
      ...(secondFactor ? { secondFactor } : {}),
      scope,
      ...(resolved.authUrlFiles && cloudName
        ? { authUrlOrigin: `auth.auth_url of cloud '${cloudName}' in ${resolved.authUrlFiles.join(' + ')}` }
        : {}),
    },
    regionName: s.osRegionName,
    interface: normalizeInterface(s.osInterface),
    cacert: s.osCacert,
    insecure: s.insecure ?? false,
    computeApiVersion: s.osComputeApiVersion,
    cache: s.cache ?? true,
    timeoutSeconds: s.timeout ?? 30,
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

type AuthKind = 'password' | 'token' | 'application_credential' | 'totp' | 'multifactor' | 'oidc';

/**
 * The auth method from `--os-auth-type` (keystoneauth's plugin names), else inferred from what is
 * set (a token, an application credential, else a password).
 * @param methods `--os-auth-methods` for v3multifactor: `v3password,v3totp` (or `password,totp`)
 * @throws ConfigError for an auth type or a v3multifactor combination ncli does not speak
 */
function inferAuthType(
  authType: string | undefined,
  methods: string | undefined,
  have: { token?: string; acId?: string; acName?: string; acSecret?: string },
): AuthKind {
  if (authType) {
    const t = authType.toLowerCase();
    if (oidcGrantOf(t)) return 'oidc';
    if (t === 'password' || t === 'v3password') return 'password';
    if (t === 'token' || t === 'v3token' || t === 'admin_token') return 'token';
    if (t === 'v3applicationcredential' || t === 'applicationcredential' || t === 'application_credential')
      return 'application_credential';
    if (t === 'v3totp' || t === 'totp') return 'totp';
    if (t === 'v3multifactor' || t === 'multifactor') {
      const list = (methods ?? '')
        .split(/[\s,]+/)
        .filter(Boolean)
        .map((m) => m.toLowerCase().replace(/^v3/, ''))
        .sort();
      if (list.join(',') === 'password,totp') return 'multifactor';
      throw new ConfigError(
        list.length === 0
          ? 'v3multifactor needs its methods: pass --os-auth-methods v3password,v3totp (or set OS_AUTH_METHODS, clouds.yaml auth_methods).'
          : `v3multifactor with ${list.join(' and ')} is not supported by ncli; use --os-auth-methods v3password,v3totp.`,
      );
    }
    throw new ConfigError(
      `Auth type '${authType}' is not supported by ncli; use password, v3applicationcredential, token, v3totp, v3multifactor, v3oidcpassword, v3oidcclientcredentials, v3oidcaccesstoken, v3oidcauthcode, v3oidcdeviceauthz or v3websso.`,
    );
  }
  if (have.token) return 'token';
  if ((have.acId || have.acName) && have.acSecret) return 'application_credential';
  return 'password';
}

/**
 * Whether these settings are a password login that lacks only its password (what a terminal may
 * ask for, as openstackclient does).
 */
export function missingPassword(resolved: ResolvedSettings): { user: string } | undefined {
  const s = resolved.settings;
  if (s.osPassword !== undefined || !s.osAuthUrl || !(s.osUsername || s.osUserId)) return undefined;
  let kind: AuthKind;
  try {
    kind = inferAuthType(s.osAuthType, s.osAuthMethods, {
      token: s.osToken,
      acId: s.osApplicationCredentialId,
      acName: s.osApplicationCredentialName,
      acSecret: s.osApplicationCredentialSecret,
    });
  } catch {
    return undefined;
  }
  return kind === 'password' || kind === 'multifactor' ? { user: (s.osUsername ?? s.osUserId)! } : undefined;
}

/**
 * Reads the PEM CA bundle named by `--os-cacert` / `OS_CACERT` / clouds.yaml `cacert`, for the API
 * transport and the console tunnel alike (read once per run by the context).
 * @param path the file
 * @throws ConfigError (`CA_BUNDLE`) "Cannot read the CA bundle PATH (--os-cacert / OS_CACERT / clouds.yaml cacert): ENOENT."
 */
export function readCaBundle(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new ConfigError(
      `Cannot read the CA bundle ${path} (--os-cacert / OS_CACERT / clouds.yaml cacert): ${fileErrorReason(e, path)}.`,
      { code: 'CA_BUNDLE', cause: e },
    );
  }
}
