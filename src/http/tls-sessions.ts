/**
 * TLS sessions kept between runs, so that the first connection of a run to a TLS 1.2 cloud
 * resumes the last run's session (an abbreviated handshake: one round trip instead of two; on a
 * cloud 150 ms away, 150 ms per origin per run). TLS 1.3 needs one round trip either way; its
 * resumed handshakes still skip the certificate chain.
 *
 * The sessions (their master secrets: whoever holds one can read traffic recorded under it) are
 * kept in the cache folder, `tls-sessions.json`, mode 0600 in the 0700 folder, at most
 * {@link TLS_SESSION_TTL_MS} old, keyed by host, port and trust settings — a session made with
 * `--insecure` or another CA bundle is never resumed under stricter ones (a resumed handshake
 * sends no certificate to check). Never printed or logged. A server that no longer knows the
 * session simply makes a full handshake. Node's `tls.connect({session})` and its `session` event
 * (nodejs.org/api/tls.html "Session resumption").
 */
import { createHash } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { readJsonFile, writePrivateFile } from '../config/cache-files.js';

/** How long a kept session is offered, milliseconds (an hour; servers' own lifetimes are often shorter). */
export const TLS_SESSION_TTL_MS = 3600 * 1000;
/** At most this many sessions are kept (the newest). */
const MAX_SESSIONS = 32;

interface Kept {
  /** The session, base64 (`tls.TLSSocket#getSession()` bytes). */
  s: string;
  /** When it was received, epoch milliseconds. */
  at: number;
}

/** TLS sessions by connection key, read from and written to one private file. */
export class TlsSessionStore {
  private readonly kept = new Map<string, Kept>();
  private changed = false;

  /**
   * @param file the JSON file (read now; a missing, corrupt or foreign file is an empty store)
   * @param now the clock, epoch milliseconds (tests)
   */
  constructor(
    private readonly file: string,
    private readonly now: () => number = Date.now,
  ) {
    const data = readJsonFile<unknown>(file);
    if (!data || typeof data !== 'object' || Array.isArray(data)) return;
    for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
      const e = v as Partial<Kept> | null;
      if (e && typeof e.s === 'string' && typeof e.at === 'number' && this.fresh(e.at)) this.kept.set(k, e as Kept);
    }
  }

  private fresh(at: number): boolean {
    const age = this.now() - at;
    return age >= 0 && age < TLS_SESSION_TTL_MS;
  }

  /** The session kept for `key`, if fresh. */
  get(key: string): Buffer | undefined {
    const e = this.kept.get(key);
    return e && this.fresh(e.at) ? Buffer.from(e.s, 'base64') : undefined;
  }

  /** Keeps the newest session of `key` (written by {@link save}). */
  set(key: string, session: Buffer): void {
    this.kept.delete(key);
    this.kept.set(key, { s: session.toString('base64'), at: this.now() });
    while (this.kept.size > MAX_SESSIONS) this.kept.delete(this.kept.keys().next().value as string);
    this.changed = true;
  }

  /** Writes the file (0600, atomically) when a session arrived. Never throws: the cache is a convenience. */
  save(): void {
    if (!this.changed) return;
    try {
      writePrivateFile(this.file, JSON.stringify(Object.fromEntries(this.kept)));
      this.changed = false;
    } catch {
      /* a read-only cache folder: no resumption next run */
    }
  }
}

/** What undici passes a custom connector (undici 7 `lib/core/connect.js` `buildConnector`). */
export interface ConnectOptions {
  hostname: string;
  host?: string;
  protocol: string;
  port: string | number;
  servername?: string | null;
  localAddress?: string | null;
  httpSocket?: net.Socket;
}

/** An undici `connect` function. */
export type Connector = (o: ConnectOptions, callback: (err: Error | null, socket: net.Socket | null) => void) => void;

/** Trust settings of the connections a {@link sessionConnector} opens. */
export interface ConnectorTls {
  /** PEM CA certificates (replace the system's). */
  ca?: Buffer;
  rejectUnauthorized: boolean;
  /** Connect timeout, milliseconds. */
  timeoutMs: number;
}

/**
 * An undici connector that behaves as undici's own (TCP keep-alive, no Nagle, SNI by host name,
 * ALPN http/1.1, a connect timeout failing with `UND_ERR_CONNECT_TIMEOUT`) and offers, for TLS,
 * the session `store` holds for that host, port and trust settings, keeping each new one.
 */
export function sessionConnector(opts: ConnectorTls, store: TlsSessionStore): Connector {
  const trust = `${opts.rejectUnauthorized ? 'verify' : 'insecure'}:${
    opts.ca ? createHash('sha256').update(opts.ca).digest('hex').slice(0, 16) : 'system'
  }`;
  return (o, callback) => {
    const https = o.protocol === 'https:';
    const port = Number(o.port) || (https ? 443 : 80);
    let socket: net.Socket;
    let done = false;
    const finish = (err: Error | null, s: net.Socket | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      callback(err, s);
    };
    if (https) {
      const servername = o.servername || (net.isIP(o.hostname) ? undefined : o.hostname);
      const key = `${o.hostname}:${port}|${trust}`;
      const t = tls.connect({
        ca: opts.ca,
        rejectUnauthorized: opts.rejectUnauthorized,
        servername,
        session: store.get(key),
        ALPNProtocols: ['http/1.1'],
        socket: o.httpSocket,
        host: o.hostname,
        port,
        ...(o.localAddress ? { localAddress: o.localAddress } : {}),
      });
      t.on('session', (session: Buffer) => store.set(key, session));
      socket = t;
    } else {
      socket = net.connect({
        host: o.hostname,
        port,
        ...(o.localAddress ? { localAddress: o.localAddress } : {}),
      });
    }
    socket.setKeepAlive(true, 60_000);
    socket.setNoDelay(true);
    const timer = setTimeout(() => {
      const err = Object.assign(new Error(`Connect Timeout Error (${o.hostname}:${port}, ${opts.timeoutMs} ms)`), {
        code: 'UND_ERR_CONNECT_TIMEOUT',
      });
      socket.destroy();
      finish(err, null);
    }, opts.timeoutMs);
    socket.once(https ? 'secureConnect' : 'connect', () => finish(null, socket));
    socket.on('error', (err) => finish(err, null));
  };
}
