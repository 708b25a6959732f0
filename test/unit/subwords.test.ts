/**
 * Commands that also have sub-words (spec `subwords`, src/arg-spec.ts): openstackclient's
 * `server resize confirm SERVER`, `server migrate revert SERVER`, `console log show SERVER` run
 * the command each sub-word names, through the one mechanism of src/cli/main.ts `buildProgram`,
 * while `server resize SERVER …` and `console log SERVER` still run their own handler. The parse is
 * checked with the real manifest and a recording `run` (no network); help and TAB completion too.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/cli/spec.js';
import { LIST_FORMATS, SHOW_FORMATS } from '../../src/cli/output.js';
import { analyze, buildModel } from '../../src/completion/engine.js';
import { GLOBAL_OPTIONS } from '../../src/config/global-options.js';
import { mockAgent } from '../support/mock-nova.js';
import { runNcli } from '../support/io.js';

const manifest = JSON.parse(readFileSync(new URL('../../dist/manifest.json', import.meta.url), 'utf8')) as Manifest;
const { buildProgram } = (await import(new URL('../../dist/cli/main.js', import.meta.url).href)) as {
  buildProgram: (
    m: Manifest,
    io: unknown,
    run: (group: string, cmd: string, args: Record<string, unknown>) => Promise<void>,
  ) => Command;
};
const io = { out: process.stdout, err: process.stderr, env: {} };

/** What `ncli ARGV` would run: the group, the command and the parsed arguments the handler gets. */
async function parsed(argv: string[]): Promise<{ group: string; cmd: string; args: Record<string, unknown> }> {
  let got: { group: string; cmd: string; args: Record<string, unknown> } | undefined;
  const program = buildProgram(manifest, io, async (group, cmd, args) => {
    got = { group, cmd, args };
  });
  await program.parseAsync(argv, { from: 'user' });
  if (!got) throw new Error(`nothing ran for ${argv.join(' ')}`);
  return got;
}

/** The commander command at a path of words. */
function commandAt(program: Command, path: string): Command | undefined {
  let cmd: Command | undefined = program;
  for (const w of path.split(' ')) cmd = cmd?.commands.find((c) => c.name() === w);
  return cmd;
}

