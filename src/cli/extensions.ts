/**
 * Extensions found at run time (issue 19): extra `do_*` modules outside ncli, merged into the
 * command manifest so that help, completion and the parser see them as built-in groups.
 * python-novaclient's `discover_extensions` (novaclient/client.py) and openstackclient's
 * `openstack.cli.extension` entry points do the same; like stevedore's entry-point cache, each
 * extension's commands are kept in a manifest file, so help and TAB never import an extension.
 *
 * Where extensions are found, in this order (the first of two files with one path wins):
 * 1. each folder of `NCLI_EXTENSIONS_PATH` (colon-separated): `*.mjs` and `*.js` files;
 * 2. `$XDG_CONFIG_HOME/ncli/extensions/` (default `~/.config/ncli/extensions/`): the same;
 * 3. npm packages `ncli-ext-*` in the node_modules ncli's own package sits in (found from this
 *    file and from the launcher's path, for a symlinked ncli), and in the global node_modules
 *    (`$npm_config_prefix/lib/node_modules`, default `<node's prefix>/lib/node_modules`). Their
 *    package.json names the module: `"ncli": {"extension": "./where.mjs", "group": "server"}`
 *    (default: `main`, then `index.mjs`, `index.js`).
 * `NCLI_NO_EXTENSIONS=1` turns all of them off.
 *
 * The group of an extension: its module's `export const group` (`'server migration'`), else the
 * package.json `ncli.group`, else the first word of its name (`server-where.mjs` → `server`;
 * `ncli-ext-billing` → `billing`).
 *
 * The manifest of an extension: `$XDG_CACHE_HOME/ncli/extensions/<name>-<hash>.json` (0600 in a
 * 0700 folder), rebuilt (by importing the module) when the module's mtime or size, its declared
 * group or ncli's version changed. Completion never rebuilds one: it uses what is there.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { cacheDir } from '../config/cache-dir.js';
import type { CommandSpec, Manifest } from './spec.js';

/** Why the single executable loads no extension. */
export const SEA_CAUSE =
  'the single executable cannot load extensions; use ncli installed from npm, or set NCLI_NO_EXTENSIONS=1';

/** The version of the manifest files' format (a file of another format is rebuilt). */
const FORMAT = 1;

/** Where an extension was found. */
export type ExtensionOrigin = 'path' | 'config' | 'package';

/** An extension found on disk, before its manifest is read. */
export interface ExtensionSource {
  /** The module's absolute path. */
  file: string;
  origin: ExtensionOrigin;
  /** What `extension list` shows as its source: the file's path, or `name@version (folder)` of a package. */
  label: string;
  /** package.json `ncli.group`, if any. */
  declaredGroup?: string;
  /** The group its name says (first word of the file or package name). */
  nameGroup: string;
}

/** One command of an extension, as the manifest holds it. */
export interface ExtensionCommand {
  name: string;
  export: string;
  spec: CommandSpec;
}

/** The manifest file of one extension (everything help, completion and the parser need). */
export interface ExtensionManifest {
  format: number;
  /** The ncli version that wrote it. */
  ncli: string;
  file: string;
  mtimeMs: number;
  size: number;
  declaredGroup?: string;
  group: string;
  /** The module's `help` export: the help line of a group it creates. */
  help: string;
  commands: ExtensionCommand[];
  /** Why it could not be loaded (no commands then). */
  error?: string;
}

/** An extension's state after the merge. */
export interface ExtensionRecord {
  source: ExtensionSource;
  manifest?: ExtensionManifest;
  /** `ok`, `failed` (see `cause`), `stale` (completion: the manifest is older than the file), `off` (SEA). */
  state: 'ok' | 'failed' | 'stale' | 'off';
  cause?: string;
  /** Its commands (`server where`) and what became of each. */
  commands: { name: string; state: 'ok' | 'shadowed' | 'conflict'; other?: string }[];
}

