/**
 * Shell completion end to end without a cloud: the committed scripts match what
 * `ncli completion bash|zsh` prints; `ncli __complete` prints nothing on errors and loads only
 * small modules (an ESM resolve hook records every module); bash (the completion function called
 * as readline would, and an interactive bash under tmux) and zsh (interactive under tmux, with
 * compinit and fpath) complete commands, options, clouds and names with shell metacharacters,
 * correctly quoted. Names come from a names cache written here for a fake cloud in clouds.yaml.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { bashScript, zshScript } from '../../src/completion/scripts.js';
import { namesScopeKey, writeNames } from '../../src/config/names-cache.js';
import { resolveConfig } from '../../src/config/options.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NCLI = join(ROOT, 'bin', 'ncli');
const SERVERS = ['web 1', 'web$x;y', "it's", 'db:primary', 'a*b', 'vm1', 'my server 1', 'my server 2', 'webX1'];

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, cwd: env.HOME, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A home with clouds.yaml (clouds `fake`, `fake-other`) and a names cache for `fake`. */
async function fakeHome(): Promise<NodeJS.ProcessEnv> {
  const home = mkdtempSync(join(tmpdir(), 'ncli-comp-home-'));
  const clouds = join(home, 'clouds.yaml');
  writeFileSync(
    clouds,
    'clouds:\n' +
      '  fake:\n    auth:\n      auth_url: http://127.0.0.1:9/v3\n      username: alice\n      password: pw\n      project_name: p1\n    region_name: R1\n' +
      '  fake-other:\n    auth:\n      auth_url: http://127.0.0.1:9/v3\n      username: alice\n      password: pw\n      project_name: p2\n    region_name: R1\n',
  );
  const env: NodeJS.ProcessEnv = {
    PATH: `${join(ROOT, 'bin')}:${process.env.PATH}`,
    HOME: home,
    TERM: 'xterm',
    LANG: 'C.UTF-8',
    OS_CLIENT_CONFIG_FILE: clouds,
    OS_CLOUD: 'fake',
    XDG_CACHE_HOME: join(home, 'cache'),
    XDG_CONFIG_HOME: join(home, 'config'),
  };
  const key = namesScopeKey(await resolveConfig({}, env));
  writeNames(
    env,
    key,
    'server',
    SERVERS.map((name, i) => ({ id: `00000000-0000-0000-0000-00000000000${i}`, name })),
    { complete: true },
  );
  writeNames(
    env,
    key,
    'flavor',
    [
      { id: '1', name: 'm1.tiny' },
      { id: '2', name: 'm1.small' },
    ],
    { complete: true },
  );
  const other = namesScopeKey(await resolveConfig({ osCloud: 'fake-other' }, env));
  writeNames(env, other, 'server', [{ id: 'ffff-1', name: 'other-vm' }], { complete: true });
  return env;
}

/** COMP_WORDS as bash splits a line: at blanks and around `=` and `:` (COMP_WORDBREAKS), quotes kept. */
function compWords(line: string): string[] {
  const words: string[] = [];
  let cur = '';
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      cur += c;
      if (c === quote) quote = '';
      else if (c === '\\' && quote === '"' && i + 1 < line.length) cur += line[++i];
    } else if (c === '\\' && i + 1 < line.length) cur += c + line[++i];
    else if (c === "'" || c === '"') {
      quote = c;
      cur += c;
    } else if (c === ' ') {
      if (cur) words.push(cur);
      cur = '';
    } else if (c === '=' || c === ':') {
      if (cur) words.push(cur);
      words.push(c);
      cur = '';
    } else cur += c;
  }
  if (cur || /\s$/.test(line)) words.push(cur);
  return words;
}

