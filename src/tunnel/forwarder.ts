/**
 * Bridges a console proxy WebSocket to a local TCP port or to stdin/stdout.
 *
 * Shaped after client-go `tools/portforward/portforward.go` (`PortForwarder`:
 * addresses, a dialer, a stop channel, `Ready`, `out`/`errOut`; status lines
 * `Forwarding from 127.0.0.1:8888 -> 5000` and `Handling connection for
 * 8888`), except that every accepted TCP connection gets its own WebSocket
 * (websockify proxies one target connection per WebSocket), and after
 * novaconsole (`~.` escape, `--close-wait`). It knows nothing of Nova: the
 * caller passes a `resolveUrl(fresh)` callback.
 *
 * The proxy quirks (token refusals after the upgrade, websockify's close
 * echo, its dropped queues) and the backpressure are handled per connection
 * by {@link Bridge} (bridge.ts), next to their notes.
 */
import net from 'node:net';
import { createEscapeFilter } from './escape.js';
import { TunnelError } from './errors.js';
import { formatHostPort, isLoopbackHost, prepareSocketPath } from './listen-spec.js';
import { Bridge, type LocalSide, type TunnelOptions } from './bridge.js';
import { authenticateViewer, upstreamNone } from './vnc-auth.js';
import { isTransientFailure, retryingResolver, type ResolveRetry } from './url-source.js';

export type { TunnelOptions } from './bridge.js';
// ---------------------------------------------------------------------------
// forwardLocal
// ---------------------------------------------------------------------------

function listenError(err: NodeJS.ErrnoException, host: string, port: number): TunnelError {
  const at = formatHostPort(host, port);
  switch (err.code) {
    case 'EADDRINUSE':
      return new TunnelError('EADDRINUSE', `Port ${port} is already in use on ${host}.`, {
        cause: err,
        hint: 'local-port',
      });
    case 'EACCES':
      return new TunnelError('EACCES', `Not allowed to listen on ${at} (ports below 1024 need privileges).`, {
        cause: err,
        hint: 'local-port',
      });
    case 'EADDRNOTAVAIL':
      return new TunnelError('EADDRNOTAVAIL', `Cannot listen on ${at}: ${host} is not an address of this machine.`, {
        cause: err,
      });
    default:
      return new TunnelError('LISTEN', `Cannot listen on ${at}: ${err.message}.`, { cause: err });
  }
}

function unixListenError(err: NodeJS.ErrnoException, path: string): TunnelError {
  if (err.code === 'EADDRINUSE') {
    return new TunnelError('EADDRINUSE', `Another program listens on the socket ${path}.`, { cause: err });
  }
  const why = err.code === 'EACCES' ? 'permission denied' : err.message;
  return new TunnelError('LISTEN', `Cannot listen on the socket ${path}: ${why}.`, { cause: err });
}

/** Options of {@link forwardLocal}: see there. */
export type LocalOptions = TunnelOptions & {
  once?: boolean;
  vncPassword?: Buffer;
  /** How often a failed console-URL request is tried again within one connection (default 8). */
  urlRetry?: Omit<ResolveRetry, 'signal' | 'onRetry'>;
};

