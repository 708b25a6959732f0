/**
 * The global options, declared once: each row is the command-line flag (commander syntax), its
 * help, the environment variables and the clouds.yaml key that set the same thing, and how the
 * value is read. The one table feeds commander and `--help` (src/cli/main.ts), the resolution of
 * flags > environment > clouds.yaml ({@link readSettings}, used by `resolveConfig`) and the
 * completion model (src/completion/engine.ts). Adding an `--os-*` option is one row here.
 *
 * Names, variables and meanings follow python-openstackclient (`openstack --help`) and
 * openstacksdk's clouds.yaml keys (openstack/config/cloud_region.py); `OS_TENANT_*` and
 * `OS_ENDPOINT_TYPE` are python-novaclient's aliases.
 */
import type { ArgKey, ArgSpec, ValuesOf } from '../arg-spec.js';
import { ConfigError } from '../errors.js';

/** keystoneauth's federated (OpenID Connect) auth types, plus keystoneauth-websso's `v3websso`. */
export const OIDC_AUTH_TYPES = [
  'v3oidcpassword',
  'v3oidcclientcredentials',
  'v3oidcaccesstoken',
  'v3oidcauthcode',
  'v3oidcdeviceauthz',
  'v3websso',
] as const;

/** Endpoint interfaces of the v3 service catalog. */
export const INTERFACES = ['public', 'internal', 'admin'] as const;

/** One global option. */
export interface GlobalOptionSpec extends ArgSpec {
  /** Environment variables that set it, first found wins (`OS_PROJECT_NAME`, then `OS_TENANT_NAME`). */
  readonly env?: readonly string[];
  /** Its clouds.yaml key: `auth.<key>` inside the cloud's `auth:` map, else a key of the cloud itself. */
  readonly cloud?: string;
  /** The clouds.yaml key holds the opposite (`verify: false` means `--insecure`). */
  readonly negateCloud?: boolean;
  /** A number of seconds (> 0) rather than text. */
  readonly seconds?: boolean;
  /** A compute microversion: `2.N`, `2`, `latest` or `2.latest` (the form only; the range is Nova's). */
  readonly microversion?: boolean;
  /** Never shown by `--debug` (a secret). */
  readonly secret?: boolean;
}

const opt = <const F extends string, const E extends Omit<GlobalOptionSpec, 'flags' | 'help'>>(
  flags: F,
  help: string,
  extra: E,
): { readonly flags: F; readonly help: string } & E => ({ flags, help, ...extra });

