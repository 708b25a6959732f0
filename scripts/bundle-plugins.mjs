// esbuild plugins shared by the two builds of ncli: the bundle in dist/ (scripts/build-bundle.mjs)
// and the single executable (scripts/build-sea.mjs).
import http2 from 'node:http2';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** @type {Record<string, {importer: RegExp, source: string}>} */
const LAZY = {
  'node:http2': {
    importer: /[/\\]node_modules[/\\]undici[/\\]/,
    source: `const constants = ${JSON.stringify(http2.constants)};`,
  },
  'node:child_process': { importer: /[/\\]node_modules[/\\]commander[/\\]/, source: 'const constants = undefined;' },
};
/** The text of the stand-ins by their name in the source maps (they have no file to point to). */
export const virtualSources = new Map();
/** esbuild plugin: the {@link LAZY} modules, for their importers, as stand-ins that load on first use. */
export const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    b.onResolve({ filter: /^node:(http2|child_process)$/ }, (args) =>
      LAZY[args.path]?.importer.test(args.importer) ? { path: args.path, namespace: 'lazy-builtin' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => {
      const contents = `${LAZY[args.path].source}
let real;
const load = () => (real ??= require(${JSON.stringify(args.path)}));
module.exports = new Proxy({}, {
  get: (_, k) => (k === 'constants' && constants ? constants : load()[k]),
  has: (_, k) => k in load(),
});
`;
      virtualSources.set(`lazy-builtin:${args.path}`, contents);
      return { loader: 'js', resolveDir: root, contents };
    });
  },
};

/**
 * esbuild plugin: `yaml` as its ES module build. Its package gives Node its CommonJS build, whose
 * named exports a bundled `await import('yaml')` does not see (only `default`, as in Node's own
 * interop without its lexer); the ES build (package.json `exports` "default", the same code) has them.
 */
export const yamlAsEsm = {
  name: 'yaml-esm',
  setup(b) {
    b.onResolve({ filter: /^yaml$/ }, () => ({ path: join(root, 'node_modules/yaml/browser/index.js') }));
  },
};

/**
 * esbuild plugin: src/cli/top-help.ts's `commander` as commander's lib/help.js alone (the `Help`
 * class it lays the top-level help out with), so that `--help` and `--version` do not load the
 * rest of commander (the parser: +7 % of a bare node's start). Other importers get commander
 * itself; test/unit/completion-shells.test.ts checks that the quick bundles hold no more of it.
 */
export const commanderHelpOnly = {
  name: 'commander-help-only',
  setup(b) {
    b.onResolve({ filter: /^commander$/ }, (args) =>
      /[/\\]src[/\\]cli[/\\]top-help\.ts$/.test(args.importer)
        ? { path: join(root, 'node_modules/commander/lib/help.js') }
        : undefined,
    );
  },
};
