/**
 * Federated login with OpenID Connect, as keystoneauth's v3oidc* plugins
 * (keystoneauth1/identity/v3/oidc.py): an access token from the IdP's token endpoint (resource
 * owner password, client credentials, authorization code with PKCE in the browser, device
 * authorization RFC 8628, or one given), sent as `Authorization: Bearer` to Keystone's
 * `POST /v3/OS-FEDERATION/identity_providers/{idp}/protocols/{protocol}/auth` (api-ref identity
 * v3-ext "Request an unscoped OS-FEDERATION token"), whose unscoped token is then exchanged for a
 * project-scoped one (`POST /v3/auth/tokens`, method `token`). `v3websso` gets the unscoped token
 * from Keystone's WebSSO page instead (`GET /v3/auth/OS-FEDERATION/identity_providers/{idp}/
 * protocols/{protocol}/websso?origin=…`, the token posted back to the origin). Never prints or
 * logs a client secret, access/refresh/ID token, code or PKCE verifier.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { AuthOptions, OidcMethod, Scope } from '../config/options.js';
import { ConfigError } from '../errors.js';
import { ApiError, NetworkError } from '../http/errors.js';
import { parseJson, type HttpResponse, type Transport } from '../http/transport.js';
import { OIDC_TYPE_NAMES } from '../config/oidc-options.js';
import { browserLogin, readBody, type LoginUi } from './browser-login.js';
import { AuthError, authenticate } from './keystone.js';
import { projectsOfToken } from './projects.js';
import type { CachedToken } from './token-cache.js';

/** RFC 8628's grant type. */
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
/** The trusted dashboard URL ncli listens on for Keystone's WebSSO (keystoneauth-websso's port). */
export const WEBSSO_PORT = 9990;
const WEBSSO_PATH = '/auth/websso/';
const IDP = 'identity provider';

/** The IdP endpoints a login needs (from the discovery document, or given). */
interface Endpoints {
  token?: string;
  authorization?: string;
  device?: string;
  grantTypes?: string[];
}

const b64url = (b: Buffer) => b.toString('base64url');
const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

/** The OAuth 2.0 error of an IdP answer (RFC 6749 5.2: `error`, `error_description`). */
function oauthError(e: ApiError): { error?: string; description?: string } {
  try {
    const j = JSON.parse(e.body ?? '') as Record<string, unknown>;
    return { error: str(j.error), description: str(j.error_description) };
  } catch {
    return {};
  }
}

/** The one line for an IdP that cannot be reached or answers with a server error. */
function idpTrouble(e: unknown, url: string): unknown {
  const origin = new URL(url).origin;
  if (e instanceof NetworkError) {
    return new AuthError(
      `Cannot reach the identity provider at ${origin}: ${e.reason}; check that it is up and --os-discovery-endpoint / --os-access-token-endpoint.`,
      { cause: e },
    );
  }
  if (e instanceof ApiError && e.status >= 500) {
    return new AuthError(
      `The identity provider at ${origin} failed: ${e.serverMessage} (HTTP ${e.status}); try again later.`,
    );
  }
  return e;
}

/**
 * The IdP's endpoints: from the discovery document (OpenID Connect Discovery 1.0) when one is
 * configured, with a given token / device endpoint taking precedence.
 * @throws AuthError (IdP unreachable), NcliError `BAD_RESPONSE`
 */
async function endpoints(transport: Transport, m: OidcMethod): Promise<Endpoints> {
  const given: Endpoints = { token: m.tokenEndpoint, device: m.deviceAuthorizationEndpoint };
  if (!m.discoveryEndpoint) return given;
  let res: HttpResponse;
  try {
    res = await transport.request({ method: 'GET', url: m.discoveryEndpoint, service: IDP });
  } catch (e) {
    throw idpTrouble(e, m.discoveryEndpoint);
  }
  const doc = parseJson<Record<string, unknown>>(res, 'GET', m.discoveryEndpoint, IDP);
  const grants = doc.grant_types_supported;
  return {
    token: given.token ?? str(doc.token_endpoint),
    authorization: str(doc.authorization_endpoint),
    device: given.device ?? str(doc.device_authorization_endpoint),
    grantTypes: Array.isArray(grants) ? grants.filter((g): g is string => typeof g === 'string') : undefined,
  };
}

