/**
 * Keystone v3 authentication (api-ref identity/v3 "Password authentication with scoped
 * authorization", "Authenticating with an Application Credential", "Token authentication"):
 * `POST {auth_url}/auth/tokens`, the token from the `X-Subject-Token` header, `expires_at` and
 * the catalog from the body. {@link Authenticator} adds the cache, the safety margin and
 * single-flight re-authentication; it implements the session's {@link TokenProvider}.
 */
import type { AuthMethod, AuthOptions, ResolvedConfig, TotpMethod } from '../config/options.js';
import { NcliError, type NcliErrorOptions } from '../errors.js';
import { ApiError, NetworkError } from '../http/errors.js';
import type { TokenProvider } from '../http/session.js';
import { parseJson, type Transport } from '../http/transport.js';
import * as v from 'valibot';
import { checkShape } from '../http/shape.js';
import { AmbiguousEndpointError, CatalogServiceSchema, selectEndpoint } from './catalog.js';
import { TokenProjectSchema } from './projects.js';
import { cacheKey, entryVerifier, usableEntry, type CachedToken, type TokenStore } from './token-cache.js';
import type { LoginUi } from './browser-login.js';

/** A token whose expiry is closer than this is renewed first (keystoneauth: MIN_TOKEN_LIFE_SECONDS = 120). */
export const TOKEN_MARGIN_MS = 120_000;

/** Service types whose catalog entries are kept in the cache. */
const CACHED_TYPES = new Set(['compute', 'image', 'network', 'block-storage', 'volumev3', 'volume']);

/** Authentication failed; the message names who, where, and what to check. */
export class AuthError extends NcliError {
  override readonly name = 'AuthError';
  constructor(message: string, options: NcliErrorOptions & { code?: 'AUTH' | 'MFA_REQUIRED' } = {}) {
    super(options.code ?? 'AUTH', message, options);
  }
}

type UserRef = { userId?: string; username?: string; userDomainId?: string; userDomainName?: string };

function userOf(u: UserRef): unknown {
  return u.userId
    ? { id: u.userId }
    : { name: u.username, domain: u.userDomainId ? { id: u.userDomainId } : { name: u.userDomainName } };
}

/** One identity method's entry in the body: its name and its object (api-ref identity "Authentication"). */
function methodEntry(m: AuthMethod): [string, unknown] {
  switch (m.type) {
    case 'password':
      return ['password', { user: { ...(userOf(m) as object), password: m.password } }];
    case 'application_credential':
      return [
        'application_credential',
        m.id ? { id: m.id, secret: m.secret } : { name: m.name, secret: m.secret, user: userOf(m) },
      ];
    case 'totp':
      // keystone/auth/plugins/totp.py: {"user": {"id"|"name"+"domain", "passcode"}}
      return ['totp', { user: { ...(userOf(m) as object), passcode: m.passcode } }];
    case 'token':
      return ['token', { id: m.token }];
    case 'oidc': // federated logins go through ./oidc.ts, never into this body
      throw new Error('internal error: no identity method entry for a federated login');
  }
}

/**
 * The JSON body of `POST /v3/auth/tokens` (see the api-ref samples): every method given (the
 * primary one, and a second factor when it has its passcode), or, answering an auth receipt, only
 * the methods the receipt still lacks; and the scope.
 * @param methods the methods to send; by default the primary method and a second factor with a passcode
 */
export function authRequestBody(auth: AuthOptions, methods?: AuthMethod[]): unknown {
  const list = methods ?? [auth.method, ...(auth.secondFactor?.passcode ? [auth.secondFactor] : [])];
  const entries = list.map(methodEntry);
  const identity = { methods: entries.map(([name]) => name), ...Object.fromEntries(entries) };
  // Application credentials carry their own scope; Keystone refuses a scope in the request.
  if (auth.method.type === 'application_credential' || !auth.scope) return { auth: { identity } };
  let scope: unknown;
  if ('project' in auth.scope) {
    const p = auth.scope.project;
    scope = {
      project: p.id ? { id: p.id } : { name: p.name, domain: p.domainId ? { id: p.domainId } : { name: p.domainName } },
    };
  } else {
    const d = auth.scope.domain;
    scope = { domain: d.id ? { id: d.id } : { name: d.name } };
  }
  return { auth: { identity, scope } };
}

/**
 * Keystone's answer when rules for multi-factor auth are not met yet (keystone/auth/core.py
 * `AuthInfo`; keystoneauth1/exceptions/auth.py `MissingAuthMethods`): 401 with an
 * `Openstack-Auth-Receipt` header and this body.
 */
const ReceiptBodySchema = v.looseObject({
  receipt: v.looseObject({ methods: v.array(v.string()), expires_at: v.optional(v.string()) }),
  required_auth_methods: v.array(v.array(v.string())),
});

