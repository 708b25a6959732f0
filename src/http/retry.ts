/**
 * Retry policy, pure functions (modelled on got's `calculate-retry-delay.ts` and orca-cli ADR 0006):
 * only idempotent methods are retried, on connection errors and on HTTP 503 / 429, a bounded
 * number of times, with capped exponential backoff and `Retry-After` honoured.
 */

/** Methods safe to send twice (RFC 9110 §9.2.2). */
export const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

/** Statuses worth retrying: the service is overloaded or rate-limiting. */
export const RETRY_STATUSES = new Set([429, 503]);

/** Network error codes worth retrying (the request may never have reached the server). */
export const RETRY_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'UND_ERR_SOCKET',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'EAI_AGAIN',
]);

export interface RetryPolicy {
  /** Retries after the first attempt. */
  maxRetries: number;
  /** First backoff, milliseconds. */
  baseDelayMs: number;
  /** Longest wait between attempts, milliseconds (also caps Retry-After). */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 3, baseDelayMs: 500, maxDelayMs: 30_000 };

/**
 * Parse a `Retry-After` header (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.
 * @returns milliseconds to wait (≥ 0), or undefined when absent or unparseable
 */
export function parseRetryAfter(value: string | undefined, nowMs = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/**
 * How long to wait before retry number `attempt` (1-based), or `null` to give up.
 * @param method HTTP method; non-idempotent methods are never retried unless `idempotent` says the
 *   request is safe to repeat anyway (Keystone's POST /auth/tokens only creates a token)
 * @param outcome the HTTP status received, or the network error code
 * @param retryAfterMs parsed Retry-After, milliseconds
 * @param random jitter source in [0, 1)
 */
export function retryDelay(
  attempt: number,
  method: string,
  outcome: { status?: number; code?: string },
  retryAfterMs: number | undefined,
  policy: RetryPolicy = DEFAULT_RETRY,
  random: () => number = Math.random,
  idempotent = IDEMPOTENT_METHODS.has(method.toUpperCase()),
): number | null {
  if (attempt > policy.maxRetries) return null;
  if (!idempotent) return null;
  const retryable =
    (outcome.status !== undefined && RETRY_STATUSES.has(outcome.status)) ||
    (outcome.code !== undefined && RETRY_CODES.has(outcome.code));
  if (!retryable) return null;
  if (retryAfterMs !== undefined) {
    // A server asking for longer than we are willing to wait: give up now rather than hang.
    return retryAfterMs > policy.maxDelayMs ? null : retryAfterMs;
  }
  const exp = policy.baseDelayMs * 2 ** (attempt - 1);
  return Math.min(policy.maxDelayMs, Math.round(exp * (0.8 + 0.4 * random())));
}
