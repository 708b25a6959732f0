/**
 * An authenticated session: adds `X-Auth-Token` to each request and, on HTTP 401, drops the
 * token, authenticates once more and replays the request once — never in a loop, and
 * concurrent requests share the one re-authentication (the provider is single-flight).
 * Modelled on keystoneauth's `Session.request` (`allow_reauth`) and octokit's auth hook.
 */
import { ApiError } from './errors.js';
import type { HttpRequest, HttpResponse, Transport } from './transport.js';

/** Where tokens come from; implemented by identity's Authenticator. */
export interface TokenProvider {
  /** A token valid for now. @throws on authentication failure */
  getToken(): Promise<string>;
  /** Marks `token` as refused by a service, so the next getToken() authenticates. */
  invalidate(token: string): Promise<void>;
}

export class Session {
  /** How many requests were replayed after a 401 (for tests and --debug). */
  reauthCount = 0;

  constructor(
    private readonly transport: Transport,
    private readonly tokens: TokenProvider,
    private readonly debug?: (line: string) => void,
  ) {}

  /**
   * Sends `req` without a token (documents every client may read, such as Nova's version document).
   * @throws ApiError, NetworkError, TimeoutError
   */
  anonymous(req: HttpRequest): Promise<HttpResponse> {
    return this.transport.request(req);
  }

  /**
   * Sends `req` with a token.
   * @throws ApiError (incl. the second 401), NetworkError, TimeoutError, auth errors
   */
  async request(req: HttpRequest): Promise<HttpResponse> {
    const token = await this.tokens.getToken();
    try {
      return await this.transport.request({ ...req, headers: { ...req.headers, 'X-Auth-Token': token } });
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 401) throw e;
      this.debug?.(`${req.method} ${e.url} answered 401: re-authenticating once`);
      await this.tokens.invalidate(token);
      this.reauthCount++;
      const fresh = await this.tokens.getToken();
      return this.transport.request({ ...req, headers: { ...req.headers, 'X-Auth-Token': fresh } });
    }
  }
}