/** Asks the person at the terminal for a secret, without echo; undefined when there is nobody to ask. */
export type AskSecret = (question: string) => Promise<string>;

/** The parts of Keystone's token body ncli reads (`POST /v3/auth/tokens` → 201 `{"token": {…}}`). */
const TokenBodySchema = v.object({
  token: v.looseObject({
    expires_at: v.string(),
    user: v.optional(v.looseObject({ id: v.optional(v.string()), name: v.optional(v.string()) })),
    project: v.optional(TokenProjectSchema),
    catalog: v.optional(v.array(CatalogServiceSchema)),
  }),
});

function describeUser(auth: AuthOptions): string {
  const m = auth.method;
  if (m.type === 'password' || m.type === 'totp') {
    const dom = m.userDomainName ?? m.userDomainId;
    return `user '${m.username ?? m.userId}'${dom && !m.userId ? ` (domain ${dom})` : ''}`;
  }
  if (m.type === 'application_credential') return `application credential '${m.id ?? m.name}'`;
  return 'the given token';
}

/** The one line for Keystone refusing the credentials (401/403). */
function refused(auth: AuthOptions, e: ApiError, passcodeSent: boolean): AuthError {
  const m = auth.method;
  const hint =
    m.type === 'password'
      ? passcodeSent
        ? 'check the user name, password and TOTP passcode (it changes every 30 s), the user domain and project'
        : 'check the user name, password, user domain and project'
      : m.type === 'application_credential'
        ? 'check the application credential ID and secret (it may be expired or deleted)'
        : m.type === 'totp'
          ? 'check the user name and the TOTP passcode (it changes every 30 s)'
          : 'the token is invalid or expired';
  return new AuthError(
    `Keystone at ${auth.authUrl} refused ${describeUser(auth)}: ${e.serverMessage} (HTTP ${e.status}${e.requestId ? `, request ${e.requestId}` : ''}); ${hint}.`,
    m.type === 'token' ? { hint: 'os-token' } : {},
  );
}

/**
 * The methods a receipt still lacks: of Keystone's rules (`required_auth_methods`), the one needing
 * the fewest methods beyond those already satisfied (`receipt.methods`).
 */
function missingMethods(body: v.InferOutput<typeof ReceiptBodySchema>): string[] {
  const have = new Set(body.receipt.methods);
  const options = body.required_auth_methods.map((rule) => rule.filter((m) => !have.has(m)));
  options.sort((a, b) => a.length - b.length);
  return options[0] ?? [];
}

/**
 * Authenticates once against Keystone (`POST {auth_url}/auth/tokens`). A user under multi-factor
 * rules first gets an auth receipt (401 with `Openstack-Auth-Receipt`, keystone/auth/core.py);
 * when what is missing is a TOTP passcode, it is the one given, or asked for with `ask` (a
 * terminal), and the login is completed with the receipt, as keystoneauth's `ReceiptMethod` does.
 * @param ask asks for the passcode (no echo); without it a missing passcode is an error
 * @param ui how a federated login talks to the person (browser, device code): see ./oidc.ts
 * @returns the token and what to cache with it
 * @throws AuthError (refused, with the cause and fix; `MFA_REQUIRED` when a passcode is needed and
 *   none can be had), NetworkError, TimeoutError, NcliError `BAD_RESPONSE`
 */
