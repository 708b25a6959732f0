/**
 * Typed errors of the HTTP layer. Every error ncli shows a person is one line: what failed,
 * what the server said, and the request id when there is one (Nova's `x-openstack-request-id`).
 *
 * Error bodies follow Nova's fault shape `{"<faultName>": {"code", "message"}}`
 * (nova/api/openstack/wsgi.py `Fault`) and Keystone's `{"error": {"code", "title", "message"}}`.
 */

/** An HTTP answer with a status of 400 or more. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  /**
   * @param status HTTP status code
   * @param method request method, e.g. `GET`
   * @param url request URL, already redacted (no `token=` values)
   * @param serverMessage the message the server gave, or a short description of the body
   * @param requestId `x-openstack-request-id` / `x-compute-request-id`, when sent
   * @param service who answered: `compute`, `identity`, …
   * @param fault Nova's fault name (`itemNotFound`, `badRequest`, …) when the body had one
   */
  constructor(
    readonly status: number,
    readonly method: string,
    readonly url: string,
    readonly serverMessage: string,
    readonly requestId: string | undefined,
    readonly service: string,
    readonly fault?: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(
      `${method} ${url} failed: ${serverMessage} (HTTP ${status}` + (requestId ? `, request ${requestId}` : '') + ')',
    );
  }
}

/** No HTTP answer: refused, reset, DNS failure, TLS failure. `code` is Node's/undici's error code. */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';
  constructor(
    readonly method: string,
    readonly url: string,
    readonly code: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Cannot reach ${originOf(url)} (${method} ${url}): ${reason}.`, options);
  }
}

/** The request did not complete within `--timeout` seconds. */
export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
  constructor(
    readonly method: string,
    readonly url: string,
    readonly seconds: number,
  ) {
    super(`${method} ${url} timed out after ${seconds} s (raise it with --timeout SECONDS).`);
  }
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

/** The CA bundle named by `--os-cacert` / `OS_CACERT` cannot be read. */
export class CaBundleError extends Error {
  override readonly name = 'CaBundleError';
}

/** Human wording for Node/undici network error codes. */
export function describeNetworkCode(code: string, message: string): string {
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host name not found';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'connection reset by the server';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'CERT_HAS_EXPIRED':
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `TLS certificate not trusted (${code}); pass --os-cacert FILE, or --insecure to skip verification`;
    default:
      return message || code;
  }
}
