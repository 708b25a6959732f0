/**
 * Where a tunnel's console URLs come from: `resolveUrl(fresh)` callbacks for
 * {@link TunnelOptions.resolveUrl}. The tunnel asks `fresh=false` for every new WebSocket (a
 * console token can be used many times within its TTL) and `fresh=true` once when the proxy
 * refused the token. The caller supplies how to get a new URL (for ncli: asking Nova again), so
 * this module stays free of Nova.
 */
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