export async function authenticate(
  transport: Transport,
  auth: AuthOptions,
  ask?: AskSecret,
  ui?: LoginUi,
): Promise<CachedToken> {
  // federated (OpenID Connect, WebSSO): src/identity/oidc.ts
  if (auth.method.type === 'oidc') return (await import('./oidc.js')).authenticateOidc(transport, auth, ui);
  const url = `${auth.authUrl}/auth/tokens`;
  const post = (json: unknown, headers: Record<string, string>) =>
    // Creating a token twice is harmless: a Keystone answering 503 or dropping the connection is retried.
    transport.request({ method: 'POST', url, json, headers, service: 'identity', idempotent: true });
  const headers: Record<string, string> = {};
  if (auth.method.type === 'token') headers['X-Auth-Token'] = auth.method.token;
  let passcodeSent = Boolean(auth.secondFactor?.passcode) || auth.method.type === 'totp';
  let res;
  try {
    try {
      if (auth.method.type === 'totp' && !auth.method.passcode) {
        if (!ask) throw mfaRequired(auth, ['totp']);
        res = await post(
          authRequestBody(auth, [{ ...auth.method, passcode: await ask(passcodeQuestion(auth)) }]),
          headers,
        );
      } else {
        res = await post(authRequestBody(auth), headers);
      }
    } catch (e) {
      const receipt = e instanceof ApiError && e.status === 401 ? e.headers?.['openstack-auth-receipt'] : undefined;
      if (!receipt || !(e instanceof ApiError)) throw e;
      const body = checkShape(
        ReceiptBodySchema,
        parseJson({ status: e.status, headers: e.headers ?? {}, text: e.body ?? '' }, 'POST', url, 'identity'),
        {
          method: 'POST',
          url,
          service: 'identity',
          expected: 'an auth receipt',
        },
      );
      const missing = missingMethods(body);
      if (missing.length !== 1 || missing[0] !== 'totp') throw mfaRequired(auth, missing);
      const user =
        auth.method.type === 'application_credential' || auth.method.type === 'token' ? undefined : auth.method;
      if (!user) throw mfaRequired(auth, missing);
      const passcode = auth.secondFactor?.passcode ?? (ask ? await ask(passcodeQuestion(auth)) : undefined);
      if (!passcode) throw mfaRequired(auth, missing);
      passcodeSent = true;
      const totp: TotpMethod = { type: 'totp', ...pickUser(user), passcode };
      res = await post(authRequestBody(auth, [totp]), { ...headers, 'Openstack-Auth-Receipt': receipt });
    }
  } catch (e) {
    if (e instanceof ApiError && (e.status === 401 || e.status === 403)) throw refused(auth, e, passcodeSent);
    if (e instanceof ApiError && e.status === 404 && auth.method.type === 'token') {
      // Keystone answers 404 (TokenNotFound: "Could not recognize Fernet token", "Failed to
      // validate token") for a token it cannot validate: the token is the problem, not the URL.
      throw new AuthError(
        `Keystone at ${auth.authUrl} does not accept the given token (${e.serverMessage}, HTTP 404${e.requestId ? `, request ${e.requestId}` : ''}): it is invalid or expired.`,
        { hint: 'os-token' },
      );
    }
    if (e instanceof ApiError && e.status === 404) {
      throw new AuthError(
        `Keystone at ${auth.authUrl} answered 404 for /auth/tokens (${e.serverMessage}); check the auth URL (it should be Keystone's v3 URL).`,
      );
    }
    if (e instanceof NetworkError) {
      // name where the URL came from: clouds.yaml (the cloud and file), else OS_AUTH_URL / --os-auth-url (hint)
      const tls = e.code === 'TLS';
      const check = !tls && auth.authUrlOrigin ? `; check ${auth.authUrlOrigin}` : '';
      throw new AuthError(`Cannot reach Keystone at ${auth.authUrl}: ${e.reason}${check}.`, {
        cause: e,
        ...(tls ? { hint: 'trust-ca' as const } : check ? {} : { hint: 'auth-url' as const }),
      });
    }
    throw e;
  }
  const token = res.headers['x-subject-token'];
  if (!token)
    throw new AuthError(
      `Keystone at ${auth.authUrl} answered without an X-Subject-Token header; is this really Keystone v3?`,
    );
  const body = checkShape(TokenBodySchema, parseJson(res, 'POST', url, 'identity'), {
    method: 'POST',
    url,
    service: 'identity',
    expected: 'a Keystone v3 token',
  });
  const expiresAt = Date.parse(body.token.expires_at);
  if (Number.isNaN(expiresAt))
    throw new AuthError(`Keystone at ${auth.authUrl} sent a token without a valid expires_at.`);
  return {
    token,
    expiresAt,
    userId: body.token.user?.id,
    projectId: body.token.project?.id,
    projectName: body.token.project?.name,
    catalog: (body.token.catalog ?? []).filter((s) => CACHED_TYPES.has(s.type)),
  };
}

function pickUser(u: UserRef): UserRef {
  return u.userId
    ? { userId: u.userId }
    : { username: u.username, userDomainId: u.userDomainId, userDomainName: u.userDomainName };
}

function passcodeQuestion(auth: AuthOptions): string {
  return `TOTP passcode for ${describeUser(auth)} at ${auth.authUrl}: `;
}

/** `MFA_REQUIRED`: Keystone wants methods this login cannot give (a passcode nobody can type here). */
function mfaRequired(auth: AuthOptions, missing: string[]): AuthError {
  const totpOnly = missing.length === 1 && missing[0] === 'totp';
  return new AuthError(
    totpOnly
      ? `Keystone at ${auth.authUrl} wants a TOTP passcode for ${describeUser(auth)} (multi-factor auth) and there is no terminal to ask for it.`
      : `Keystone at ${auth.authUrl} wants the auth method(s) ${missing.join(' and ') || '(none named)'} for ${describeUser(auth)}, which ncli cannot provide.`,
    { code: 'MFA_REQUIRED', ...(totpOnly ? { hint: 'passcode' as const } : {}) },
  );
}

/**
 * The token source of one ncli run: the cache when it holds a token valid for more than
 * {@link TOKEN_MARGIN_MS}, else Keystone. Concurrent callers share one authentication.
 */