/** Every global option, in `--help` order. */
export const GLOBAL_OPTIONS = [
  opt('--os-cloud <name>', 'Cloud name in clouds.yaml (list commands: several, comma-separated)', {
    env: ['OS_CLOUD'],
    complete: 'cloud',
  }),
  opt('--all-clouds', 'List commands: run on every cloud of clouds.yaml (rows get Cloud and Region columns)', {}),
  opt('--all-regions', 'List commands: run in every region of the catalog that has compute', {}),
  opt('--os-auth-url <url>', 'Keystone URL, e.g. https://keystone:5000/v3', {
    env: ['OS_AUTH_URL'],
    cloud: 'auth.auth_url',
  }),
  opt(
    '--os-auth-type <type>',
    'password, v3applicationcredential, token, v3totp, v3multifactor, v3oidcpassword, v3oidcclientcredentials, v3oidcaccesstoken, v3oidcauthcode, v3oidcdeviceauthz or v3websso (default: inferred)',
    {
      env: ['OS_AUTH_TYPE'],
      cloud: 'auth_type',
      choices: [
        'password',
        'v3password',
        'v3applicationcredential',
        'token',
        'v3token',
        'v3totp',
        'v3multifactor',
        ...OIDC_AUTH_TYPES,
      ],
    },
  ),
  opt('--os-auth-methods <methods>', 'With v3multifactor: the methods, e.g. v3password,v3totp', {
    env: ['OS_AUTH_METHODS'],
    cloud: 'auth.auth_methods',
  }),
  opt('--os-username <name>', 'User name', { env: ['OS_USERNAME'], cloud: 'auth.username' }),
  opt('--os-user-id <id>', 'User ID', { env: ['OS_USER_ID'], cloud: 'auth.user_id' }),
  opt('--os-password <password>', 'Password (prefer OS_PASSWORD or clouds.yaml/secure.yaml)', {
    env: ['OS_PASSWORD'],
    cloud: 'auth.password',
    secret: true,
  }),
  opt('--os-project-name <name>', 'Project to scope to', {
    env: ['OS_PROJECT_NAME', 'OS_TENANT_NAME'],
    cloud: 'auth.project_name',
  }),
  opt('--os-project-id <id>', 'Project ID to scope to', {
    env: ['OS_PROJECT_ID', 'OS_TENANT_ID'],
    cloud: 'auth.project_id',
  }),
  opt('--os-user-domain-name <name>', "User's domain name", {
    env: ['OS_USER_DOMAIN_NAME'],
    cloud: 'auth.user_domain_name',
  }),
  opt('--os-user-domain-id <id>', "User's domain ID", { env: ['OS_USER_DOMAIN_ID'], cloud: 'auth.user_domain_id' }),
  opt('--os-project-domain-name <name>', "Project's domain name", {
    env: ['OS_PROJECT_DOMAIN_NAME'],
    cloud: 'auth.project_domain_name',
  }),
  opt('--os-project-domain-id <id>', "Project's domain ID", {
    env: ['OS_PROJECT_DOMAIN_ID'],
    cloud: 'auth.project_domain_id',
  }),
  opt('--os-domain-name <name>', 'Domain to scope to (instead of a project)', {
    env: ['OS_DOMAIN_NAME'],
    cloud: 'auth.domain_name',
  }),
  opt('--os-domain-id <id>', 'Domain ID to scope to', { env: ['OS_DOMAIN_ID'], cloud: 'auth.domain_id' }),
  opt('--os-application-credential-id <id>', 'Application credential ID', {
    env: ['OS_APPLICATION_CREDENTIAL_ID'],
    cloud: 'auth.application_credential_id',
  }),
  opt('--os-application-credential-name <name>', 'Application credential name (with --os-username)', {
    env: ['OS_APPLICATION_CREDENTIAL_NAME'],
    cloud: 'auth.application_credential_name',
  }),
  opt('--os-application-credential-secret <secret>', 'Application credential secret', {
    env: ['OS_APPLICATION_CREDENTIAL_SECRET'],
    cloud: 'auth.application_credential_secret',
    secret: true,
  }),
  opt('--os-passcode <passcode>', 'TOTP passcode (asked for on a terminal when Keystone wants one)', {
    env: ['OS_PASSCODE'],
    cloud: 'auth.passcode',
    secret: true,
  }),
  opt('--os-token <token>', 'An existing Keystone token', { env: ['OS_TOKEN'], cloud: 'auth.token', secret: true }),
  // Federated login (keystoneauth1/loading/_plugins/identity/v3.py OpenIDConnect* options)
  opt('--os-identity-provider <name>', "Federation: the identity provider's ID in Keystone", {
    env: ['OS_IDENTITY_PROVIDER'],
    cloud: 'auth.identity_provider',
  }),
  opt('--os-protocol <name>', 'Federation: the protocol in Keystone, e.g. openid', {
    env: ['OS_PROTOCOL'],
    cloud: 'auth.protocol',
  }),
  opt('--os-client-id <id>', 'OpenID Connect client ID', { env: ['OS_CLIENT_ID'], cloud: 'auth.client_id' }),
  opt('--os-client-secret <secret>', 'OpenID Connect client secret (none for a public client)', {
    env: ['OS_CLIENT_SECRET'],
    cloud: 'auth.client_secret',
    secret: true,
  }),
  opt('--os-discovery-endpoint <url>', "The IdP's discovery document (…/.well-known/openid-configuration)", {
    env: ['OS_DISCOVERY_ENDPOINT'],
    cloud: 'auth.discovery_endpoint',
  }),
  opt('--os-access-token-endpoint <url>', "The IdP's token endpoint (else from the discovery document)", {
    env: ['OS_ACCESS_TOKEN_ENDPOINT'],
    cloud: 'auth.access_token_endpoint',
  }),
  opt('--os-device-authorization-endpoint <url>', "The IdP's device authorization endpoint (v3oidcdeviceauthz)", {
    env: ['OS_DEVICE_AUTHORIZATION_ENDPOINT'],
    cloud: 'auth.device_authorization_endpoint',
  }),
  opt('--os-openid-scope <scope>', 'OpenID Connect scope (default: openid profile)', {
    env: ['OS_OPENID_SCOPE'],
    cloud: 'auth.openid_scope',
  }),
  opt('--os-access-token <token>', 'An OpenID Connect access token (v3oidcaccesstoken)', {
    env: ['OS_ACCESS_TOKEN'],
    cloud: 'auth.access_token',
    secret: true,
  }),
  opt('--os-region-name <region>', 'Region of the endpoints to use', {
    env: ['OS_REGION_NAME'],
    cloud: 'region_name',
  }),
  opt('--os-interface <interface>', 'Endpoint interface', {
    env: ['OS_INTERFACE', 'OS_ENDPOINT_TYPE'],
    cloud: 'interface',
    choices: INTERFACES,
  }),
  opt('--os-cacert <file>', 'PEM bundle of CAs to trust for TLS', {
    env: ['OS_CACERT'],
    cloud: 'cacert',
    complete: 'file',
  }),
  opt('--insecure', 'Do not verify TLS certificates (unsafe)', {
    env: ['OS_INSECURE'],
    cloud: 'verify',
    negateCloud: true,
  }),
  opt(
    '--os-compute-api-version <version>',
    'Compute microversion: 2.N or latest (default: newest both sides support)',
    {
      env: ['OS_COMPUTE_API_VERSION'],
      cloud: 'compute_api_version',
      microversion: true,
    },
  ),
  opt('--no-cache', 'Neither read nor write the caches (token, names for completion, version documents)', {
    env: ['OS_CACHE'],
  }),
  opt('--timeout <seconds>', 'Per-request timeout in seconds (default 30)', { env: ['OS_TIMEOUT'], seconds: true }),
  opt('--debug', 'Print each HTTP request and response (secrets redacted) and stack traces', {}),
  opt('--timings', 'Print a table of API calls and their durations at the end', {}),
] as const satisfies readonly GlobalOptionSpec[];

