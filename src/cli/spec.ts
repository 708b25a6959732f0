/**
 * How a command declares itself, next to its handler, the way python-novaclient's
 * `@utils.arg(...)` stacks arguments onto a `do_*` function (novaclient/utils.py `arg`). A command
 * module exports `do_<verb>` handlers built with {@link command}; the build turns them into
 * `dist/manifest.json` so that help and completion never import a handler.
 *
 * A spec is plain data written with `const` literal types, so the type of the parsed arguments a
 * handler receives is computed from it ({@link ArgsOf}): `arg('--limit <n>', …, { integer: true })`
 * gives `limit?: number`, `arg('<server>', …)` gives `server: string`, `arg('--long', …)` gives
 * `long?: boolean` — the way gh binds each flag to one typed field of its options struct.
 */
import type { Context } from './context.js';
import type { ArgsOf, ArgSpec, CommandSpec } from '../arg-spec.js';

export type { ArgKey, ArgSpec, ArgValue, ArgsOf, CommandSpec, Completer, ValuesOf } from '../arg-spec.js';
export { attributeName } from '../arg-spec.js';

// --- declaring commands ----------------------------------------------------------------------------

/** A handler: parses nothing itself (commander did), calls one client, prints; returns the exit code (default 0). */
export type Handler<S extends CommandSpec = CommandSpec> = ((
  ctx: Context,
  args: ArgsOf<S>,
) => Promise<number | void> | number | void) & {
  spec: S;
};

/** Declares a `do_*` handler with its spec; the handler's argument type is computed from the spec. */
export function command<const S extends CommandSpec>(
  spec: S,
  fn: (ctx: Context, args: ArgsOf<S>) => Promise<number | void> | number | void,
): Handler<S> {
  return Object.assign(fn, { spec });
}

/** Shorthand for an {@link ArgSpec}, keeping its literal types. */
export function arg<const F extends string, const E extends Omit<ArgSpec, 'flags' | 'help'> = object>(
  flags: F,
  help: string,
  extra?: E,
): { readonly flags: F; readonly help: string } & E {
  return { flags, help, ...(extra ?? ({} as E)) };
}

/** The manifest the build writes (dist/manifest.json) and startup reads. */
export interface Manifest {
  version: string;
  groups: {
    /** `server`, or for a nested group its path: `server event` (parents are listed first). */
    name: string;
    help: string;
    /** Module path relative to dist/, e.g. `commands/server.js`. */
    module: string;
    /** `extension`: the absolute path of the extension module that has it (src/cli/extensions.ts). */
    commands: { name: string; export: string; spec: CommandSpec; extension?: string }[];
  }[];
}
