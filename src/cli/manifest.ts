/**
 * The build's data about the commands, written by scripts/build-manifest.mjs from the `do_*`
 * handlers and read here and only here:
 * - dist/manifest.json, the command manifest: by the parser, help and completion, none of which
 *   imports a handler to know the commands (oclif's manifest);
 * - dist/top-help.json, the version and the top-level help (src/cli/top-help.ts): by the quick
 *   answers (src/cli/quick.ts), which need nothing else;
 * - dist/completion.json, the completion grammar of the manifest (src/cli/complete.ts
 *   `completionModel`): by TAB completion when no extension is installed.
 */
import { readFileSync } from 'node:fs';
import type { Manifest } from './spec.js';
import type { TopHelp } from './top-help.js';
import type { CompletionModel } from '../completion/engine.js';

let cached: Manifest | undefined;

/** Reads the manifest next to the compiled code (once per process). @throws on a missing build */
export function readManifest(): Manifest {
  cached ??= JSON.parse(readFileSync(new URL('../manifest.json', import.meta.url), 'utf8')) as Manifest;
  return cached;
}

/** Reads the version and top-level help next to the compiled code. @throws on a missing build */
export function readTopHelp(): TopHelp {
  return JSON.parse(readFileSync(new URL('../top-help.json', import.meta.url), 'utf8')) as TopHelp;
}

/** Reads the completion grammar of ncli's own commands next to the compiled code. @throws on a missing build */
export function readCompletionModel(): CompletionModel {
  return JSON.parse(readFileSync(new URL('../completion.json', import.meta.url), 'utf8')) as CompletionModel;
}
