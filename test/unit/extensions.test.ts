/**
 * Extensions found at run time (issue 19, src/cli/extensions.ts): where they are found, their
 * manifests (help and TAB never import them; rebuilt when the file changes), failures (one
 * warning, the rest works), collisions (the built-in wins; two extensions: neither), `extension
 * list`, the `ncli/extension` API (same classes as ncli's: an NcliError an extension throws is one
 * line and its exit code), npm packages `ncli-ext-*` next to ncli, and the TypeScript types.
 * No cloud: the commands here print their arguments.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const tmp = mkdtempSync(join(tmpdir(), 'ncli-ext-unit-'));
/** A marker file each extension's top level appends its name to: proof of an import. */
const MARKER = join(tmp, 'imports.log');

/** An extension module that records its import and has the given body. */
function extension(body: string, name = 'x'): string {
  return `import { appendFileSync } from 'node:fs';
import { arg, command, NcliError, UsageError, apiVersion } from 'ncli/extension';
appendFileSync(${JSON.stringify(MARKER)}, ${JSON.stringify(name)} + '\\n');
${body}
`;
}

const HELLO = extension(
  `export const help = 'Greetings (an example group)';
export const do_say = command(
  { help: 'Say hello to people', output: 'list',
    args: [arg('<who...>', 'People'), arg('--times <n>', 'How often', { integer: true, default: 1 }),
           arg('--loud', 'Shout')] },
  async (ctx, a) => {
    await ctx.list(['Who', 'Times', 'Loud', 'API'], a.who.map((w) => ({ Who: w, Times: a.times, Loud: !!a.loud, API: apiVersion })));
  });
export const do_fail = command({ help: 'Fail with an NcliError', args: [] }, () => {
  throw new NcliError('REFUSED', 'The greeting was refused by policy.');
});
export const do_misuse = command({ help: 'Fail with a UsageError', args: [] }, () => {
  throw new UsageError('--who is not how you do it.');
});`,
  'hello',
);

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: join(tmp, 'home'),
    XDG_CACHE_HOME: join(tmp, 'cache'),
    npm_config_prefix: join(tmp, 'no-global'),
    ...extra,
  };
}

