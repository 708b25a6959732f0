/**
 * The quick answers (src/cli/quick.ts, src/cli/top-help.ts; issue 21): `ncli --help`, `-h`,
 * `help`, a bare `ncli` and `--version` from the build's data, without the parser, must print
 * what the parser prints: byte for byte, at every terminal width, and through bin/ncli. With an
 * extension installed the parser answers (its group is in the list). TAB completion's grammar
 * file (dist/completion.json) must be the one the manifest gives.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import { formatTopHelp, type TopHelp } from '../../src/cli/top-help.js';
import { completionModel } from '../../src/cli/complete.js';
import type { Manifest } from '../../src/cli/spec.js';
import { runNcli } from '../support/io.js';
import { testIO } from '../support/io.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NCLI = join(ROOT, 'bin', 'ncli');
const dist = (f: string) => JSON.parse(readFileSync(join(ROOT, 'dist', f), 'utf8')) as unknown;
const manifest = dist('manifest.json') as Manifest;
const top = dist('top-help.json') as TopHelp;
/** The built quick bundle (it reads dist/top-help.json next to it). */
const { quick } = createRequire(import.meta.url)(
  join(ROOT, 'dist', 'cli', 'quick.cjs'),
) as typeof import('../../src/cli/quick.js');

/** What commander prints for `ncli --help` at `width` columns (undefined: not a terminal). */
function parserHelp(width: number | undefined): string {
  const t = testIO({ env: {} });
  const program = buildProgram(manifest, t.io, () => Promise.resolve());
  let text = '';
  // (commander's own getOutHelpWidth returns undefined off a terminal, which its type does not say)
  program.configureOutput({ writeOut: (s) => (text += s), getOutHelpWidth: () => width as number });
  program.outputHelp();
  return text;
}

/** bin/ncli in a child process, by default with an empty home (no extension, no cache). */
function bin(args: string[], env: NodeJS.ProcessEnv = {}, home = mkdtempSync(join(tmpdir(), 'ncli-top-help-'))) {
  return spawnSync(process.execPath, [NCLI, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: home, XDG_CACHE_HOME: join(home, 'cache'), ...env },
    timeout: 20_000,
  });
}

describe('the top-level help without the parser', () => {
  it("is commander's text at every width (property)", () => {
    fc.assert(
      fc.property(fc.option(fc.integer({ min: 1, max: 400 }), { nil: undefined }), (width) => {
        expect(formatTopHelp(top, width)).toBe(parserHelp(width));
      }),
      { numRuns: 200 },
    );
    // the widths where wrapping starts and stops (commander wraps from 40 columns of description)
    for (const w of [80, 86, 87, 88, 89, 90, 120, 160, 200]) expect(formatTopHelp(top, w)).toBe(parserHelp(w));
    // and it does wrap somewhere: the test would not notice a renderer that never wraps otherwise
    expect(parserHelp(100)).not.toBe(parserHelp(undefined));
  });

  it('is what the data file holds: the groups and options of the manifest and the version', () => {
    expect(top.version).toBe(manifest.version);
    const groups = manifest.groups.filter((g) => !g.name.includes(' ')).map((g) => g.name);
    expect(top.commands.map(([t]) => t.split(' ')[0])).toEqual(groups);
    expect(top.options.map(([t]) => t)).toEqual(
      expect.arrayContaining(['-V, --version', '-h, --help', '--os-cloud <name>']),
    );
  });

  it("quick() writes it on a terminal at the terminal's width, and leaves other command lines to the parser", () => {
    const t = testIO({ env: {}, tty: true });
    Object.assign(t.io.out, { columns: 132 });
    expect(quick(['-h'], t.io)).toBe(0);
    expect(t.out.text()).toBe(parserHelp(132));
    const bare = testIO({ env: {} });
    expect(quick([], bare.io)).toBe(2);
    expect(bare.err.text()).toBe(parserHelp(undefined));
    expect(bare.out.text()).toBe('');
    for (const argv of [
      ['server', '--help'],
      ['--help', 'server'],
      ['--debug', '--help'],
      ['--os-cloud', 'x'],
    ]) {
      const o = testIO({ env: {} });
      expect(quick(argv, o.io), argv.join(' ')).toBeUndefined();
      expect(o.out.text() + o.err.text()).toBe('');
    }
  });

  it('bin/ncli prints what the parser prints: --help, -h, help, bare ncli, --version', async () => {
    for (const args of [['--help'], ['-h'], ['help'], ['--version'], ['-V'], []]) {
      const quickRun = bin(args);
      const parser = await runNcli(args, { HOME: mkdtempSync(join(tmpdir(), 'ncli-top-help-')) });
      expect({ code: quickRun.status, stdout: quickRun.stdout, stderr: quickRun.stderr }, args.join(' ')).toEqual({
        code: parser.code,
        stdout: parser.stdout,
        stderr: parser.stderr,
      });
    }
    expect(bin(['--version']).stdout).toBe(`${manifest.version}\n`);
    expect(bin([]).status).toBe(2);
  });

  it("with an extension installed, bin/ncli's help comes from the parser and lists its group", () => {
    const dir = mkdtempSync(join(tmpdir(), 'ncli-top-help-ext-'));
    mkdirSync(join(dir, 'ext'));
    writeFileSync(
      join(dir, 'ext', 'billing.mjs'),
      `import { command } from 'ncli/extension';
export const help = 'Billing reports (an extension)';
export const do_report = command({ help: 'A report', args: [] }, () => 0);
`,
    );
    const env = { NCLI_EXTENSIONS_PATH: join(dir, 'ext') };
    const help = bin(['--help'], env, dir); // (writes the extension's manifest, which TAB reads)
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^ {2}billing +Billing reports \(an extension\)$/m);
    expect(bin(['--version'], env, dir).stdout).toBe(`${manifest.version}\n`);
    const tab = bin(['__complete', 'bil'], env, dir);
    expect(tab.stdout).toBe('billing\n');
    // without it, the same help lacks the group
    expect(bin(['--help']).stdout).not.toContain('billing');
  });
});

describe("TAB completion's grammar file", () => {
  it('is the grammar of the manifest', () => {
    expect(dist('completion.json')).toEqual(JSON.parse(JSON.stringify(completionModel(manifest))));
  });
});
