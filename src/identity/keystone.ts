/**
 * Keystone v3 authentication (api-ref identity/v3 "Password authentication with scoped
 * authorization", "Authenticating with an Application Credential", "Token authentication"):
 * `POST {auth_url}/auth/tokens`, the token from the `X-Subject-Token` header, `expires_at` and
 * the catalog from the body. {@link Authenticator} adds the cache, the safety margin and
 * single-flight re-authentication; it implements the session's {@link TokenProvider}.
 */
import type { AuthOptions, ResolvedConfig } from '../config/options.js';
import { NcliError, type NcliErrorOptions } from '../errors.js';
import { ApiError, NetworkError } from '../http/errors.js';
import type { TokenProvider } from '../http/session.js';
import { parseJson, type Transport } from '../http/transport.js';
import { checkShape, v } from '../http/shape.js';
import { CatalogServiceSchema, selectEndpoint } from './catalog.js';
import { cacheKey, type CachedToken, type TokenStore } from './token-cache.js';

/** A token whose expiry is closer than this is renewed first (keystoneauth: MIN_TOKEN_LIFE_SECONDS = 120). */
export const TOKEN_MARGIN_MS = 120_000;

/** Service types whose catalog entries are kept in the cache. */
const CACHED_TYPES = new Set(['compute', 'image']);

/** Authentication failed; the message names who, where, and what to check. */
export class AuthError extends NcliError {
  override readonly name = 'AuthError';
  constructor(message: string, options: NcliErrorOptions & { code?: 'AUTH' | 'MFA_REQUIRED' } = {}) {
    super(options.code ?? 'AUTH', message, options);
  }
}

/** The JSON body of `POST /v3/auth/tokens` for these options (see the api-ref samples). */
export function authRequestBody(auth: AuthOptions): unknown {
  const m = auth.method;
  const user = (u: { userId?: string; username?: string; userDomainId?: string; userDomainName?: string }) =>
    u.userId
      ? { id: u.userId }
      : { name: u.username, domain: u.userDomainId ? { id: u.userDomainId } : { name: u.userDomainName } };
  let identity: unknown;
  if (m.type === 'password') {
    identity = { methods: ['password'], password: { user: { ...user(m), password: m.password } } };
  } else if (m.type === 'application_credential') {
    identity = {
      methods: ['application_credential'],
      application_credential: m.id ? { id: m.id, secret: m.secret } : { name: m.name, secret: m.secret, user: user(m) },
    };
  } else {
    identity = { methods: ['token'], token: { id: m.token } };
  }
  // Application credentials carry their own scope; Keystone refuses a scope in the request.
  if (m.type === 'application_credential' || !auth.scope) return { auth: { identity } };
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

/** The parts of Keystone's token body ncli reads (`POST /v3/auth/tokens` → 201 `{"token": {…}}`). */
const TokenBodySchema = v.object({
  token: v.looseObject({
    expires_at: v.string(),
    user: v.optional(v.looseObject({ id: v.optional(v.string()), name: v.optional(v.string()) })),
    project: v.optional(v.looseObject({ id: v.optional(v.string()), name: v.optional(v.string()) })),
    catalog: v.optional(v.array(CatalogServiceSchema)),
  }),
});

function describeUser(auth: AuthOptions): string {
  const m = auth.method;
  if (m.type === 'password') {
    const dom = m.userDomainName ?? m.userDomainId;
    return `user '${m.username ?? m.userId}'${dom && !m.userId ? ` (domain ${dom})` : ''}`;
  }
  if (m.type === 'application_credential') return `application credential '${m.id ?? m.name}'`;
  return 'the given token';
}

/**
 * Authenticates once against Keystone.
 * @returns the token and what to cache with it
 * @throws AuthError (401/403/404 from Keystone, with the cause and fix), NetworkError, TimeoutError
 */
export async function authenticate(transport: Transport, auth: AuthOptions): Promise<CachedToken> {
  const url = `${auth.authUrl}/auth/tokens`;
  const headers: Record<string, string> = {};
  if (auth.method.type === 'token') headers['X-Auth-Token'] = auth.method.token;
  let res;
  try {
    // Creating a token twice is harmless: a Keystone answering 503 or dropping the connection is retried.
    res = await transport.request({
      method: 'POST',
      url,
      json: authRequestBody(auth),
      headers,
      service: 'identity',
      idempotent: true,
    });
  } catch (e) {
    if (e instanceof ApiError && (e.status === 401 || e.status === 403)) {
      const hint =
        auth.method.type === 'password'
          ? 'check the user name, password, user domain and project'
          : auth.method.type === 'application_credential'
            ? 'check the application credential ID and secret (it may be expired or deleted)'
            : 'the token is invalid or expired; get a new one';
      throw new AuthError(
        `Keystone at ${auth.authUrl} refused ${describeUser(auth)}: ${e.serverMessage} (HTTP ${e.status}${e.requestId ? `, request ${e.requestId}` : ''}); ${hint}.`,
      );
    }
    if (e instanceof ApiError && e.status === 404) {
      throw new AuthError(
        `Keystone at ${auth.authUrl} answered 404 for /auth/tokens (${e.serverMessage}); check the auth URL (it should be Keystone's v3 URL).`,
      );
    }
    if (e instanceof NetworkError) {
      throw new AuthError(`Cannot reach Keystone at ${auth.authUrl}: ${e.reason}.`, {
        cause: e,
        hint: e.code === 'TLS' ? 'trust-ca' : 'auth-url',
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

  constructor(
    private readonly cfg: ResolvedConfig,
    private readonly transport: Transport,
    private readonly store: TokenStore | null,
    private readonly now: () => number = Date.now,
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
    if (this.store) {
      const hit = await this.store.get(this.key);
      if (hit && hit.expiresAt - this.now() > TOKEN_MARGIN_MS) {
        this.current = hit;
        this.fromCache = true;
        return hit;
      }
    }
    this.authCount++;
    const fresh = await authenticate(this.transport, this.cfg.auth);
    this.current = fresh;
    this.fromCache = false;
    if (this.store) await this.store.set(this.key, fresh).catch(() => undefined);
    return fresh;
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

  /** Removes this identity's cache entry (`ncli auth logout`). */
  async forget(): Promise<void> {
    this.current = undefined;
    if (this.store) await this.store.delete(this.key);
  }

  /**
   * The endpoint URL of a service from the token's catalog, by the configured interface and region.
   * @throws NcliError `ENDPOINT_NOT_FOUND`
   */
  async endpoint(type: string): Promise<string> {
    const st = await this.state();
    try {
      return selectEndpoint(st.catalog, type, this.cfg.interface, this.cfg.regionName);
    } catch (e) {
      // A catalog from the cache may be older than the cloud's (a service or region added since):
      // ask Keystone once more before saying the endpoint does not exist.
      if (!this.fromCache) throw e;
      await this.invalidate(st.token);
      const fresh = await this.state();
      return selectEndpoint(fresh.catalog, type, this.cfg.interface, this.cfg.regionName);
    }
  }
}