/**
 * Listens on a local TCP address and tunnels every accepted connection
 * through its own WebSocket to the console proxy (like client-go
 * `PortForwarder.ForwardPorts`, one WebSocket per connection as websockify
 * requires).
 *
 * Output: `Forwarding from 127.0.0.1:5901 -> <label>` on `out` once
 * listening (the real port when 0 was asked; IPv6 as `[::1]:5901`), and
 * `Handling connection for <port>` per accepted client. A non-loopback
 * listen address gets a warning on `err`. Per-connection failures (proxy
 * unreachable, token refused twice, session lost, `resolveUrl` errors) are
 * written to `err` as one line and only close that local connection.
 *
 * Per connection: `resolveUrl(false)`, dial; a token rejection (close 1006 before
 * the proxy's first byte; within `rejectWindowMs` once the client has sent bytes)
 * triggers ONE retry with `resolveUrl(true, refusedUrl)`, replaying the bytes the
 * local client had sent (kept up to `REPLAY_LIMIT` bytes; past that no retry).
 * A hang-up before the 101 (plain websockify token plugins) is retried the same way.
 *
 * With `vncPassword`, each viewer first proves the password with VNC authentication (RFB
 * security type 2, vnc-auth.ts) before a WebSocket is opened; a wrong one is refused with RFB's
 * failure reason and one line on `err`. Then the tunnel picks None with the proxy and relays.
 *
 * @param listen `{host, port}` (port 0 = any free port) or `{path}` for a Unix socket (created
 *   0600 in a 0700 folder, see `prepareSocketPath`), e.g. from `parseListenSpec`
 * @param opts   {@link TunnelOptions}; `once`: stop listening after the first
 *   connection is accepted (with `vncPassword`: the first that proved the password) and settle
 *   `done` when its session ends; `vncPassword`: the password's bytes (first 8 count)
 * @returns `ready`: resolves with the bound `{host, port}` or `{path}`; rejects with
 *   TunnelError `EADDRINUSE` ("Port 5901 is already in use on 127.0.0.1; …"),
 *   `EACCES`, `EADDRNOTAVAIL` or `LISTEN`, or `ABORTED` when the signal fired
 *   first. `done`: resolves when `signal` aborts and every session has closed
 *   (listener closed, sessions flushed); rejects like `ready` on a listen
 *   failure; with `once`, settles when the single session ends — rejecting
 *   with its error instead of writing it to `err`.
 *
 * A `resolveUrl` that fails transiently (the API restarting during a token refresh: see
 * `isTransientFailure`) is tried again within the connection, `urlRetry` times (default 8, from
 * 0.5 s doubling to 8 s), with a `--- … ---` line on `err` per retry.
 */
