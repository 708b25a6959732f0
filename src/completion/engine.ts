/**
 * The completion engine: the words typed so far in, what may come next out. Pure (no I/O): the
 * grammar comes from the manifest (dist/manifest.json) and the global options as data, and the
 * names of servers, flavors and clouds come from a lookup the caller passes.
 *
 * It walks the words the way commander parses them (src/cli/main.ts `buildProgram`): global
 * options anywhere, `GROUP COMMAND`, options with their values (`--opt v`, `--opt=v`, `-fv`),
 * positionals, `--` ending options, and ncli's `help GROUP [COMMAND]` rewrite. Like npm's
 * lib/utils/completion.sh model, it is asked again at every TAB, so it follows the manifest
 * as commands change; python-novaclient's bash_completion had a static word list instead.
 */
import type { ArgSpec, Completer } from '../arg-spec.js';
import type { Manifest } from '../cli/spec.js';
import { outputOptions } from '../cli/output.js';
import { optionValues } from './values.js';

/** How an option takes a value: `--long` none, `--name <x>` required, `--name [x]` optional. */
export type ValueArity = 'none' | 'required' | 'optional';

/** One option as completion sees it. */
export interface OptionModel {
  /** `--format` (with the dashes), if any. */
  long?: string;
  /** `-f`, if any. */
  short?: string;
  value: ValueArity;
  choices?: readonly string[];
  /** Values offered for a free-text option (`--status`, `--sort-column`), not checked (src/completion/values.ts). */
  values?: readonly string[];
  complete?: Completer;
  repeatable?: boolean;
  /** Not offered (still understood). */
  hidden?: boolean;
}

/** One positional (`<server>`, `[server]`, `<file...>`). */
export interface PositionalModel {
  name: string;
  variadic: boolean;
  choices?: readonly string[];
  complete?: Completer;
}

/** A command: its own options (not the global ones) and positionals, in order. */
export interface CommandModel {
  name: string;
  options: OptionModel[];
  positionals: PositionalModel[];
  /** Its sub-words (spec `subwords`): a word taken as the first operand → the command it runs. */
  subwords?: { word: string; group: string; command: string }[];
}

/** The whole grammar. */
export interface CompletionModel {
  globals: OptionModel[];
  groups: { name: string; commands: CommandModel[] }[];
}

/** Output formats per command kind, as the parser adds them (`-f/--format`, `-c/--column`). */
export interface FormatLists {
  list: readonly string[];
  show: readonly string[];
}

/**
 * Splits commander flag syntax: `-f, --format <format>` → short `-f`, long `--format`, a
 * required value; `<server>` / `[server...]` → a positional. Unrecognised parts are ignored.
 */
export function parseFlags(flags: string): {
  long?: string;
  short?: string;
  value: ValueArity;
  positional?: { name: string; required: boolean; variadic: boolean };
} {
  const f = flags.trim();
  const pos = /^([<[])([^>\]]+?)(\.\.\.)?[>\]]$/.exec(f);
  if (pos) return { value: 'none', positional: { name: pos[2], required: pos[1] === '<', variadic: !!pos[3] } };
  let long: string | undefined;
  let short: string | undefined;
  let value: ValueArity = 'none';
  for (const part of f.split(/[\s,|]+/).filter(Boolean)) {
    if (part.startsWith('--')) long = part;
    else if (part.startsWith('-')) short = part;
    else if (part.startsWith('<')) value = 'required';
    else if (part.startsWith('[')) value = 'optional';
  }
  return { long, short, value };
}

function optionOf(a: ArgSpec, values?: (long: string) => readonly string[] | undefined): OptionModel {
  const p = parseFlags(a.flags);
  const offered = !a.choices && p.long && p.value !== 'none' ? values?.(p.long) : undefined;
  return {
    long: p.long,
    short: p.short,
    value: p.value,
    choices: a.choices,
    ...(offered ? { values: offered } : {}),
    complete: a.complete,
    repeatable: a.repeatable,
    hidden: a.hidden,
  };
}

/**
 * The grammar from the manifest and the global options (src/cli/global-options.ts), plus what
 * the parser adds itself: `-h/--help`, `-V/--version`, and for list/show commands the output
 * options of src/cli/output.ts `outputOptions` (`-f/--format` with `formats`, `-c/--column`,
 * `--sort-column`, `--max-width`, …), the same declarations src/cli/main.ts adds.
 */
