/**
 * Typed errors of the HTTP layer (as octokit's `RequestError` and got's `HTTPError`/`TimeoutError`):
 * one line each, naming the request, what the server said and its request id (Nova's
 * `x-openstack-request-id`). No command-line flag is named here: a {@link Hint} says what kind of
 * fix applies and src/cli/errors.ts words it.
 *
 * Error bodies follow Nova's fault shape `{"<faultName>": {"code", "message"}}`
 * (nova/api/openstack/wsgi.py `Fault`) and Keystone's `{"error": {"code", "title", "message"}}`.
 */
import { NcliError, type NcliErrorOptions } from '../errors.js';
import { isTlsFailure, networkReason } from '../net-reasons.js';

/** What an {@link ApiError} knows of the failed request and its answer. */
export interface ApiErrorDetails {
  /** HTTP status code (≥ 400). */
  status: number;
  /** Request method, e.g. `GET`. */
  method: string;
  /** Request URL, already redacted (no `token=` values). */
  url: string;
  /** The message the server gave, or a short description of the body. */
  serverMessage: string;
  /** `x-openstack-request-id` / `x-compute-request-id`, when sent. */
  requestId?: string;
  /** Who answered: `compute`, `identity`, `image`… */
  service: string;
  /** Nova's fault name (`itemNotFound`, `badRequest`, `conflictingRequest`…) when the body had one. */
  fault?: string;
  /** The `Retry-After` the server sent, in seconds. */
  retryAfterSeconds?: number;
  /** The response headers (lower-case names), for callers that need one (`openstack-auth-receipt`). */
  headers?: Record<string, string>;
  /** The raw response body text (callers parse it when they know its shape, e.g. Keystone's receipt). */
  body?: string;
}

/**
 * A server's message as one line: line breaks (and the blanks around them) become one space, and
 * other control characters go (Nova's HTTP 500 "Unexpected API Error. … \n<class '…'>").
 */
export function oneLine(text: string): string {
  return (
    text
      .replace(/\s*[\r\n]+\s*/g, ' ')
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '')
      .trim()
  );
}

/**
 * An HTTP answer with a status of 400 or more: "GET url failed: message (HTTP 404, request req-…)",
 * always one line (the server's message through {@link oneLine}).
 */
export class ApiError extends NcliError implements ApiErrorDetails {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly method: string;
  readonly url: string;
  readonly serverMessage: string;
  readonly requestId?: string;
  readonly service: string;
  readonly fault?: string;
  readonly retryAfterSeconds?: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;

  constructor(d: ApiErrorDetails, options: NcliErrorOptions = {}) {
    d = { ...d, serverMessage: oneLine(d.serverMessage) };
    super(
      'API',
      `${d.method} ${d.url} failed: ${d.serverMessage} (HTTP ${d.status}` +
        (d.requestId ? `, request ${d.requestId}` : '') +
        ')',
      options,
    );
    this.status = d.status;
    this.method = d.method;
    this.url = d.url;
    this.serverMessage = d.serverMessage;
    this.service = d.service;
    if (d.requestId !== undefined) this.requestId = d.requestId;
    if (d.fault !== undefined) this.fault = d.fault;
    if (d.retryAfterSeconds !== undefined) this.retryAfterSeconds = d.retryAfterSeconds;
    if (d.headers !== undefined) this.headers = d.headers;
    if (d.body !== undefined) this.body = d.body;
  }
}

/**
 * No HTTP answer: refused, reset, DNS failure, or a TLS failure (code `TLS`, with the hint to trust
 * the CA). `netCode` is Node's/undici's error code.
 */
export class NetworkError extends NcliError {
  override readonly name = 'NetworkError';
  /** The words for `netCode` (`connection refused`, `TLS certificate not trusted (…)`). */
  readonly reason: string;

  /**
   * @param method request method
   * @param url request URL, redacted
   * @param netCode Node's or undici's error code (`ECONNREFUSED`, `DEPTH_ZERO_SELF_SIGNED_CERT`…)
   * @param message the original error's message, used when the code is unknown
   */
  constructor(
    readonly method: string,
    readonly url: string,
    readonly netCode: string,
    message: string,
    options: NcliErrorOptions = {},
  ) {
    const reason = networkReason(netCode, message);
    const tls = isTlsFailure(netCode);
    super(tls ? 'TLS' : 'NETWORK', `Cannot reach ${originOf(url)} (${method} ${url}): ${reason}.`, {
      ...(tls ? { hint: 'trust-ca' } : {}),
      ...options,
    });
    this.reason = reason;
  }
}

/** The request did not complete within the per-request timeout. */
export class TimeoutError extends NcliError {
  override readonly name = 'TimeoutError';
  /**
   * @param method request method
   * @param url request URL, redacted
   * @param seconds the timeout that ran out
   */
  constructor(
    readonly method: string,
    readonly url: string,
    readonly seconds: number,
  ) {
    super('TIMEOUT', `${method} ${url} timed out after ${seconds} s.`, { hint: 'timeout' });
  }
}

/** `scheme://host:port` of a URL (the URL itself when it does not parse). */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}
