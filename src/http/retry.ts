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

/** One failed attempt, as {@link retryDelay} weighs it. */
export interface Attempt {
  /** Which retry this would be: 1 for the first retry after the first attempt. */
  attempt: number;
  /** HTTP method; non-idempotent methods are never retried unless `idempotent` is set. */
  method: string;
  /** The request is safe to repeat although its method is not idempotent (Keystone's POST /auth/tokens only creates a token). */
  idempotent?: boolean;
  /** The HTTP status received, when there was an answer. */
  status?: number;
  /** The network error code, when there was none (`ECONNRESET`…). */
  code?: string;
  /** The answer's parsed `Retry-After`, milliseconds. */
  retryAfterMs?: number;
}

/**
 * How long to wait before retrying a failed attempt, or `null` to give up: only idempotent
 * requests, only on {@link RETRY_STATUSES} / {@link RETRY_CODES}, at most `policy.maxRetries`
 * times; `Retry-After` honoured up to `policy.maxDelayMs` (longer: give up now rather than hang),
 * else capped exponential backoff with ±20 % jitter.
 * @param random jitter source in [0, 1)
 * @returns milliseconds, or null
 */
export function retryDelay(
  a: Attempt,
  policy: RetryPolicy = DEFAULT_RETRY,
  random: () => number = Math.random,
): number | null {
  if (a.attempt > policy.maxRetries) return null;
  if (!(a.idempotent ?? IDEMPOTENT_METHODS.has(a.method.toUpperCase()))) return null;
  const retryable =
    (a.status !== undefined && RETRY_STATUSES.has(a.status)) || (a.code !== undefined && RETRY_CODES.has(a.code));
  if (!retryable) return null;
  if (a.retryAfterMs !== undefined) return a.retryAfterMs > policy.maxDelayMs ? null : a.retryAfterMs;
  const exp = policy.baseDelayMs * 2 ** (a.attempt - 1);
  return Math.min(policy.maxDelayMs, Math.round(exp * (0.8 + 0.4 * random())));
}