/** Sources completions/ncli.bash and calls its function as readline would for `line` (cursor at the end). */
async function bashComplete(line: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  const script = [
    `source ${JSON.stringify(join(ROOT, 'completions', 'ncli.bash'))} || exit 9`,
    'COMP_LINE=$1; COMP_POINT=${#COMP_LINE}; shift',
    'COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))',
    '_ncli_complete',
    '(( ${#COMPREPLY[@]} )) && printf "%s\\n" "${COMPREPLY[@]}"',
    'exit 0',
  ].join('\n');
  const r = await run('bash', ['--norc', '--noprofile', '-c', script, 'bash', line, ...compWords(line)], env);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout.split('\n').filter(Boolean);
}

/** What bash makes of a word (as the command would receive it). */
function bashValue(word: string): string {
  return spawnSync('bash', ['--norc', '-c', `printf %s ${word}`], { encoding: 'utf8' }).stdout;
}

/** An interactive shell in a private tmux server (its own socket), driven by keys. */
class Tmux {
  private readonly dir = mkdtempSync(join(tmpdir(), 'ncli-comp-tmux-'));
  private readonly sock = join(this.dir, 'socket');
  private n = 0;
  constructor(private readonly env: NodeJS.ProcessEnv) {}
  tmux(...args: string[]): string {
    const r = spawnSync('tmux', ['-S', this.sock, '-f', '/dev/null', ...args], { env: this.env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  }
  async start(shell: string, setup: string[]): Promise<void> {
    this.tmux('new-session', '-d', '-s', 't', '-x', '200', '-y', '50', shell);
    for (const line of setup) this.keys(line, 'Enter');
    await this.marker();
  }
  keys(...keys: string[]): void {
    for (const k of keys) {
      if (k === 'Enter' || k === 'Tab' || k === 'C-a' || k === 'C-e' || k === 'C-u' || k === 'C-c')
        this.tmux('send-keys', '-t', 't', k);
      else this.tmux('send-keys', '-t', 't', '-l', k);
    }
  }
  screen(): string {
    return this.tmux('capture-pane', '-p', '-J', '-S', '-500', '-t', 't');
  }
  /** Waits until the screen matches `re`; returns the screen. */
  async waitFor(re: RegExp, ms = 15_000): Promise<string> {
    const end = Date.now() + ms;
    for (;;) {
      const s = this.screen();
      if (re.test(s)) return s;
      if (Date.now() > end) throw new Error(`timed out waiting for ${re} in:\n${s}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  /** Prints a fresh marker and waits for it: every key sent before has been handled. */
  async marker(): Promise<void> {
    const m = `MARK${++this.n}`;
    this.keys(`echo ${m}`, 'Enter');
    await this.waitFor(new RegExp(`^${m}$`, 'm'));
  }
  /**
   * Types `line`, presses Tab, then runs the completed line as `printf '<%s>\n' WORDS…` and
   * returns the words the shell saw.
   */
  async completeAndRun(line: string): Promise<string[]> {
    const start = `BEGIN${++this.n}`;
    this.keys(`echo ${start}`, 'Enter');
    await this.waitFor(new RegExp(`^${start}$`, 'm'));
    this.keys(line, 'Tab', 'C-a', "printf '<%s>\\n' ", 'C-e', 'Enter');
    await this.marker();
    const all = this.screen();
    const from = all.lastIndexOf(`\n${start}\n`);
    return [...all.slice(from).matchAll(/^<(.*)>$/gm)].map((m) => m[1]);
  }
  stop(): void {
    try {
      this.tmux('kill-server');
    } catch {
      // already gone
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  env = await fakeHome();
});

describe('completion scripts', () => {
  it('are committed as printed by ncli completion bash|zsh', async () => {
    const bash = await run(process.execPath, [NCLI, 'completion', 'bash'], env);
    const zsh = await run(process.execPath, [NCLI, 'completion', 'zsh'], env);
    expect(bash.code).toBe(0);
    expect(zsh.code).toBe(0);
    expect(bash.stdout).toBe(bashScript());
    expect(zsh.stdout).toBe(zshScript());
    expect(readFileSync(join(ROOT, 'completions', 'ncli.bash'), 'utf8')).toBe(bash.stdout);
    expect(readFileSync(join(ROOT, 'completions', '_ncli'), 'utf8')).toBe(zsh.stdout);
  });

  it('are valid shell (bash -n, zsh -n) and shims that call ncli __complete', () => {
    for (const [shell, file] of [
      ['bash', 'ncli.bash'],
      ['zsh', '_ncli'],
    ] as const) {
      const r = spawnSync(shell, ['-n', join(ROOT, 'completions', file)], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(readFileSync(join(ROOT, 'completions', file), 'utf8')).toContain('ncli __complete --');
    }
  });

  it('are documented in ncli completion --help', async () => {
    const r = await run(process.execPath, [NCLI, 'help', 'completion', 'zsh'], env);
    expect(r.stdout).toContain('source <(ncli completion zsh)');
    const g = await run(process.execPath, [NCLI, '--help'], env);
    expect(g.stdout).toMatch(/completion\s+Shell completion scripts/);
  });
});

describe('ncli __complete', () => {
  it('prints plain candidates, read from the manifest', async () => {
    const r = await run(process.execPath, [NCLI, '__complete', 'server', 'sho'], env);
    expect(r).toEqual({ code: 0, stdout: 'show\n', stderr: '' });
    const groups = await run(process.execPath, [NCLI, '__complete', '--', ''], env);
    expect(groups.stdout.split('\n')).toEqual(expect.arrayContaining(['completion', 'flavor', 'server', 'help']));
    const names = await run(process.execPath, [NCLI, '__complete', 'server', 'show', 'web'], env);
    expect(names.stdout).toBe('web 1\nweb$x;y\nwebX1\n');
  });

  it('looks names up in the cloud and project typed on the line', async () => {
    const r = await run(process.execPath, [NCLI, '__complete', '--os-cloud', 'fake-other', 'server', 'show', ''], env);
    expect(r.stdout).toBe('other-vm\n');
    const eq = await run(process.execPath, [NCLI, '__complete', 'server', 'show', '--os-cloud=fake-other', 'o'], env);
    expect(eq.stdout).toBe('other-vm\n');
  });

  it('prints nothing and exits 0 on any error', async () => {
    for (const extra of [
      { OS_CLOUD: 'no-such-cloud' },
      { OS_CLIENT_CONFIG_FILE: join(env.HOME!, 'missing.yaml') },
      { XDG_CACHE_HOME: '/proc/nonexistent' },
    ]) {
      const r = await run(process.execPath, [NCLI, '__complete', 'server', 'show', ''], { ...env, ...extra });
      expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    }
    const broken = join(env.HOME!, 'broken.yaml');
    writeFileSync(broken, 'clouds: [\n  :::');
    const r = await run(process.execPath, [NCLI, '__complete', '--os-cloud', ''], {
      ...env,
      OS_CLIENT_CONFIG_FILE: broken,
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('loads neither the HTTP stack, the keychain library, cli-table3 nor any command handler (nor do --help and --version)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ncli-loads-'));
    // what a process loads: ES modules through a resolve hook, CommonJS files from require.cache
    // at exit (bin/ncli and its quick bundles are CommonJS, which ESM hooks do not see)
    const hooks = join(dir, 'hooks.mjs');
    writeFileSync(
      hooks,
      "import { appendFileSync } from 'node:fs';\n" +
        'export async function resolve(specifier, context, next) {\n' +
        '  const r = await next(specifier, context);\n' +
        "  appendFileSync(process.env.NCLI_LOAD_LOG, r.url + '\\n');\n" +
        '  return r;\n' +
        '}\n',
    );
    const register = join(dir, 'register.mjs');
    writeFileSync(
      register,
      `import { register } from 'node:module';\nimport { appendFileSync } from 'node:fs';\nimport { createRequire } from 'node:module';\nimport { pathToFileURL } from 'node:url';\n` +
        `register(${JSON.stringify(pathToFileURL(hooks).href)});\n` +
        `const cache = createRequire(import.meta.url).cache;\n` +
        `process.on('exit', () => appendFileSync(process.env.NCLI_LOAD_LOG, Object.keys(cache).map((f) => pathToFileURL(f).href + '\\n').join('')));\n`,
    );
    const loads = async (args: string[]) => {
      const log = join(dir, `log-${Math.random()}`);
      writeFileSync(log, '');
      const r = await run(process.execPath, ['--import', pathToFileURL(register).href, NCLI, ...args], {
        ...env,
        NCLI_LOAD_LOG: log,
      });
      return { r, urls: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
    };
    const heavy =
      /\/node_modules\/(undici|@napi-rs|keytar|cli-table3)\/|\/dist\/(commands|http\/transport|http\/session|identity|compute)\//;
    // what the quick bundles hold (their source maps): nothing heavy, of commander only its help (and the two files it requires)
    const sources = (file: string) =>
      (JSON.parse(readFileSync(join(ROOT, 'dist', 'cli', `${file}.map`), 'utf8')) as { sources: string[] }).sources;
    const heavySource =
      /node_modules\/(undici|@napi-rs|keytar|cli-table3|yaml)\/|node_modules\/commander\/(?!lib\/(help|argument|error)\.js)|src\/(commands|http|identity|compute|tunnel)\//;
    for (const file of ['complete.cjs', 'quick.cjs'])
      expect(sources(file).filter((f) => heavySource.test(f))).toEqual([]);
    expect(sources('complete.cjs').some((f) => f.endsWith('src/config/names-cache.ts'))).toBe(true);

    for (const words of [
      ['server', 'show', 'we'],
      ['server', 'sh'],
      ['--os-cloud', 'f'],
      ['flavor', 'show', '--os-cloud=fake', 'm1'],
    ]) {
      const { r, urls } = await loads(['__complete', ...words]);
      expect(r.stdout).not.toBe('');
      expect(urls.some((u) => u.endsWith('/dist/cli/complete.cjs'))).toBe(true);
      expect(urls.filter((u) => heavy.test(u) || /\/dist\/.*\.js$/.test(u))).toEqual([]);
    }
    // nor do --help, --version and help: they read the manifest only
    for (const args of [['--help'], ['--version'], ['help', 'server', 'list'], ['console', 'tunnel', '--help']]) {
      const { r, urls } = await loads(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(
        urls.filter((u) => heavy.test(u) || /\/dist\/(tunnel|completion)\//.test(u)),
        args.join(' '),
      ).toEqual([]);
    }
    // the top-level help and the version: no ES module at all, no parser (dist/cli/quick.cjs)
    for (const args of [['--help'], ['--version'], ['help'], ['-h'], ['-V']]) {
      const { r, urls } = await loads(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(
        urls.filter((u) => /\/dist\//.test(u)),
        args.join(' '),
      ).toEqual([pathToFileURL(join(ROOT, 'dist/cli/quick.cjs')).href]);
    }

    // the hook does see them when they load: a real command against a closed port
    const control = await loads([
      '--os-auth-url',
      'http://127.0.0.1:9/v3',
      '--os-username',
      'u',
      '--os-password',
      'p',
      '--no-cache',
      '--timeout',
      '2',
      'server',
      'list',
    ]);
    expect(control.r.code).toBe(1);
    expect(control.urls.some((u) => u.endsWith('/dist/http/transport.js'))).toBe(true);
    expect(control.urls.some((u) => u.endsWith('/dist/commands/server.js'))).toBe(true);
    // and CommonJS files through require.cache: bin/ncli itself
    expect(control.urls).toContain(pathToFileURL(NCLI).href);
  });
});

describe('bash', () => {
  it('registers the completion function for ncli', async () => {
    const r = await run(
      'bash',
      ['--norc', '-c', `source ${join(ROOT, 'completions', 'ncli.bash')}; complete -p ncli`],
      env,
    );
    expect(r.stdout.trim()).toBe('complete -F _ncli_complete ncli');
  });

  it('completes groups, commands, options and choices', async () => {
    expect(await bashComplete('ncli se', env)).toEqual(['server']);
    expect(await bashComplete('ncli ', env)).toEqual(
      expect.arrayContaining(['auth', 'completion', 'flavor', 'server', 'token', 'help']),
    );
    expect(await bashComplete('ncli server ', env)).toEqual(expect.arrayContaining(['list', 'show', 'stop', 'event']));
    expect(await bashComplete('ncli completion ', env)).toEqual(['bash', 'zsh']);
    expect(await bashComplete('ncli --os-clo', env)).toEqual(['--os-cloud']);
    expect(await bashComplete('ncli server list --l', env)).toEqual(['--long', '--locked', '--limit']);
    expect(await bashComplete('ncli server list -f ', env)).toEqual(['table', 'json', 'yaml', 'value', 'csv']);
    expect(await bashComplete('ncli server list --format=j', env)).toEqual(['json']);
    expect(await bashComplete('ncli server list --format=', env)).toEqual(['table', 'json', 'yaml', 'value', 'csv']);
    expect(await bashComplete('ncli --os-interface ad', env)).toEqual(['admin']);
    expect(await bashComplete('ncli server list ', env)).toEqual([]);
  });

  it('completes cloud names from clouds.yaml, and --opt=value', async () => {
    expect(await bashComplete('ncli --os-cloud f', env)).toEqual(['fake', 'fake-other']);
    expect(await bashComplete('ncli --os-cloud=fake-', env)).toEqual(['fake-other']);
  });

  it('completes server and flavor names, quoted', async () => {
    expect(await bashComplete('ncli flavor show m1.', env)).toEqual(['m1.small', 'm1.tiny']);
    expect(await bashComplete('ncli server show --all-projects vm', env)).toEqual(['vm1']);
    expect(await bashComplete('ncli --os-cloud fake-other server show ', env)).toEqual(['other-vm']);
    const cases: [string, string][] = [
      ['ncli server show web\\ ', 'web 1'],
      ["ncli server show 'web ", 'web 1'],
      ['ncli server show web$', 'web$x;y'],
      ['ncli server show "web$', 'web$x;y'],
      ['ncli server show it', "it's"],
      ['ncli server show a', 'a*b'],
      ['ncli server show d', 'db:primary'],
      ['ncli server show db:', 'db:primary'],
    ];
    for (const [line, name] of cases) {
      const reply = await bashComplete(line, env);
      expect({ line, n: reply.length }).toEqual({ line, n: 1 });
      // what the line becomes once readline puts the reply in place of bash's current word
      const words = compWords(line);
      const last = words[words.length - 1];
      const cur = /^[=:]+$/.test(last) ? '' : last; // right after a = or :, readline replaces nothing
      const quote = /^['"]/.test(cur) ? cur[0] : '';
      const completed = line.slice(0, line.length - cur.length) + quote + reply[0] + quote;
      expect({ line, value: bashValue(completed.split(' ').slice(3).join(' ')) }).toEqual({ line, value: name });
    }
    // several names sharing a part that needs quoting: that part, quoted
    expect(await bashComplete('ncli server show m', env)).toEqual(['my\\ server\\ ']);
    expect(await bashComplete('ncli server show my\\ server\\ ', env)).toEqual(['my\\ server\\ 1', 'my\\ server\\ 2']);
  });

  it('completes the way readline does in an interactive bash', async () => {
    const t = new Tmux(env);
    try {
      await t.start('bash --noprofile --norc -i', [`PS1='$ '; source ${join(ROOT, 'completions', 'ncli.bash')}`]);
      expect(await t.completeAndRun('ncli server show web\\ ')).toEqual(['ncli', 'server', 'show', 'web 1']);
      expect(await t.completeAndRun("ncli server show 'it")).toEqual(['ncli', 'server', 'show', "it's"]);
      expect(await t.completeAndRun('ncli server show web$')).toEqual(['ncli', 'server', 'show', 'web$x;y']);
      expect(await t.completeAndRun('ncli fla')).toEqual(['ncli', 'flavor']);
      expect(await t.completeAndRun('ncli server list --format=js')).toEqual([
        'ncli',
        'server',
        'list',
        '--format=json',
      ]);
      // as for any bash completion: TAB inserts the common part, two more list the rest
      t.keys('ncli --os-cloud fa', 'Tab', 'Tab', 'Tab');
      await t.waitFor(/fake\s+fake-other/);
      t.keys('C-u');
      // file names for --os-cacert, by readline itself
      writeFileSync(join(env.HOME!, 'trust bundle.pem'), '');
      expect(await t.completeAndRun(`ncli --os-cacert ${env.HOME}/tru`)).toEqual([
        'ncli',
        '--os-cacert',
        `${env.HOME}/trust bundle.pem`,
      ]);
    } finally {
      t.stop();
    }
  });
});

describe('zsh', () => {
  it('completes under compinit with completions/ on fpath', async () => {
    const t = new Tmux(env);
    try {
      await t.start('zsh -f', [
        `PS1='%% '; fpath=(${join(ROOT, 'completions')} $fpath); autoload -U compinit && compinit -u -D`,
      ]);
      expect(await t.completeAndRun('ncli se')).toEqual(['ncli', 'server']);
      expect(await t.completeAndRun('ncli server list --format=js')).toEqual([
        'ncli',
        'server',
        'list',
        '--format=json',
      ]);
      expect(await t.completeAndRun('ncli --os-interface int')).toEqual(['ncli', '--os-interface', 'internal']);
      expect(await t.completeAndRun('ncli flavor show m1.t')).toEqual(['ncli', 'flavor', 'show', 'm1.tiny']);
      expect(await t.completeAndRun('ncli server show web\\ ')).toEqual(['ncli', 'server', 'show', 'web 1']);
      expect(await t.completeAndRun("ncli server show 'it")).toEqual(['ncli', 'server', 'show', "it's"]);
      expect(await t.completeAndRun('ncli server show web\\$')).toEqual(['ncli', 'server', 'show', 'web$x;y']);
      expect(await t.completeAndRun('ncli server show db')).toEqual(['ncli', 'server', 'show', 'db:primary']);
      expect(await t.completeAndRun('ncli --os-cloud fake-other server show ')).toEqual([
        'ncli',
        '--os-cloud',
        'fake-other',
        'server',
        'show',
        'other-vm',
      ]);
      t.keys('ncli --os-cloud fake', 'Tab');
      await t.waitFor(/fake\s+fake-other/);
      t.keys('C-u');
      writeFileSync(join(env.HOME!, 'zsh ca.pem'), '');
      expect(await t.completeAndRun(`ncli --os-cacert=${env.HOME}/zsh`)).toEqual([
        'ncli',
        `--os-cacert=${env.HOME}/zsh ca.pem`,
      ]);
      t.keys('ncli server show my', 'Tab', 'Tab');
      await t.waitFor(/my\\? server\\? 1\s+my\\? server\\? 2/); // zsh lists them as the line would hold them
      t.keys('C-u');
    } finally {
      t.stop();
    }
  });

  it('also works sourced after compinit', async () => {
    const t = new Tmux(env);
    try {
      await t.start('zsh -f', [`PS1='%% '; autoload -U compinit && compinit -u -D; source <(ncli completion zsh)`]);
      expect(await t.completeAndRun('ncli tok')).toEqual(['ncli', 'token']);
      expect(await t.completeAndRun('ncli server show vm')).toEqual(['ncli', 'server', 'show', 'vm1']);
    } finally {
      t.stop();
    }
  });
});
