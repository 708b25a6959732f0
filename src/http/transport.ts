/**
 * One HTTP request at a time over one undici connection pool per process (keep-alive), with a
 * timeout, bounded retries for idempotent methods, `--debug` logging with secrets redacted and
 * `--timings` records. It knows nothing of tokens: {@link ./session.ts} adds them.
 */
import diagnostics_channel from 'node:diagnostics_channel';
import type { Dispatcher } from 'undici';
// Only the parts of undici ncli uses, by path: undici's index loads every API it has (fetch,
// WebSocket, caches, mocks, …), about 50 ms more at every start (measured with hyperfine on
// `ncli flavor list`, scripts/bench). The paths are undici 7's (pinned ~7.30 in package.json;
// their types in src/undici-parts.d.ts); every transport test goes through them, so a move breaks
// the tests, not users.
import Agent from 'undici/lib/dispatcher/agent.js';
import undiciRequest from 'undici/lib/api/api-request.js';
/** The proxy variables ncli honours, as curl and python-requests do. */
export const PROXY_VARIABLES = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY'] as const;
import { NcliError } from '../errors.js';
import { redactBody, redactHeaders, redactUrl } from '../redact.js';
import { ApiError, NetworkError, TimeoutError } from './errors.js';
import { DEFAULT_RETRY, parseRetryAfter, retryDelay, type RetryPolicy } from './retry.js';
import { ConnectionStore, Connections } from './connections.js';

/**
 * A monotonic clock in milliseconds. Not the global `performance`: its first use loads Node's
 * perf_hooks (11 modules, ~2 ms of every run; issue 21).
 */
function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** One finished call, for `--timings`. `seconds` is wall time including retries. */
export interface Timing {
  method: string;
  url: string;
  status: number | string;
  seconds: number;
}

export interface TransportOptions {
  /** Per-request timeout in seconds (`--timeout`). */
  timeoutSeconds: number;
  /** PEM CA certificates to trust instead of the system's (the bundle of `--os-cacert`). */
  ca?: Buffer;
  /** Skip TLS verification (`--insecure`). */
  insecure?: boolean;
  /** Receives debug lines (already redacted). */
  debug?: (line: string) => void;
  /** Appended to for every request. */
  timings?: Timing[];
  retry?: RetryPolicy;
  /** Tests inject undici's MockAgent here. */
  dispatcher?: Dispatcher;
  /** Injected wait, milliseconds (tests). */
  sleep?: (ms: number) => Promise<void>;
  /**
   * Where what ncli learns about connections is kept between runs (src/http/connections.ts: TLS
   * sessions, origins that close connections; a file in the 0700 cache folder). Undefined: none
   * kept (`--no-cache`), and undici's own connector. Not used through an HTTP(S) proxy.
   */
  connectionsFile?: string;
  /** Where `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` are read (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /**
   * Called once, soon after the first request's headers are on the wire (undici's
   * `undici:client:sendHeaders` diagnostics channel): the run then waits for the answer, a moment
   * to load what comes after it (the table renderer). Not called with an injected `dispatcher`.
   */
  onFirstSend?: () => void;
}

export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  /** Sent as a JSON body with `Content-Type: application/json`. */
  json?: unknown;
  /** Sent as `application/x-www-form-urlencoded` (OAuth 2.0 token requests, RFC 6749). */
  form?: Record<string, string>;
  /** Who is being called, for error messages: `compute`, `identity`. */
  service: string;
  /** Safe to send again although the method is not idempotent (retried like a GET). */
  idempotent?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
  /** `x-openstack-request-id` or `x-compute-request-id`. */
  requestId?: string;
}

const USER_AGENT = 'ncli';

/**
 * Parses the body of a response as JSON.
 * @throws NcliError `BAD_RESPONSE` naming the request, when the body is not JSON (an HTML page is
 *   named by its title: a proxy or a wrong endpoint answering)
 */