/** Client authentication (RFC 6749 2.3.1): HTTP Basic with a secret, else `client_id` in the form. */
function withClient(
  m: OidcMethod,
  form: Record<string, string>,
): { form: Record<string, string>; headers: Record<string, string> } {
  if (m.clientSecret && m.clientId) {
    const basic = Buffer.from(`${encodeURIComponent(m.clientId)}:${encodeURIComponent(m.clientSecret)}`).toString(
      'base64',
    );
    return { form, headers: { Authorization: `Basic ${basic}` } };
  }
  return { form: m.clientId ? { ...form, client_id: m.clientId } : form, headers: {} };
}

/**
 * One POST to an IdP endpoint with client authentication (never replayed: codes are single-use).
 * @returns the JSON answer
 * @throws ApiError for 4xx (the caller reads the OAuth error), AuthError (unreachable, 5xx)
 */
async function idpPost(transport: Transport, m: OidcMethod, url: string, form: Record<string, string>) {
  const c = withClient(m, form);
  let res: HttpResponse;
  try {
    res = await transport.request({ method: 'POST', url, form: c.form, headers: c.headers, service: IDP });
  } catch (e) {
    throw idpTrouble(e, url);
  }
  return parseJson<Record<string, unknown>>(res, 'POST', url, IDP);
}

/** The one line for the token endpoint refusing a grant. */
function refusedGrant(e: ApiError, m: OidcMethod, grant: string): AuthError {
  const { error, description } = oauthError(e);
  const origin = new URL(e.url).origin;
  const why = `${description ?? e.serverMessage} (${error ?? `HTTP ${e.status}`})`;
  const client = `client '${m.clientId ?? '?'}'`;
  if (error === 'invalid_grant' && m.grant === 'password') {
    return new AuthError(
      `The identity provider at ${origin} refused user '${m.username}': ${why}; check the user name and password at the identity provider (--os-username / --os-password).`,
    );
  }
  if (error === 'invalid_client') {
    return new AuthError(
      `The identity provider at ${origin} refused ${client}: ${why}; check --os-client-id and --os-client-secret.`,
    );
  }
  if (
    error === 'unauthorized_client' ||
    error === 'unsupported_grant_type' ||
    /grant.?type.*not allowed|not allowed.*grant/i.test(description ?? '')
  ) {
    return new AuthError(
      `The identity provider at ${origin} does not allow ${client} the ${grant} grant: ${why}; use a client registered for it, or another auth type than ${OIDC_TYPE_NAMES[m.grant]}.`,
    );
  }
  return new AuthError(`The identity provider at ${origin} refused the ${grant} grant for ${client}: ${why}.`);
}

/** The access token of a token endpoint answer. @throws AuthError when there is none */
function accessTokenOf(body: Record<string, unknown>, url: string): string {
  const at = str(body.access_token);
  if (!at) throw new AuthError(`The identity provider's token endpoint ${url} answered without an access_token.`);
  return at;
}

function needEndpoint(url: string | undefined, what: string, flag: string): string {
  if (url) return url;
  throw new ConfigError(`The identity provider's ${what} is not known: pass ${flag} (or --os-discovery-endpoint).`);
}

/** Grant request at the token endpoint. @throws AuthError with the cause and fix */
async function tokenGrant(transport: Transport, m: OidcMethod, eps: Endpoints, form: Record<string, string>) {
  const url = needEndpoint(eps.token, 'token endpoint', '--os-access-token-endpoint');
  try {
    return await idpPost(transport, m, url, form);
  } catch (e) {
    if (e instanceof ApiError)
      throw refusedGrant(e, m, form.grant_type === DEVICE_GRANT ? 'device code' : form.grant_type);
    throw e;
  }
}