type GlobalOption = (typeof GLOBAL_OPTIONS)[number];

/** The global flags as commander parses them (`--os-auth-url` → `osAuthUrl`, `--no-cache` → `cache`). */
export type GlobalFlags = ValuesOf<typeof GLOBAL_OPTIONS>;

/** The attribute names of the global options. */
export type SettingName = ArgKey<GlobalOption>;

type SettingValue<O extends GlobalOptionSpec> = O extends { seconds: true }
  ? number
  : O['flags'] extends `${string}<${string}>`
    ? string
    : boolean;

/** Each global option's value after flags > environment > clouds.yaml; absent when none sets it. */
export type Settings = { [O in GlobalOption as ArgKey<O>]?: SettingValue<O> };

/** Where a setting came from, for messages. */
export type SettingSource = 'flag' | 'env' | 'cloud';

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

/** `true`/`false` for the usual spellings of a boolean variable, undefined for anything else. */
export function parseBool(v: string | undefined): boolean | undefined {
  if (v === undefined || v === '') return undefined;
  const s = v.toLowerCase();
  if (TRUE.has(s)) return true;
  if (FALSE.has(s)) return false;
  return undefined;
}

/** The long flag of an option: `--os-auth-url <url>` → `--os-auth-url`. */
export function longFlag(o: GlobalOptionSpec): string {
  return /--[\w-]+/.exec(o.flags)![0];
}

/** Whether an option takes a value (`--os-cloud <name>`), not a switch (`--insecure`). */
export function takesValue(o: GlobalOptionSpec): boolean {
  return /[<[]/.test(o.flags);
}

function attrOf(o: GlobalOptionSpec): SettingName {
  const long = longFlag(o).slice(2).replace(/^no-/, '');
  return long.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()) as SettingName;
}

