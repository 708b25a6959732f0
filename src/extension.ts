/**
 * `ncli/extension`: the public, versioned API of ncli extensions (issue 19; README "Extensions").
 * A thin re-export of what ncli's own handlers use, not a second implementation: an extension's
 * `do_*` handler is made with the same {@link command} and {@link arg}, gets the same `ctx`
 * ({@link Context}: `ctx.compute()` → {@link ComputeClient} with `read`/`send`, `ctx.server()`,
 * `ctx.servers()`, `ctx.find()`, `ctx.list()`, `ctx.listOf()`, `ctx.show()`, `ctx.showMany()`,
 * `ctx.warn()`), and reports failures with the same {@link NcliError} classes.
 *
 * Stability: what this module exports is the API of major version {@link apiVersion}; a minor
 * version adds, a major version may remove or change. Anything imported from another path of the
 * package (dist/…) is internal.
 *
 * An extension file imports it as `import { command, arg } from 'ncli/extension'`: ncli maps that
 * specifier to itself when it loads an extension (src/cli/extensions-load.ts), so a file outside
 * any npm project needs no install; a TypeScript extension gets the types from the ncli package
 * (`npm install --save-dev ncli`: package.json `exports["./extension"].types`).
 */

/** The extension API version: `major.minor`. Check the major (`apiVersion.split('.')[0] === '1'`) to refuse an incompatible ncli. */
export const apiVersion = '1.0';

// declaring commands: the same as src/commands/*.ts
export { command, arg } from './cli/spec.js';
export type { Handler, ArgSpec, ArgsOf, CommandSpec, Completer, ValuesOf } from './cli/spec.js';

// what a handler gets
export type { Context, OutputChoice } from './cli/context.js';
export type { Row } from './cli/output.js';
export type { ComputeClient, CallOptions, Query } from './compute/client.js';
export type { HttpResponse } from './http/transport.js';
export type { Server, Flavor } from './compute/types.js';
export type { NameKind } from './name-kinds.js';

// resources: list (every page), get, find by name or ID, columns
export { defineResource, column, listResource, getResource, findResource, idOf, nameOf } from './compute/resource.js';
export type { Resource, Column, ListOptions, Paging } from './compute/resource.js';
export { SERVER } from './compute/resources/server.js';
export { FLAVOR } from './compute/resources/flavor.js';
export { HYPERVISOR } from './compute/resources/hypervisor.js';

// microversions (per command and option: `since`/`until` in the spec; in code:)
export { requireMicroversion, hasMicroversion, requireAtMost, cappedVersion } from './compute/versions.js';
export { compareVersions } from './compute/microversion.js';

// the error model
export { NcliError, UsageError, ConfigError, NotFoundError, isNcliError } from './errors.js';
export type { ErrorCode, Hint, NcliErrorOptions } from './errors.js';
export { ApiError } from './http/errors.js';

// schemas of `client.read(…)` answers: valibot, the library ncli checks every answer with
export * as v from 'valibot';
