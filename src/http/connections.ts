/**
 * How ncli opens connections, to spend few round trips on a far-away cloud (issue 18 §2):
 *
 * - **TLS sessions kept between runs**: the first connection of a run to a TLS 1.2 cloud resumes
 *   the last run's session (an abbreviated handshake: one round trip instead of two). TLS 1.3
 *   needs one either way; its resumed handshakes still skip the certificate chain.
 * - **A spare connection for servers that close theirs**: an origin whose answers say
 *   `Connection: close` (uWSGI without keep-alive, as the project's cloud runs Nova and Keystone)
 *   costs a TCP (and TLS) handshake per request. For such an origin, each time a connection is
 *   handed out the next one is opened at once, so that the next request finds it ready: one round
 *   trip per request, as with keep-alive. A spare is used only while younger than
 *   {@link SPARE_MAX_AGE_MS} (a server drops idle connections that sent no request), is never
 *   the reason the process stays alive, and is closed at the end of the run. Servers that keep
 *   connections alive get none: undici reuses the one connection.
 *
 * What is kept (the sessions — their master secrets: whoever holds one can read traffic recorded
 * under it — and which origins close connections) is one file in the cache folder,
 * `connections.json`, 0600 in the 0700 folder, each entry at most {@link KEEP_MS} old. Sessions
 * are keyed by host, port and trust settings: a session made with `--insecure` or another CA
 * bundle is never resumed under stricter ones (a resumed handshake shows no certificate to
 * check). Never printed or logged. Sources: Node's `tls.connect({session})` and `session` event
 * (nodejs.org/api/tls.html "Session resumption"); undici 7 `lib/core/connect.js`, whose
 * behaviour the connector keeps (TCP keep-alive, no Nagle, SNI by host name, ALPN http/1.1, a
 * connect timeout failing with `UND_ERR_CONNECT_TIMEOUT`).
 */
import { createHash } from 'node:crypto';
import net from 'node:net';
import type tlsModule from 'node:tls';
import { readJsonFile, writePrivateFile } from '../config/cache-files.js';

/** How long a kept entry is used, milliseconds (an hour; servers' own session lifetimes are often shorter). */
export const KEEP_MS = 3600 * 1000;
/** A spare connection older than this (milliseconds) is closed rather than used. */
export const SPARE_MAX_AGE_MS = 2000;
/** At most this many entries are kept (the newest). */
const MAX_ENTRIES = 64;

interface Kept {
  /** A TLS session, base64 (`session` event bytes); absent for a "closes connections" mark. */
  s?: string;
  /** When it was received, epoch milliseconds. */
  at: number;
}