describe('sub-words', () => {
  const withSubwords = manifest.groups.flatMap((g) =>
    g.commands.flatMap((c) => Object.entries(c.spec.subwords ?? {}).map(([w, t]) => [`${g.name} ${c.name}`, w, t])),
  );

  it('openstackclient’s one-word-longer verbs are declared', () => {
    expect(withSubwords).toEqual(
      expect.arrayContaining([
        ['console log', 'show', 'console log'],
        ['server resize', 'confirm', 'server migration confirm'],
        ['server resize', 'revert', 'server migration revert'],
        ['server migrate', 'confirm', 'server migration confirm'],
        ['server migrate', 'revert', 'server migration revert'],
      ]),
    );
  });

  it.each(withSubwords)('%s %s is a sub-command with the options and operands of %s', (path, word, target) => {
    const program = buildProgram(manifest, io, async () => {});
    const sub = commandAt(program, `${path} ${word}`);
    const to = commandAt(program, target);
    expect(sub, `${path} ${word}`).toBeDefined();
    expect(to, target).toBeDefined();
    expect(sub!.options.map((o) => o.flags)).toEqual(to!.options.map((o) => o.flags));
    expect(sub!.registeredArguments.map((a) => a.name())).toEqual(to!.registeredArguments.map((a) => a.name()));
  });

  it('a sub-word runs the command it names, with the options after it', async () => {
    expect(await parsed(['server', 'resize', 'confirm', 'vm1', '--wait'])).toMatchObject({
      group: 'server migration',
      cmd: 'confirm',
      args: { server: ['vm1'], wait: true },
    });
    expect(await parsed(['server', 'migrate', 'revert', 'a', 'b', '--wait-timeout', '30'])).toMatchObject({
      group: 'server migration',
      cmd: 'revert',
      args: { server: ['a', 'b'], waitTimeout: 30 },
    });
    expect(await parsed(['console', 'log', 'show', 'vm1', '--lines', '5'])).toMatchObject({
      group: 'console',
      cmd: 'log',
      args: { server: 'vm1', lines: 5 },
    });
    // global options anywhere, as for any command
    const g = await parsed(['server', 'resize', '--os-cloud', 'x', 'revert', 'vm1']);
    expect(g).toMatchObject({ group: 'server migration', cmd: 'revert', args: { server: ['vm1'] } });
  });

  it('without a sub-word first, the command itself runs: the words are its operands', async () => {
    const own = await parsed(['server', 'resize', 'vm1', '--flavor', 'm1.small', '--confirm']);
    expect(own).toMatchObject({ group: 'server', cmd: 'resize', args: { server: ['vm1'], flavor: 'm1.small' } });
    expect(own.args.confirm).toBe(true);
    // only the first word is a sub-word: a server named `confirm` after another is a server
    expect(await parsed(['server', 'resize', 'vm1', 'confirm', '--revert'])).toMatchObject({
      group: 'server',
      cmd: 'resize',
      args: { server: ['vm1', 'confirm'], revert: true },
    });
    expect(await parsed(['console', 'log', 'vm1', '--lines', '3'])).toMatchObject({
      group: 'console',
      cmd: 'log',
      args: { server: 'vm1', lines: 3 },
    });
  });

  it('an option the command it names does not take is a usage error, before any request', async () => {
    const agent = mockAgent(); // no interceptor: a request would fail the test
    const r = await runNcli(['server', 'resize', 'confirm', 'vm1', '--flavor', 'm1.small'], {}, { dispatcher: agent });
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr: 'ncli: --flavor does not go with `ncli server resize confirm`.\n',
    });
  });

  it('help lists the sub-words; a server name before --help is an operand, not an unknown command', async () => {
    const agent = mockAgent();
    const resize = await runNcli(['server', 'resize', '--help'], {}, { dispatcher: agent });
    expect(resize.code).toBe(0);
    expect(resize.stdout).toMatch(/^Commands:\n +confirm \[options\] <server\.\.\.> +Confirm a cold migration/m);
    expect(resize.stdout).toMatch(/^ +revert \[options\] <server\.\.\.> +Revert a cold migration/m);
    const sub = await runNcli(['help', 'server', 'resize', 'confirm'], {}, { dispatcher: agent });
    expect(sub.code).toBe(0);
    expect(sub.stdout).toMatch(/^Usage: ncli server resize confirm \[options\] <server\.\.\.>/);
    expect(sub.stdout).toContain('The same command as `ncli server migration confirm`');
    const log = await runNcli(['console', 'log', 'vm1', '--help'], {}, { dispatcher: agent });
    expect(log).toMatchObject({ code: 0, stderr: '' });
    expect(log.stdout).toMatch(/^Usage: ncli console log \[options\] \[command\] <server>/);
    expect(log.stdout).toMatch(/^ +show \[options\] <server> +Print a server's console log/m);
  });

  it('TAB offers the sub-words where the first operand goes, then the options of the command they name', () => {
    const model = buildModel(manifest, GLOBAL_OPTIONS, { list: LIST_FORMATS, show: SHOW_FORMATS });
    const first = analyze(model, ['server', 'resize', '']);
    expect(first.want.words).toEqual(['confirm', 'revert']);
    expect(first.want.source).toBe('server');
    const after = analyze(model, ['server', 'resize', 'confirm', '']);
    expect(after).toMatchObject({ group: 'server migration', command: 'confirm' });
    expect(after.want).toMatchObject({ words: [], source: 'server' });
    const opts = analyze(model, ['server', 'resize', 'confirm', 'vm1', '--']).want.words;
    expect(opts).toContain('--wait');
    expect(opts).not.toContain('--flavor');
    expect(analyze(model, ['server', 'resize', 'vm1', '']).want.words).toEqual([]);
    expect(analyze(model, ['console', 'log', 'show', '--l']).want.words).toContain('--lines');
    expect(analyze(model, ['console', 'log', 'show', '']).want.words).toEqual([]); // no `show show`
    expect(analyze(model, ['help', 'server', 'migrate', '']).want.words).toEqual(['confirm', 'revert']);
  });
});
