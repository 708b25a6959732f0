/**
 * The browser half of a login (`gh auth login` style): a one-shot HTTP listener on 127.0.0.1 that
 * waits for the browser to come back, the URL opened in the browser (or printed), and a timeout
 * that names the URL. Used for the OpenID Connect authorization code flow (RFC 8252 "OAuth 2.0
 * for Native Apps": loopback redirect on a free port, PKCE, state) and for Keystone's WebSSO
 * (the token posted back to a trusted dashboard URL: a fixed port).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { AuthError } from './keystone.js';

/** How a login talks to the person: lines on stderr, a browser, how long to wait. */
export interface LoginUi {
  /** Prints one line for the person (stderr). Never given a secret. */
  say(line: string): void;
  /** Opens `url` in the browser; resolves false when no browser could be opened. */
  open?(url: string): Promise<boolean>;
  /** Print the URL instead of opening a browser (`ncli auth login --no-browser`). */
  noBrowser?: boolean;
  /** How long to wait for the browser to come back, milliseconds (default 300 000). */
  timeoutMs?: number;
}

/** The default wait for the browser: 5 minutes. */
export const BROWSER_TIMEOUT_MS = 300_000;

/** What a callback handler makes of one request: keep waiting, or the result. */
export type CallbackResult<T> = { done: T } | { error: AuthError } | undefined;

const PAGE = (title: string, text: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>` +
  `<body style="font-family:sans-serif;max-width:32em;margin:4em auto"><h1>${title}</h1><p>${text}</p></body></html>`;

/** Reads a small request body (a form post), at most 64 KiB. */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      body += c;
      if (body.length > 65_536) req.destroy(new Error('request body too large'));
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

/**
 * Listens on 127.0.0.1:`port` (0: a free port), builds the URL to visit from the port, opens it
 * (or prints it) and resolves with what `handle` makes of the first request that completes the
 * login; other requests (a favicon, a wrong `state`) are answered and ignored.
 * @param what e.g. "sign in at the identity provider", for the lines printed
 * @throws AuthError: the port is busy, the browser did not come back in time (the message holds
 *   the URL to open by hand), or what `handle` says
 */
export async function browserLogin<T>(opts: {
  port: number;
  url: (port: number) => string;
  handle: (req: IncomingMessage, url: URL) => Promise<CallbackResult<T>>;
  ui: LoginUi;
  what: string;
  hint: string;
}): Promise<T> {
  const { ui } = opts;
  let settle!: (v: { ok: T } | { err: AuthError }) => void;
  const outcome = new Promise<{ ok: T } | { err: AuthError }>((r) => (settle = r));
  const server = createServer((req, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    opts
      .handle(req, url)
      .then((r) => {
        if (!r) {
          res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
          return;
        }
        const ok = 'done' in r;
        res.writeHead(ok ? 200 : 400, { 'content-type': 'text/html; charset=utf-8', connection: 'close' });
        res.end(
          ok
            ? PAGE('Signed in to ncli', 'You are signed in. You can close this tab and go back to the terminal.')
            : PAGE('ncli sign-in failed', 'The sign-in did not complete: see the terminal.'),
        );
        settle(ok ? { ok: r.done } : { err: r.error });
      })
      .catch(() => res.writeHead(400).end());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new AuthError(
          e.code === 'EADDRINUSE'
            ? `Cannot ${opts.what}: port 127.0.0.1:${opts.port} is in use (another login waiting?); close it and try again.`
            : `Cannot ${opts.what}: cannot listen on 127.0.0.1:${opts.port} (${e.code ?? e.message}).`,
        ),
      ),
    );
    server.listen(opts.port, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  const visit = opts.url(port);
  const timeoutMs = ui.timeoutMs ?? BROWSER_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  try {
    let opened = false;
    if (!ui.noBrowser && ui.open) {
      ui.say(`Opening your browser to ${opts.what} (waiting up to ${Math.round(timeoutMs / 1000)} s)…`);
      opened = await ui.open(visit);
    }
    if (!opened) ui.say(`To ${opts.what}, open this URL in a browser on this machine:\n  ${visit}`);
    const timeout = new Promise<{ err: AuthError }>((resolve) => {
      timer = setTimeout(
        () =>
          resolve({
            err: new AuthError(
              `The browser did not come back within ${Math.round(timeoutMs / 1000)} s from ${visit}; ${opts.hint}.`,
            ),
          }),
        timeoutMs,
      );
    });
    const r = await Promise.race([outcome, timeout]);
    if ('err' in r) throw r.err;
    return r.ok;
  } finally {
    clearTimeout(timer);
    server.closeAllConnections();
    server.close();
  }
}
