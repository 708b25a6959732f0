/**
 * One grammar: the completion model (src/completion/engine.ts `buildModel`) and the commander
 * program (src/cli/main.ts `buildProgram`) are built from the same manifest and option table; this
 * walks every command of the real manifest and checks that the options and positionals TAB offers
 * are exactly those commander accepts, with the same values and choices. Also the types that a
 * spec gives its handler (src/cli/spec.ts `ArgsOf`).
 */
import { readFileSync } from 'node:fs';
import type { Command, Option } from 'commander';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { arg, attributeName, type ArgsOf, type Manifest } from '../../src/cli/spec.js';
import { LIST_FORMATS, SHOW_FORMATS } from '../../src/cli/output.js';
import { buildModel, type OptionModel } from '../../src/completion/engine.js';
import { GLOBAL_OPTIONS, readSettings, type GlobalFlags } from '../../src/config/global-options.js';

const manifest = JSON.parse(readFileSync(new URL('../../dist/manifest.json', import.meta.url), 'utf8')) as Manifest;
const { buildProgram } = (await import(new URL('../../dist/cli/main.js', import.meta.url).href)) as {
  buildProgram: (m: Manifest, io: unknown, run: () => Promise<void>) => Command;
};

/** An option as a comparable record: names, whether it takes a value, its choices. */
function fromCommander(o: Option) {
  return {
    long: o.long,
    short: o.short,
    value: o.required ? 'required' : o.optional ? 'optional' : 'none',
    choices: o.argChoices ? [...o.argChoices].sort() : undefined,
  };
}
function fromModel(o: OptionModel) {
  return { long: o.long, short: o.short, value: o.value, choices: o.choices ? [...o.choices].sort() : undefined };
}
/** The commander command at a path of words (`server event list`). */
function commandAt(program: Command, path: string): Command {
  let cmd = program;
  for (const w of path.split(' ')) cmd = cmd.commands.find((c) => c.name() === w)!;
  return cmd;
}
const byName = (a: { long?: string }, b: { long?: string }) => (a.long ?? '').localeCompare(b.long ?? '');

describe('completion and commander agree', () => {
  const io = { out: process.stdout, err: process.stderr, env: {} };
  const program = buildProgram(manifest, io, async () => {});
  const model = buildModel(manifest, GLOBAL_OPTIONS, { list: LIST_FORMATS, show: SHOW_FORMATS });

  it('on the global options', () => {
    const ours = model.globals.map(fromModel).sort(byName);
    const theirs = program.options.map(fromCommander);
    theirs.push({ long: '--help', short: '-h', value: 'none', choices: undefined });
    expect(ours).toEqual(theirs.sort(byName));
  });

  it('on the groups (nested ones too) and commands', () => {
    const top = model.groups.filter((g) => !g.name.includes(' ')).map((g) => g.name);
    expect(top).toEqual(program.commands.map((c) => c.name()));
    for (const g of model.groups) {
      const gcmd = commandAt(program, g.name);
      const subs = model.groups.filter(
        (s) => s.name.startsWith(`${g.name} `) && s.name.split(' ').length === g.name.split(' ').length + 1,
      );
      expect([...g.commands.map((c) => c.name), ...subs.map((s) => s.name.split(' ').pop())].sort()).toEqual(
        gcmd.commands.map((c) => c.name()).sort(),
      );
    }
  });

  const cases = manifest.groups.flatMap((g) => g.commands.map((c) => [g.name, c.name] as const));
  it.each(cases)('on every option and positional of %s %s', (group, name) => {
    const cmd = commandAt(program, `${group} ${name}`);
    const m = model.groups.find((g) => g.name === group)!.commands.find((c) => c.name === name)!;
    const theirs = cmd.options.map(fromCommander);
    theirs.push({ long: '--help', short: '-h', value: 'none', choices: undefined });
    expect(m.options.map(fromModel).sort(byName)).toEqual(theirs.sort(byName));
    expect(m.positionals.map((p) => ({ name: p.name, variadic: p.variadic }))).toEqual(
      cmd.registeredArguments.map((a) => ({ name: a.name(), variadic: a.variadic })),
    );
    // the attribute names handlers read are commander's
    for (const o of cmd.options) expect(attributeName(o.flags)).toBe(o.attributeName());
  });

  it('on the attribute names of the global options (the keys resolveConfig reads)', () => {
    for (const o of program.options) expect(attributeName(o.flags)).toBe(o.attributeName());
  });
});

describe('the option table', () => {
  it('reads flag > env > clouds.yaml, with aliases, switches and seconds', () => {
    const cloud = { region_name: 'C', auth: { username: 'cloud-user', project_name: 'cp' }, verify: false };
    const s = readSettings({ osUsername: 'flag-user' }, { OS_TENANT_NAME: 'tenant', OS_TIMEOUT: '7' }, cloud);
    expect(s).toMatchObject({ osUsername: 'flag-user', osProjectName: 'tenant', osRegionName: 'C', insecure: true });
    expect(s.timeout).toBe(7);
    expect(readSettings({ cache: true }, { OS_CACHE: 'off' }).cache).toBe(false); // commander's default is not a flag
    expect(readSettings({ cache: false }, { OS_CACHE: 'on' }).cache).toBe(false);
    expect(() => readSettings({}, { OS_TIMEOUT: 'soon' })).toThrow(
      "OS_TIMEOUT takes a positive number of seconds, not 'soon'.",
    );
  });
  it('shows each variable in --help', () => {
    const io = { out: process.stdout, err: process.stderr, env: {} };
    const help = buildProgram(manifest, io, async () => {}).helpInformation();
    expect(help).toMatch(/--os-project-name <name> +Project to scope to \[env OS_PROJECT_NAME\]/);
    expect(help).toMatch(
      /--no-cache +Neither read nor write the caches \(token, names for completion, version documents\) \[env OS_CACHE\]/,
    );
  });
});

describe('typed arguments', () => {
  it('computes each handler argument type from its spec', () => {
    const _args = [
      arg('<server>', ''),
      arg('[image]', ''),
      arg('<more...>', ''),
      arg('--limit <n>', '', { integer: true }),
      arg('--all-projects', ''),
      arg('--type <type>', '', { choices: ['novnc', 'serial'] as const, default: 'novnc' }),
      arg('--property <k=v>', '', { repeatable: true }),
      arg('--no-wait', ''),
    ] as const;
    type A = ArgsOf<{ help: ''; args: typeof _args }>;
    expectTypeOf<A>().toEqualTypeOf<{
      server: string;
      more: string[];
      type: 'novnc' | 'serial';
      wait: boolean;
      image?: string;
      limit?: number;
      allProjects?: boolean;
      property?: string[];
    }>();
    expectTypeOf<GlobalFlags['osCloud']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<GlobalFlags['cache']>().toEqualTypeOf<boolean>();
  });
});