/** PKCE (RFC 7636, S256): a fresh verifier and its challenge. */
function pkce(): { verifier: string; challenge: string } {
  const verifier = b64url(randomBytes(32));
  return { verifier, challenge: b64url(createHash('sha256').update(verifier).digest()) };
}

/**
 * The authorization code flow in the browser (RFC 8252): a loopback redirect on a free port of
 * 127.0.0.1, PKCE and `state`; the code is exchanged at the token endpoint.
 */
async function authCodeToken(transport: Transport, m: OidcMethod, eps: Endpoints, ui: LoginUi): Promise<string> {
  const authz = needEndpoint(eps.authorization, 'authorization endpoint', '--os-discovery-endpoint');
  const { verifier, challenge } = pkce();
  const state = b64url(randomBytes(16));
  let redirectUri = '';
  const code = await browserLogin<string>({
    port: 0,
    ui,
    what: 'sign in at the identity provider',
    hint: 'run `ncli auth login --no-browser` and open the URL it prints, or use --os-auth-type v3oidcdeviceauthz from a remote shell',
    url: (port) => {
      redirectUri = `http://127.0.0.1:${port}/callback`;
      const q = new URLSearchParams({
        response_type: 'code',
        client_id: m.clientId ?? '',
        redirect_uri: redirectUri,
        scope: m.scope,
        state,
        code_challenge: challenge,
        code_challenge_method: 'S256',
      });
      return `${authz}${authz.includes('?') ? '&' : '?'}${q.toString()}`;
    },
    handle: (_req, url) => {
      if (url.pathname !== '/callback') return Promise.resolve(undefined);
      // a callback of another login (or a forged one) is not ours: ignore it, keep waiting
      if (url.searchParams.get('state') !== state) return Promise.resolve(undefined);
      const error = url.searchParams.get('error');
      if (error) {
        const d = url.searchParams.get('error_description');
        return Promise.resolve({
          error: new AuthError(
            `The identity provider did not sign you in: ${d ?? error} (${error}); try again, or check the client's settings.`,
          ),
        });
      }
      const c = url.searchParams.get('code');
      return Promise.resolve(c ? { done: c } : undefined);
    },
  });
  const body = await tokenGrant(transport, m, eps, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: redirectUri,
    code_verifier: verifier,
  });
  return accessTokenOf(body, eps.token!);
}

