/**
 * The command manifest (dist/manifest.json), written by scripts/build-manifest.mjs from the
 * `do_*` handlers, read here and only here: by the parser, help, `--version` (bin/ncli) and
 * completion, none of which imports a handler to know the commands (oclif's manifest).
 */
import { readFileSync } from 'node:fs';
import type { Manifest } from './spec.js';

let cached: Manifest | undefined;

/** Reads the manifest next to the compiled code (once per process). @throws on a missing build */
export function readManifest(): Manifest {
  cached ??= JSON.parse(readFileSync(new URL('../manifest.json', import.meta.url), 'utf8')) as Manifest;
  return cached;
}