export function parseJson<T>(res: HttpResponse, method: string, url: string, service: string): T {
  try {
    return JSON.parse(res.text) as T;
  } catch {
    const html = htmlTitle(res);
    const what =
      html !== undefined
        ? `an HTML page${html ? ` ("${html}")` : ''} instead of JSON; check that the ${service} endpoint URL points at the API`
        : `a body that is not JSON (${res.headers['content-type'] || 'no content type'})`;
    throw new NcliError('BAD_RESPONSE', `${method} ${redactUrl(url)} answered ${what}.`);
  }
}

/** The `<title>` of an HTML body ('' when it has none), or undefined when the body is not HTML. */
function htmlTitle(res: HttpResponse): string | undefined {
  const ct = res.headers['content-type'] ?? '';
  if (!ct.includes('html') && !/^\s*</.test(res.text)) return undefined;
  return /<title>([^<]*)<\/title>/i.exec(res.text)?.[1]?.trim() ?? '';
}

/** The server's own message from a Nova fault, a Keystone error, or an HTML/text body. */
export function errorMessageOf(res: HttpResponse): { message: string; fault?: string } {
  try {
    const body = JSON.parse(res.text) as Record<string, unknown>;
    if (body && typeof body === 'object') {
      const err = body.error as Record<string, unknown> | undefined;
      if (err && typeof err === 'object' && typeof err.message === 'string') return { message: err.message };
      for (const [fault, v] of Object.entries(body)) {
        if (v && typeof v === 'object' && typeof (v as Record<string, unknown>).message === 'string') {
          return { message: (v as { message: string }).message, fault };
        }
      }
      if (typeof body.message === 'string') return { message: body.message };
    }
  } catch {
    /* not JSON */
  }
  if (!res.text.trim()) return { message: statusText(res.status) };
  const title = htmlTitle(res);
  if (title !== undefined) {
    return { message: `${title || statusText(res.status)} (an HTML page, not an API answer: check the endpoint URL)` };
  }
  return { message: res.text.trim().split('\n')[0].slice(0, 200) };
}

function statusText(status: number): string {
  const texts: Record<number, string> = {
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    405: 'Method Not Allowed',
    406: 'Not Acceptable',
    409: 'Conflict',
    413: 'Request Entity Too Large',
    429: 'Too Many Requests',
    500: 'Internal Server Error',
    501: 'Not Implemented',
    502: 'Bad Gateway',
    503: 'Service Unavailable',
    504: 'Gateway Timeout',
  };
  return texts[status] ?? `HTTP ${status}`;
}

/** Redirect statuses with a `Location` (RFC 9110 §15.4). */
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Redirects followed for one request, at most. */
export const MAX_REDIRECTS = 5;

/**
 * Where a redirect may be followed: only for GET/HEAD, only to the same origin (scheme, host and
 * port: the request carries a token, which must never reach another host), at most
 * {@link MAX_REDIRECTS} times.
 * @returns the absolute URL to ask next
 * @throws NcliError `REDIRECT` naming the request and, for a refusal, the other origin
 */
function redirectTarget(req: HttpRequest, res: HttpResponse, count: number): string {
  const from = new URL(req.url);
  let to: URL;
  try {
    to = new URL(res.headers.location, from);
  } catch {
    throw new NcliError(
      'REDIRECT',
      `${req.method} ${redactUrl(req.url)} was redirected (HTTP ${res.status}) to an address that is not a URL.`,
    );
  }
  const at = `${req.method} ${redactUrl(req.url)} was redirected (HTTP ${res.status}) to ${to.origin}`;
  if (to.origin !== from.origin) {
    throw new NcliError(
      'REDIRECT',
      `${at}; ncli does not follow a redirect to another host, which would receive the token: use the service's own URL.`,
    );
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    throw new NcliError(
      'REDIRECT',
      `${at}; ncli does not send a ${req.method} again to another address: use the service's own URL.`,
    );
  }
  if (count > MAX_REDIRECTS)
    throw new NcliError(
      'REDIRECT',
      `${req.method} ${redactUrl(req.url)} was redirected more than ${MAX_REDIRECTS} times.`,
    );
  return to.toString();
}

/** HTTP client for one process: keep-alive pool, timeout, retries, debug, timings. */
export class Transport {
  /** A promise only while the proxy agent's module loads (a proxy variable is set). */
  private dispatcher: Dispatcher | Promise<Dispatcher>;
  private readonly sleep: (ms: number) => Promise<void>;
  /** The connector with kept TLS sessions and spare connections (src/http/connections.ts), closed by {@link close}. */
  private connections?: Connections;

