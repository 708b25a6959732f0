/**
 * ncli's entry: argv → manifest → commander → the chosen handler, imported lazily → exit code.
 * The manifest (dist/manifest.json, written by the build from the `do_*` handlers) lets help,
 * `--version` and completion run without importing any handler or the HTTP stack
 * (oclif's manifest; npm's lazy `cmd-list`).
 */
import { Command, CommanderError, Option } from 'commander';
import { GLOBAL_OPTIONS, type GlobalFlags } from '../config/global-options.js';
import { readManifest } from './manifest.js';
import { outputOptions } from './output.js';
import type { ArgSpec, CommandSpec, Manifest } from './spec.js';
import { UsageError } from '../errors.js';
import { exitCodeFor, messageFor } from './errors.js';
import type { ContextDeps, IO, OutputChoice } from './context.js';
import { withExtensions } from './extensions.js';
import { topHelpOf, type TopHelp } from './top-help.js';

/** Imports an extension module to build its manifest (src/cli/extensions-load.ts, loaded only then). */
async function importExtension(file: string, version: string): Promise<Record<string, unknown>> {
  return (await import('./extensions-load.js')).importExtension(file, version);
}

function intParser(flag: string, min?: number) {
  return (v: string) => {
    if (!/^-?\d+$/.test(v)) throw new UsageError(`${flag} takes a whole number, not '${v}'.`);
    const n = Number(v);
    if (min !== undefined && n < min) {
      throw new UsageError(
        min === -1
          ? `${flag} takes -1 (no limit) or a number of 0 or more, not ${n}.`
          : `${flag} takes ${min} or more, not ${n}.`,
      );
    }
    return n;
  };
}

function addArg(cmd: Command, a: ArgSpec): void {
  if (/^[<[]/.test(a.flags)) {
    cmd.argument(a.flags, a.help);
    return;
  }
  const range = a.since && a.until ? `${a.since}–${a.until}` : a.since ? `${a.since}+` : a.until ? `≤ ${a.until}` : '';
  const o = new Option(a.flags, range ? `${a.help} [compute API ${range}]` : a.help);
  if (a.choices) o.choices(a.choices);
  if (a.default !== undefined) o.default(a.default);
  if (a.hidden) o.hideHelp();
  if (a.conflicts) o.conflicts([...a.conflicts]);
  const flag = o.long ?? o.short ?? a.flags;
  // a repeatable `--x <v>` paired with `--no-x` (commander gives both one attribute): values after
  // `--no-x` start a new list that carries `reset: true` (openstackclient's `--no-property
  // --property k=v` replaces every property); `--no-x` alone or last leaves `false`
  if (a.repeatable) o.argParser((v: string, prev: unknown) => repeated(prev, v));
  else if (a.integer) o.argParser(intParser(flag, a.min));
  cmd.addOption(o);
}

/** The next value of a repeatable option: `prev` + `v`; after a `--no-…` (`prev` false), `[v]` marked `reset`. */
function repeated(prev: unknown, v: string): string[] {
  const out = [...(Array.isArray(prev) ? (prev as string[]) : []), v];
  if (prev === false || (prev as { reset?: boolean } | undefined)?.reset) Object.assign(out, { reset: true });
  return out;
}

/**
 * Builds the commander program. `run` is called with the chosen group/command and parsed args.
 * @param words when given, only the groups whose first word is among them get their commands
 *   (main passes argv: the group a run invokes is one of its words); the others are a name and
 *   a description, which is all `ncli --help` and commander's "did you mean" need. Building every
 *   command's options costs ~10 ms of each start (scripts/bench/profile.mjs).
 */
export function buildProgram(
  manifest: Manifest,
  io: IO,
  run: (
    group: string,
    cmd: string,
    args: Record<string, unknown>,
    globals: GlobalFlags,
    command: Command,
  ) => Promise<void>,
  words?: readonly string[],
): Command {
  const wanted = words && new Set(words);
  const program = new Command('ncli')
    .description('Operator CLI for OpenStack Compute (Nova): servers, flavors, consoles and console tunnels.')
    .version(manifest.version, '-V, --version', 'Print the version')
    .helpOption('-h, --help', 'Show help')
    .helpCommand(false)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out.write(s), writeErr: (s) => io.err.write(s) })
    .showHelpAfterError('(add --help for usage)')
    .showSuggestionAfterError(true);
  for (const g of GLOBAL_OPTIONS) {
    addArg(program, 'env' in g ? { ...g, help: `${g.help} [env ${g.env[0]}]` } : g);
  }
  program.addHelpText('after', TOP_HELP_AFTER);
  for (const group of manifest.groups) {
    // a nested group (`server event`) hangs under its parent group, listed before it
    const names = group.name.split(' ');
    let parent = program;
    for (const w of names.slice(0, -1)) parent = parent.commands.find((c) => c.name() === w) ?? parent.command(w);
    const gcmd = parent
      .command(names[names.length - 1])
      .description(group.help)
      .helpCommand(false);
    if (wanted && !wanted.has(names[0])) continue;
    for (const c of group.commands) {
      const cmd = addCommand(gcmd, c.name, group.name, c, run);
      if (c.spec.subwords) addSubwords(cmd, c.spec.subwords, manifest, run);
    }
  }
  return program;
}

