/**
 * The completion engine, pure: words in, candidates out (src/completion/engine.ts); bash quoting
 * (src/completion/shell-words.ts); the names cache on disk (src/config/names-cache.ts).
 */
import { mkdtempSync, readdirSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { flagsFromWords, GLOBAL_OPTIONS } from '../../src/config/global-options.js';
import { LIST_FORMATS, SHOW_FORMATS } from '../../src/cli/output.js';
import type { Manifest } from '../../src/cli/spec.js';
import { analyze, buildModel, candidates, nameCandidates, parseFlags } from '../../src/completion/engine.js';
import { bashReplacement, bashReply, commonPrefix, unquoteBash } from '../../src/completion/shell-words.js';
import { namesPath, namesScopeKey, readNames, rememberNames, writeNames } from '../../src/config/names-cache.js';
import { resolveConfig, type ResolvedConfig } from '../../src/config/options.js';

const cmd = (
  name: string,
  args: {
    flags: string;
    help?: string;
    choices?: string[];
    complete?: 'server' | 'flavor' | 'cloud' | 'file';
    repeatable?: boolean;
    hidden?: boolean;
  }[],
  output?: 'list' | 'show',
) => ({
  name,
  export: `do_${name.replace(/-/g, '_')}`,
  spec: { help: name, args: args.map((a) => ({ help: '', ...a })), ...(output ? { output } : {}) },
});

const MANIFEST: Manifest = {
  version: '0.0.0',
  groups: [
    {
      name: 'console',
      help: '',
      module: 'commands/console.js',
      commands: [
        cmd(
          'get-vnc',
          [
            { flags: '<server>', complete: 'server' },
            { flags: '--type <type>', choices: ['novnc', 'xvpvnc'] },
            { flags: '--open' },
          ],
          'show',
        ),
        cmd('tunnel', [
          { flags: '[server]', complete: 'server' },
          { flags: '--type <type>', choices: ['novnc', 'serial', 'spice-html5'] },
          { flags: '--local <spec>' },
          { flags: '--secret-thing', hidden: true },
        ]),
      ],
    },
    {
      name: 'flavor',
      help: '',
      module: 'commands/flavor.js',
      commands: [
        cmd('list', [{ flags: '--all' }], 'list'),
        cmd('show', [{ flags: '<flavor>', complete: 'flavor' }], 'show'),
      ],
    },
    {
      name: 'server',
      help: '',
      module: 'commands/server.js',
      commands: [
        cmd('list', [{ flags: '--long' }, { flags: '--name <regex>' }, { flags: '--limit <n>' }], 'list'),
        cmd('show', [{ flags: '<server>', complete: 'server' }, { flags: '--all-projects' }], 'show'),
        cmd('copy', [
          { flags: '<from>', complete: 'server' },
          { flags: '<files...>', complete: 'file' },
        ]),
      ],
    },
    {
      name: 'server event',
      help: '',
      module: 'commands/server/event.js',
      commands: [cmd('list', [{ flags: '<server>', complete: 'server' }], 'list')],
    },
    { name: 'token', help: '', module: 'commands/token.js', commands: [cmd('issue', [], 'show')] },
  ],
};

const model = buildModel(MANIFEST, GLOBAL_OPTIONS, { list: LIST_FORMATS, show: SHOW_FORMATS });
/** Candidates for `ncli WORDS…`, with `names` standing in for the names lookup. */
const complete = (line: string[], names: Record<string, string[]> = {}) => {
  const a = analyze(model, line);
  return candidates(a.want, a.want.source ? (names[a.want.source] ?? []) : []);
};

describe('flag syntax', () => {
  it('splits commander flags', () => {
    expect(parseFlags('-f, --format <format>')).toEqual({ long: '--format', short: '-f', value: 'required' });
    expect(parseFlags('--long')).toEqual({ long: '--long', short: undefined, value: 'none' });
    expect(parseFlags('--color [when]')).toEqual({ long: '--color', short: undefined, value: 'optional' });
    expect(parseFlags('<server>')).toEqual({
      value: 'none',
      positional: { name: 'server', required: true, variadic: false },
    });
    expect(parseFlags('[files...]')).toEqual({
      value: 'none',
      positional: { name: 'files', required: false, variadic: true },
    });
  });
});

describe('completion engine', () => {
  it('offers groups (and help) first', () => {
    expect(complete([''])).toEqual(['console', 'flavor', 'server', 'token', 'help']);
    expect(complete(['se'])).toEqual(['server']);
    expect(complete(['x'])).toEqual([]);
  });

  it('offers the commands of a group, also after global options', () => {
    expect(complete(['server', ''])).toEqual(['list', 'show', 'copy', 'event']);
    expect(complete(['console', 'g'])).toEqual(['get-vnc']);
    expect(complete(['--os-cloud', 'prod', '--debug', 'server', 's'])).toEqual(['show']);
    expect(complete(['--os-cloud=prod', 'flavor', ''])).toEqual(['list', 'show']);
  });

  it('walks into a nested group: server event list SERVER', () => {
    expect(complete(['server', 'ev'])).toEqual(['event']);
    expect(complete(['server', 'event', ''])).toEqual(['list']);
    expect(analyze(model, ['server', 'event', 'list', '']).want.source).toBe('server');
    expect(analyze(model, ['server', 'event', 'list', '']).group).toBe('server event');
  });

  it('follows ncli help GROUP COMMAND', () => {
    expect(complete(['help', ''])).toEqual(['console', 'flavor', 'server', 'token']);
    expect(complete(['help', 'server', 'l'])).toEqual(['list']);
    expect(complete(['help', 'server', 'list', ''])).toEqual([]);
  });

  it('offers global options before a group, and command options after a command', () => {
    const top = complete(['--os-c']);
    expect(top).toEqual([
      '--os-cloud',
      '--os-client-id',
      '--os-client-secret',
      '--os-cacert',
      '--os-compute-api-version',
    ]);
    expect(complete(['-'])).toContain('--version');
    expect(complete(['-'])).not.toContain('--format');
    const list = complete(['server', 'list', '-']);
    expect(list).toEqual(
      expect.arrayContaining([
        '--long',
        '--name',
        '--limit',
        '-f',
        '--format',
        '-c',
        '--column',
        '-h',
        '--help',
        '--os-cloud',
        '--debug',
      ]),
    );
    expect(complete(['server', 'list', '--fo'])).toEqual(['--format']);
    expect(complete(['server', 'list', '--f'])).toEqual(['--format', '--fit-width']);
    expect(complete(['console', 'tunnel', '--'])).not.toContain('--secret-thing');
  });

  it('drops options already given unless repeatable', () => {
    const again = complete(['server', 'list', '--long', '-c', 'ID', '--os-cloud', 'x', '-']);
    expect(again).not.toContain('--long');
    expect(again).not.toContain('--os-cloud');
    expect(again).toContain('--column');
  });

  it('offers the choices of an option expecting a value, and nothing for free text', () => {
    expect(complete(['server', 'list', '-f', ''])).toEqual([...LIST_FORMATS]);
    expect(complete(['server', 'show', 'x', '--format', ''])).toEqual([...SHOW_FORMATS]);
    expect(complete(['server', 'list', '--format', 'j'])).toEqual(['json']);
    expect(complete(['console', 'get-vnc', '--type', ''])).toEqual(['novnc', 'xvpvnc']);
    expect(complete(['console', 'tunnel', 'vm1', '--type', 's'])).toEqual(['serial', 'spice-html5']);
    expect(complete(['--os-interface', ''])).toEqual(['public', 'internal', 'admin']);
    expect(complete(['server', 'list', '--os-auth-type', 'v3a'])).toEqual(['v3applicationcredential']);
    expect(complete(['server', 'list', '--name', ''])).toEqual([]);
    expect(complete(['server', 'list', '--name', '-'])).toEqual([]); // a value, not an option
  });

  it('completes --opt=value forms with the option in front', () => {
    expect(complete(['server', 'list', '--format=j'])).toEqual(['--format=json']);
    expect(complete(['server', 'list', '--format='])).toEqual(LIST_FORMATS.map((f) => `--format=${f}`));
    expect(complete(['console', 'tunnel', '--type=n'])).toEqual(['--type=novnc']);
    expect(complete(['--os-cloud=d'], { cloud: ['dev', 'prod'] })).toEqual(['--os-cloud=dev']);
    expect(complete(['server', 'list', '--long='])).toEqual([]);
  });

  it('offers cloud names for --os-cloud and files for --os-cacert', () => {
    expect(complete(['--os-cloud', 'd'], { cloud: ['dev', 'dev-demo', 'prod'] })).toEqual(['dev', 'dev-demo']);
    expect(complete(['server', 'list', '--os-cloud', ''], { cloud: ['dev'] })).toEqual(['dev']);
    expect(analyze(model, ['--os-cacert', '']).want.source).toBe('file');
    expect(analyze(model, ['--os-cacert=/etc/']).want).toMatchObject({
      source: 'file',
      prefix: '--os-cacert=',
      current: '/etc/',
    });
  });

  it('offers servers and flavors where a <server> or <flavor> is expected, also after options', () => {
    const names = { server: ['web.1', 'webX1', 'vm1'], flavor: ['m1.tiny', 'm1.small'] };
    expect(complete(['server', 'show', 'we'], names)).toEqual(['web.1', 'webX1']);
    expect(complete(['server', 'show', '--all-projects', 'we'], names)).toEqual(['web.1', 'webX1']);
    expect(complete(['server', 'show', '-f', 'json', '-c', 'id', ''], names)).toEqual(['web.1', 'webX1', 'vm1']);
    expect(complete(['--os-cloud', 'x', 'server', 'show', '--', '-we'], names)).toEqual([]);
    expect(analyze(model, ['server', 'show', '--', '']).want.source).toBe('server');
    expect(complete(['flavor', 'show', 'm1.'], names)).toEqual(['m1.tiny', 'm1.small']);
    expect(complete(['console', 'get-vnc', '--type', 'novnc', 'v'], names)).toEqual(['vm1']);
    expect(complete(['console', 'tunnel', '--local', '5901', ''], names)).toEqual(['web.1', 'webX1', 'vm1']);
  });

  it('offers nothing once a command line takes no more positionals', () => {
    const names = { server: ['vm1'] };
    expect(complete(['server', 'show', 'vm1', ''], names)).toEqual([]);
    expect(complete(['server', 'list', ''], names)).toEqual([]);
    expect(complete(['token', 'issue', ''])).toEqual([]);
    expect(complete(['console', 'tunnel', 'vm1', ''], names)).toEqual([]);
    expect(complete(['server', 'nope', ''], names)).toEqual([]);
    expect(complete(['nope', ''], names)).toEqual([]);
  });

  it('follows a variadic positional', () => {
    expect(analyze(model, ['server', 'copy', 'vm1', 'a', 'b', '']).want.source).toBe('file');
  });

  it('keeps the global options typed, for names lookups in that cloud and project', () => {
    const a = analyze(model, [
      '--os-cloud',
      'prod',
      'server',
      'show',
      '--os-project-name=ops',
      '--no-cache',
      '--insecure',
      'x',
    ]);
    expect(a.globals).toEqual({
      '--os-cloud': 'prod',
      '--os-project-name': 'ops',
      '--no-cache': true,
      '--insecure': true,
    });
    expect(flagsFromWords(a.globals)).toEqual({ osCloud: 'prod', osProjectName: 'ops', cache: false, insecure: true });
    expect(a.group).toBe('server');
    expect(a.command).toBe('show');
  });

  it('understands a short option with its value attached', () => {
    expect(complete(['server', 'list', '-fjson', '-'])).not.toContain('--format');
    expect(complete(['server', 'show', '-fjson', 'v'], { server: ['vm1'] })).toEqual(['vm1']);
  });
});

describe('names and IDs offered', () => {
  const items = [
    { id: 'aaa-1', name: 'web.1' },
    { id: 'bbb-2', name: 'webX1' },
    { id: 'ccc-3', name: 'dup' },
    { id: 'ddd-4', name: 'dup' },
    { id: 'eee-5' },
  ];
  it('offers names, IDs once typed, and the IDs behind a shared name', () => {
    expect(nameCandidates(items, '')).toEqual(['dup', 'web.1', 'webX1', 'ccc-3', 'ddd-4']);
    expect(nameCandidates(items, 'we')).toEqual(['web.1', 'webX1']);
    expect(nameCandidates(items, 'a')).toEqual(['aaa-1']);
    expect(nameCandidates(items, 'e')).toEqual(['eee-5']);
    expect(nameCandidates(items, 'du')).toEqual(['dup', 'ccc-3', 'ddd-4']);
  });
});

describe('bash quoting', () => {
  it('removes the quoting of the words typed, tolerating an open quote', () => {
    expect(unquoteBash('web\\ 1')).toEqual({ value: 'web 1' });
    expect(unquoteBash("'web 1'")).toEqual({ value: 'web 1' });
    expect(unquoteBash('"a\\$b\\x"')).toEqual({ value: 'a$b\\x' });
    expect(unquoteBash("'we")).toEqual({ value: 'we', open: { quote: "'", index: 0 } });
    expect(unquoteBash('ab"c d')).toEqual({ value: 'abc d', open: { quote: '"', index: 2 } });
    expect(unquoteBash("$'a\\tb'")).toEqual({ value: 'a\tb' });
    expect(unquoteBash('x\\')).toEqual({ value: 'x' });
  });

  it('quotes a single reply for where it goes', () => {
    expect(bashReplacement('we', 'web 1')).toBe('web\\ 1');
    expect(bashReplacement('web\\ ', 'web 1')).toBe('web\\ 1');
    expect(bashReplacement('we', 'web$x;y')).toBe('web\\$x\\;y');
    expect(bashReplacement('web$', 'web$x')).toBe('web\\$x');
    expect(bashReplacement("'we", 'web 1')).toBe('web 1');
    expect(bashReplacement("'it", "it's")).toBe("it'\\''s");
    expect(bashReplacement('"we', 'we$b"c')).toBe('we\\$b\\"c');
    expect(bashReplacement('--format=j', '--format=json')).toBe('--format=json');
    expect(bashReplacement('db:p', 'db:p q')).toBe('db:p\\ q');
    expect(bashReplacement('~x', '~xy')).toBe('\\~xy');
  });

  it('never lets readline insert an unquoted common part', () => {
    expect(commonPrefix(['my server 1', 'my server 2'])).toBe('my server ');
    expect(bashReply('m', ['my server 1', 'my server 2'])).toEqual({
      directive: ':nospace',
      lines: ['my\\ server\\ '],
    });
    expect(bashReply('my\\ server\\ ', ['my server 1', 'my server 2'])).toEqual({
      directive: ':words',
      lines: ['my\\ server\\ 1', 'my\\ server\\ 2'],
    });
    expect(bashReply("'m", ['my server 1', 'my server 2'])).toEqual({
      directive: ':words',
      lines: ['my server 1', 'my server 2'],
    });
    expect(bashReply('we', ['web.1', 'webX1'])).toEqual({ directive: ':words', lines: ['web.1', 'webX1'] });
    expect(bashReply('we', ['web 1'])).toEqual({ directive: ':words', lines: ['web\\ 1'] });
    expect(bashReply('we', [])).toEqual({ directive: ':words', lines: [] });
  });
});

describe('names cache', () => {
  const env = () => ({ XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'ncli-names-')) });
  const cfg = (over: Partial<ResolvedConfig['auth']> = {}, region = 'RegionOne'): ResolvedConfig => ({
    auth: {
      authUrl: 'http://ks:5000/v3',
      method: { type: 'password', username: 'alice', userDomainId: 'default', password: 'pw' },
      scope: { project: { name: 'p1', domainId: 'default' } },
      ...over,
    },
    regionName: region,
    interface: 'public',
    insecure: false,
    cache: true,
    timeoutSeconds: 30,
  });

  it('keys by Keystone URL, region, user and project, never by a secret', () => {
    const k = namesScopeKey(cfg());
    expect(k).toMatch(/^[0-9a-f]{64}$/);
    expect(
      namesScopeKey({
        ...cfg(),
        auth: {
          ...cfg().auth,
          method: { type: 'password', username: 'alice', userDomainId: 'default', password: 'other' },
        },
      }),
    ).toBe(k);
    expect(namesScopeKey(cfg({ scope: { project: { name: 'p2', domainId: 'default' } } }))).not.toBe(k);
    expect(namesScopeKey(cfg({}, 'RegionTwo'))).not.toBe(k);
    expect(namesScopeKey(cfg({ authUrl: 'http://other:5000/v3' }))).not.toBe(k);
  });

  it('is computed alike from clouds.yaml, the environment and flags (no network)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ncli-clouds-'));
    writeFileSync(
      join(dir, 'clouds.yaml'),
      'clouds:\n  c1:\n    auth:\n      auth_url: http://ks:5000\n      username: alice\n      password: pw\n      project_name: p1\n    region_name: RegionOne\n',
    );
    const viaCloud = await resolveConfig({ osCloud: 'c1' }, { OS_CLIENT_CONFIG_FILE: join(dir, 'clouds.yaml') });
    const viaEnv = await resolveConfig(
      {},
      {
        OS_AUTH_URL: 'http://ks:5000/v3/',
        OS_USERNAME: 'alice',
        OS_PASSWORD: 'x',
        OS_PROJECT_NAME: 'p1',
        OS_REGION_NAME: 'RegionOne',
      },
    );
    expect(namesScopeKey(viaCloud)).toBe(namesScopeKey(viaEnv));
    const otherProject = await resolveConfig(
      { osCloud: 'c1', osProjectName: 'p2' },
      { OS_CLIENT_CONFIG_FILE: join(dir, 'clouds.yaml') },
    );
    expect(namesScopeKey(otherProject)).not.toBe(namesScopeKey(viaCloud));
  });

  it('replaces the set on a complete listing and merges otherwise, in private files', () => {
    const e = env();
    const key = namesScopeKey(cfg());
    expect(readNames(e, key, 'server')).toEqual([]);
    writeNames(
      e,
      key,
      'server',
      [
        { id: '1', name: 'a' },
        { id: '2', name: 'b' },
      ],
      { complete: true },
    );
    writeNames(
      e,
      key,
      'server',
      [
        { id: '3', name: 'c' },
        { id: '1', name: 'a2' },
      ],
      { complete: false },
    );
    expect(readNames(e, key, 'server')).toEqual([
      { id: '2', name: 'b' },
      { id: '3', name: 'c' },
      { id: '1', name: 'a2' },
    ]);
    writeNames(e, key, 'server', [{ id: '9', name: 'z' }], { complete: true });
    expect(readNames(e, key, 'server')).toEqual([{ id: '9', name: 'z' }]);
    expect(readNames(e, key, 'flavor')).toEqual([]);
    const file = namesPath(e, key, 'server');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(file, '..')).mode & 0o777).toBe(0o700);
    expect(statSync(join(file, '..', '..')).mode & 0o777).toBe(0o700);
    expect(readFileSync(file, 'utf8')).not.toContain('pw');
    expect(readdirSync(join(file, '..')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('treats a corrupt file as empty and skips writing with the cache off', () => {
    const e = env();
    const key = namesScopeKey(cfg());
    writeNames(e, key, 'flavor', [{ id: '1', name: 'm1.tiny' }], { complete: true });
    writeFileSync(namesPath(e, key, 'flavor'), '{not json');
    expect(readNames(e, key, 'flavor')).toEqual([]);
    const off = env();
    rememberNames(off, { ...cfg(), cache: false }, 'flavor', [{ id: '1' }], { complete: true });
    expect(readdirSync(off.XDG_CACHE_HOME)).toEqual([]);
  });
});