  constructor(private readonly opts: TransportOptions) {
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    if (opts.dispatcher) {
      this.dispatcher = opts.dispatcher;
    } else {
      // Like python-requests' `verify=<bundle>`: the bundle replaces the system's CAs.
      const tls = { ...(opts.ca ? { ca: opts.ca } : {}), rejectUnauthorized: !opts.insecure };
      const common = { keepAliveTimeout: 10_000, connect: { ...tls, timeout: opts.timeoutSeconds * 1000 } };
      const env = opts.env ?? process.env;
      const proxy = (lower: string, upper: string) => env[lower] || env[upper] || undefined;
      if (PROXY_VARIABLES.some((k) => env[k])) {
        // Through an HTTP(S) proxy unless NO_PROXY names the host; TLS to the API is still verified.
        // (its own module, loaded only then: undici's proxy agents are a third of its code ncli bundles)
        this.dispatcher = import('./proxy-agent.js').then(
          ({ EnvHttpProxyAgent }) =>
            (this.dispatcher = new EnvHttpProxyAgent({
              ...common,
              requestTls: tls,
              httpProxy: proxy('http_proxy', 'HTTP_PROXY'),
              httpsProxy: proxy('https_proxy', 'HTTPS_PROXY'),
              noProxy: proxy('no_proxy', 'NO_PROXY') ?? '',
            })),
        );
      } else if (opts.connectionsFile) {
        // kept-alive connections as undici's own; TLS sessions kept between runs; spares for servers that close theirs
        this.connections = new Connections(
          { ...tls, timeoutMs: opts.timeoutSeconds * 1000 },
          new ConnectionStore(opts.connectionsFile),
        );
        this.dispatcher = new Agent({
          keepAliveTimeout: common.keepAliveTimeout,
          connect: this.connections.connect as never,
        });
      } else {
        this.dispatcher = new Agent(common);
      }
      const onFirstSend = opts.onFirstSend;
      if (onFirstSend) {
        const sent = (): void => {
          diagnostics_channel.unsubscribe('undici:client:sendHeaders', sent);
          setImmediate(onFirstSend);
        };
        diagnostics_channel.subscribe('undici:client:sendHeaders', sent);
      }
    }
  }

  /**
   * Sends a request; retries idempotent ones on connection errors and 503/429; follows a GET's
   * redirect to the same origin (see `redirectTarget`).
   * @returns the response when its status is < 400
   * @throws ApiError (status ≥ 400), NetworkError, TimeoutError, NcliError `REDIRECT`
   */
  async request(original: HttpRequest): Promise<HttpResponse> {
    const started = nowMs();
    const policy = this.opts.retry ?? DEFAULT_RETRY;
    let status: number | string | undefined;
    let req = original;
    let redirects = 0;
    try {
      for (let attempt = 1; ; attempt++) {
        let res: HttpResponse;
        try {
          res = await this.once(req);
        } catch (e) {
          status = e instanceof NetworkError ? e.netCode : 'timeout';
          const delay =
            e instanceof NetworkError
              ? retryDelay({ attempt, method: req.method, idempotent: req.idempotent, code: e.netCode }, policy)
              : null;
          if (delay === null) throw e;
          this.opts.debug?.(
            `retrying ${req.method} ${redactUrl(req.url)} in ${(delay / 1000).toFixed(1)} s after ${status}`,
          );
          await this.sleep(delay);
          continue;
        }
        status = res.status;
        if (REDIRECT_STATUSES.has(res.status) && res.headers.location) {
          const next = redirectTarget(req, res, ++redirects);
          this.opts.debug?.(`following HTTP ${res.status} to ${redactUrl(next)}`);
          req = { ...req, url: next };
          attempt = 0;
          continue;
        }
        if (res.status < 400) return res;
        const retryAfterMs = parseRetryAfter(res.headers['retry-after']);
        const delay = retryDelay(
          { attempt, method: req.method, idempotent: req.idempotent, status: res.status, retryAfterMs },
          policy,
        );
        if (delay === null) {
          const { message, fault } = errorMessageOf(res);
          throw new ApiError({
            status: res.status,
            method: req.method,
            url: redactUrl(req.url),
            serverMessage: message,
            requestId: res.requestId,
            service: req.service,
            fault,
            retryAfterSeconds: retryAfterMs === undefined ? undefined : Math.round(retryAfterMs / 1000),
            headers: res.headers,
            body: res.text,
          });
        }
        this.opts.debug?.(
          `retrying ${req.method} ${redactUrl(req.url)} in ${(delay / 1000).toFixed(1)} s after HTTP ${res.status}`,
        );
        await this.sleep(delay);
      }
    } finally {
      this.opts.timings?.push({
        method: original.method,
        url: redactUrl(original.url),
        status: status ?? 'error',
        seconds: (nowMs() - started) / 1000,
      });
    }
  }