/** Imports a module and returns its exports (src/cli/extensions-load.ts; replaceable in tests and the SEA). */
export type Importer = (file: string, version: string) => Promise<Record<string, unknown>>;

const GROUP = /^[a-z][a-z0-9-]*( [a-z][a-z0-9-]*)*$/;

/** The folders searched for extension files, with their origin. */
export function extensionFolders(env: NodeJS.ProcessEnv): { dir: string; origin: ExtensionOrigin }[] {
  const out: { dir: string; origin: ExtensionOrigin }[] = [];
  for (const d of (env.NCLI_EXTENSIONS_PATH ?? '').split(':')) if (d) out.push({ dir: resolve(d), origin: 'path' });
  const config = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  out.push({ dir: join(config, 'ncli', 'extensions'), origin: 'config' });
  return out;
}

/**
 * Whether this is the single executable: its build defines `import.meta.url` as undefined
 * (scripts/build-sea.mjs), where a bundle in dist/ has its file URL. (Cheaper than loading
 * `node:sea` at every start.)
 */
function inSea(): boolean {
  return typeof (import.meta.url as string | undefined) !== 'string';
}

/** The package root of this ncli (the folder of its package.json), or undefined (the SEA). */
function ownRoot(): string | undefined {
  const url = import.meta.url as string | undefined;
  if (typeof url !== 'string' || !url.startsWith('file:')) return undefined;
  // dist/cli/extensions.js or dist/chunks/…: two levels up is the package
  return resolve(dirname(new URL(url).pathname), '..', '..');
}

/**
 * The node_modules folders searched for `ncli-ext-*` packages: the one holding ncli (its real
 * path, and the launcher's path when ncli is a symlink there), then the global one.
 */
export function packageFolders(env: NodeJS.ProcessEnv, argv1: string | undefined = process.argv[1]): string[] {
  const out: string[] = [];
  const root = ownRoot();
  if (root && basename(dirname(root)) === 'node_modules') out.push(dirname(root));
  // `node_modules/.bin/ncli` or `node_modules/ncli/bin/ncli` as the launcher ran it (not resolved)
  const m = argv1 && /^(.*[/\\]node_modules)[/\\](?:\.bin[/\\]ncli|ncli[/\\]bin[/\\]ncli)$/.exec(argv1);
  if (m) out.push(m[1]);
  if (root) {
    const prefix = env.npm_config_prefix || env.NPM_CONFIG_PREFIX || dirname(dirname(process.execPath));
    out.push(process.platform === 'win32' ? join(prefix, 'node_modules') : join(prefix, 'lib', 'node_modules'));
  }
  return [...new Set(out)];
}

function readDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** The group a name says: its first word (`server-where.mjs` → `server`). */
export function groupOfName(name: string): string {
  return name
    .replace(/\.(mjs|js)$/, '')
    .split(/[-._]/)[0]
    .toLowerCase();
}

/** A package's extension module and declared group, from its package.json; undefined when it names none. */
function packageEntry(dir: string): { file: string; group?: string; label: string } | undefined {
  let pkg: { name?: string; version?: string; main?: string; ncli?: { extension?: string; group?: string } };
  try {
    pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as typeof pkg;
  } catch {
    return undefined;
  }
  const candidates = [pkg.ncli?.extension, pkg.main, 'index.mjs', 'index.js'].filter((x): x is string => !!x);
  const file = candidates.map((c) => join(dir, c)).find((f) => isFile(f)) ?? join(dir, candidates[0]);
  const label = `${pkg.name ?? basename(dir)}@${pkg.version ?? '?'} (${dir})`;
  return { file, group: typeof pkg.ncli?.group === 'string' ? pkg.ncli.group : undefined, label };
}

function isFile(f: string): boolean {
  try {
    return statSync(f).isFile();
  } catch {
    return false;
  }
}

