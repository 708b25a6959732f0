// Bundles src/ into dist/ with esbuild (ESM, code splitting, dependencies included), the
// JavaScript bin/ncli runs. `npm run build` type-checks first (tsc --noEmit), then runs this, then
// writes the manifest and the completion scripts from what this wrote.
//
// Entry points, each its own file under dist/ at the path tsc would give it:
// - cli/main.js (the parser), cli/complete.js (the TAB path), cli/manifest.js (`--version`),
//   config/cache-dir.js (bin/ncli's compile cache folder);
// - every handler module, commands/**/*.js: main.ts imports the chosen one by the manifest's path;
// - every module of src/ that is imported lazily (`await import('../http/transport.js')`), so that
//   what a command does not use stays out of the files it loads, under its own name (the load
//   tests look for dist/http/transport.js);
// - tunnel/index.js and completion/scripts.js, which tests and the completion build import.
// Code two entries share goes to dist/chunks/. Source maps (dist/**/*.js.map, without the sources'
// text) let `--debug` stacks point at src/ (bin/ncli turns them on for --debug only).
//
// Node modules loaded only when used ({@link lazyBuiltins}): undici requires node:http2 at load
// (for HTTP/2, which ncli never negotiates: its Agent is HTTP/1.1 only) and commander
// node:child_process (for executable subcommands, which ncli has none of); compiling them cost
// ~25 ms of every start (scripts/bench/profile.mjs). The stand-in loads the real module at the
// first use of anything but http2's constants (protocol values, copied at build time).
//
// Kept out of the bundle, loaded from node_modules at run time:
// - @napi-rs/keyring: a native addon (its .node file is chosen by platform at run time);
// - open: it starts its own xdg-open script from its package folder when the system has none.
import { build } from 'esbuild';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { commanderHelpOnly, lazyBuiltins, virtualSources, yamlAsEsm } from './bundle-plugins.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = join(root, 'src');
const files = readdirSync(src, { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));

const entries = new Set([
  'cli/main.ts',
  'cli/complete.ts',
  'cli/manifest.ts',
  'config/cache-dir.ts',
  'tunnel/index.ts',
  'completion/scripts.ts',
  // `ncli/extension` (package.json exports): the API extensions import, sharing chunks with the rest
  'extension.ts',
]);
for (const f of files) {
  if (f.startsWith('commands/')) entries.add(f);
  const text = readFileSync(join(src, f), 'utf8');
  for (const m of text.matchAll(/import\(\s*'(\.{1,2}\/[^']+)\.js'\s*\)/g)) {
    entries.add(relative(src, resolve(dirname(join(src, f)), m[1] + '.ts')));
  }
}

rmSync(join(root, 'dist'), { recursive: true, force: true });
/** What every bundle of dist/ shares: Node 20.18+, source maps without the sources, minified. */
const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20.18',
  sourcemap: 'linked',
  sourcesContent: false,
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
};
const result = await build({
  ...common,
  entryPoints: [...entries].sort().map((e) => join('src', e)),
  outdir: 'dist',
  outbase: 'src',
  entryNames: '[dir]/[name]',
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  format: 'esm',
  external: ['@napi-rs/keyring', 'open'],
  // CommonJS dependencies (undici, commander, cli-table3, ws) call require() for Node's own modules
  banner: {
    js: "import { createRequire as __ncliRequire } from 'node:module'; const require = __ncliRequire(import.meta.url);",
  },
  metafile: true,
  plugins: [lazyBuiltins, yamlAsEsm],
});
// The paths that must start fastest, each one CommonJS file that bin/ncli requires without
// starting Node's ES module loader (issue 21): dist/cli/quick.cjs (src/cli/quick.ts: `--version`
// and the top-level help) and dist/cli/complete.cjs (src/cli/complete.ts: TAB completion). In them
// `import.meta.url` is the file's own URL (their modules find dist/manifest.json by it, and
// src/cli/extensions.ts tells the bundle from the single executable by it); of commander they take
// lib/help.js alone; and `yaml`, needed only when a TAB offers names and clouds.yaml exists, is a
// file of its own, dist/cli/yaml.cjs, required then: its 146 KiB would be compiled at every TAB
// (+6 % of a bare node), and yaml's own CommonJS build is 72 files (slower still).
const yamlFile = {
  name: 'yaml-file',
  setup(b) {
    b.onResolve({ filter: /^yaml$/ }, () => ({ path: './yaml.cjs', external: true }));
  },
};
const fast = (entry, outfile, plugins) =>
  build({
    ...common,
    entryPoints: [entry],
    outfile: join('dist', 'cli', outfile),
    format: 'cjs',
    // lazy `import()`s become `require()`s: those bundled are functions in the file
    supported: { 'dynamic-import': false },
    define: { 'import.meta.url': '__ncliUrl' },
    banner: { js: "const __ncliUrl = require('node:url').pathToFileURL(__filename).href;" },
    plugins,
  });
await Promise.all([
  fast(join('src', 'cli', 'quick.ts'), 'quick.cjs', [commanderHelpOnly, yamlFile]),
  fast(join('src', 'cli', 'complete.ts'), 'complete.cjs', [commanderHelpOnly, lazyBuiltins, yamlFile]),
  fast('yaml', 'yaml.cjs', [yamlAsEsm]),
]);
// A map naming a stand-in carries its text (and null for the files on disk): a reader of the
// maps (vitest, a debugger) then finds every source.
for (const f of Object.keys(result.metafile.outputs).filter((o) => o.endsWith('.js.map'))) {
  const map = JSON.parse(readFileSync(join(root, f), 'utf8'));
  if (!map.sources.some((x) => virtualSources.has(x))) continue;
  map.sourcesContent = map.sources.map((x) => virtualSources.get(x) ?? null);
  writeFileSync(join(root, f), JSON.stringify(map));
}
const outputs = Object.entries(result.metafile.outputs).filter(([f]) => f.endsWith('.js'));
const bytes = outputs.reduce((n, [, o]) => n + o.bytes, 0);
const kib = (f) => (statSync(join(root, 'dist', 'cli', f)).size / 1024).toFixed(0);
console.log(
  `bundle: ${entries.size} entries, ${outputs.length} files, ${(bytes / 1024).toFixed(0)} KiB in dist/; ` +
    `quick.cjs ${kib('quick.cjs')} KiB, complete.cjs ${kib('complete.cjs')} KiB, yaml.cjs ${kib('yaml.cjs')} KiB`,
);