  private async once(req: HttpRequest): Promise<HttpResponse> {
    const headers: Record<string, string> = { 'User-Agent': USER_AGENT, Accept: 'application/json', ...req.headers };
    let body: string | undefined;
    if (req.json !== undefined) {
      body = JSON.stringify(req.json);
      headers['Content-Type'] = 'application/json';
    } else if (req.form !== undefined) {
      body = new URLSearchParams(req.form).toString();
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
    }
    const debug = this.opts.debug;
    if (debug) {
      debug(`REQ: ${req.method} ${redactUrl(req.url)}`);
      for (const [k, v] of Object.entries(redactHeaders(headers))) debug(`  ${k}: ${v}`);
      if (body) debug(`  ${redactBody(body)}`);
    }
    const t0 = nowMs();
    const ms = this.opts.timeoutSeconds * 1000;
    let raw: Dispatcher.ResponseData;
    let text: string;
    try {
      const u = new URL(req.url);
      raw = await undiciRequest.call(await this.dispatcher, {
        origin: u.origin,
        path: u.pathname + u.search,
        method: req.method,
        headers,
        body,
        headersTimeout: ms,
        bodyTimeout: ms,
        signal: AbortSignal.timeout(ms),
      });
      text = await raw.body.text();
    } catch (e) {
      throw this.mapError(e, req);
    }
    const resHeaders: Record<string, string> = {};
    for (const [k, v] of Object.entries(raw.headers)) {
      if (v !== undefined) resHeaders[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
    }
    if (resHeaders.connection?.toLowerCase() === 'close') this.connections?.closes(new URL(req.url).origin);
    const res: HttpResponse = {
      status: raw.statusCode,
      headers: resHeaders,
      text,
      requestId: resHeaders['x-openstack-request-id'] ?? resHeaders['x-compute-request-id'],
    };
    if (debug) {
      debug(`RESP: ${res.status} (${((nowMs() - t0) / 1000).toFixed(3)} s) ${req.method} ${redactUrl(req.url)}`);
      for (const [k, v] of Object.entries(redactHeaders(resHeaders))) debug(`  ${k}: ${v}`);
      if (text) debug(`  ${redactBody(text)}`);
    }
    return res;
  }

  private mapError(e: unknown, req: HttpRequest): Error {
    const err = e as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
    const url = redactUrl(req.url);
    if (
      err?.name === 'TimeoutError' ||
      err?.name === 'AbortError' ||
      err?.code === 'UND_ERR_HEADERS_TIMEOUT' ||
      err?.code === 'UND_ERR_BODY_TIMEOUT'
    ) {
      return new TimeoutError(req.method, url, this.opts.timeoutSeconds);
    }
    const code = err?.cause?.code ?? err?.code ?? 'UNKNOWN';
    const msg = err?.cause?.message ?? err?.message ?? String(e);
    if (code === 'UND_ERR_CONNECT_TIMEOUT') return new TimeoutError(req.method, url, this.opts.timeoutSeconds);
    return new NetworkError(req.method, url, code, msg, { cause: e });
  }

  /** Closes idle keep-alive connections so the process can exit promptly, and keeps the TLS sessions. */
  async close(): Promise<void> {
    if (!this.opts.dispatcher) await (await this.dispatcher).close().catch(() => undefined);
    this.connections?.close();
  }
}
