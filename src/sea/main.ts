/**
 * The entry of the single executable (scripts/build-sea.mjs → dist/sea/ncli-linux-x64): what
 * bin/ncli does, inside one file with Node built in. The executable is bundled as one CommonJS
 * script (what Node's single-executable support runs), so the lazy `import()`s below are
 * functions inside it, not files; the build's data (manifest, top-level help, completion grammar)
 * is inlined and @napi-rs/keyring's native module is an asset extracted on first use
 * (src/sea/keyring.ts). The build's entry calls {@link run} (or a start-up snapshot does).
 *
 * Differences from bin/ncli: no Node version check (the executable carries its own Node), no
 * compile cache (V8's code cache is inside the executable, made at build time), no source maps
 * (a `--debug` stack names the bundle's functions).
 */
import type { IO } from '../cli/io.js';
import { quick } from '../cli/quick.js';

/** Runs ncli with the executable's arguments; sets the exit code. */
export async function run(): Promise<void> {
  // process.argv of a single executable: [executable, executable, ...arguments]
  const argv = process.argv.slice(2);
  const io: IO = {
    out: process.stdout,
    err: process.stderr,
    env: process.env,
    // read only by --stdio tunnels and prompts: opened when first asked for
    get stdin() {
      return process.stdin;
    },
  };
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
  });
  // as bin/ncli: TAB completion, `--version` and the top-level help without the parser
  if (argv[0] === '__complete') {
    const { complete } = await import('../cli/complete.js');
    process.exitCode = await complete(argv.slice(1), io);
    return;
  }
  const code = quick(argv, io);
  if (code !== undefined) {
    process.exitCode = code;
    return;
  }
  const { setFlagsFromString } = await import('node:v8');
  // as bin/ncli: the baseline compiler is enough for undici's WebAssembly HTTP parser
  setFlagsFromString('--liftoff-only');
  // as bin/ncli (see there): peak memory of a one-shot command, not for `console tunnel`
  if (!argv.includes('tunnel')) {
    setFlagsFromString('--semi-space-growth-factor=1');
    setFlagsFromString(
      Number(process.versions.v8.split('.')[0]) >= 12
        ? '--invocation-count-for-maglev=4000 --invocation-count-for-turbofan=30000'
        : '--interrupt-budget=675840',
    );
  }
  const { main } = await import('../cli/main.js');
  process.exitCode = await main(argv, io);
}