export class Authenticator implements TokenProvider {
  private current?: CachedToken;
  private pending?: Promise<CachedToken>;
  private readonly key: string;
  /** How many times this process asked Keystone for a token (for tests and --debug). */
  authCount = 0;
  /** Whether the current token came from the cache rather than from Keystone in this process. */
  private fromCache = false;
  /** How a federated login talks to the person (browser, device code); set by the CLI. */
  loginUi?: LoginUi;

  /**
   * @param ask asks the person at the terminal for a TOTP passcode when Keystone wants one (none
   *   without a terminal)
   */
  constructor(
    private readonly cfg: ResolvedConfig,
    private readonly transport: Transport,
    private readonly store: TokenStore | null,
    private readonly now: () => number = Date.now,
    private readonly ask?: AskSecret,
  ) {
    this.key = cacheKey(cfg.auth, cfg.regionName);
  }

  /** The token state (cached or fresh). @throws AuthError, NetworkError, TimeoutError */
  async state(): Promise<CachedToken> {
    if (this.current && this.current.expiresAt - this.now() > TOKEN_MARGIN_MS) return this.current;
    this.pending ??= this.load().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async load(): Promise<CachedToken> {
    // --- token cache (src/identity/token-cache.ts): a cached token is used only with the
    // password / application credential secret that obtained it (its verifier in the entry).
    const cached = await this.cached();
    if (cached) return cached;
    // Concurrent cold runs: one logs in (one passcode prompt for an MFA user), the others wait on
    // its lock file and then take the token it stored. The cache is read again with the lock held
    // even when there was nothing to wait for: another run may have logged in, stored its token
    // and released the lock between the read above and this lock (CI: 2 logins for 8 cold runs).
    const lock = await this.store?.lock?.(this.key);
    try {
      if (lock) {
        const theirs = await this.cached();
        if (theirs) return theirs;
      }
      // The verifier (one scrypt, off the main thread) is made while Keystone answers; a refused
      // secret writes nothing, so the entry of the right secret stays.
      const verifier = this.store ? entryVerifier(this.cfg.auth) : undefined;
      this.authCount++;
      const fresh = await authenticate(this.transport, this.cfg.auth, this.ask, this.loginUi);
      this.current = fresh;
      this.fromCache = false;
      if (this.store) await this.store.set(this.key, { ...fresh, verifier: await verifier }).catch(() => undefined);
      return fresh;
    } finally {
      lock?.release();
    }
    // --- end token cache
  }

  /** The cached token when it is usable (valid past the margin, the run's secret matches). */
  private async cached(): Promise<CachedToken | undefined> {
    if (!this.store) return undefined;
    const entry = await this.store.get(this.key);
    const hit =
      entry && entry.expiresAt - this.now() > TOKEN_MARGIN_MS ? await usableEntry(entry, this.cfg.auth) : undefined;
    if (hit) {
      this.current = hit;
      this.fromCache = true;
    }
    return hit;
  }

  /** @see TokenProvider.getToken */
  async getToken(): Promise<string> {
    return (await this.state()).token;
  }

  /** Drops `stale` (from memory and the cache) so the next call authenticates; a newer token is kept. */
  async invalidate(stale: string): Promise<void> {
    if (this.current?.token === stale) {
      this.current = undefined;
      if (this.store) await this.store.delete(this.key).catch(() => undefined);
    }
  }

  /** Logs in anew, replacing this identity's cache entry (`ncli auth login`). */
  async login(): Promise<CachedToken> {
    await this.forget();
    return this.state();
  }

  /** Removes this identity's cache entry (`ncli auth logout`). */
  async forget(): Promise<void> {
    this.current = undefined;
    if (this.store) await this.store.delete(this.key);
  }

  /**
   * The endpoint URL of a service from the token's catalog, by the configured interface and region.
   * A cached catalog without the endpoint is refreshed once with a new login; an ambiguous one
   * (several regions, none chosen) is not.
   * @throws NcliError `ENDPOINT_NOT_FOUND` ({@link AmbiguousEndpointError} for several regions)
   */
  async endpoint(type: string): Promise<string> {
    const st = await this.state();
    try {
      return selectEndpoint(st.catalog, type, this.cfg.interface, this.cfg.regionName);
    } catch (e) {
      // A catalog from the cache may be older than the cloud's (a service or region added since):
      // ask Keystone once more before saying the endpoint does not exist. Not when the endpoint is
      // ambiguous (several regions, none chosen): a fresher catalog cannot fix that, and a login
      // may cost an MFA user a passcode.
      if (!this.fromCache || e instanceof AmbiguousEndpointError) throw e;
      await this.invalidate(st.token);
      const fresh = await this.state();
      return selectEndpoint(fresh.catalog, type, this.cfg.interface, this.cfg.regionName);
    }
  }
}
