/**
 * One read-only command on several clouds and regions at once: `--os-cloud a,b,c` (or
 * `OS_CLOUD=a,b,c`), `--all-clouds` (every cloud of clouds.yaml) and `--all-regions` (every region
 * of the cloud's service catalog that has a compute endpoint for the interface in use).
 *
 * A command opts in with `fanout: true` in its spec (src/arg-spec.ts); its handler is unchanged.
 * Each (cloud, region) gets a context of its own ({@link TargetContext}: its own settings,
 * transport, Keystone session, token cache entry and re-authentication, as a single-cloud run
 * has), the handler runs on it, and what the handler prints (`ctx.list`, `ctx.listOf`,
 * `ctx.show`, `ctx.showMany`) is kept instead of printed. At most {@link FANOUT_PARALLEL} targets
 * run at once. Then the rows of every target are printed as one list whose first columns are
 * `Cloud` and `Region`, in every format (`-c`, `--sort-column` and `-f` apply to the whole list).
 * A show-type command (one object per target) becomes one row per target: `-f json` is an array
 * of objects with `Cloud` and `Region` keys first, then the object's fields.
 *
 * A target that fails (unreachable, refused credentials, a passcode nobody can type, no compute
 * endpoint in that region) is one line on stderr naming the cloud and the region and the cause;
 * the other targets' rows still print and the exit code is 1. A command without `fanout: true`
 * (every action) is refused in one line, exit 2, before any request (src/cli/main.ts calls
 * {@link checkFanout}), so a name is never looked up in several clouds to act on.
 *
 * The same idea as `openstack --os-cloud` run N times in parallel (openstacksdk has no fan-out of
 * its own); region discovery follows keystoneauth's catalog (`ServiceCatalogV3`: `region_id`,
 * falling back to `region`).
 */
import type { GlobalFlags } from '../config/global-options.js';
import { ConfigError, NcliError, UsageError, isNcliError } from '../errors.js';
import type { CatalogService } from '../identity/catalog.js';
import { Context, type ContextDeps, type IO, type OutputChoice } from './context.js';
import { exitCodeFor, messageFor } from './errors.js';
import type { RenderOptions, Row } from './output.js';
import type { CommandSpec, Manifest } from './spec.js';

/** How many (cloud, region) targets run at once. */
export const FANOUT_PARALLEL = 4;

/** What a run asks for: several clouds, every cloud, every region. */
export interface FanoutAsk {
  /**
   * The clouds named (`--os-cloud a,b` / `OS_CLOUD=a,b`), in order, without repeats; undefined with
   * `--all-clouds` (every cloud of clouds.yaml); `[undefined]` for `--all-regions` without a cloud
   * (the `OS_*` variables' cloud).
   */
  clouds?: (string | undefined)[];
  allRegions: boolean;
  /** How the person asked, for messages: `--all-regions`, `--all-clouds`, `--os-cloud a,b`, `OS_CLOUD=a,b`. */
  asked: string;
}

/**
 * The fan-out the global options ask for, or undefined for an ordinary run. A flag beats the
 * environment, as for every option (`--os-cloud a` with `OS_CLOUD=b,c` is cloud a alone).
 * @throws UsageError for `--all-clouds` with `--os-cloud`, `--all-regions` with
 *   `--os-region-name`, or a comma list that names no cloud
 */