export function forwardLocal(
  listen: { host: string; port: number },
  opts: LocalOptions,
): { ready: Promise<{ host: string; port: number }>; done: Promise<void> };
export function forwardLocal(
  listen: { path: string },
  opts: LocalOptions,
): { ready: Promise<{ path: string }>; done: Promise<void> };
export function forwardLocal(
  listen: { host: string; port: number } | { path: string },
  opts: LocalOptions,
): { ready: Promise<{ host: string; port: number } | { path: string }>; done: Promise<void> };
export function forwardLocal(
  listen: { host: string; port: number } | { path: string },
  opts: LocalOptions,
): { ready: Promise<{ host: string; port: number } | { path: string }>; done: Promise<void> } {
  type Bound = { host: string; port: number } | { path: string };
  let resolveReady!: (v: Bound) => void;
  let rejectReady!: (e: Error) => void;
  let resolveDone!: () => void;
  let rejectDone!: (e: Error) => void;
  const ready = new Promise<Bound>((res, rej) => {
    resolveReady = res;
    rejectReady = rej;
  });
  const done = new Promise<void>((res, rej) => {
    resolveDone = res;
    rejectDone = rej;
  });
  // The caller may await only one of them; never leave the other unhandled.
  ready.catch(() => {});
  done.catch(() => {});

  const unixPath = 'path' in listen ? listen.path : undefined;
  const host = 'path' in listen ? '' : listen.host || '127.0.0.1';
  const sessions = new Set<Bridge>();
  /** Viewers still proving the VNC password (`vncPassword`). */
  const authenticating = new Set<net.Socket>();
  let listening = false;
  let listenerClosed = false;
  let stopping = false;
  let abortRequested = false;
  let doneSettled = false;
  let boundPort = 'port' in listen ? listen.port : 0;
  let connections = 0;
  let onceError: Error | undefined;
  const where = (): string => (unixPath !== undefined ? `unix:${unixPath}` : String(boundPort));

  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true });
  const retry = opts.urlRetry ?? { attempts: 8 };
  const resolveUrl = retryingResolver(opts.resolveUrl, {
    ...retry,
    ...(opts.signal ? { signal: opts.signal } : {}),
    onRetry: (why, ms, n) =>
      opts.err.write(
        `--- getting a console URL failed (${why}); trying again in ${(ms / 1000).toFixed(1)} s (attempt ${n} of ${retry.attempts}) ---\n`,
      ),
  });

  const settleDone = (error?: Error): void => {
    if (doneSettled) return;
    doneSettled = true;
    opts.signal?.removeEventListener('abort', onAbort);
    if (error) rejectDone(error);
    else resolveDone();
  };
  const closeListener = (): void => {
    if (listenerClosed) return;
    listenerClosed = true;
    server.close();
  };
  const maybeDone = (): void => {
    if (stopping && sessions.size === 0 && authenticating.size === 0) settleDone(onceError);
  };
  const onAbort = (): void => {
    if (abortRequested) return;
    abortRequested = true;
    stopping = true;
    opts.debug?.('tunnel: abort: closing listener and sessions');
    closeListener();
    if (!listening) rejectReady(new TunnelError('ABORTED', 'Cancelled before the tunnel was listening.'));
    for (const s of sessions) s.abort();
    for (const sock of authenticating) sock.destroy();
    maybeDone();
  };

  /** Runs one bridge for a local connection; `after` runs when it ended (the VNC guard's socket). */
  const startBridge = (id: number, side: Omit<LocalSide, 'onError'>, after?: () => void): void => {
    if (opts.once) {
      stopping = true;
      closeListener();
    }
    const session = new Bridge(
      {
        ...side,
        onError: (error) => {
          if (opts.once) onceError = error;
          else opts.err.write(`${opts.describeError ? opts.describeError(error) : error.message}\n`);
        },
      },
      { ...opts, resolveUrl },
      `${where()}#${id}`,
    );
    sessions.add(session);
    void session.run().then(() => {
      after?.();
      sessions.delete(session);
      maybeDone();
    });
  };

  /** `vncPassword`: the viewer proves the password before a WebSocket is opened (vnc-auth.ts). */
  const guardVnc = async (sock: net.Socket, id: number, password: Buffer): Promise<void> => {
    authenticating.add(sock);
    sock.on('error', () => {});
    const auth = await authenticateViewer(sock, password);
    authenticating.delete(sock);
    if (!auth.ok || stopping) {
      if (auth.ok) sock.destroy();
      else if (auth.why === 'wrong-password') {
        opts.err.write(`A VNC viewer gave a wrong password on ${where()} (connection ${id}); it was refused.\n`);
      } else opts.debug?.(`tunnel: connection ${id}: no VNC authentication (${auth.why}); closed`);
      maybeDone();
      return;
    }
    const { toProxy, fromProxy } = upstreamNone(sock, auth.minor, {
      onAccepted: () => {
        if (auth.rest.length) toProxy.write(auth.rest);
        sock.pipe(toProxy);
        sock.resume();
      },
      onFailed: (reason) => {
        opts.err.write(`${reason}; the viewer on ${where()} was told so and closed.\n`);
        fromProxy.destroy();
      },
    });
    sock.on('close', () => {
      if (!toProxy.writableEnded) toProxy.end();
      fromProxy.destroy();
    });
    startBridge(id, { readable: toProxy, writable: fromProxy, endWritable: false }, () => {
      sock.end();
      setTimeout(() => sock.destroy(), 2_000).unref();
    });
  };

  server.on('connection', (sock: net.Socket) => {
    if (stopping) {
      sock.destroy();
      return;
    }
    connections += 1;
    const id = connections;
    opts.out.write(`Handling connection for ${where()}\n`);
    if (unixPath === undefined) sock.setNoDelay(true);
    if (opts.vncPassword) {
      void guardVnc(sock, id, opts.vncPassword);
      return;
    }
    startBridge(id, { readable: sock, writable: sock, endWritable: true });
    sock.resume();
  });

  server.on('error', (err: NodeJS.ErrnoException) => {
    const e = unixPath !== undefined ? unixListenError(err, unixPath) : listenError(err, host, boundPort);
    if (!listening) {
      listenerClosed = true;
      stopping = true;
      rejectReady(e);
      settleDone(e);
      return;
    }
    opts.err.write(`${e.message}\n`);
  });

  if (opts.signal?.aborted) {
    stopping = true;
    listenerClosed = true;
    rejectReady(new TunnelError('ABORTED', 'Cancelled before the tunnel was listening.'));
    settleDone();
    return { ready, done };
  }
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  const onListening = (): void => {
    if (stopping) return;
    listening = true;
    if (unixPath !== undefined) {
      opts.out.write(`Forwarding from unix:${unixPath} -> ${opts.label}\n`);
      resolveReady({ path: unixPath });
      return;
    }
    const addr = server.address() as net.AddressInfo;
    boundPort = addr.port;
    if (!isLoopbackHost(host)) {
      opts.err.write(
        opts.vncPassword
          ? `Warning: listening on ${formatHostPort(host, boundPort)} makes the console reachable from the network, behind only the VNC password and unencrypted; use 127.0.0.1 unless you mean it.\n`
          : `Warning: listening on ${formatHostPort(host, boundPort)} makes the console reachable from the network, without a password; use 127.0.0.1 unless you mean it.\n`,
      );
    }
    opts.out.write(`Forwarding from ${formatHostPort(host, boundPort)} -> ${opts.label}\n`);
    resolveReady({ host, port: boundPort });
  };

  if (unixPath !== undefined) {
    prepareSocketPath(unixPath).then(
      () => {
        if (stopping) return;
        // Created 0600 (umask) in a 0700 folder: no moment where another user could connect.
        const umask = process.umask(0o177);
        try {
          server.listen({ path: unixPath }, onListening);
        } finally {
          process.umask(umask);
        }
      },
      (e: Error) => {
        if (stopping) return;
        stopping = true;
        listenerClosed = true;
        opts.signal?.removeEventListener('abort', onAbort);
        rejectReady(e);
        settleDone(e);
      },
    );
  } else {
    server.listen({ host, port: boundPort }, onListening);
  }

  return { ready, done };
}