function imports(): string[] {
  try {
    return readFileSync(MARKER, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/** Runs the real bin/ncli (extensions are imported by Node itself, as for a user). */
async function runNcli(
  argv: string[],
  e: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'ncli'), ...argv], { env: e, encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** What TAB offers after `words` (`ncli __complete`). */
async function tab(e: NodeJS.ProcessEnv, ...words: string[]): Promise<string[]> {
  return (await runNcli(['__complete', '--', ...words], e)).stdout.split('\n').filter(Boolean);
}

describe('extensions: found, cached, run', () => {
  const dir = join(tmp, 'a');
  const cfg = join(tmp, 'config');
  let e: NodeJS.ProcessEnv;
  beforeAll(() => {
    mkdirSync(dir, { recursive: true });
    mkdirSync(join(cfg, 'ncli', 'extensions'), { recursive: true });
    writeFileSync(join(dir, 'greet.mjs'), HELLO);
    // from the config folder, the group exported by the module rather than its name
    writeFileSync(
      join(cfg, 'ncli', 'extensions', 'misc.mjs'),
      extension(
        `export const group = 'server migration';
export const do_audit = command({ help: 'Audit migrations', args: [arg('--since <time>', 'From', { since: '2.59' })] }, (ctx) => ctx.write('audit\\n'));`,
        'misc',
      ),
    );
    e = env({ NCLI_EXTENSIONS_PATH: `${join(tmp, 'nothing-here')}:${dir}`, XDG_CONFIG_HOME: cfg });
  });

  it('a command of an extension runs with typed arguments and the output options', async () => {
    const r = await runNcli(
      ['greet', 'say', 'ann', 'bob', '--times', '2', '-f', 'json', '-c', 'Who', '-c', 'Times'],
      e,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([
      { Who: 'ann', Times: 2 },
      { Who: 'bob', Times: 2 },
    ]);
    const v = await runNcli(['greet', 'say', 'ann', '-f', 'value', '-c', 'API'], e);
    expect(v.stdout).toBe('1.0\n');
    const bad = await runNcli(['greet', 'say', 'ann', '--times', 'x'], e);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--times takes a whole number');
  });

  it("an extension's NcliError and UsageError are ncli's: one line, their exit codes", async () => {
    const r = await runNcli(['greet', 'fail'], e);
    expect(r).toEqual({ code: 1, stdout: '', stderr: 'ncli: The greeting was refused by policy.\n' });
    const u = await runNcli(['greet', 'misuse'], e);
    expect(u).toEqual({ code: 2, stdout: '', stderr: 'ncli: --who is not how you do it.\n' });
  });

  it('help and completion show extension commands from the manifests, without importing them', async () => {
    await runNcli(['extension', 'list'], e); // manifests fresh
    const before = imports().length;
    const help = await runNcli(['--help'], e);
    expect(help.stdout).toMatch(/greet\s+Greetings \(an example group\)/);
    const sub = await runNcli(['server', 'migration', '--help'], e);
    expect(sub.stdout).toMatch(/audit \[options\]\s+Audit migrations/);
    const say = await runNcli(['greet', 'say', '--help'], e);
    expect(say.stdout).toContain('--times <n>');
    expect(await tab(e, 'gr')).toEqual(['greet']);
    expect(await tab(e, 'greet', '')).toEqual(['fail', 'misuse', 'say']);
    expect(await tab(e, 'greet', 'say', 'x', '--')).toContain('--loud');
    expect(await tab(e, 'server', 'migration', 'au')).toEqual(['audit']);
    expect(imports().length).toBe(before);
    // the option's microversion range shows in help, as for built-ins
    const audit = await runNcli(['server', 'migration', 'audit', '--help'], e);
    expect(audit.stdout).toContain('[compute API 2.59+]');
  });

  it('manifests are 0600 files in a 0700 folder, rebuilt when the module changes (and only then)', async () => {
    const folder = join(tmp, 'cache', 'ncli', 'extensions');
    await runNcli(['extension', 'list'], e);
    const files = readdirSync(folder);
    expect(files.some((f) => f.startsWith('greet.mjs-'))).toBe(true);
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    for (const f of files) expect(statSync(join(folder, f)).mode & 0o777).toBe(0o600);
    const before = imports().filter((x) => x === 'hello').length;
    await runNcli(['--help'], e);
    expect(imports().filter((x) => x === 'hello').length).toBe(before);
    appendFileSync(join(dir, 'greet.mjs'), '// changed\n');
    // completion does not rebuild: a stale manifest is left out until a run rebuilds it
    expect(await tab(e, 'gr')).toEqual([]);
    await runNcli(['--help'], e);
    expect(imports().filter((x) => x === 'hello').length).toBe(before + 1);
    expect(await tab(e, 'gr')).toEqual(['greet']);
  });

  it('extension list shows each extension, its source, commands and state', async () => {
    const r = await runNcli(['extension', 'list', '-f', 'json', '--long'], e);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([
      {
        Extension: join(dir, 'greet.mjs'),
        Source: 'NCLI_EXTENSIONS_PATH',
        Commands: 'greet fail, greet misuse, greet say',
        State: 'ok',
        Group: 'greet',
        File: join(dir, 'greet.mjs'),
      },
      {
        Extension: join(cfg, 'ncli', 'extensions', 'misc.mjs'),
        Source: 'config folder',
        Commands: 'server migration audit',
        State: 'ok',
        Group: 'server migration',
        File: join(cfg, 'ncli', 'extensions', 'misc.mjs'),
      },
    ]);
  });

  it('NCLI_NO_EXTENSIONS=1 turns them off', async () => {
    const r = await runNcli(['greet', 'say', 'x'], { ...e, NCLI_NO_EXTENSIONS: '1' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command 'greet'");
  });
});

describe('extensions that fail to load, and names that collide', () => {
  const dir = join(tmp, 'bad');
  let e: NodeJS.ProcessEnv;
  beforeAll(() => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'broken.mjs'),
      "import { command } from 'ncli/extension';\nexport const do_x = command({ help: 'x', args: [] }, () => {}\n",
    );
    writeFileSync(join(dir, 'thrower.mjs'), "throw new Error('the rack database is down');\n");
    writeFileSync(join(dir, 'empty.mjs'), 'export const nothing = 1;\n');
    writeFileSync(join(dir, 'help.mjs'), extension("export const do_me = command({ help: 'x', args: [] }, () => {});"));
    writeFileSync(join(dir, 'greet.mjs'), HELLO);
    // `server list` is built in; `server shout` is new
    writeFileSync(
      join(dir, 'server.mjs'),
      extension(
        `export const do_list = command({ help: 'my list', args: [] }, (ctx) => ctx.write('mine\\n'));
export const do_shout = command({ help: 'Shout', args: [] }, (ctx) => ctx.write('SHOUT\\n'));`,
      ),
    );
    // two extensions with `billing report`
    for (const n of ['billing.mjs', 'billing-two.mjs']) {
      writeFileSync(
        join(dir, n),
        extension(
          `export const do_report = command({ help: 'Report', args: [] }, (ctx) => ctx.write('${n}\\n'));
export const do_${n === 'billing.mjs' ? 'one' : 'two'} = command({ help: 'Own', args: [] }, (ctx) => ctx.write('own ${n}\\n'));`,
        ),
      );
    }
    e = env({ NCLI_EXTENSIONS_PATH: dir, XDG_CONFIG_HOME: join(tmp, 'no-config') });
  });

  it('each problem is one warning line naming the file and the cause; every other command works', async () => {
    const r = await runNcli(['greet', 'say', 'ann', '-f', 'value'], e);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('ann 1 False 1.0\n');
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines).toEqual([
      expect.stringMatching(new RegExp(`^ncli: extension ${join(dir, 'broken.mjs')} not loaded: SyntaxError: .+`)),
      `ncli: extension ${join(dir, 'empty.mjs')} not loaded: it exports no do_* command (export const do_verb = command({...}, fn))`,
      `ncli: extension ${join(dir, 'help.mjs')} not loaded: its group 'help' is ncli's own word (ncli help GROUP); export const group = '…'`,
      `ncli: extension ${join(dir, 'thrower.mjs')} not loaded: the rack database is down`,
      `ncli: extensions ${join(dir, 'billing-two.mjs')} and ${join(dir, 'billing.mjs')} both define \`ncli billing report\`; neither is used (rename one).`,
      `ncli: extension ${join(dir, 'server.mjs')}: \`ncli server list\` is built in; the built-in is kept.`,
    ]);
  });

  it('the built-in wins a collision; the colliding pair is refused; their other commands work', async () => {
    const help = await runNcli(['server', 'list', '--help'], e);
    expect(help.stdout).toContain('List servers');
    expect((await runNcli(['server', 'shout'], e)).stdout).toBe('SHOUT\n');
    expect((await runNcli(['billing', 'one'], e)).stdout).toBe('own billing.mjs\n');
    expect((await runNcli(['billing', 'two'], e)).stdout).toBe('own billing-two.mjs\n');
    const report = await runNcli(['billing', 'report'], e);
    expect(report.code).toBe(2);
    expect(report.stderr).toContain("unknown command 'report'");
    expect(await tab(e, 'billing', '')).toEqual(['one', 'two']);
    expect(await tab(e, 'server', 'sh')).toEqual(['shelve', 'shout', 'show']);
  });

  it('extension list says ok, failed: cause, shadowed and conflict', async () => {
    const r = await runNcli(['extension', 'list', '-f', 'json'], e);
    const state = Object.fromEntries(
      (JSON.parse(r.stdout) as { Extension: string; State: string }[]).map((x) => [
        x.Extension.replace(dir + '/', ''),
        x.State,
      ]),
    );
    expect(state).toEqual({
      'billing-two.mjs': `conflict: billing report (also in ${join(dir, 'billing.mjs')})`,
      'billing.mjs': `conflict: billing report (also in ${join(dir, 'billing-two.mjs')})`,
      'broken.mjs': expect.stringMatching(/^failed: SyntaxError: /),
      'empty.mjs': 'failed: it exports no do_* command (export const do_verb = command({...}, fn))',
      'greet.mjs': 'ok',
      'help.mjs': "failed: its group 'help' is ncli's own word (ncli help GROUP); export const group = '…'",
      'server.mjs': 'shadowed: server list (built in)',
      'thrower.mjs': 'failed: the rack database is down',
    });
  });
});

describe('ncli-ext-* packages next to ncli', () => {
  // a project that installed ncli (a link to this checkout, as npm link or a workspace makes it)
  // and an extension package beside it; and a global prefix with another
  const project = join(tmp, 'project');
  const nm = join(project, 'node_modules');
  const prefix = join(tmp, 'prefix');
  beforeAll(() => {
    mkdirSync(join(nm, '.bin'), { recursive: true });
    symlinkSync(ROOT, join(nm, 'ncli'));
    symlinkSync('../ncli/bin/ncli', join(nm, '.bin', 'ncli'));
    mkdirSync(join(nm, 'ncli-ext-hello'));
    writeFileSync(
      join(nm, 'ncli-ext-hello', 'package.json'),
      JSON.stringify({
        name: 'ncli-ext-hello',
        version: '1.2.3',
        type: 'module',
        ncli: { extension: 'lib/hi.mjs', group: 'greet' },
      }),
    );
    mkdirSync(join(nm, 'ncli-ext-hello', 'lib'));
    writeFileSync(join(nm, 'ncli-ext-hello', 'lib', 'hi.mjs'), HELLO);
    const g = join(prefix, 'lib', 'node_modules', 'ncli-ext-ping');
    mkdirSync(g, { recursive: true });
    writeFileSync(
      join(g, 'package.json'),
      JSON.stringify({ name: 'ncli-ext-ping', version: '0.1.0', main: 'index.mjs' }),
    );
    writeFileSync(
      join(g, 'index.mjs'),
      "import { command } from 'ncli/extension';\nexport const do_now = command({ help: 'Pong', args: [] }, (ctx) => ctx.write('pong\\n'));\n",
    );
  });

  it('are found from node_modules/.bin/ncli and the global prefix, and run', async () => {
    const e = {
      ...process.env,
      ...env({ npm_config_prefix: prefix, XDG_CONFIG_HOME: join(tmp, 'no-config') }),
    } as Record<string, string>;
    delete e.NCLI_EXTENSIONS_PATH;
    const bin = join(nm, '.bin', 'ncli');
    const run = (...args: string[]) => execFileSync(process.execPath, [bin, ...args], { env: e, encoding: 'utf8' });
    expect(run('greet', 'say', 'zoe', '-f', 'value', '-c', 'Who')).toBe('zoe\n');
    expect(run('ping', 'now')).toBe('pong\n');
    const list = JSON.parse(run('extension', 'list', '-f', 'json'));
    expect(list).toEqual([
      {
        Extension: 'ncli-ext-hello@1.2.3',
        Source: `package ${join(nm, 'ncli-ext-hello')}`,
        Commands: 'greet fail, greet misuse, greet say',
        State: 'ok',
      },
      {
        Extension: 'ncli-ext-ping@0.1.0',
        Source: `package ${join(prefix, 'lib', 'node_modules', 'ncli-ext-ping')}`,
        Commands: 'ping now',
        State: 'ok',
      },
    ]);
  });
});

describe('the TypeScript types of ncli/extension', () => {
  it(
    'an extension written in TypeScript type-checks against the package (and a wrong use does not)',
    { timeout: 240_000 },
    () => {
      const dir = join(tmp, 'ts');
      mkdirSync(join(dir, 'node_modules'), { recursive: true });
      symlinkSync(ROOT, join(dir, 'node_modules', 'ncli'));
      symlinkSync(join(ROOT, 'node_modules', '@types'), join(dir, 'node_modules', '@types'));
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            target: 'ES2022',
            strict: true,
            noEmit: true,
            skipLibCheck: true,
            types: ['node'],
          },
          files: ['where.mts'],
        }),
      );
      writeFileSync(
        join(dir, 'where.mts'),
        `import { arg, command, NotFoundError, apiVersion, type Context } from 'ncli/extension';
export const do_where = command(
  { help: 'Where', output: 'list', args: [arg('<server...>', 'Servers'), arg('--limit <n>', 'At most', { integer: true })] },
  async (ctx: Context, a) => {
    const names: string[] = a.server;
    const limit: number | undefined = a.limit;
    // @ts-expect-error: a variadic positional is a string[]
    const wrong: number = a.server;
    const compute = await ctx.compute();
    const res = await compute.send('GET', '/servers', { query: { limit } });
    if (res.status > 299) throw new NotFoundError('none');
    await ctx.list(['Name'], names.map((n) => ({ Name: n + apiVersion + String(wrong) })));
  },
);
`,
      );
      const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
      let out = '';
      try {
        execFileSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8' });
      } catch (x) {
        out = String((x as { stdout?: string }).stdout);
      }
      expect(out).toBe('');
    },
  );
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));
