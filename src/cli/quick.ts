/**
 * The answers ncli gives without its parser and without Node's ES module loader (issue 21:
 * `--version` and `--help` within 1.2× a bare `node -e 0`): the version and the top-level help
 * (src/cli/top-help.ts). TAB completion is the other such path (src/cli/complete.ts).
 *
 * bin/ncli is a CommonJS script; for `--version`, `-V`, `--help`, `-h`, `help` or no argument it
 * requires the CommonJS bundle of this module, dist/cli/quick.cjs (scripts/build-bundle.mjs), and
 * never starts the ES module loader (+7 % of a bare node's CPU alone; scripts/bench/README.md).
 * The single executable asks it first too. When {@link quick} cannot answer (extensions are
 * installed, so the group list is known only at run time), it returns undefined and the caller
 * runs the parser (src/cli/main.ts), which prints the same text (test/unit/top-help.test.ts).
 */
import type { IO } from './io.js';
import { readTopHelp } from './manifest.js';
import { formatTopHelp } from './top-help.js';
import { discoverExtensions } from './extensions.js';

/** What `argv` asks that {@link quick} may answer: the version or the top-level help. */
function kind(argv: readonly string[]): 'version' | 'help' | 'usage' | undefined {
  if (argv.length === 0) return 'usage'; // bare `ncli`: the help, on stderr, exit 2 (commander's)
  if (argv.length !== 1) return undefined;
  if (argv[0] === '--version' || argv[0] === '-V') return 'version';
  if (argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') return 'help';
  return undefined;
}

/**
 * Answers `argv` without the parser when it can: returns the exit code, or undefined when the
 * parser must run (extensions found, for help; any other command line).
 * @param argv the arguments without node and script
 * @throws when the build's file is missing (dist/top-help.json)
 */
export function quick(argv: readonly string[], io: IO): number | undefined {
  const k = kind(argv);
  if (k === 'version') {
    io.out.write(readTopHelp().version + '\n');
    return 0;
  }
  if (k === undefined || discoverExtensions(io.env).length) return undefined;
  const stream = k === 'help' ? io.out : io.err;
  // commander's width: the terminal's columns, 80 when not a terminal
  stream.write(formatTopHelp(readTopHelp(), stream.isTTY ? stream.columns : undefined));
  return k === 'help' ? 0 : 2;
}