/** Reconnecting a `--stdio` session the remote side dropped (serial consoles). */
export interface StdioReconnect {
  /** Attempts in a row before giving up; reset once a session got data again. */
  attempts: number;
  /** First wait before reconnecting, milliseconds; doubled each attempt. Default 500. */
  baseDelayMs?: number;
  /** Longest wait, milliseconds. Default 8000. */
  maxDelayMs?: number;
}

/** Options of {@link forwardStdio}. */
export interface StdioOptions extends TunnelOptions {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  /** The `~.` escape (and the "Connected to console" line). */
  escape?: boolean;
  /** Called each time a WebSocket opens (the CLI puts the terminal in raw mode on the first). */
  onOpen?: () => void;
  /** Called when a session ends, before any reconnect: why, in a few words (`closed`, or the error's message). */
  onSessionEnd?: (why: string) => void;
  /**
   * Reconnect when the remote side ends a session that had opened (proxy restart, token expiry,
   * compute host hiccup), with a fresh console URL, printing a one-line marker on `err`; the
   * session ends for good when the local side ends (`~.`, EOF) or on abort.
   */
  reconnect?: StdioReconnect;
}

/** Errors after which reconnecting cannot help: the URL or the TLS set-up is wrong. */
const FINAL_CODES = new Set(['BAD_URL', 'TLS']);

