/**
 * The one wiring point between the command layer and everything else (gh's `Factory`): the
 * streams, the global options, and lazily built clients. A handler asks for `ctx.compute()` or
 * `ctx.server(name)`; only then are the HTTP stack, the identity client and the token cache
 * imported, so `--help`, `--version` and completion never load them.
 */
import type { Dispatcher } from 'undici';
import type { GlobalFlags } from '../config/global-options.js';
import type { ResolvedConfig, ResolvedSettings } from '../config/options.js';
import type { ComputeClient } from '../compute/client.js';
import type { ImageClient } from '../compute/images.js';
import type { NetworkClient } from '../network/client.js';
import type { VolumeClient } from '../volume/client.js';
import type { Session } from '../http/session.js';
import type { Flavor, Server } from '../compute/types.js';
import type { Authenticator } from '../identity/keystone.js';
import type { TokenStore } from '../identity/token-cache.js';
import type { Timing, Transport } from '../http/transport.js';
import type { NotFoundError } from '../errors.js';
import type { NameKind } from '../name-kinds.js';
import type { IO } from './io.js';
import type { NameLookup, Resource } from '../compute/resource.js';
import type { Query } from '../compute/client.js';
import { preloadTable, renderList, renderShow, type RenderOptions, type Row } from './output.js';

export type { IO } from './io.js';

/**
 * Per-command output choice: `-f`, `-c`, `--sort-column`, `--sort-descending`, `--max-width`,
 * `--fit-width`, `--prefix` (src/cli/output.ts `outputOptions`).
 */
export type OutputChoice = Omit<RenderOptions, 'terminalWidth'>;

/** What tests inject instead of the real network and keychain. */
export interface ContextDeps {
  /** undici dispatcher for every API request (a MockAgent in tests). */
  dispatcher?: Dispatcher;
  /** The token cache (null: none), instead of the keychain or file. */
  tokenStore?: TokenStore | null;
  /**
   * Asks the person at the terminal for a secret instead of `askSecret` (src/cli/prompt.ts); a
   * fan-out run (src/cli/fanout.ts) asks one cloud at a time and names the cloud.
   */
  ask?: (question: string) => Promise<string>;
}

/** TLS settings for the API transport and the console tunnel: the CA bundle read once, and `--insecure`. */
export interface TlsSettings {
  /** PEM CA certificates of `--os-cacert` (replace the system's). */
  ca?: Buffer;
  insecure: boolean;
}

/** How long image names from the names cache are trusted by `server list` (a day, in milliseconds). */
export const IMAGE_NAMES_TTL_MS = 24 * 3600 * 1000;

export class Context {
  readonly timings: Timing[] = [];
  private settingsP?: Promise<ResolvedSettings>;
  /** The configuration's inputs for the names cache's scope index (src/config/names-index.ts). */
  private scopeInputs?: string;
  private scopeRecorded = false;
  private cfg?: Promise<ResolvedConfig>;
  private tlsP?: Promise<TlsSettings>;
  private transportP?: Promise<Transport>;
  private authP?: Promise<Authenticator>;
  private computeP?: Promise<ComputeClient>;
  private imagesP?: Promise<ImageClient>;
  private networkP?: Promise<NetworkClient>;
  private volumesP?: Promise<VolumeClient>;
  private sessionP?: Promise<Session>;
  private storeP?: Promise<TokenStore | null>;
  private readonly namesToWrite: (() => Promise<void>)[] = [];

  constructor(
    readonly io: IO,
    readonly globals: Partial<GlobalFlags>,
    readonly output: OutputChoice = {},
    private readonly deps: ContextDeps = {},
  ) {}