/**
 * Reads a value for `o` the way its row says (text, a switch, seconds).
 * @throws ConfigError naming the flag or variable, for seconds that are not a positive number or
 *   a compute API version that is not one (exit 2 for a flag)
 *   (exit 2 when it came from a flag)
 */
function valueOf(o: GlobalOptionSpec, raw: string | boolean, source: SettingSource, name: string) {
  if (o.seconds) {
    const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
    if (!(n > 0) || !Number.isFinite(n)) {
      throw new ConfigError(`${name} takes a positive number of seconds, not '${String(raw)}'.`, {
        exitCode: source === 'flag' ? 2 : 1,
      });
    }
    return n;
  }
  if (o.microversion && typeof raw === 'string' && !/^(\d+(\.\d+)?|(2\.)?latest)$/.test(raw.trim())) {
    // malformed is a usage error (exit 2) on the command line, as other bad option values are
    throw new ConfigError(`${name}: '${raw}' is not a compute API version; use 2.N (e.g. 2.79) or latest.`, {
      code: 'MICROVERSION',
      exitCode: source === 'flag' ? 2 : 1,
    });
  }
  if (!takesValue(o)) return typeof raw === 'boolean' ? raw : (parseBool(raw) ?? false);
  return String(raw);
}

/**
 * Every global option's value, from the parsed flags, then the environment, then the cloud's
 * clouds.yaml entry (flag > env > clouds.yaml). A switch counts from a flag only when given
 * (`--no-cache` gives `cache: false`, `--insecure` gives `insecure: true`).
 *
 * @param flags as commander parsed them (any subset; tests pass a few)
 * @param env usually `process.env`
 * @param cloud the chosen clouds.yaml entry (`auth:` nested), if any
 * @throws ConfigError for a bad `--timeout` / `OS_TIMEOUT`
 */
export function readSettings(
  flags: Partial<Record<SettingName, unknown>>,
  env: NodeJS.ProcessEnv,
  cloud: Record<string, unknown> = {},
): Settings {
  const out: Record<string, unknown> = {};
  const auth = (cloud.auth ?? {}) as Record<string, unknown>;
  for (const o of GLOBAL_OPTIONS as readonly GlobalOptionSpec[]) {
    const attr = attrOf(o);
    const long = longFlag(o);
    const negatable = long.startsWith('--no-');
    const f = flags[attr];
    if (takesValue(o) ? typeof f === 'string' && f !== '' : f === !negatable) {
      out[attr] = valueOf(o, f as string | boolean, 'flag', long);
      continue;
    }
    const name = o.env?.find((n) => env[n] !== undefined && env[n] !== '');
    if (name !== undefined) {
      out[attr] = valueOf(o, env[name]!, 'env', name);
      continue;
    }
    if (o.cloud) {
      const raw = o.cloud.startsWith('auth.') ? auth[o.cloud.slice(5)] : cloud[o.cloud];
      // a YAML list of words (clouds.yaml `auth_methods: [v3password, v3totp]`) reads as "a,b"
      const v = Array.isArray(raw) && raw.every((x) => typeof x === 'string') ? raw.join(',') : raw;
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
        if (v === '') continue;
        const value = valueOf(o, typeof v === 'boolean' ? v : String(v), 'cloud', `clouds.yaml ${o.cloud}`);
        out[attr] = o.negateCloud && typeof value === 'boolean' ? !value : value;
      }
    }
  }
  return out;
}

/**
 * The global flags typed so far on a command line, as the flags {@link readSettings} takes, from
 * the completion engine's analysis (long flag → value; `true` for a switch): `--os-cloud prod` →
 * `{osCloud: 'prod'}`, `--no-cache` → `{cache: false}`.
 */
export function flagsFromWords(typed: Record<string, string | true>): Partial<Record<SettingName, string | boolean>> {
  const out: Partial<Record<SettingName, string | boolean>> = {};
  for (const o of GLOBAL_OPTIONS as readonly GlobalOptionSpec[]) {
    const long = longFlag(o);
    const v = typed[long];
    if (v === undefined) continue;
    if (takesValue(o)) {
      if (typeof v === 'string') out[attrOf(o)] = v;
    } else out[attrOf(o)] = !long.startsWith('--no-');
  }
  return out;
}