export function fanoutAsk(globals: Partial<GlobalFlags>, env: NodeJS.ProcessEnv): FanoutAsk | undefined {
  const flag = globals.osCloud !== undefined && globals.osCloud !== '' ? globals.osCloud : undefined;
  const raw = flag ?? (env.OS_CLOUD || undefined);
  const isList = raw?.includes(',') ?? false;
  if (!globals.allClouds && !globals.allRegions && !isList) return undefined;
  if (globals.allClouds && flag !== undefined) {
    throw new UsageError('--all-clouds and --os-cloud contradict each other; give one of them.');
  }
  if (globals.allRegions && globals.osRegionName) {
    throw new UsageError('--all-regions and --os-region-name contradict each other; give one of them.');
  }
  const names = [
    ...new Set(
      (raw ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
  if (isList && !globals.allClouds && names.length === 0) {
    throw new UsageError(`${flag !== undefined ? '--os-cloud' : 'OS_CLOUD'} '${raw}' names no cloud.`);
  }
  const asked = globals.allClouds
    ? '--all-clouds'
    : isList
      ? flag !== undefined
        ? `--os-cloud ${raw}`
        : `OS_CLOUD=${raw}`
      : '--all-regions';
  return {
    clouds: globals.allClouds ? undefined : names.length ? names : [undefined],
    allRegions: !!globals.allRegions,
    asked,
  };
}

/**
 * Refuses, before any request, a fan-out on a command that did not opt in (an action, a show of
 * one resource) and `-f shell` (one resource's variables) on one that did.
 * @param words the command's words (`server stop`)
 * @throws UsageError naming what was asked and the commands that take it
 */
export function checkFanout(
  ask: FanoutAsk,
  spec: CommandSpec,
  words: string,
  manifest: Manifest,
  format: string | undefined,
): void {
  if (!spec.fanout) {
    const takers = manifest.groups.flatMap((g) =>
      g.commands.filter((c) => c.spec.fanout).map((c) => `${g.name} ${c.name}`),
    );
    throw new UsageError(
      `'ncli ${words}' runs on one cloud and one region; ${ask.asked} is for the read-only commands ${takers.join(', ')}.`,
    );
  }
  if (format === 'shell') {
    throw new UsageError(
      `-f shell shows one resource; with ${ask.asked} every cloud and region is a row: use -f json, yaml, value or table.`,
    );
  }
}

/** A target's one-line label in messages: `cloud devcloud, region RegionOne`. */
export function targetLabel(cloud: string | undefined, region: string | undefined): string {
  const c = cloud === undefined ? 'the environment’s cloud' : `cloud ${cloud}`;
  return region ? `${c}, region ${region}` : c;
}

/**
 * A limiter that runs at most `n` of the functions given to it at once, in the order given (the
 * others wait for a free slot).
 */
export function limiter(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (running >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await fn();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

/** One after another: each function waits for the previous one to end (a prompt at a time). */
function serial(): <T>(fn: () => Promise<T>) => Promise<T> {
  return limiter(1);
}

/**
 * The regions whose catalog offers `type` on interface `iface`, sorted (keystoneauth's
 * `region_id`, else `region`; an endpoint without either counts as the region '').
 */
export function catalogRegions(catalog: readonly CatalogService[], type: string, iface: string): string[] {
  const regions = new Set<string>();
  for (const s of catalog) {
    if (s.type !== type) continue;
    for (const e of s.endpoints) if (e.interface === iface) regions.add(e.region_id ?? e.region ?? '');
  }
  return [...regions].sort();
}

/** What one target's handler printed: tables of rows (a show is one row). */
interface Printed {
  columns: string[];
  rows: Row[];
}

/**
 * The context of one (cloud, region) of a fan-out: a whole {@link Context} of its own whose
 * printed lists and shows are kept ({@link printed}) for the merged output; text it writes goes
 * out at once, each line after the target's label, and so do its warnings.
 */
export class TargetContext extends Context {
  readonly printed: Printed[] = [];

  constructor(
    io: IO,
    globals: Partial<GlobalFlags>,
    output: OutputChoice,
    deps: ContextDeps,
    readonly cloud: string | undefined,
    /** The region asked for (`--all-regions`), else undefined: the cloud's own. */
    public region: string | undefined,
  ) {
    super(io, globals, output, deps);
  }

  override list(columns: string[], rows: Row[]): Promise<void> {
    this.printed.push({ columns, rows });
    return Promise.resolve();
  }

  override show(obj: Row): Promise<void> {
    this.printed.push({ columns: Object.keys(obj), rows: [obj] });
    return Promise.resolve();
  }

  override showMany(objs: readonly Row[]): Promise<void> {
    for (const obj of objs) this.printed.push({ columns: Object.keys(obj), rows: [obj] });
    return Promise.resolve();
  }

  override write(text: string | Uint8Array): void {
    if (typeof text !== 'string') return super.write(text);
    const label = targetLabel(this.cloud, this.region);
    super.write(
      text
        .split('\n')
        .map((l, i, all) => (i === all.length - 1 && l === '' ? l : `[${label}] ${l}`))
        .join('\n'),
    );
  }

  /** `--debug` lines name the target too: `DEBUG [cloud a, region R] REQ: …`. */
  override readonly debug = (line: string): void => {
    if (this.globals.debug) this.io.err.write(`DEBUG [${targetLabel(this.cloud, this.region)}] ${line}\n`);
  };

  override warn(line: string): void {
    super.warn(`ncli: ${targetLabel(this.cloud, this.region)}: ${line.replace(/^ncli: /, '')}`);
  }

  /**
   * The region this target ran in: the one asked for, else the catalog's only compute region for
   * the interface (what the endpoint selection took), else undefined. Never throws, never logs in.
   */
  async ranIn(): Promise<string | undefined> {
    try {
      const cfg = await this.config();
      if (cfg.regionName) return cfg.regionName;
      const st = await (await this.authenticator()).state();
      const regions = catalogRegions(st.catalog, 'compute', cfg.interface);
      return regions.length === 1 ? regions[0] : undefined;
    } catch {
      return undefined;
    }
  }
}

/** One target's outcome. */
export interface TargetResult {
  cloud: string | undefined;
  region: string | undefined;
  printed: Printed[];
  code: number;
  error?: unknown;
}

/**
 * The one list of every target's rows: `Cloud` and `Region` first, then every column the targets
 * printed in the order first seen; rows in target order. A target's `Cloud`/`Region` are its
 * cloud name and region, null when unknown (settings from the environment, a catalog without region).
 */
export function mergePrinted(results: readonly TargetResult[]): Printed {
  const columns = ['Cloud', 'Region'];
  const rows: Row[] = [];
  for (const r of results) {
    for (const p of r.printed) {
      for (const c of p.columns) if (!columns.includes(c)) columns.push(c);
      for (const row of p.rows) rows.push({ ...row, Cloud: r.cloud ?? null, Region: r.region ?? null });
    }
  }
  return { columns, rows };
}

/**
 * The render options of the merged list: `-c` picks among the command's columns, and Cloud and
 * Region stay first unless `-c` names them itself.
 */
export function fanoutRender(opts: RenderOptions): RenderOptions {
  const picked = opts.columns;
  if (!picked?.length) return opts;
  const named = (c: string) => picked.some((p) => p.toLowerCase() === c.toLowerCase());
  return { ...opts, columns: [...['Cloud', 'Region'].filter((c) => !named(c)), ...picked] };
}

/** The exit code of a fan-out: 1 when a target failed (2 when every one failed on a usage error), else the largest handler code. */
export function fanoutExitCode(results: readonly TargetResult[]): number {
  const failed = results.filter((r) => r.error !== undefined);
  if (failed.length === 0) return Math.max(0, ...results.map((r) => r.code));
  if (failed.length === results.length && failed.every((r) => exitCodeFor(r.error) === 2)) return 2;
  return 1;
}

/** What {@link runFanout} needs besides the parent context. */
export interface FanoutRun {
  ask: FanoutAsk;
  /** The whole command on one target: version checks and the handler. */
  run: (ctx: Context) => Promise<number | void>;
  deps?: ContextDeps;
  /** Targets at once (default {@link FANOUT_PARALLEL}). */
  parallel?: number;
}

/** The cloud names of clouds.yaml, in file order. @throws ConfigError when it holds none */
async function everyCloud(env: NodeJS.ProcessEnv): Promise<string[]> {
  const { loadClouds } = await import('../config/clouds.js');
  const file = await loadClouds(env);
  const names = Object.keys(file.clouds);
  if (names.length === 0) {
    throw new ConfigError(
      file.files.length
        ? `--all-clouds: ${file.files.join(' + ')} defines no clouds.`
        : `--all-clouds: no clouds.yaml was found (searched ${file.searched.join(', ')}).`,
    );
  }
  return names;
}

/**
 * Runs the command on every target of `fan.ask`, at most `fan.parallel` at once, then prints the
 * merged rows through `parent` (its `-f`, `-c`, sort and width options) and one stderr line per
 * failed target.
 * @returns the exit code ({@link fanoutExitCode})
 * @throws ConfigError for `--all-clouds` without clouds; UsageError for an unknown `-c` or sort column
 */
export async function runFanout(parent: Context, fan: FanoutRun): Promise<number> {
  const { io, globals } = parent;
  const deps = fan.deps ?? {};
  const limit = limiter(fan.parallel ?? FANOUT_PARALLEL);
  const prompts = serial();
  const clouds = fan.ask.clouds ?? (await everyCloud(io.env));
  // handlers see the format (some adapt to it); -c, sorting and widths apply to the merged list
  const output: OutputChoice = { format: parent.output.format };

  const target = (cloud: string | undefined, region: string | undefined): TargetContext => {
    const ctx: TargetContext = new TargetContext(
      io,
      {
        ...globals,
        osCloud: cloud,
        osRegionName: region ?? globals.osRegionName,
        allClouds: false,
        allRegions: false,
        timings: false,
      },
      output,
      {
        ...deps,
        // one question at a time, naming the target it is for
        ask: (question) =>
          prompts(async () => {
            const { askSecret } = await import('./prompt.js');
            return deps.ask
              ? deps.ask(`[${targetLabel(cloud, ctx.region)}] ${question}`)
              : askSecret(io, `[${targetLabel(cloud, ctx.region)}] ${question}`);
          }),
      },
      cloud,
      region,
    );
    return ctx;
  };

  const finish = async (ctx: TargetContext): Promise<void> => {
    await ctx.close().catch(() => undefined);
    parent.timings.push(...ctx.timings);
  };

  const runTarget = (ctx: TargetContext): Promise<TargetResult> =>
    limit(async () => {
      try {
        const code = (await fan.run(ctx)) ?? 0;
        return { cloud: ctx.cloud, region: ctx.region ?? (await ctx.ranIn()), printed: ctx.printed, code };
      } catch (error) {
        const region =
          ctx.region ??
          (await ctx
            .config()
            .then((c) => c.regionName)
            .catch(() => undefined));
        return { cloud: ctx.cloud, region, printed: [], code: 1, error };
      } finally {
        await finish(ctx);
      }
    });

  const runCloud = async (cloud: string | undefined): Promise<TargetResult[]> => {
    if (!fan.ask.allRegions) return [await runTarget(target(cloud, undefined))];
    // the catalog says which regions have compute; the login that reads it serves its own region
    const base = target(cloud, undefined);
    let regions: string[];
    let baseRegion: string | undefined;
    try {
      [regions, baseRegion] = await limit(async () => {
        const [cfg, auth] = await Promise.all([base.config(), base.authenticator()]);
        const found = catalogRegions((await auth.state()).catalog, 'compute', cfg.interface);
        if (found.length === 0) {
          throw new NcliError(
            'ENDPOINT_NOT_FOUND',
            `The service catalog has no ${cfg.interface} compute endpoint in any region.`,
          );
        }
        return [found, cfg.regionName ?? (found.length === 1 ? found[0] : undefined)] as const;
      });
    } catch (error) {
      await finish(base);
      return [{ cloud, region: undefined, printed: [], code: 1, error }];
    }
    const reuse = baseRegion !== undefined && regions.includes(baseRegion);
    if (!reuse) await finish(base);
    return Promise.all(
      regions.map((r) => {
        if (reuse && r === baseRegion) {
          base.region = r;
          return runTarget(base);
        }
        return runTarget(target(cloud, r));
      }),
    );
  };

  const results = (await Promise.all(clouds.map(runCloud))).flat();
  if (results.some((r) => r.error === undefined)) {
    const merged = mergePrinted(results);
    const { renderList } = await import('./output.js');
    parent.write(await renderList(merged.columns, merged.rows, fanoutRender(parent.renderOptions())));
  }
  for (const r of results) {
    if (r.error === undefined) continue;
    io.err.write(`ncli: ${targetLabel(r.cloud, r.region)}: ${messageFor(r.error)}\n`);
    if (globals.debug && r.error instanceof Error && r.error.stack && !isNcliError(r.error)) {
      io.err.write(r.error.stack + '\n');
    }
  }
  return fanoutExitCode(results);
}