/**
 * Runs a console session between `stdin`/`stdout` and the proxy (serial
 * consoles, `ProxyCommand`), with the same dial/refresh/replay logic and the
 * same backpressure as {@link forwardLocal}.
 *
 * Ends when the WebSocket closes (after stdout was flushed; stdout is never
 * ended) or when stdin ends (after every byte read was sent, plus
 * `closeWaitMs`, default 500 ms, for the remote's last output, like
 * novaconsole's `--close-wait`). With `reconnect`, a session the remote side
 * ended after it had opened is started again with a fresh URL (bounded, with
 * backoff; `--- … ---` marker lines on `err`).
 *
 * With `escape: true`, once the WebSocket is open `onOpen` is called (the
 * CLI puts the terminal in raw mode there: src/cli/process.ts),
 * `Connected to console (type "~." to disconnect)` is written to `err`, and
 * `~.` typed at the very start or right after `\r`/`\n` disconnects (`~~`
 * there sends one `~`; see {@link scanEscape}). Without `escape` the stream
 * is passed through untouched. Signals and the terminal are the caller's
 * business: abort through `signal`.
 *
 * @returns resolves when the session ended normally (or was aborted)
 * @throws TunnelError `TOKEN_REJECTED` (refused twice), `UNREACHABLE`, `TLS`,
 *   `HANDSHAKE`, `LOST`, `BAD_URL`; or whatever `resolveUrl` threw
 */
export async function forwardStdio(opts: StdioOptions): Promise<void> {
  const useEscape = opts.escape === true;
  let sessions = 0;
  let failures = 0;
  let fresh = false;
  for (;;) {
    if (opts.signal?.aborted) return;
    const first = sessions === 0;
    let opened = false;
    const useFresh = fresh;
    const resolveUrl = (f: boolean, refused?: string): Promise<string> =>
      opts.resolveUrl(f || (useFresh && !opened), refused);
    const bridge = new Bridge(
      {
        readable: opts.stdin,
        writable: opts.stdout,
        endWritable: false,
        ...(useEscape ? { filter: createEscapeFilter() } : {}),
        onOpen: () => {
          opened = true;
          opts.onOpen?.();
          if (!first) opts.err.write('--- reconnected to the console ---\n');
          else if (useEscape) opts.err.write('Connected to console (type "~." to disconnect)\n');
        },
      },
      { ...opts, resolveUrl },
      `stdio#${sessions + 1}`,
    );
    sessions += 1;
    const onAbort = (): void => bridge.abort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    let result;
    try {
      const running = bridge.run();
      opts.stdin.resume(); // a previous session paused it
      result = await running;
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }
    const { error, endedBy, bytesIn } = result;
    opts.onSessionEnd?.(error ? error.message.replace(/\.$/, '') : 'closed');
    const everOpened = opened || sessions > 1;
    // the proxy's failures, and the API's transient ones while asking for a fresh URL (refused,
    // reset, timeout, 5xx), are one failed attempt each; a definitive answer ends the session
    const retryable =
      !error || (error instanceof TunnelError ? !FINAL_CODES.has(error.code) : isTransientFailure(error));
    if (endedBy === 'local' || !opts.reconnect || !everOpened || !retryable || opts.signal?.aborted) {
      if (error) throw error;
      return;
    }
    failures = bytesIn > 0 ? 1 : failures + 1;
    if (failures > opts.reconnect.attempts) {
      throw (
        error ??
        new TunnelError('LOST', `The console kept closing: gave up after ${opts.reconnect.attempts} reconnects.`)
      );
    }
    const delay = Math.min(
      opts.reconnect.maxDelayMs ?? 8000,
      (opts.reconnect.baseDelayMs ?? 500) * 2 ** (failures - 1),
    );
    opts.err.write(
      `--- console ${error ? `lost (${error.message.replace(/\.$/, '')})` : 'closed by the remote side'}; reconnecting in ${(delay / 1000).toFixed(1)} s (attempt ${failures} of ${opts.reconnect.attempts}) ---\n`,
    );
    if (!(await sleep(delay, opts.signal))) return;
    fresh = true;
  }
}

/** Waits `ms` milliseconds; false when `signal` aborted first. */
function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      resolve(false);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