/** Every extension on disk (see the module comment), without reading any manifest. */
export function discoverExtensions(env: NodeJS.ProcessEnv, argv1?: string): ExtensionSource[] {
  if (env.NCLI_NO_EXTENSIONS === '1') return [];
  const out: ExtensionSource[] = [];
  const seen = new Set<string>();
  const add = (s: ExtensionSource) => {
    if (seen.has(s.file)) return;
    seen.add(s.file);
    out.push(s);
  };
  for (const { dir, origin } of extensionFolders(env)) {
    for (const name of readDir(dir).sort()) {
      if (name.startsWith('.') || !/\.(mjs|js)$/.test(name)) continue;
      const file = join(dir, name);
      add({ file, origin, label: file, nameGroup: groupOfName(name) });
    }
  }
  for (const nm of packageFolders(env, argv1)) {
    for (const name of readDir(nm).sort()) {
      if (!name.startsWith('ncli-ext-')) continue;
      const entry = packageEntry(join(nm, name));
      if (!entry) continue;
      add({
        file: entry.file,
        origin: 'package',
        label: entry.label,
        declaredGroup: entry.group,
        nameGroup: groupOfName(name.slice('ncli-ext-'.length)) || name,
      });
    }
  }
  return out;
}

/** A short stable hash of a path (cyrb53), for manifest file names. */
function hashOf(s: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

/** The manifest file of an extension module. */
export function manifestPath(cacheDir: string, file: string): string {
  return join(cacheDir, 'extensions', `${basename(file).replace(/[^\w.-]/g, '_')}-${hashOf(file)}.json`);
}

/**
 * One line from an error thrown while loading a module: `SyntaxError: missing ) after argument
 * list`, or the message a top level threw. (Node gives no line number for an ES module's syntax
 * error outside its own uncaught-error printer; `node --check FILE` shows it.)
 */
export function loadErrorText(e: unknown): string {
  const err = e as { name?: string; message?: string } | undefined;
  const msg = (err?.message ?? String(e)).split('\n')[0];
  return `${err?.name && err.name !== 'Error' ? `${err.name}: ` : ''}${msg}`;
}

/**
 * Builds an extension's manifest by importing it: its `do_*` exports made with `command()`, its
 * `group` and `help` exports. Never throws: a failure is the manifest's `error`.
 */
export async function buildManifest(
  src: ExtensionSource,
  stat: { mtimeMs: number; size: number },
  version: string,
  importer: Importer,
): Promise<ExtensionManifest> {
  const base = {
    format: FORMAT,
    ncli: version,
    file: src.file,
    mtimeMs: stat.mtimeMs,
    size: stat.size,
    ...(src.declaredGroup ? { declaredGroup: src.declaredGroup } : {}),
    group: src.declaredGroup ?? src.nameGroup,
    help: '',
    commands: [] as ExtensionCommand[],
  };
  let mod: Record<string, unknown>;
  try {
    mod = await importer(src.file, `${stat.mtimeMs}-${stat.size}`);
  } catch (e) {
    return { ...base, error: loadErrorText(e) };
  }
  const group = typeof mod.group === 'string' ? mod.group : base.group;
  if (group === 'help' || group.startsWith('help ')) {
    return { ...base, group, error: "its group 'help' is ncli's own word (ncli help GROUP); export const group = '…'" };
  }
  if (!GROUP.test(group)) {
    return { ...base, error: `its group '${group}' is not lower-case words (export const group = 'billing')` };
  }
  const commands: ExtensionCommand[] = [];
  const bad: string[] = [];
  for (const k of Object.keys(mod).sort()) {
    if (!k.startsWith('do_')) continue;
    const fn = mod[k];
    const spec = typeof fn === 'function' ? (fn as { spec?: CommandSpec }).spec : undefined;
    if (!spec || typeof spec.help !== 'string' || !Array.isArray(spec.args)) {
      bad.push(k);
      continue;
    }
    commands.push({
      name: k.slice(3).replace(/_/g, '-'),
      export: k,
      spec: JSON.parse(JSON.stringify(spec)) as CommandSpec,
    });
  }
  if (bad.length) {
    return {
      ...base,
      group,
      error: `${bad.join(', ')} ${bad.length > 1 ? 'are' : 'is'} not made with command() from 'ncli/extension'`,
    };
  }
  if (!commands.length) {
    return { ...base, group, error: 'it exports no do_* command (export const do_verb = command({...}, fn))' };
  }
  return { ...base, group, help: typeof mod.help === 'string' ? mod.help : '', commands };
}

/** Whether a manifest file still describes the module (same mtime, size, declared group, ncli version, format). */
function fresh(
  m: ExtensionManifest | undefined,
  src: ExtensionSource,
  st: { mtimeMs: number; size: number },
  version: string,
) {
  return (
    !!m &&
    m.format === FORMAT &&
    m.ncli === version &&
    m.file === src.file &&
    m.mtimeMs === st.mtimeMs &&
    m.size === st.size &&
    (m.declaredGroup ?? undefined) === src.declaredGroup
  );
}

/** Options of {@link loadExtensions}. */
export interface LoadOptions {
  /** The cache folder (`$XDG_CACHE_HOME/ncli`). */
  cacheDir: string;
  /** ncli's version (a manifest of another version is rebuilt). */
  version: string;
  /** Imports a module to rebuild its manifest; without it (completion) a stale manifest is not used. */
  importer?: Importer;
}

/**
 * The manifest of each extension: from its file when fresh, else rebuilt by importing the module
 * (and written, 0600 in 0700; a cache that cannot be written is not an error). Never throws.
 */
export async function loadExtensions(
  sources: readonly ExtensionSource[],
  opts: LoadOptions,
): Promise<ExtensionRecord[]> {
  const out: ExtensionRecord[] = [];
  for (const src of sources) {
    let st: { mtimeMs: number; size: number };
    try {
      const s = statSync(src.file);
      if (!s.isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
      st = { mtimeMs: s.mtimeMs, size: s.size };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      out.push({
        source: src,
        state: 'failed',
        cause: code === 'ENOENT' ? 'no such file' : `cannot read it (${code})`,
        commands: [],
      });
      continue;
    }
    const path = manifestPath(opts.cacheDir, src.file);
    let m: ExtensionManifest | undefined;
    try {
      m = JSON.parse(readFileSync(path, 'utf8')) as ExtensionManifest;
    } catch {
      m = undefined;
    }
    if (!fresh(m, src, st, opts.version)) {
      if (!opts.importer) {
        out.push({
          source: src,
          state: 'stale',
          cause: 'its manifest is not built yet (run any ncli command)',
          commands: [],
        });
        continue;
      }
      m = await buildManifest(src, st, opts.version, opts.importer);
      try {
        const { writePrivateFile } = await import('../config/cache-files.js');
        writePrivateFile(path, JSON.stringify(m) + '\n');
      } catch {
        // no cache folder (a read-only home): rebuilt at every run
      }
    }
    out.push(
      m!.error
        ? { source: src, manifest: m, state: 'failed', cause: m!.error, commands: [] }
        : { source: src, manifest: m, state: 'ok', commands: [] },
    );
  }
  return out;
}

/** What {@link mergeExtensions} gives: the manifest with the extensions' commands, and one line per problem. */
export interface Merged {
  manifest: Manifest;
  records: ExtensionRecord[];
  /** One line each (without `ncli: `): a failed extension, a name a built-in keeps, two extensions with one name. */
  warnings: string[];
}

/**
 * Adds the loaded extensions' commands to the built-in manifest. A command a built-in has is not
 * added (the built-in wins; one warning); a command two extensions have is added from neither
 * (one warning naming both files); the extension's other commands are added.
 */
export function mergeExtensions(builtin: Manifest, records: ExtensionRecord[]): Merged {
  const warnings: string[] = [];
  const builtinNames = new Set(builtin.groups.flatMap((g) => g.commands.map((c) => `${g.name} ${c.name}`)));
  const builtinGroups = new Set(builtin.groups.map((g) => g.name));
  // who declares each full command name
  const owners = new Map<string, ExtensionRecord[]>();
  for (const r of records) {
    if (r.state === 'failed') warnings.push(`extension ${r.source.file} not loaded: ${r.cause}`);
    if (r.state !== 'ok') continue;
    for (const c of r.manifest!.commands) {
      const full = `${r.manifest!.group} ${c.name}`;
      // a command named like a built-in group (`ncli server` + do_event → `server event`) is shadowed too
      const list = owners.get(full) ?? [];
      list.push(r);
      owners.set(full, list);
    }
  }
  const groups = builtin.groups.map((g) => ({ ...g, commands: [...g.commands] }));
  const groupOf = (name: string, help: string) => {
    let g = groups.find((x) => x.name === name);
    if (!g) {
      g = { name, help, module: '', commands: [] };
      groups.push(g);
    } else if (!g.help && help) g.help = help;
    return g;
  };
  for (const [full, rs] of owners) {
    if (builtinNames.has(full) || builtinGroups.has(full)) {
      warnings.push(
        `extension ${rs.map((r) => r.source.file).join(' and ')}: \`ncli ${full}\` is built in; the built-in is kept.`,
      );
      for (const r of rs) r.commands.push({ name: full, state: 'shadowed' });
      continue;
    }
    if (rs.length > 1) {
      warnings.push(
        `extensions ${rs.map((r) => r.source.file).join(' and ')} both define \`ncli ${full}\`; neither is used (rename one).`,
      );
      for (const r of rs) {
        const others = rs.filter((o) => o !== r).map((o) => o.source.file);
        r.commands.push({ name: full, state: 'conflict', other: others.join(', ') });
      }
      continue;
    }
    const r = rs[0];
    const c = r.manifest!.commands.find((x) => `${r.manifest!.group} ${x.name}` === full)!;
    groupOf(r.manifest!.group, r.manifest!.help).commands.push({ ...c, extension: r.source.file });
    r.commands.push({ name: full, state: 'ok' });
  }
  // parents of new nested groups (`billing report` → `billing`), listed before their children
  for (const g of [...groups]) {
    const words = g.name.split(' ');
    for (let n = 1; n < words.length; n++) groupOf(words.slice(0, n).join(' '), '');
  }
  // (plain code-unit order: localeCompare would load ICU's collator, ~10 ms of a TAB)
  const order = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  groups.sort((a, b) => a.name.split(' ').length - b.name.split(' ').length || order(a.name, b.name));
  for (const g of groups) if (g.commands.length > 1) g.commands.sort((a, b) => order(a.name, b.name));
  return { manifest: { ...builtin, groups }, records, warnings };
}

/**
 * The built-in manifest with every extension merged in (see the module comment). Never throws.
 * @param opts.importer given: stale manifests are rebuilt (the parser, `extension list`); absent:
 *   they are left out (completion)
 */
export async function withExtensions(
  builtin: Manifest,
  env: NodeJS.ProcessEnv,
  opts: { importer?: Importer; argv1?: string } = {},
): Promise<Merged> {
  const sources = discoverExtensions(env, opts.argv1);
  if (!sources.length) return { manifest: builtin, records: [], warnings: [] };
  if (inSea()) {
    // the single executable imports no file (scripts/build-sea.mjs): say so, load nothing
    const records = sources.map((source) => ({ source, state: 'off' as const, cause: SEA_CAUSE, commands: [] }));
    const warnings = opts.importer
      ? [
          `${sources.length} extension${sources.length > 1 ? 's' : ''} not loaded (${sources.map((s) => s.file).join(', ')}): ${SEA_CAUSE}.`,
        ]
      : [];
    return { manifest: builtin, records, warnings };
  }
  const records = await loadExtensions(sources, {
    cacheDir: cacheDir(env),
    version: builtin.version,
    importer: opts.importer,
  });
  return mergeExtensions(builtin, records);
}