export function buildModel(
  manifest: Manifest,
  globalOptions: readonly ArgSpec[],
  formats: FormatLists,
): CompletionModel {
  const help: OptionModel = { long: '--help', short: '-h', value: 'none' };
  const globals: OptionModel[] = [
    ...globalOptions.map((a) => optionOf(a)),
    help,
    { long: '--version', short: '-V', value: 'none' },
  ];
  const groups = manifest.groups.map((g) => ({
    name: g.name,
    commands: g.commands.map((c) => {
      const values = (long: string) => optionValues(g.name, c.name, long);
      const options: OptionModel[] = [];
      const positionals: PositionalModel[] = [];
      for (const a of c.spec.args) {
        const p = parseFlags(a.flags);
        if (p.positional)
          positionals.push({
            name: p.positional.name,
            variadic: p.positional.variadic,
            choices: a.choices,
            complete: a.complete,
          });
        else options.push(optionOf(a, values));
      }
      if (c.spec.output) {
        for (const a of outputOptions(c.spec.output, formats[c.spec.output])) options.push(optionOf(a, values));
      }
      options.push(help);
      const subwords = Object.entries(c.spec.subwords ?? {}).map(([word, target]) => {
        const w = target.split(' ');
        return { word, group: w.slice(0, -1).join(' '), command: w[w.length - 1] };
      });
      return { name: c.name, options, positionals, ...(subwords.length ? { subwords } : {}) };
    }),
  }));
  return { globals, groups };
}

/**
 * What may come next. Candidates are `prefix + value` for each value that starts with `current`:
 * `prefix` is `--format=` when completing inside `--format=js`, else ''.
 */
export interface Want {
  /** Typed before the value being completed, inside the same word (`--format=`). */
  prefix: string;
  /** The value typed so far (the word after `prefix`). */
  current: string;
  /** Fixed words (groups, commands, options, choices). */
  words: string[];
  /** Names to look up (servers, flavors, clouds) or file names. */
  source?: Completer;
}

/** The analysis of a command line. */
export interface Analysis {
  want: Want;
  /** Values of the global options typed so far, by long name (`--os-cloud` → 'prod'); switches are true. */
  globals: Record<string, string | true>;
  group?: string;
  command?: string;
}

const NOTHING = (prefix: string, current: string): Want => ({ prefix, current, words: [] });

function valueWant(o: OptionModel, prefix: string, current: string): Want {
  const fixed = o.choices ?? o.values;
  return { prefix, current, words: fixed ? [...fixed] : [], source: fixed ? undefined : o.complete };
}

function findOption(opts: OptionModel[], name: string): OptionModel | undefined {
  return opts.find((o) => o.long === name || o.short === name);
}

/**
 * Analyses `words`, the words after `ncli`; the last one is the word being completed ('' right
 * after a space). Never throws: unknown groups, commands or options just give fewer candidates.
 */
