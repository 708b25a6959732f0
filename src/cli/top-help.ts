/**
 * ncli's top-level help (`ncli --help`, `ncli -h`, `ncli help`, bare `ncli`) as data, and its text
 * at a terminal width, without building the parser (issue 21: `--help` ≤ 1.2× a bare `node`).
 *
 * The build (scripts/build-manifest.mjs) takes the data from the real commander program of
 * src/cli/main.ts ({@link topHelpOf}) and writes it to dist/top-help.json; at run time
 * {@link formatTopHelp} lays it out with commander's own `Help` class (commander/lib/help.js:
 * `formatHelp`'s order, `formatItem`'s padding and `boxWrap`'s wrapping), so the text is the one
 * `main(['--help'])` prints, byte for byte, at every width (test/unit/top-help.test.ts compares
 * them). The quick bundle (dist/cli/quick.cjs) loads only that file of commander.
 *
 * Only for ncli without extensions: their groups change the list at run time (src/cli/quick.ts
 * leaves that case to the parser).
 */
import { Help, type Command } from 'commander';

/** The top-level help as data: what commander's `formatHelp` prints for ncli's program. */
export interface TopHelp {
  /** ncli's version (`--version`, which needs nothing else). */
  version: string;
  /** `ncli [options] [command]` */
  usage: string;
  description: string;
  /** Visible options: [term, description], e.g. `['-V, --version', 'Print the version']`. */
  options: [string, string][];
  /** Command groups: [term, description]. */
  commands: [string, string][];
  /** The text added after the help (`addHelpText('after', …)`), without its final newline. */
  after: string;
}

/**
 * The top-level help of a commander program as data (at build time).
 * @param after the program's `addHelpText('after', …)` text (commander keeps it in a listener)
 */
export function topHelpOf(program: Command, version: string, after: string): TopHelp {
  const helper = program.createHelp();
  return {
    version,
    usage: helper.commandUsage(program),
    description: helper.commandDescription(program),
    options: helper.visibleOptions(program).map((o) => [helper.optionTerm(o), helper.optionDescription(o)]),
    commands: helper.visibleCommands(program).map((c) => [helper.subcommandTerm(c), helper.subcommandDescription(c)]),
    after,
  };
}

/**
 * The text `ncli --help` prints, as commander would print it (commander/lib/help.js `formatHelp`,
 * then the `after` text), with its final newline.
 * @param width the terminal's columns, or undefined when not a terminal (commander then uses 80)
 */
export function formatTopHelp(h: TopHelp, width: number | undefined): string {
  const helper = new Help();
  helper.prepareContext({ helpWidth: width });
  const helpWidth = helper.helpWidth ?? 80;
  // commander's padWidth: the longest option, sub-command or argument term
  const termWidth = Math.max(0, ...[...h.options, ...h.commands].map(([t]) => helper.displayWidth(t)));
  const items = (list: [string, string][]) => list.map(([t, d]) => helper.formatItem(t, termWidth, d, helper));
  const output = [
    `Usage: ${h.usage}`,
    '',
    ...(h.description ? [helper.boxWrap(h.description, helpWidth), ''] : []),
    ...helper.formatItemList('Options:', items(h.options), helper),
    ...helper.formatItemList('Commands:', items(h.commands), helper),
  ];
  return output.join('\n') + (h.after ? `${h.after}\n` : '');
}