/** TLS sessions and origins that close connections, read from and written to one private file. */
export class ConnectionStore {
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
      if (e && (e.s === undefined || typeof e.s === 'string') && typeof e.at === 'number' && this.fresh(e.at))
        this.kept.set(k, e as Kept);
    }
  }

  private fresh(at: number): boolean {
    const age = this.now() - at;
    return age >= 0 && age < KEEP_MS;
  }

  private put(key: string, e: Kept): void {
    this.kept.delete(key);
    this.kept.set(key, e);
    while (this.kept.size > MAX_ENTRIES) this.kept.delete(this.kept.keys().next().value as string);
    this.changed = true;
  }

  /** The TLS session kept for `key`, if fresh. */
  get(key: string): Buffer | undefined {
    const e = this.kept.get(`tls ${key}`);
    return e?.s && this.fresh(e.at) ? Buffer.from(e.s, 'base64') : undefined;
  }

  /** Keeps the newest TLS session of `key`. */
  set(key: string, session: Buffer): void {
    this.put(`tls ${key}`, { s: session.toString('base64'), at: this.now() });
  }

  /** Whether `origin` (`https://host:port`) answered `Connection: close` lately. */
  closes(origin: string): boolean {
    const e = this.kept.get(`close ${origin}`);
    return !!e && this.fresh(e.at);
  }

  /** Remembers that `origin` closes its connections (once per run is enough). */
  markCloses(origin: string): void {
    if (!this.closes(origin) || this.now() - (this.kept.get(`close ${origin}`)?.at ?? 0) > KEEP_MS / 2)
      this.put(`close ${origin}`, { at: this.now() });
  }

  /** Writes the file (0600, atomically) when something changed. Never throws: the cache is a convenience. */
  save(): void {
    if (!this.changed) return;
    try {
      writePrivateFile(this.file, JSON.stringify(Object.fromEntries(this.kept)));
      this.changed = false;
    } catch {
      /* a read-only cache folder: nothing kept for the next run */
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

/** Trust settings and timeout of the connections a {@link Connections} opens. */
export interface ConnectorTls {
  /** PEM CA certificates (replace the system's). */
  ca?: Buffer;
  rejectUnauthorized: boolean;
  /** Connect timeout, milliseconds. */
  timeoutMs: number;
}

/** A connection being opened or open, with its outcome. */
interface Dial {
  socket: net.Socket;
  /** Settles once connected (null) or failed (the error). */
  ready: Promise<Error | null>;
  opened: number;
}

/**
 * Whether a URL's host (as undici hands it over, IPv6 without brackets) is an IP address, not a
 * name. Not `net.isIP`/`isIPv6`: Node compiles their IPv6 regular expression at its first use,
 * 5–9 ms of every run (a CPU profile of `flavor list`, issue 21). A host name has no `:`, and one
 * of digits and dots only is an IPv4 address (no top-level domain is numeric).
 */
function isIpHost(host: string): boolean {
  return host.includes(':') || /^[\d.]+$/.test(host);
}

/** The `scheme://host:port` of undici's connect options. */
function originOf(o: ConnectOptions): string {
  const https = o.protocol === 'https:';
  const port = Number(o.port) || (https ? 443 : 80);
  const host = o.hostname.includes(':') ? `[${o.hostname}]` : o.hostname;
  return `${o.protocol}//${host}:${port}`;
}

/** node:tls, loaded for the first https connection only (6 modules of Node: ~3 ms of a plain-http run). */
function tls(): typeof tlsModule {
  return process.getBuiltinModule('node:tls');
}

/** The connections of one run: an undici connector with kept TLS sessions and spares (see the module comment). */
export class Connections {
  private readonly spares = new Map<string, Dial>();
  private readonly trust: string;

  constructor(
    private readonly opts: ConnectorTls,
    private readonly store: ConnectionStore,
  ) {
    this.trust = `${opts.rejectUnauthorized ? 'verify' : 'insecure'}:${
      opts.ca ? createHash('sha256').update(opts.ca).digest('hex').slice(0, 16) : 'system'
    }`;
  }

  /** The undici connector. */
  readonly connect: Connector = (o, callback) => {
    const origin = originOf(o);
    const key = `${origin}|${o.servername ?? ''}`;
    const spare = o.httpSocket ? undefined : this.spares.get(key);
    this.spares.delete(key);
    if (!o.httpSocket && this.store.closes(origin)) {
      // the next request of this origin will need a connection too: open it now
      const next = this.dial(o);
      next.socket.unref();
      this.spares.set(key, next);
    }
    const fresh = (): void => {
      const d = this.dial(o);
      void d.ready.then((err) => callback(err, err ? null : d.socket));
    };
    if (!spare || Date.now() - spare.opened > SPARE_MAX_AGE_MS || spare.socket.destroyed) {
      spare?.socket.destroy();
      fresh();
      return;
    }
    void spare.ready.then((err) => {
      if (err || spare.socket.destroyed || spare.socket.readableEnded) {
        spare.socket.destroy();
        fresh();
      } else {
        spare.socket.ref();
        callback(null, spare.socket);
      }
    });
  };

  /** Remembers that `origin` answered `Connection: close` (the transport calls it). */
  closes(origin: string): void {
    this.store.markCloses(origin);
  }

  /** Closes the spares and keeps what was learnt (the file). */
  close(): void {
    for (const d of this.spares.values()) d.socket.destroy();
    this.spares.clear();
    this.store.save();
  }

  private dial(o: ConnectOptions): Dial {
    const https = o.protocol === 'https:';
    const port = Number(o.port) || (https ? 443 : 80);
    let socket: net.Socket;
    if (https) {
      const servername = o.servername || (isIpHost(o.hostname) ? undefined : o.hostname);
      const key = `${o.hostname}:${port}|${this.trust}`;
      const t = tls().connect({
        ca: this.opts.ca,
        rejectUnauthorized: this.opts.rejectUnauthorized,
        servername,
        session: this.store.get(key),
        ALPNProtocols: ['http/1.1'],
        socket: o.httpSocket,
        host: o.hostname,
        port,
        ...(o.localAddress ? { localAddress: o.localAddress } : {}),
      });
      t.on('session', (session: Buffer) => this.store.set(key, session));
      socket = t;
    } else {
      socket = net.connect({ host: o.hostname, port, ...(o.localAddress ? { localAddress: o.localAddress } : {}) });
    }
    socket.setKeepAlive(true, 60_000);
    socket.setNoDelay(true);
    const ready = new Promise<Error | null>((resolve) => {
      const timer = setTimeout(() => {
        socket.destroy();
        resolve(
          Object.assign(new Error(`Connect Timeout Error (${o.hostname}:${port}, ${this.opts.timeoutMs} ms)`), {
            code: 'UND_ERR_CONNECT_TIMEOUT',
          }),
        );
      }, this.opts.timeoutMs);
      timer.unref();
      socket.once(https ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        resolve(null);
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        resolve(err);
      });
    });
    // a spare that fails before it is used is simply not used
    socket.on('error', () => undefined);
    return { socket, ready, opened: Date.now() };
  }
}