export function analyze(model: CompletionModel, words: readonly string[]): Analysis {
  const done = words.slice(0, -1);
  const current = words.length ? words[words.length - 1] : '';
  const globals: Record<string, string | true> = {};
  let helpMode = false;
  let group: CompletionModel['groups'][number] | undefined;
  let command: CommandModel | undefined;
  let dead = false; // an unknown group/command: nothing sensible to offer
  let viaSubword = false; // the command was reached by a sub-word (`server resize confirm`): no more of them
  let positionals = 0;
  let pending: OptionModel | undefined;
  let endOfOptions = false;
  const used = new Set<OptionModel>();

  const options = (): OptionModel[] => (command ? [...command.options, ...model.globals] : model.globals);
  const record = (o: OptionModel, v: string | true) => {
    used.add(o);
    if (model.globals.includes(o) && o.long) globals[o.long] = v;
  };

  for (let i = 0; i < done.length; i++) {
    const w = done[i];
    if (pending) {
      record(pending, w);
      pending = undefined;
      continue;
    }
    if (!endOfOptions && w === '--') {
      endOfOptions = true;
      continue;
    }
    if (!endOfOptions && w.length > 1 && w.startsWith('-')) {
      const eq = w.startsWith('--') ? w.indexOf('=') : -1;
      if (eq > 0) {
        const o = findOption(options(), w.slice(0, eq));
        if (o) record(o, w.slice(eq + 1));
        continue;
      }
      let o = findOption(options(), w);
      if (!o && !w.startsWith('--') && w.length > 2) {
        // `-fjson`: a short option with its value attached
        o = findOption(options(), w.slice(0, 2));
        if (o && o.value !== 'none') record(o, w.slice(2));
        continue;
      }
      if (!o) continue; // unknown: assume a switch
      if (o.value === 'required') pending = o;
      else if (o.value === 'optional' && i + 1 < done.length && !done[i + 1].startsWith('-')) record(o, done[++i]);
      else record(o, true);
      continue;
    }
    // an operand
    if (!group && !helpMode && w === 'help') {
      helpMode = true;
      continue;
    }
    if (!group) {
      group = model.groups.find((g) => g.name === w);
      if (!group) dead = true;
    } else if (!command) {
      // a nested group (`server event`) or a command of this one
      const sub = model.groups.find((g) => g.name === `${group!.name} ${w}`);
      if (sub) group = sub;
      else command = group.commands.find((c) => c.name === w);
      if (!sub && !command) dead = true;
    } else {
      const sub = positionals === 0 && !viaSubword ? command.subwords?.find((s) => s.word === w) : undefined;
      const target = sub && model.groups.find((g) => g.name === sub.group);
      const to = sub && target?.commands.find((c) => c.name === sub.command);
      if (target && to) {
        group = target;
        command = to;
        viaSubword = true;
      } else positionals++;
    }
    if (dead) break;
  }

  const base = { globals, group: group?.name, command: command?.name };
  if (dead) return { ...base, want: NOTHING('', current) };
  if (pending) return { ...base, want: valueWant(pending, '', current) };

  if (!endOfOptions && current.startsWith('-')) {
    const eq = current.startsWith('--') ? current.indexOf('=') : -1;
    if (eq > 0) {
      const o = findOption(options(), current.slice(0, eq));
      return {
        ...base,
        want:
          o && o.value !== 'none'
            ? valueWant(o, current.slice(0, eq + 1), current.slice(eq + 1))
            : NOTHING('', current),
      };
    }
    const offered: string[] = [];
    for (const o of options()) {
      if (o.hidden || (used.has(o) && !o.repeatable)) continue;
      if (o.short) offered.push(o.short);
      if (o.long) offered.push(o.long);
    }
    return { ...base, want: { prefix: '', current, words: offered } };
  }

  if (!group) {
    const names = model.groups.filter((g) => !g.name.includes(' ')).map((g) => g.name);
    return { ...base, want: { prefix: '', current, words: helpMode ? names : [...names, 'help'] } };
  }
  if (!command) {
    const prefix = `${group.name} `;
    const subs = model.groups.filter((g) => g.name.startsWith(prefix) && !g.name.slice(prefix.length).includes(' '));
    const words = [...group.commands.map((c) => c.name), ...subs.map((g) => g.name.slice(prefix.length))];
    return { ...base, want: { prefix: '', current, words } };
  }
  // the sub-words of a command (`server resize <TAB>`: confirm, revert and the servers)
  const subwords = positionals === 0 && !viaSubword ? (command.subwords ?? []).map((s) => s.word) : [];
  if (helpMode) return { ...base, want: { prefix: '', current, words: subwords } };
  const last = command.positionals[command.positionals.length - 1];
  const p = command.positionals[positionals] ?? (last?.variadic ? last : undefined);
  if (!p) return { ...base, want: { prefix: '', current, words: subwords } };
  const offered = [...subwords, ...(p.choices ?? [])];
  return { ...base, want: { prefix: '', current, words: offered, source: p.choices ? undefined : p.complete } };
}

/**
 * The candidates for an analysis: its fixed words plus `names` (the looked-up names for its
 * source), those starting with the current value, each with the prefix, de-duplicated, in order.
 */
export function candidates(want: Want, names: readonly string[] = []): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const w of [...want.words, ...names]) {
    if (!w.startsWith(want.current) || seen.has(w)) continue;
    seen.add(w);
    out.push(want.prefix + w);
  }
  return out;
}

/**
 * Which names and IDs to offer for a server or flavor being typed (`prefix`): every name that
 * starts with it; IDs starting with it once something is typed (an empty prefix would list every
 * UUID next to every name); and the IDs of servers whose name is shared by several (the name
 * alone would be ambiguous: `findServer` refuses it), when that name starts with the prefix.
 */
export function nameCandidates(items: readonly { id: string; name?: string }[], prefix: string): string[] {
  const count = new Map<string, number>();
  for (const it of items) if (it.name) count.set(it.name, (count.get(it.name) ?? 0) + 1);
  const names: string[] = [];
  const ids: string[] = [];
  for (const it of items) {
    if (it.name && it.name.startsWith(prefix)) {
      names.push(it.name);
      if ((count.get(it.name) ?? 0) > 1) ids.push(it.id);
    }
    if (prefix && it.id.startsWith(prefix)) ids.push(it.id);
  }
  return [...new Set([...names.sort(), ...ids])];
}
