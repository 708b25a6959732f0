/**
 * The argument-spec types every layer shares: what an option or positional declares (commander
 * syntax, help, choices, repeatable, integer, completion, microversion range), a command's spec,
 * and the type-level computation from a spec to the type of its parsed arguments. A base file
 * (no imports but the name kinds), so that src/config/global-options.ts and the completion engine
 * can use it without importing the command layer; src/cli/spec.ts re-exports it.
 */
import type { NameKind } from './name-kinds.js';

/** What shell completion offers for a value: cached names of a kind, cloud names, or file names. */
export type Completer = NameKind | 'cloud' | 'file';

/** One argument: a positional (`<server>`, `[server]`, `<server...>`) or an option (`-c, --column <name>`). */
export interface ArgSpec {
  /** Commander syntax: `<server>`, `[server...]`, `--name <regex>`, `--long`, `--no-wait`. */
  readonly flags: string;
  readonly help: string;
  /** Allowed values (completed, and checked: a usage error otherwise). */
  readonly choices?: readonly string[];
  readonly default?: string | number | boolean;
  /** May be given several times; the value is an array. */
  readonly repeatable?: boolean;
  /** Parsed as a whole number (a usage error otherwise). */
  readonly integer?: boolean;
  /** With `integer`: the smallest value taken (`--limit`: -1, no limit); less is a usage error. */
  readonly min?: number;
  readonly complete?: Completer;
  /** Not shown in help. */
  readonly hidden?: boolean;
  /** Can't be used with these options (attribute names). */
  readonly conflicts?: readonly string[];
  /**
   * The compute API microversion this option needs (python-novaclient's `utils.arg(start_version=…)`):
   * given on an older cloud, the command is refused in one line before any request.
   */
  readonly since?: string;
  /** The newest compute API microversion that serves this option (`end_version`). */
  readonly until?: string;
}

/** A command's declaration. */
export interface CommandSpec {
  /** One line: what the command does. */
  readonly help: string;
  /** More text for `--help`, e.g. examples. */
  readonly description?: string;
  readonly args: readonly ArgSpec[];
  /** Adds `-f/--format` and `-c/--column` for a list (rows) or a show (fields). */
  readonly output?: 'list' | 'show';
  /** The compute API microversion the command needs (python-novaclient's `api_versions.wraps`). */
  readonly since?: string;
  /** The newest compute API microversion that serves the command (a capped API). */
  readonly until?: string;
  /**
   * A read-only command that may run on several clouds and regions at once (`--os-cloud a,b`,
   * `--all-clouds`, `--all-regions`; src/cli/fanout.ts): its rows get Cloud and Region columns.
   */
  readonly fanout?: boolean;
  /**
   * Words that may follow this command's own words to run another command instead, as
   * openstackclient spells some verbs one word longer (`server resize confirm SERVER` runs
   * `server migration confirm`; `console log show SERVER` runs `console log`): sub-word → the
   * full words of the command it runs, with that command's arguments. The sub-word is taken only
   * as the first word after the command's own (src/cli/main.ts `buildProgram`); help lists them
   * and TAB offers them (src/completion/engine.ts).
   */
  readonly subwords?: Readonly<Record<string, string>>;
}

// --- from a spec to the type of its parsed arguments ---------------------------------------------

/** `all-projects` → `allProjects` (commander's camelcase of an option's long name). */
type Camel<S extends string> = S extends `${infer H}-${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;
/** `-f, --format <format>` → `format`; `--no-cache` → `no-cache`. */
type LongName<F extends string> = F extends `${string}--${infer Rest}`
  ? Rest extends `${infer N} ${string}`
    ? N
    : Rest
  : never;
/** The name of a positional: `<server>`, `[server]`, `<server...>` → `server`. */
type PositionalName<F extends string> = F extends `<${infer N}...>` | `[${infer N}...]`
  ? N
  : F extends `<${infer N}>` | `[${infer N}]`
    ? N
    : never;

/** The attribute an argument is parsed into, as commander names it (`--no-cache` → `cache`). */
export type ArgKey<A extends ArgSpec> = A extends ArgSpec
  ? A['flags'] extends `-${string}`
    ? LongName<A['flags']> extends `no-${infer N}`
      ? Camel<N>
      : Camel<LongName<A['flags']>>
    : Camel<PositionalName<A['flags']>>
  : never;

/** The value type of one argument. */
export type ArgValue<A extends ArgSpec> = A['flags'] extends `<${string}...>` | `[${string}...]`
  ? string[]
  : A['repeatable'] extends true
    ? string[]
    : A['integer'] extends true
      ? number
      : A['choices'] extends readonly (infer C)[]
        ? C
        : A['flags'] extends `${string}<${string}>` | `${string}[${string}]`
          ? string
          : boolean;

/** Arguments that always have a value: required positionals, options with a default, `--no-*` switches. */
type IsRequired<A extends ArgSpec> = A['flags'] extends `<${string}`
  ? true
  : A['default'] extends string | number | boolean
    ? true
    : A['flags'] extends `--no-${string}`
      ? true
      : false;

type Simplify<T> = { [K in keyof T]: T[K] };

/** The parsed arguments of a list of {@link ArgSpec}s, by attribute name. */
export type ValuesOf<L extends readonly ArgSpec[]> = Simplify<
  { [A in L[number] as IsRequired<A> extends true ? ArgKey<A> : never]: ArgValue<A> } & {
    [A in L[number] as IsRequired<A> extends true ? never : ArgKey<A>]?: ArgValue<A>;
  }
>;

/** The parsed arguments of a command spec: its positionals and options by camelCase name. */
export type ArgsOf<S extends CommandSpec> = ValuesOf<S['args']>;

/**
 * The attribute name commander gives an argument at run time, the same as {@link ArgKey} at the
 * type level: `--all-projects` → `allProjects`, `--no-cache` → `cache`, `[server]` → `server`.
 */
export function attributeName(flags: string): string {
  const positional = /^[<[]([^>\]]+?)(\.\.\.)?[>\]]$/.exec(flags.trim());
  const long = /--([\w-]+)/.exec(flags)?.[1];
  const name = positional ? positional[1] : (long ?? '').replace(/^no-/, '');
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