/** The device authorization grant (RFC 8628): print the URL and code, poll the token endpoint. */
async function deviceToken(
  transport: Transport,
  m: OidcMethod,
  eps: Endpoints,
  ui: LoginUi,
  sleep: (ms: number) => Promise<void>,
): Promise<string> {
  const url = needEndpoint(eps.device, 'device authorization endpoint', '--os-device-authorization-endpoint');
  const { verifier, challenge } = pkce();
  let start: Record<string, unknown>;
  try {
    start = await idpPost(transport, m, url, {
      scope: m.scope,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
  } catch (e) {
    if (e instanceof ApiError) throw refusedGrant(e, m, 'device code');
    throw e;
  }
  const deviceCode = str(start.device_code);
  const userCode = str(start.user_code);
  const uri = str(start.verification_uri_complete) ?? str(start.verification_uri);
  if (!deviceCode || !userCode || !uri) {
    throw new AuthError(`The identity provider's device authorization endpoint ${url} answered without a code.`);
  }
  ui.say(`To sign in, open ${uri} in a browser (on any device) and confirm the code ${userCode}.`);
  let interval = (typeof start.interval === 'number' ? start.interval : 5) * 1000;
  const expiresIn = (typeof start.expires_in === 'number' ? start.expires_in : 600) * 1000;
  const deadline = Date.now() + Math.min(expiresIn, ui.timeoutMs ?? expiresIn);
  const tokenUrl = needEndpoint(eps.token, 'token endpoint', '--os-access-token-endpoint');
  for (;;) {
    await sleep(interval);
    try {
      const body = await idpPost(transport, m, tokenUrl, {
        grant_type: DEVICE_GRANT,
        device_code: deviceCode,
        code_verifier: verifier,
      });
      return accessTokenOf(body, tokenUrl);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      const { error } = oauthError(e);
      if (error === 'slow_down') interval += 5000;
      else if (error === 'access_denied') {
        throw new AuthError('The sign-in was denied at the identity provider; run the command again to retry.');
      } else if (error === 'expired_token') {
        throw new AuthError('The device code expired before the sign-in was confirmed; run the command again.');
      } else if (error !== 'authorization_pending') throw refusedGrant(e, m, 'device code');
    }
    if (Date.now() > deadline) {
      throw new AuthError(
        `Nobody confirmed the code ${userCode} at ${uri} within ${Math.round((deadline - Date.now() + expiresIn) / 60_000)} min; run the command again.`,
      );
    }
  }
}

/**
 * The IdP's access token for this login.
 * @throws AuthError, ConfigError (an access token needed and none given)
 */
async function accessToken(
  transport: Transport,
  m: OidcMethod,
  ui: LoginUi,
  sleep: (ms: number) => Promise<void>,
): Promise<string> {
  if (m.grant === 'access_token') {
    if (!m.accessToken) {
      throw new ConfigError(
        'v3oidcaccesstoken needs an access token from the identity provider: pass --os-access-token or set OS_ACCESS_TOKEN.',
      );
    }
    return m.accessToken;
  }
  const eps = await endpoints(transport, m);
  const wanted = m.grant === 'device' ? DEVICE_GRANT : m.grant === 'authcode' ? 'authorization_code' : m.grant;
  if (eps.grantTypes && !eps.grantTypes.includes(wanted)) {
    throw new AuthError(
      `The identity provider does not offer the ${wanted} grant (its discovery document lists ${eps.grantTypes.join(', ')}); use another auth type than ${OIDC_TYPE_NAMES[m.grant]}.`,
    );
  }
  if (m.grant === 'password') {
    const body = await tokenGrant(transport, m, eps, {
      grant_type: 'password',
      username: m.username ?? '',
      password: m.password ?? '',
      scope: m.scope,
    });
    return accessTokenOf(body, eps.token!);
  }
  if (m.grant === 'client_credentials') {
    const body = await tokenGrant(transport, m, eps, { grant_type: 'client_credentials', scope: m.scope });
    return accessTokenOf(body, eps.token!);
  }
  if (m.grant === 'device') return deviceToken(transport, m, eps, ui, sleep);
  return authCodeToken(transport, m, eps, ui);
}

function federationPath(m: OidcMethod): string {
  return `identity_providers/${encodeURIComponent(m.identityProvider)}/protocols/${encodeURIComponent(m.protocol)}`;
}

/**
 * Keystone's unscoped federated token for an access token (the Bearer token checked by the
 * OpenID Connect module in front of Keystone, the claims mapped by Keystone's mapping).
 * @throws AuthError: the access token refused (expired, revoked), no mapping for the user, no
 *   such identity provider / protocol, Keystone unreachable
 */
async function federatedToken(transport: Transport, auth: AuthOptions, m: OidcMethod, at: string): Promise<string> {
  const url = `${auth.authUrl}/OS-FEDERATION/${federationPath(m)}/auth`;
  let res: HttpResponse;
  try {
    // creating a token twice is harmless: retried like keystone.ts's POST /auth/tokens
    res = await transport.request({
      method: 'POST',
      url,
      headers: { Authorization: `Bearer ${at}` },
      service: 'identity',
      idempotent: true,
    });
  } catch (e) {
    if (e instanceof NetworkError) {
      throw new AuthError(`Cannot reach Keystone at ${auth.authUrl}: ${e.reason}.`, { cause: e, hint: 'auth-url' });
    }
    if (!(e instanceof ApiError)) throw e;
    const bearer = e.headers?.['www-authenticate'] ?? '';
    const where = `Keystone at ${auth.authUrl}`;
    if (e.status === 401 && /error="?invalid_token/i.test(bearer)) {
      const d = /error_description="([^"]*)"/i.exec(bearer)?.[1];
      throw new AuthError(
        `${where} refused the access token${d ? ` (${d})` : ''}: it has expired or was revoked; ${m.grant === 'access_token' ? 'get a new one from the identity provider (--os-access-token)' : 'log in again'}.`,
      );
    }
    if (e.status === 401 || e.status === 403) {
      throw new AuthError(
        `${where} has no mapping for this user of identity provider '${m.identityProvider}' (protocol ${m.protocol}): ${e.serverMessage} (HTTP ${e.status}); ask the cloud's operators to map the user or one of their groups to a project.`,
      );
    }
    if (e.status === 404) {
      throw new AuthError(
        `${where} has no identity provider '${m.identityProvider}' with protocol '${m.protocol}' (HTTP 404: ${e.serverMessage}); check --os-identity-provider and --os-protocol.`,
      );
    }
    throw e;
  }
  const token = res.headers['x-subject-token'];
  if (!token) throw new AuthError(`${url} answered without an X-Subject-Token header.`);
  return token;
}