  /** Writes text (or bytes: a PNG) to standard output. */
  write(text: string | Uint8Array): void {
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

  /** Every global setting (flags > env > clouds.yaml), with no check that they can authenticate. @throws ConfigError */
  settings(): Promise<ResolvedSettings> {
    this.settingsP ??= (async () => {
      const [m, index] = await Promise.all([import('../config/options.js'), import('../config/names-index.js')]);
      // what the configuration is made of, taken before its files are read (src/config/names-index.ts)
      this.scopeInputs = index.scopeInputs(this.globals, this.io.env);
      return m.resolveSettings(this.globals, this.io.env);
    })();
    return this.settingsP;
  }

  /**
   * Connection settings (flags > env > clouds.yaml). A password login without its password asks
   * for it on a terminal (no echo), as openstackclient does. @throws ConfigError
   */
  config(): Promise<ResolvedConfig> {
    this.cfg ??= (async () => {
      const [resolved, m] = await Promise.all([this.settings(), import('../config/options.js')]);
      const missing = m.missingPassword(resolved);
      if (missing) {
        const { askSecret, canPrompt } = await import('./prompt.js');
        if (canPrompt(this.io)) {
          const question = `Password for user '${missing.user}': `;
          const password = await (this.deps.ask?.(question) ?? askSecret(this.io, question));
          return m.configFromSettings({ ...resolved, settings: { ...resolved.settings, osPassword: password } });
        }
      }
      return m.configFromSettings(resolved);
    })();
    return this.cfg;
  }

  /**
   * `--os-cacert` (read once) and `--insecure`, from the settings alone: `console tunnel --url`
   * needs them without credentials. @throws ConfigError (`CA_BUNDLE` for an unreadable bundle)
   */
  tls(): Promise<TlsSettings> {
    this.tlsP ??= Promise.all([this.settings(), import('../config/options.js')]).then(([{ settings }, m]) => ({
      ...(settings.osCacert ? { ca: m.readCaBundle(settings.osCacert) } : {}),
      insecure: settings.insecure ?? false,
    }));
    return this.tlsP;
  }

  /** The process's HTTP transport. */
  transport(): Promise<Transport> {
    this.transportP ??= (async () => {
      const [{ settings }, tls, { Transport }] = await Promise.all([
        this.settings(),
        this.tls(),
        import('../http/transport.js'),
      ]);
      return new Transport({
        timeoutSeconds: settings.timeout ?? 30,
        ...tls,
        connectionsFile: settings.cache === false ? undefined : await this.connectionsFile(),
        debug: this.globals.debug ? this.debug : undefined,
        timings: this.timings,
        dispatcher: this.deps.dispatcher,
        env: this.io.env,
        onFirstSend: this.output.format === 'table' ? preloadTable : undefined,
      });
    })();
    return this.transportP;
  }

  /** `connections.json` in the cache folder (src/http/connections.ts). */
  private async connectionsFile(): Promise<string> {
    const [dirs, path] = await Promise.all([import('../config/cache-dir.js'), import('node:path')]);
    return path.join(dirs.cacheDir(this.io.env), 'connections.json');
  }

  /** The token cache (keychain or file), or null with `--no-cache`. */
  tokenStore(): Promise<TokenStore | null> {
    this.storeP ??= (async () => {
      if (this.deps.tokenStore !== undefined) return this.deps.tokenStore;
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
      const [cfg, transport, store, { Authenticator }, { askSecret, canPrompt }] = await Promise.all([
        this.config(),
        this.transport(),
        this.tokenStore(),
        import('../identity/keystone.js'),
        import('./prompt.js'),
      ]);
      const ask = canPrompt(this.io)
        ? (question: string) => this.deps.ask?.(question) ?? askSecret(this.io, question)
        : undefined;
      const a = new Authenticator(cfg, transport, store, Date.now, ask);
      if (cfg.auth.method.type === 'oidc') a.loginUi = (await import('./login-ui.js')).loginUi(this);
      return a;
    })();
    return this.authP;
  }

  /**
   * The compute client of this run: authenticates (from the token cache when it can) to read the
   * compute endpoint from the service catalog, then builds the client.
   * @throws ConfigError, AuthError, NcliError `ENDPOINT_NOT_FOUND`, NetworkError
   */
  compute(): Promise<ComputeClient> {
    this.computeP ??= (async () => {
      const [cfg, auth, session, { ComputeClient }, files, path] = await Promise.all([
        this.config(),
        this.authenticator(),
        this.session(),
        import('../compute/client.js'),
        import('../config/cache-files.js'),
        import('node:path'),
      ]);
      const endpoint = await auth.endpoint('compute');
      return new ComputeClient(session, endpoint, {
        requestedVersion: cfg.computeApiVersion,
        versions: cfg.cache ? files.versionCache(path.join(files.cacheDir(this.io.env), 'discovery')) : undefined,
      });
    })();
    return this.computeP;
  }

  /** The authenticated session every service client of this run shares (one re-authentication for all). */
  private session(): Promise<Session> {
    this.sessionP ??= Promise.all([this.transport(), this.authenticator(), import('../http/session.js')]).then(
      ([transport, auth, { Session }]) => new Session(transport, auth, this.globals.debug ? this.debug : undefined),
    );
    return this.sessionP;
  }

  /**
   * The image (Glance v2) client of this run: the `image` service of the catalog, through the same
   * authenticated session as Nova.
   * @throws ConfigError, AuthError, NcliError `ENDPOINT_NOT_FOUND` (a cloud without Glance in the
   *   catalog), NetworkError
   */
  images(): Promise<ImageClient> {
    this.imagesP ??= (async () => {
      const [auth, session, { ImageClient }] = await Promise.all([
        this.authenticator(),
        this.session(),
        import('../compute/images.js'),
      ]);
      return new ImageClient(session, await auth.endpoint('image'));
    })();
    return this.imagesP;
  }

  /**
   * Keystone's projects (src/identity/projects.ts) at the auth URL, through the run's session.
   * @throws ConfigError, AuthError
   */
  async projects(): Promise<import('../identity/projects.js').ProjectClient> {
    const [cfg, session, { ProjectClient }, own] = await Promise.all([
      this.config(),
      this.session(),
      import('../identity/projects.js'),
      this.currentProject(),
    ]);
    return new ProjectClient(session, cfg.auth.authUrl, own);
  }

  /** The ID and name of the project this run's token is scoped to. @throws AuthError, NetworkError */
  async currentProject(): Promise<{ id?: string; name?: string }> {
    const st = await (await this.authenticator()).state();
    return { id: st.projectId, name: st.projectName };
  }

  /**
   * The Neutron client of this run (src/network/client.ts): the `network` service of the catalog,
   * through the same authenticated session as Nova.
   * @throws ConfigError, AuthError, NcliError `ENDPOINT_NOT_FOUND`, NetworkError
   */
  network(): Promise<NetworkClient> {
    this.networkP ??= (async () => {
      const [auth, session, { NetworkClient }] = await Promise.all([
        this.authenticator(),
        this.session(),
        import('../network/client.js'),
      ]);
      const endpoint = await auth.endpoint('network');
      return new NetworkClient(session, endpoint, (await auth.state()).projectId);
    })();
    return this.networkP;
  }

  /**
   * The Cinder client of this run (src/volume/client.ts): the `block-storage` service of the
   * catalog, else `volumev3`, else `volume`, through the same authenticated session as Nova.
   * @throws ConfigError, AuthError, NcliError `ENDPOINT_NOT_FOUND` (none of the three), NetworkError
   */
  volumes(): Promise<VolumeClient> {
    this.volumesP ??= (async () => {
      const [auth, session, { VolumeClient }, { isNcliError }] = await Promise.all([
        this.authenticator(),
        this.session(),
        import('../volume/client.js'),
        import('../errors.js'),
      ]);
      let first: unknown;
      for (const type of ['block-storage', 'volumev3', 'volume']) {
        try {
          return new VolumeClient(session, await auth.endpoint(type));
        } catch (e) {
          if (!(isNcliError(e) && e.code === 'ENDPOINT_NOT_FOUND')) throw e;
          first ??= e;
        }
      }
      throw first;
    })();
    return this.volumesP;
  }

  /**
   * An image by name or ID from Glance (src/compute/images.ts `findImage`), remembered for shell
   * completion and for the Image column of `server list`.
   * @throws NotFoundError (`NOT_FOUND`, `AMBIGUOUS`), ApiError, NcliError `ENDPOINT_NOT_FOUND`
   */
  async image(ref: string): Promise<{ id: string; name?: string | null }> {
    const image = await (await this.images()).findImage(ref);
    await this.rememberNames('image', [{ id: image.id, name: image.name ?? undefined }], { complete: false });
    return image;
  }

  /**
   * The names of these image IDs, for the Image column of `server list`: from the names cache
   * when it was written in the last {@link IMAGE_NAMES_TTL_MS}, else from Glance (`id=in:…`, as
   * openstackclient does), and remembered. An image Glance does not show (deleted, another
   * project's) has no entry. Never throws: a Glance failure is a `--debug` line and IDs stay IDs.
   */
  async imageNames(ids: readonly string[]): Promise<Map<string, string>> {
    const names = new Map<string, string>();
    const wanted = [...new Set(ids.filter(Boolean))];
    if (!wanted.length) return names;
    const cached = await this.cachedNames('image');
    if (cached && Date.now() - cached.updatedAt < IMAGE_NAMES_TTL_MS) {
      for (const it of cached.items) if (it.name) names.set(it.id, it.name);
    }
    const missing = wanted.filter((id) => !names.has(id));
    if (!missing.length) return names;
    try {
      const found = await (await this.images()).imagesById(missing);
      for (const i of found) if (i.name) names.set(i.id, i.name);
      const fresh = found.filter((i) => i.name).map((i) => ({ id: i.id, name: i.name ?? undefined }));
      if (fresh.length) await this.rememberNames('image', fresh, { complete: false });
    } catch (e) {
      this.debug(`image names not looked up: ${(e as Error).message}`);
    }
    return names;
  }

  /**
   * A server by name or ID (src/compute/find.ts `findServer`), remembered for shell completion.
   * @throws NotFoundError (`NOT_FOUND`, `AMBIGUOUS`), ApiError
   */
  async server(ref: string, opts: { allProjects?: boolean; refetch?: boolean } = {}): Promise<Server> {
    const [compute, { findServer }, cached] = await Promise.all([
      this.compute(),
      import('../compute/find.js'),
      // with refetch, the ID the names cache holds is fetched together with the name search
      opts.refetch && !opts.allProjects ? this.cachedNames('server') : undefined,
    ]);
    const guessId = cached?.items.find((it) => it.name === ref)?.id;
    const server = await findServer(compute, ref, { ...opts, guessId });
    if (!opts.allProjects) await this.rememberNames('server', [server], { complete: false });
    return server;
  }

  /**
   * Several servers by name or ID in few requests (src/compute/find.ts `findServers`), the ones
   * found remembered for shell completion.
   * @returns for each distinct ref, its server or its NotFoundError
   * @throws ApiError, NetworkError (a request failed as a whole)
   */
  async servers(
    refs: readonly string[],
    opts: { allProjects?: boolean; softDeleted?: 'only' | 'also' } = {},
  ): Promise<Map<string, Server | NotFoundError>> {
    const [compute, { findServers }] = await Promise.all([this.compute(), import('../compute/find.js')]);
    const found = await findServers(compute, refs, opts);
    const servers = [...found.values()].filter((s): s is Server => !(s instanceof Error));
    if (!opts.allProjects && !opts.softDeleted && servers.length) {
      await this.rememberNames('server', servers, { complete: false });
    }
    return found;
  }

  /**
   * A flavor by ID (tried first) or name among all the caller may see, remembered for shell completion.
   * @throws NotFoundError (`NOT_FOUND`, `AMBIGUOUS`), ApiError
   */
  async flavor(ref: string): Promise<Flavor> {
    const { FLAVOR } = await import('../compute/resources/flavor.js');
    return this.find(FLAVOR, ref, { query: { is_public: 'None' } });
  }

  /**
   * The render options of this run: the command's output choice, the terminal's width, and
   * cliff's environment (`CLIFF_MAX_TERM_WIDTH`, `CLIFF_FIT_WIDTH=1`); a table on a terminal fits
   * it, as cliff's does.
   */
  renderOptions(): RenderOptions {
    const env = this.io.env;
    const envMax = Number(env.CLIFF_MAX_TERM_WIDTH);
    const tty = this.io.out.isTTY === true;
    return {
      ...this.output,
      maxWidth: this.output.maxWidth ?? (Number.isInteger(envMax) && envMax > 0 ? envMax : undefined),
      fitWidth: this.output.fitWidth ?? (env.CLIFF_FIT_WIDTH === '1' || tty),
      terminalWidth: tty ? this.io.out.columns : Number(env.COLUMNS) || undefined,
    };
  }

  /** Prints rows in the chosen format. @throws UsageError for an unknown `-c` or `--sort-column` column */
  async list(columns: string[], rows: Row[]): Promise<void> {
    this.write(await renderList(columns, rows, this.renderOptions()));
  }

  /**
   * Prints items of a resource with its columns (src/compute/resource.ts): the default ones, or
   * every one with `long`; `names` gives the names of other resources a column shows.
   * @throws UsageError for an unknown `-c` or `--sort-column` column
   */
  async listOf<T>(
    resource: Pick<Resource<T>, 'columns'>,
    items: readonly T[],
    opts: { long?: boolean; names?: NameLookup } = {},
  ): Promise<void> {
    const { columnsOf, rowsOf } = await import('../compute/resource.js');
    const columns = columnsOf(resource, opts.long);
    await this.list(
      columns.map((c) => c.name),
      rowsOf(columns, items, opts.names),
    );
  }

  /**
   * An item of a resource by ID or exact name (src/compute/resource.ts `findResource`),
   * remembered for shell completion under the resource's kind.
   * @param opts.query extra query parameters of the name search (e.g. `all_tenants`)
   * @param opts.remember false: not remembered (another project's items)
   * @throws NotFoundError (`NOT_FOUND`, `AMBIGUOUS`), ApiError, NetworkError
   */
  async find<T>(resource: Resource<T>, ref: string, opts: { query?: Query; remember?: boolean } = {}): Promise<T> {
    const [compute, m] = await Promise.all([this.compute(), import('../compute/resource.js')]);
    const item = await m.findResource(compute, resource, ref, { query: opts.query });
    if (opts.remember !== false) {
      await this.rememberNames(resource.kind, [{ id: m.idOf(resource, item), name: m.nameOf(resource, item) }], {
        complete: false,
      });
    }
    return item;
  }

  /**
   * Remembers a whole listing of a resource for shell completion (`complete`: it was unfiltered,
   * so it replaces what the cache had).
   */
  async rememberAll<T>(resource: Resource<T>, items: readonly T[], complete: boolean): Promise<void> {
    const m = await import('../compute/resource.js');
    await this.rememberNames(
      resource.kind,
      items.map((it) => ({ id: m.idOf(resource, it), name: m.nameOf(resource, it) })),
      { complete },
    );
  }

  /**
   * Prints one resource in the chosen format, its fields sorted by name unless `opts.fieldOrder`
   * is `given` (see RenderOptions). @throws UsageError for an unknown `-c` field
   */
  async show(obj: Row, opts: { fieldOrder?: 'sorted' | 'given' } = {}): Promise<void> {
    this.write(await renderShow(obj, { ...this.renderOptions(), ...opts }));
  }

  /**
   * Prints several resources as {@link show} prints one (`-f json`: an array).
   * @throws UsageError for `-f shell` or an unknown `-c` field
   */
  async showMany(objs: readonly Row[]): Promise<void> {
    const { renderShowMany } = await import('./output.js');
    this.write(await renderShowMany(objs, this.renderOptions()));
  }

  /**
   * Records the servers, flavors or images a command just saw in the names cache shell completion
   * reads (src/config/names-cache.ts), for this run's cloud and project. `complete: true` means
   * an unfiltered listing of the whole project and replaces the set; otherwise the items are merged
   * in, after the IDs in `forget` (deleted servers) are dropped. The file is written when the run
   * ends ({@link close}), after the output: a reader of the output never waits for it. Nothing is
   * written with `--no-cache` / `OS_CACHE=false`. Never throws and never prints (a `--debug` line
   * on failure): the cache is a convenience.
   */
  rememberNames(
    kind: NameKind,
    items: readonly { id: string; name?: string }[],
    opts: { complete: boolean; forget?: readonly string[] },
  ): Promise<void> {
    // written when the run ends (close()), after the output: nobody waits for the cache
    this.namesToWrite.push(() => this.writeNames(kind, [...items], opts));
    return Promise.resolve();
  }

  /** Writes what {@link rememberNames} collected, in order, then notes the scope once a run. Never throws. */
  private async flushNames(): Promise<void> {
    const writes = this.namesToWrite.splice(0);
    for (const write of writes) await write();
    if (writes.length && !this.scopeRecorded) await this.recordScope();
  }

  /**
   * Notes in the names cache's scope index which scope this run's configuration inputs gave, so
   * that a TAB with the same inputs finds the names without resolving (src/config/names-index.ts).
   * Never throws.
   */
  private async recordScope(): Promise<void> {
    this.scopeRecorded = true;
    if (this.scopeInputs === undefined) return;
    try {
      const [cfg, { namesScopeKey }, { recordScope }] = await Promise.all([
        this.config(),
        import('../config/names-cache.js'),
        import('../config/names-index.js'),
      ]);
      if (cfg.cache) recordScope(this.io.env, this.scopeInputs, namesScopeKey(cfg));
    } catch (e) {
      this.debug(`names scope index not updated: ${(e as Error).message}`);
    }
  }

  private async writeNames(
    kind: NameKind,
    items: readonly { id: string; name?: string }[],
    opts: { complete: boolean; forget?: readonly string[] },
  ): Promise<void> {
    try {
      const [cfg, { rememberNames }] = await Promise.all([this.config(), import('../config/names-cache.js')]);
      rememberNames(this.io.env, cfg, kind, items, opts);
    } catch (e) {
      this.debug(`names cache not updated: ${(e as Error).message}`);
    }
  }

  /**
   * The cached names of one kind for this run's cloud and project, with the cache file's age
   * (epoch milliseconds); undefined with the cache off or empty. Never throws.
   */
  async cachedNames(
    kind: NameKind,
  ): Promise<{ items: { id: string; name?: string }[]; updatedAt: number } | undefined> {
    await this.flushNames();
    try {
      const [cfg, { cachedNames }] = await Promise.all([this.config(), import('../config/names-cache.js')]);
      return cachedNames(this.io.env, cfg, kind);
    } catch (e) {
      this.debug(`names cache not read: ${(e as Error).message}`);
      return undefined;
    }
  }

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
    await this.flushNames();
    if (this.transportP) await (await this.transportP.catch(() => undefined))?.close();
  }
}
