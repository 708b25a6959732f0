/**
 * Where a tunnel's console URLs come from: `resolveUrl(fresh, refused)` callbacks for
 * {@link TunnelOptions.resolveUrl}. The tunnel asks `fresh=false` for every new WebSocket (a
 * console token can be used many times within its TTL: Nova's `ConsoleAuthToken.validate` only
 * checks `expires`, nova/objects/console_auth_token.py) and `fresh=true`, with the URL whose token
 * the proxy refused, once per connection. The caller supplies how to get a new URL (for ncli:
 * asking Nova again), so this module stays free of Nova.
 */
import { NcliError } from '../errors.js';
import { TunnelError } from './errors.js';

/**
 * A `resolveUrl(fresh, refused)` for the tunnel: the first call (or a prefetch) asks `fetchUrl`
 * once and every later `fresh=false` call reuses that URL (a console token can be used many times
 * within its TTL). `fresh=true` asks Nova again, except when the answer is already newer than what
 * was refused: while a request is on its way, every refresh shares it, and a refresh naming a
 * `refused` URL that is no longer the current one gets the current one (connections that dialled
 * with the same expired token and were refused at different moments cause one request, however
 * far apart their refusals are). A refused token is never handed out again. A failed fetch is not
 * cached.
 *
 * @param fetchUrl asks Nova for a console URL
 * @param debug `--debug` sink (messages carry no token)
 * @returns `(fresh, refused?)`: `refused` is the URL (as this resolver returned it) whose token the
 *   proxy refused; without it, `fresh=true` renews unless a request is on its way
 */
export function cachingResolver(
  fetchUrl: () => Promise<string>,
  debug: (line: string) => void = () => {},
): (fresh: boolean, refused?: string) => Promise<string> {
  let current: Promise<string> | undefined;
  /** The URL `current` settled with; undefined while a request is on its way. */
  let latest: string | undefined;
  let fetches = 0;
  const start = (): Promise<string> => {
    fetches += 1;
    const n = fetches;
    latest = undefined;
    const p = fetchUrl();
    current = p;
    p.then(
      (url) => {
        if (current === p) {
          latest = url;
          debug(`console: got console URL #${n} from Nova`);
        }
      },
      () => {
        if (current === p) current = undefined;
      },
    );
    return p;
  };
  return (fresh, refused) => {
    if (!current) return start();
    if (!fresh) return current;
    if (latest === undefined) {
      debug('console: the proxy refused the console token; a fresh console URL is on its way, sharing it');
      return current;
    }
    if (refused !== undefined && refused !== latest) {
      debug('console: the proxy refused an older console token; using the fresh console URL fetched since');
      return current;
    }
    debug(
      refused !== undefined
        ? 'console: the proxy refused the console token (expired?); asking Nova for a fresh console URL'
        : 'console: asking Nova for a fresh console URL',
    );
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
 * Wraps a `resolveUrl(fresh, refused)` so that a {@link isTransientFailure transient} failure (the API
 * restarting while the console token is renewed) is tried again, up to `attempts` times with a
 * doubling wait, each retry asking for a fresh URL; a definitive failure is thrown at once. For the
 * VNC/SPICE tunnel (`forwardLocal`), where a token refresh happens inside one viewer's connection.
 *
 * @throws the last error when the tries run out, the failure is definitive, or `signal` aborted
 */
export function retryingResolver(
  resolveUrl: (fresh: boolean, refused?: string) => Promise<string>,
  retry: ResolveRetry,
): (fresh: boolean, refused?: string) => Promise<string> {
  return async (fresh, refused) => {
    let failures = 0;
    let ask = fresh;
    for (;;) {
      try {
        return await resolveUrl(ask, refused);
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