/** Keystone's WebSSO in the browser: the unscoped token posted back to ncli's trusted dashboard URL. */
async function webSsoToken(auth: AuthOptions, m: OidcMethod, ui: LoginUi): Promise<string> {
  const origin = `http://127.0.0.1:${WEBSSO_PORT}${WEBSSO_PATH}`;
  return browserLogin<string>({
    port: WEBSSO_PORT,
    ui,
    what: 'sign in through Keystone (WebSSO)',
    hint: `run \`ncli auth login --no-browser\` and open the URL it prints (the cloud must trust ${origin} as a WebSSO dashboard)`,
    url: () => `${auth.authUrl}/auth/OS-FEDERATION/${federationPath(m)}/websso?origin=${encodeURIComponent(origin)}`,
    handle: async (req, url) => {
      if (req.method !== 'POST' || url.pathname !== WEBSSO_PATH) return undefined;
      const token = new URLSearchParams(await readBody(req)).get('token');
      return token ? { done: token } : undefined;
    },
  });
}

/**
 * The scope to ask for: the configured one, else the user's only project.
 * @throws AuthError when no scope is configured and the user has none or several projects
 */
async function scopeFor(transport: Transport, auth: AuthOptions, unscoped: string): Promise<Scope> {
  if (auth.scope) return auth.scope;
  const projects = await projectsOfToken(transport, auth.authUrl, unscoped);
  if (projects.length === 1) return { project: { id: projects[0].id } };
  throw new AuthError(
    projects.length === 0
      ? `Keystone at ${auth.authUrl} gives this federated user no project; ask the cloud's operators for a role on one.`
      : `This federated user may use ${projects.length} projects (${projects.map((p) => p.name).join(', ')}); choose one with --os-project-name.`,
  );
}

/**
 * A federated login to a scoped Keystone token (see the module comment).
 * @param ui how to talk to the person (device code, browser); default: lines on stderr, no browser
 * @param sleep the device flow's poll wait (tests)
 * @throws AuthError (one line: the IdP unreachable, a wrong IdP password, a client not allowed the
 *   grant, no mapping, an expired access token, the browser not back in time…), ConfigError
 */
export async function authenticateOidc(
  transport: Transport,
  auth: AuthOptions,
  ui: LoginUi = { say: (l) => process.stderr.write(`${l}\n`) },
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<CachedToken> {
  const m = auth.method as OidcMethod;
  const unscoped =
    m.grant === 'websso'
      ? await webSsoToken(auth, m, ui)
      : await federatedToken(transport, auth, m, await accessToken(transport, m, ui, sleep));
  const scope = await scopeFor(transport, auth, unscoped);
  try {
    return await authenticate(transport, { authUrl: auth.authUrl, method: { type: 'token', token: unscoped }, scope });
  } catch (e) {
    if (!(e instanceof AuthError) || e.code !== 'AUTH') throw e;
    const what =
      'project' in scope
        ? `project ${scope.project.name ?? scope.project.id}`
        : `domain ${scope.domain.name ?? scope.domain.id}`;
    throw new AuthError(
      `Keystone at ${auth.authUrl} does not let this federated user into ${what}; check --os-project-name (its mapping gives other projects), or ask the cloud's operators.`,
    );
  }
}
