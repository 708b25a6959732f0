/**
 * Console page URL → WebSocket URL, the way noVNC derives it.
 *
 * Follows noVNC `vnc_lite.html` (L130-153: `readQueryVariable` and the URL
 * build) and `app/ui.js`: scheme `ws` for an http page and `wss` for https;
 * host and port from the page URL unless `host=`/`port=` query parameters
 * override them; path `'/' + decodeURIComponent(path)` with `path` defaulting
 * to `websockify`.
 */
import { redactUrl } from '../redact.js';
import { TunnelError } from './errors.js';

/**
 * Reads a query parameter the way noVNC's `readQueryVariable` does: the LAST
 * `name=` occurrence in the query, value up to the next `&`, passed through
 * `decodeURIComponent` exactly once (so `+` stays `+`).
 *
 * @returns the decoded value, or `undefined` when absent
 * @throws URIError for a malformed percent-escape
 */
function readQueryVariable(search: string, name: string): string | undefined {
  const query = search.startsWith('?') ? search.slice(1) : search;
  let found: string | undefined;
  for (const part of query.split('&')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq) === name) found = part.slice(eq + 1);
  }
  return found === undefined ? undefined : decodeURIComponent(found);
}

function badUrl(consoleUrl: string, why: string, cause?: unknown): TunnelError {
  const shown = redactUrl(consoleUrl.length > 200 ? `${consoleUrl.slice(0, 200)}…` : consoleUrl);
  return new TunnelError('BAD_URL', `Cannot use console URL "${shown}": ${why}.`, { cause });
}

/**
 * Derives the WebSocket URL to dial from a console URL returned by Nova.
 *
 * - `ws:`/`wss:` URLs (serial consoles, e.g. `ws://h:6083/?token=T`) are
 *   returned as they are.
 * - `http:`/`https:` page URLs follow noVNC (see the module comment):
 *   - `http://h:6080/vnc_auto.html?path=%3Ftoken%3DT` → `ws://h:6080/?token=T`
 *     (Nova with noVNC ≥ 1.1)
 *   - `http://h:6080/vnc_lite.html?path=novnc%3Ftoken%3DT` → `ws://h:6080/novnc?token=T`
 *     (Nova ≥ 31 keeps a `path` from `novncproxy_base_url`)
 *   - `http://h:6080/vnc_auto.html?token=T` → `ws://h:6080/websockify?token=T`
 *     (older Nova; noVNC < 1.1 passed the token in a cookie, the proxy reads
 *     the query string as well, so the token is appended to the query)
 *   - `http://h:6082/spice_auto.html?token=T` → `ws://h:6082/websockify?token=T`
 *     (same rule; the proxy ignores the path)
 *   - `https://…` → `wss://…`
 *
 * A top-level `token=` parameter is appended to the derived URL's query when
 * the `path` parameter did not already carry a token.
 *
 * @param consoleUrl the URL string from `remote-consoles` (page or ws URL)
 * @returns a new WHATWG `URL` with protocol `ws:` or `wss:`
 * @throws TunnelError `BAD_URL` for an unparseable URL, a malformed
 *   percent-escape, or a scheme other than http, https, ws, wss (the message
 *   never contains the token)
 */
export function consoleWebSocketUrl(consoleUrl: string): URL {
  let page: URL;
  try {
    page = new URL(consoleUrl.trim());
  } catch (err) {
    throw badUrl(consoleUrl, 'not a valid URL', err);
  }

  if (page.protocol === 'ws:' || page.protocol === 'wss:') {
    page.hash = '';
    return page;
  }
  if (page.protocol !== 'http:' && page.protocol !== 'https:') {
    throw badUrl(
      consoleUrl,
      `unsupported scheme "${page.protocol.replace(/:$/, '')}" (expected http, https, ws or wss)`,
    );
  }

  let host: string | undefined;
  let port: string | undefined;
  let path: string | undefined;
  let token: string | undefined;
  try {
    host = readQueryVariable(page.search, 'host');
    port = readQueryVariable(page.search, 'port');
    path = readQueryVariable(page.search, 'path');
    token = readQueryVariable(page.search, 'token');
  } catch (err) {
    throw badUrl(consoleUrl, 'malformed percent-encoding in the query', err);
  }

  const scheme = page.protocol === 'https:' ? 'wss:' : 'ws:';
  let hostPart = host !== undefined && host !== '' ? host : page.hostname;
  if (hostPart.includes(':') && !hostPart.startsWith('[')) hostPart = `[${hostPart}]`;
  const portPart = port !== undefined && port !== '' ? port : page.port;
  const pathPart = path ?? 'websockify';

  let ws: URL;
  try {
    ws = new URL(`${scheme}//${hostPart}${portPart ? `:${portPart}` : ''}/${pathPart.replace(/^\/+/, '')}`);
  } catch (err) {
    throw badUrl(consoleUrl, 'the derived WebSocket URL is not valid', err);
  }
  if (token !== undefined && !ws.searchParams.has('token')) {
    const tok = `token=${encodeURIComponent(token)}`;
    ws.search = ws.search.length > 1 ? `${ws.search}&${tok}` : `?${tok}`;
  }
  return ws;
}