/** The line after the top-level help's list (src/cli/top-help.ts keeps it as data too). */
const TOP_HELP_AFTER = '\nRun `ncli help GROUP [COMMAND]` for more, e.g. `ncli help server list`.';

/**
 * The top-level help of the program {@link buildProgram} makes from `manifest`, as data
 * (src/cli/top-help.ts): scripts/build-manifest.mjs writes it to dist/top-help.json.
 */
export function topHelp(manifest: Manifest, io: IO): TopHelp {
  const program = buildProgram(manifest, io, () => Promise.resolve(), []);
  return topHelpOf(program, manifest.version, TOP_HELP_AFTER);
}

type Run = Parameters<typeof buildProgram>[2];
type ManifestCommand = Manifest['groups'][number]['commands'][number];

/** Adds command `name` of manifest group `groupName` under `parent`, its action calling `run`. */
function addCommand(parent: Command, name: string, groupName: string, c: ManifestCommand, run: Run): Command {
  const cmd = parent.command(name).description(c.spec.help).helpCommand(false);
  if (c.spec.description) cmd.addHelpText('after', '\n' + c.spec.description);
  if (c.spec.fanout) cmd.addHelpText('after', FANOUT_HELP);
  for (const a of c.spec.args) addArg(cmd, a);
  if (c.spec.output) for (const a of outputOptions(c.spec.output)) addArg(cmd, a);
  cmd.action(async (...params: unknown[]) => {
    const command = params[params.length - 1] as Command;
    const positionals = command.registeredArguments;
    const args: Record<string, unknown> = { ...command.opts() };
    positionals.forEach((p, i) => {
      args[p.name().replace(/-([a-z])/g, (_, ch: string) => ch.toUpperCase())] = params[i];
    });
    await run(groupName, c.name, args, command.optsWithGlobals<GlobalFlags>(), command);
  });
  return cmd;
}

/**
 * A command that also has sub-words (spec `subwords`, src/arg-spec.ts): each sub-word becomes a
 * subcommand of `cmd` that is the command it names (its arguments, help and handler), so
 * `server resize confirm vm1` runs `server migration confirm vm1`, while `server resize vm1 …`
 * still runs `server resize`. Commander takes a sub-word only as the first operand. A sub-word
 * naming no command of the manifest is left out (test/unit/subwords.test.ts checks there is none).
 */
function addSubwords(cmd: Command, subwords: Readonly<Record<string, string>>, manifest: Manifest, run: Run): void {
  for (const [word, target] of Object.entries(subwords)) {
    const words = target.split(' ');
    const group = manifest.groups.find((g) => g.name === words.slice(0, -1).join(' '));
    const c = group?.commands.find((x) => x.name === words[words.length - 1]);
    if (!group || !c) continue;
    const sub = addCommand(cmd, word, group.name, c, run);
    sub.addHelpText('after', `\nThe same command as \`ncli ${target}\` (openstackclient's words).`);
    // commander hands the options it knows to the outer command (`--wait` of `server resize confirm
    // vm1 --wait` to `server resize`): they are the sub-command's when it has them, else refused
    sub.hook('preAction', () => {
      for (const o of cmd.options) {
        const key = o.attributeName();
        if (cmd.getOptionValueSource(key) !== 'cli') continue;
        const mine = sub.options.find((x) => x.long === o.long && x.short === o.short);
        if (!mine) throw new UsageError(`${o.long ?? o.short} does not go with \`${commandWords(sub)}\`.`);
        sub.setOptionValueWithSource(mine.attributeName(), cmd.getOptionValue(key), 'cli');
      }
    });
  }
}

/** The words of a commander command: `ncli server resize confirm`. */
function commandWords(cmd: Command): string {
  const words: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) words.unshift(c.name());
  return words.join(' ');
}

/** The help lines of a command that runs on several clouds and regions at once (src/cli/fanout.ts). */
const FANOUT_HELP =
  '\nSeveral clouds and regions at once (rows get Cloud and Region columns first):\n' +
  '  --os-cloud a,b,c (or OS_CLOUD=a,b,c)   these clouds of clouds.yaml\n' +
  '  --all-clouds                           every cloud of clouds.yaml\n' +
  '  --all-regions                          every region of the catalog with compute';

/** The output options of a list or show (src/cli/output.ts `outputOptions`) from commander's attributes. */
function outputChoice(args: Record<string, unknown>): OutputChoice {
  return {
    format: args.format as OutputChoice['format'],
    columns: args.column as string[] | undefined,
    sortColumns: args.sortColumn as string[] | undefined,
    sortDescending: args.sortDescending === true,
    maxWidth: args.maxWidth as number | undefined,
    fitWidth: args.fitWidth === true ? true : undefined,
    prefix: args.prefix as string | undefined,
  };
}

