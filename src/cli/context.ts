/**
 * The one wiring point between the command layer and everything else (gh's `Factory`): the
 * streams, the global options, and lazily built clients. A handler asks for `ctx.compute()`;
 * only then are the HTTP stack, the identity client and the token cache imported, so `--help`,
 * `--version` and completion never load them.
 */
import type { ConfigFlags, ResolvedConfig } from '../config/options.js';
import type { ComputeClient } from '../compute/client.js';
import type { Authenticator } from '../identity/keystone.js';
import type { TokenStore } from '../identity/token-cache.js';
import type { Timing, Transport } from '../http/transport.js';
import { renderList, renderShow, type Format, type Row } from './output.js';

/** Global flags as parsed: the connection settings plus run switches. */
export interface GlobalFlags extends ConfigFlags {
  debug?: boolean;
  timings?: boolean;
}

/** Standard streams and environment of a run (tests pass buffers). */
export interface IO {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

/** Per-command output choice (`-f`, `-c`). */
export interface OutputChoice {
  format?: Format;
  columns?: string[];
}

export class Context {
  readonly timings: Timing[] = [];
  private cfg?: Promise<ResolvedConfig>;
  private transportP?: Promise<Transport>;
  private authP?: Promise<Authenticator>;
  private computeP?: Promise<ComputeClient>;
  private storeP?: Promise<TokenStore | null>;

  constructor(
    readonly io: IO,
    readonly globals: GlobalFlags,
    readonly output: OutputChoice = {},
  ) {}

  /** Writes to standard output. */
  write(text: string): void {
    this.io.out.write(text);
  }

  /** Writes one line to standard error. */
  warn(line: string): void {
    this.io.err.write(line + '\n');
  }

  /** A `--debug` line on standard error (callers pass redacted text; the transport redacts). */
  readonly debug = (line: string): void => {
    if (this.globals.debug) this.io.err.write(`DEBUG ${line}\n`);
  };

  /** Connection settings (flags > env > clouds.yaml). @throws ConfigError */
  config(): Promise<ResolvedConfig> {
    this.cfg ??= import('../config/options.js').then((m) => m.resolveConfig(this.globals, this.io.env));
    return this.cfg;
  }

  /** The process's HTTP transport. */
  transport(): Promise<Transport> {
    this.transportP ??= (async () => {
      const cfg = await this.config();
      const { Transport } = await import('../http/transport.js');
      return new Transport({
        timeoutSeconds: cfg.timeoutSeconds,
        cacert: cfg.cacert,
        insecure: cfg.insecure,
        debug: this.globals.debug ? this.debug : undefined,
        timings: this.timings,
      });
    })();
    return this.transportP;
  }

  /** The token cache (keychain or file), or null with `--no-cache`. */
  tokenStore(): Promise<TokenStore | null> {
    this.storeP ??= (async () => {
      const cfg = await this.config();
      if (!cfg.cache) return null;
      const { openTokenStore } = await import('../identity/token-cache.js');
      return openTokenStore(this.io.env, this.debug);
    })();
    return this.storeP;
  }

  /** The identity client of this run. */
  authenticator(): Promise<Authenticator> {
    this.authP ??= (async () => {
      const [cfg, transport, store, { Authenticator }] = await Promise.all([
        this.config(),
        this.transport(),
        this.tokenStore(),
        import('../identity/keystone.js'),
      ]);
      return new Authenticator(cfg, transport, store);
    })();
    return this.authP;
  }

  /** The compute client of this run. */
  compute(): Promise<ComputeClient> {
    this.computeP ??= (async () => {
      const [cfg, transport, auth, { Session }, { ComputeClient }, { cacheDir }, { join }] = await Promise.all([
        this.config(),
        this.transport(),
        this.authenticator(),
        import('../http/session.js'),
        import('../compute/client.js'),
        import('../config/cache-files.js'),
        import('node:path'),
      ]);
      const session = new Session(transport, auth, this.globals.debug ? this.debug : undefined);
      return new ComputeClient(session, () => auth.endpoint('compute'), {
        requestedVersion: cfg.computeApiVersion,
        discoveryDir: cfg.cache ? join(cacheDir(this.io.env), 'discovery') : undefined,
      });
    })();
    return this.computeP;
  }

  /** Prints rows in the chosen format. @throws OutputOptionError */
  async list(columns: string[], rows: Row[]): Promise<void> {
    this.write(await renderList(columns, rows, this.output.format, this.output.columns));
  }

  /** Prints one resource in the chosen format. @throws OutputOptionError */
  async show(obj: Row): Promise<void> {
    this.write(await renderShow(obj, this.output.format, this.output.columns));
  }

  // --- names cache for shell completion (issue 4) ---------------------------------------------
  /**
   * Records the servers or flavors a command just saw in the names cache shell completion reads
   * (src/completion/names-cache.ts), for this run's cloud and project. `complete: true` means an
   * unfiltered listing of the whole project and replaces the set; otherwise the items are merged
   * in. Nothing is written with `--no-cache` / `OS_CACHE=false`. Never throws and never prints
   * (a `--debug` line on failure): the cache is a convenience.
   */
  async rememberNames(
    kind: 'server' | 'flavor',
    items: readonly { id: string; name?: string }[],
    opts: { complete: boolean },
  ): Promise<void> {
    try {
      const [cfg, { rememberNames }] = await Promise.all([this.config(), import('../completion/names-cache.js')]);
      rememberNames(this.io.env, cfg, kind, items, opts);
    } catch (e) {
      this.debug(`names cache not updated: ${(e as Error).message}`);
    }
  }
  // --- end names cache ------------------------------------------------------------------------

  /** Ends the run: the `--timings` table, and idle connections closed. */
  async close(): Promise<void> {
    if (this.globals.timings && this.timings.length) {
      const rows = this.timings.map((t) => ({
        Method: t.method,
        URL: t.url,
        Status: t.status,
        Seconds: t.seconds.toFixed(3),
      }));
      const total = this.timings.reduce((s, t) => s + t.seconds, 0);
      rows.push({ Method: 'Total', URL: '', Status: '', Seconds: total.toFixed(3) });
      this.io.err.write(await renderList(['Method', 'URL', 'Status', 'Seconds'], rows, 'table'));
    }
    if (this.transportP) await (await this.transportP.catch(() => undefined))?.close();
  }
}
