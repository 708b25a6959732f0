/**
 * How a command declares itself, next to its handler, the way python-novaclient's
 * `@utils.arg(...)` stacks arguments onto a `do_*` function (novaclient/utils.py `arg`). A command
 * module exports `do_<verb>` handlers built with {@link command}; the build turns them into
 * `dist/manifest.json` so that help and completion never import a handler.
 */
import type { Context } from './context.js';

/** What shell completion offers for a value. */
export type Completer = 'server' | 'flavor' | 'cloud' | 'file';

/** One argument: a positional (`<server>`, `[server]`) or an option (`-c, --column <name>`). */
export interface ArgSpec {
  /** Commander syntax: `<server>`, `--name <regex>`, `--long`, `--no-wait`. */
  flags: string;
  help: string;
  /** Allowed values (completed, and checked: a usage error otherwise). */
  choices?: readonly string[];
  default?: string | number | boolean;
  /** May be given several times; the value is an array. */
  repeatable?: boolean;
  /** Parsed as a whole number (a usage error otherwise). */
  integer?: boolean;
  complete?: Completer;
  /** Not shown in help. */
  hidden?: boolean;
  /** Can't be used with these options (attribute names). */
  conflicts?: string[];
}

/** A command's declaration. */
export interface CommandSpec {
  /** One line: what the command does. */
  help: string;
  /** More text for `--help`, e.g. examples. */
  description?: string;
  args: ArgSpec[];
  /** Adds `-f/--format` and `-c/--column` for a list (rows) or a show (fields). */
  output?: 'list' | 'show';
}

/** Parsed arguments: positionals and options by camelCase name (`--all-projects` → allProjects). */
export type Args = Record<string, unknown>;

/** A handler: parses nothing itself (commander did), calls one client, prints; returns the exit code (default 0). */
export type Handler = ((ctx: Context, args: Args) => Promise<number | void>) & { spec: CommandSpec };

/** Declares a `do_*` handler with its spec. */
export function command(spec: CommandSpec, fn: (ctx: Context, args: Args) => Promise<number | void>): Handler {
  return Object.assign(fn, { spec });
}

/** Shorthand for an {@link ArgSpec}. */
export function arg(flags: string, help: string, extra: Omit<ArgSpec, 'flags' | 'help'> = {}): ArgSpec {
  return { flags, help, ...extra };
}

/** The manifest the build writes (dist/manifest.json) and startup reads. */
export interface Manifest {
  version: string;
  groups: {
    name: string;
    help: string;
    /** Module path relative to dist/, e.g. `commands/server.js`. */
    module: string;
    commands: { name: string; export: string; spec: CommandSpec }[];
  }[];
}