/** Whether a command or one of its options declares a microversion range (src/cli/versions.ts). */
function declaresVersions(spec: CommandSpec): boolean {
  return !!(spec.since || spec.until || spec.args.some((a) => a.since || a.until));
}

/** `ncli help server list` → `ncli server list --help`. */
function rewriteHelp(argv: string[]): string[] {
  if (argv[0] !== 'help') return argv;
  return [...argv.slice(1), '--help'];
}

/** Whether `argv` asks for help (`-h`/`--help` before any `--`). */
function asksHelp(argv: readonly string[]): boolean {
  for (const t of argv) {
    if (t === '--') return false;
    if (t === '--help' || t === '-h') return true;
  }
  return false;
}

/**
 * The first command word of `argv` that names no command where it stands (`sever` in `ncli sever
 * --help`, `lsit` in `ncli server lsit --help`), or undefined. Options are skipped, with their
 * value when they take one; the walk stops at a command without subcommands (its operands follow),
 * or at a word that is no sub-word of a command with operands (`vm1` in `ncli console log vm1 --help`).
 */
export function unknownCommandWord(program: Command, argv: readonly string[]): string | undefined {
  let cmd = program;
  const scopes: Command[] = [program];
  for (let i = 0; i < argv.length; i++) {
    const t = argv[i];
    if (t === '--') return undefined;
    if (t.startsWith('-') && t !== '-') {
      if (t.includes('=')) continue;
      const opt = scopes.flatMap((c) => c.options).find((o) => o.long === t || o.short === t);
      if (opt && (opt.required || opt.optional)) i++;
      continue;
    }
    if (cmd.commands.length === 0) return undefined;
    const next = cmd.commands.find((c) => c.name() === t || c.aliases().includes(t));
    // a command with sub-words (`console log`) takes other words as its operands (`console log vm1`)
    if (!next) return cmd.registeredArguments.length ? undefined : t;
    cmd = next;
    scopes.push(next);
  }
  return undefined;
}

/**
 * Runs ncli with `argv` (without node and script) and returns the exit code. Never throws.
 * Help for a command that does not exist (`ncli help sever`, `ncli server lsit --help`) is
 * commander's "unknown command" error with its suggestion, exit 2, as without `--help`.
 */
export async function main(argv: string[], io: IO, deps: ContextDeps = {}): Promise<number> {
  // extensions (src/cli/extensions.ts): their commands from their manifests, rebuilt when stale
  const { manifest, warnings } = await withExtensions(readManifest(), io.env, { importer: importExtension });
  for (const w of warnings) io.err.write(`ncli: ${w}\n`);
  let exitCode = 0;
  let debug = argv.includes('--debug');
  const program = buildProgram(
    manifest,
    io,
    async (groupName, cmdName, args, globals) => {
      debug = !!globals.debug;
      const group = manifest.groups.find((g) => g.name === groupName)!;
      const entry = group.commands.find((c) => c.name === cmdName)!;
      const { Context } = await import('./context.js');
      const ctx = new Context(io, globals, outputChoice(args), deps);
      try {
        const mod = entry.extension
          ? await (await import('./extensions-load.js')).loadForRun(entry.extension)
          : ((await import(new URL(`../${group.module}`, import.meta.url).href)) as Record<string, unknown>);
        const handler = mod[entry.export] as (c: unknown, a: unknown) => Promise<number | void>;
        const runOn = async (c: typeof ctx): Promise<number> => {
          if (declaresVersions(entry.spec)) {
            const { checkVersions } = await import('./versions.js');
            await checkVersions(c, entry.spec, args, `${groupName} ${cmdName}`);
          }
          return (await handler(c, args)) ?? 0;
        };
        // several clouds or regions (src/cli/fanout.ts); `completion` never uses a cloud
        const fanout =
          !!globals.allClouds || !!globals.allRegions || (globals.osCloud ?? io.env.OS_CLOUD ?? '').includes(',');
        const f = fanout && groupName !== 'completion' ? await import('./fanout.js') : undefined;
        const ask = f?.fanoutAsk(globals, io.env);
        if (f && ask) {
          f.checkFanout(ask, entry.spec, `${groupName} ${cmdName}`, manifest, ctx.output.format);
          exitCode = await f.runFanout(ctx, { ask, run: runOn, deps });
        } else exitCode = await runOn(ctx);
      } finally {
        await ctx.close();
      }
    },
    argv,
  );
  try {
    let words = rewriteHelp(argv);
    // without its help flag, commander reports the unknown word (and suggests the nearest command)
    if (asksHelp(words) && unknownCommandWord(program, words) !== undefined) {
      const end = words.indexOf('--');
      words = words.filter((t, i) => (end >= 0 && i > end) || (t !== '--help' && t !== '-h'));
    }
    await program.parseAsync(words, { from: 'user' });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return 0;
      if (e.code === 'commander.help' || e.code === 'commander.executeSubCommandAsync') return 2;
      return e.exitCode === 0 ? 0 : 2;
    }
    io.err.write(`ncli: ${messageFor(e)}\n`);
    if (debug && e instanceof Error && e.stack) io.err.write(e.stack + '\n');
    return exitCodeFor(e);
  }
}
