/**
 * Where a tunnel's console URLs come from: `resolveUrl(fresh)` callbacks for
 * {@link TunnelOptions.resolveUrl}. The tunnel asks `fresh=false` for every new WebSocket (a
 * console token can be used many times within its TTL) and `fresh=true` once when the proxy
 * refused the token. The caller supplies how to get a new URL (for ncli: asking Nova again), so
 * this module stays free of Nova.
 */
import { NcliError } from '../errors.js';
import { TunnelError } from './errors.js';

/** Milliseconds after a refresh during which other sessions' refresh requests reuse its URL. */
export const REFRESH_COALESCE_MS = 3_000;

/**
 * A `resolveUrl(fresh)` for the tunnel: the first call (or a prefetch) asks `fetchUrl` once and
 * every later `fresh=false` call reuses that URL (a console token can be used many times within
 * its TTL); `fresh=true` (the proxy refused the token) asks again, except that refreshes asked for
 * within {@link REFRESH_COALESCE_MS} of the last one share it (several connections refused at once
 * cause one request). A failed fetch is not cached.
 *
 * @param fetchUrl asks Nova for a console URL
 * @param debug `--debug` sink (messages carry no token)
 * @param now clock, milliseconds
 */
export function cachingResolver(
  fetchUrl: () => Promise<string>,
  debug: (line: string) => void = () => {},
  now: () => number = Date.now,
): (fresh: boolean) => Promise<string> {
  let current: Promise<string> | undefined;
  let settledAt: number | undefined;
  let pending = false;
  let fetches = 0;
  const start = (): Promise<string> => {
    fetches += 1;
    const n = fetches;
    pending = true;
    settledAt = undefined;
    const p = fetchUrl();
    current = p;
    p.then(
      () => {
        if (current === p) {
          pending = false;
          settledAt = now();
          debug(`console: got console URL #${n} from Nova`);
        }
      },
      () => {
        if (current === p) {
          pending = false;
          current = undefined;
        }
      },
    );
    return p;
  };
  return (fresh) => {
    if (!current) return start();
    if (!fresh) return current;
    if (pending || (settledAt !== undefined && now() - settledAt < REFRESH_COALESCE_MS)) {
      debug('console: the proxy refused the console token; a fresh console URL was just fetched, reusing it');
      return current;
    }
    debug('console: the proxy refused the console token (expired?); asking Nova for a fresh console URL');
    return start();
  };
}

/**
 * A `resolveUrl(fresh)` for a console URL given as is (`--url`): `fresh=false` returns it;
 * `fresh=true` (the proxy refused its token) cannot renew it and throws.
 * @param url the console URL (page or ws/wss); carries its token
 * @param where the proxy's origin, for the message (never the token)
 * @throws TunnelError `TOKEN_REJECTED` (hint: renew the URL) when asked for a fresh one
 */
export function fixedResolver(url: string, where: string): (fresh: boolean) => Promise<string> {
  return (fresh) =>
    fresh
      ? Promise.reject(
          new TunnelError(
            'TOKEN_REJECTED',
            `The console proxy at ${where} refused the console token of the given URL (invalid or expired).`,
            {
              hint: 'console-url-renew',
            },
          ),
        )
      : Promise.resolve(url);
}

/**
 * Whether a failure on the way back to a console may pass by itself, so that trying again later
 * can help: no HTTP answer (`NETWORK`: refused, reset, DNS; `TIMEOUT`), an HTTP 5xx or 429 from
 * the API or a proxy in front of it (`API` with such a `status`, as src/http/errors.ts `ApiError`
 * carries), or a console proxy that cannot be reached or dropped the session (`UNREACHABLE`,
 * `LOST`, `HANDSHAKE`). Definitive answers are not transient: the server is gone (404), the console
 * type is off (400/409), the credentials were refused after re-authentication (401/403), the URL
 * or the TLS set-up is wrong, and anything that is not an {@link NcliError}.
 *
 * Asking Nova for a fresh console URL (`POST /servers/{id}/remote-consoles`) only creates a
 * console token, so repeating it after a transient failure is safe.
 *
 * @param e what `resolveUrl` or a dial threw
 */
export function isTransientFailure(e: unknown): boolean {
  if (!(e instanceof NcliError)) return false;
  switch (e.code) {
    case 'NETWORK':
    case 'TIMEOUT':
    case 'UNREACHABLE':
    case 'LOST':
    case 'HANDSHAKE':
      return true;
    case 'API': {
      const status = (e as NcliError & { status?: unknown }).status;
      return typeof status === 'number' && (status >= 500 || status === 429);
    }
    default:
      return false;
  }
}

/** Retries of {@link retryingResolver}. */
export interface ResolveRetry {
  /** Failed tries in a row before giving up (the last error is thrown). */
  attempts: number;
  /** First wait, milliseconds; doubled each try. Default 500. */
  baseDelayMs?: number;
  /** Longest wait, milliseconds. Default 8000. */
  maxDelayMs?: number;
  /** Stops waiting: the last error is thrown at once. */
  signal?: AbortSignal;
  /** Called before each wait: the error's message, the wait (ms), the attempt number (1-based). */
  onRetry?: (why: string, delayMs: number, attempt: number) => void;
}

/**
 * Wraps a `resolveUrl(fresh)` so that a {@link isTransientFailure transient} failure (the API
 * restarting while the console token is renewed) is tried again, up to `attempts` times with a
 * doubling wait, each retry asking for a fresh URL; a definitive failure is thrown at once. For the
 * VNC/SPICE tunnel (`forwardLocal`), where a token refresh happens inside one viewer's connection.
 *
 * @throws the last error when the tries run out, the failure is definitive, or `signal` aborted
 */
export function retryingResolver(
  resolveUrl: (fresh: boolean) => Promise<string>,
  retry: ResolveRetry,
): (fresh: boolean) => Promise<string> {
  return async (fresh) => {
    let failures = 0;
    let ask = fresh;
    for (;;) {
      try {
        return await resolveUrl(ask);
      } catch (e) {
        failures += 1;
        if (!isTransientFailure(e) || failures > retry.attempts || retry.signal?.aborted) throw e;
        const delay = Math.min(retry.maxDelayMs ?? 8000, (retry.baseDelayMs ?? 500) * 2 ** (failures - 1));
        retry.onRetry?.((e as Error).message.replace(/\.$/, ''), delay, failures);
        if (!(await wait(delay, retry.signal))) throw e;
        ask = true;
      }
    }
  };
}

/** Waits `ms` milliseconds; false when `signal` aborted first. */
function wait(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = (): void => {
      clearTimeout(t);
      resolve(false);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
