/**
 * The scope index of the names cache (src/config/names-index.ts; issue 21): a run records which
 * scope key its configuration's inputs gave, so a TAB with the same inputs reads the names
 * without clouds.yaml's parser or node:crypto. The inputs hold no secret; anything that could
 * change the scope changes them; a token login has none; the file is private and bounded.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { indexedScope, MAX_ENTRIES, recordScope, scopeInputs } from '../../src/config/names-index.js';
import { runNcli } from '../support/io.js';
import { KEYSTONE, mockCloud } from '../support/mock-nova.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NCLI = join(ROOT, 'bin', 'ncli');
const KEY = 'a'.repeat(64);

/** A home with a clouds.yaml naming cloud `mock` (the mock Keystone), and its environment. */
function home(extra = '') {
  const dir = mkdtempSync(join(tmpdir(), 'ncli-names-index-'));
  mkdirSync(join(dir, '.config', 'openstack'), { recursive: true });
  const clouds = join(dir, '.config', 'openstack', 'clouds.yaml');
  writeFileSync(
    clouds,
    `clouds:\n  mock:\n    auth:\n      auth_url: ${KEYSTONE}/v3\n      username: alice\n      password: s3cret-pw\n      project_name: demo\n    region_name: RegionOne\n${extra}`,
  );
  const env: NodeJS.ProcessEnv = { HOME: dir, XDG_CACHE_HOME: join(dir, 'cache'), OS_CLOUD: 'mock' };
  return { dir, clouds, env };
}

describe('the inputs of a configuration', () => {
  it('hold no secret, given as a flag, a variable or in clouds.yaml', () => {
    const h = home();
    const env = {
      ...h.env,
      OS_PASSWORD: 'pw-env',
      OS_APPLICATION_CREDENTIAL_SECRET: 'ac-env',
      OS_CLIENT_SECRET: 'cs-env',
      OS_PASSCODE: '123456',
      OS_ACCESS_TOKEN: 'at-env',
      OS_SOME_OTHER_TOOLS_SECRET: 'other-env', // a variable ncli does not read
    };
    const flags = {
      osPassword: 'pw-flag',
      osApplicationCredentialSecret: 'ac-flag',
      osClientSecret: 'cs-flag',
      osPasscode: '654321',
      osAccessToken: 'at-flag',
      osProjectName: 'demo',
    };
    const inputs = scopeInputs(flags, env, h.dir)!;
    for (const secret of [
      'pw-env',
      'ac-env',
      'cs-env',
      '123456',
      'at-env',
      'other-env',
      'pw-flag',
      'ac-flag',
      'cs-flag',
      '654321',
      'at-flag',
      's3cret-pw',
    ])
      expect(inputs).not.toContain(secret);
    // what the scope is made of is there
    expect(inputs).toContain('"osProjectName","demo"');
    expect(inputs).toContain('"OS_CLOUD","mock"');
    expect(inputs).toContain(h.clouds);
  });

  it('are none for a token login (its scope key holds the hash of the token)', () => {
    const h = home();
    expect(scopeInputs({}, { ...h.env, OS_TOKEN: 't' }, h.dir)).toBeUndefined();
    expect(scopeInputs({ osToken: 't' }, h.env, h.dir)).toBeUndefined();
  });

  it('change with any option, variable, clouds.yaml file or folder that could change the scope', () => {
    const h = home();
    const base = scopeInputs({}, h.env, h.dir);
    expect(scopeInputs({}, h.env, h.dir)).toBe(base); // and are stable
    expect(scopeInputs({ osProjectName: 'other' }, h.env, h.dir)).not.toBe(base);
    expect(scopeInputs({}, { ...h.env, OS_REGION_NAME: 'RegionTwo' }, h.dir)).not.toBe(base);
    expect(scopeInputs({}, { ...h.env, XDG_CONFIG_HOME: join(h.dir, 'elsewhere') }, h.dir)).not.toBe(base); // its clouds.yaml is not there
    // a working folder without a clouds.yaml of its own leads to the same files: the same inputs;
    // one with its own is another input (openstacksdk reads ./clouds.yaml first)
    const folder = mkdtempSync(join(tmpdir(), 'ncli-names-index-cwd-'));
    expect(scopeInputs({}, h.env, folder)).toBe(base);
    writeFileSync(join(folder, 'clouds.yaml'), 'clouds: {}\n');
    expect(scopeInputs({}, h.env, folder)).not.toBe(base);
    // a switch (--insecure, --no-cache) is not part of them; a secret changes nothing either
    expect(scopeInputs({ insecure: true, cache: false, osPassword: 'x' }, { ...h.env, OS_PASSWORD: 'y' }, h.dir)).toBe(
      base,
    );
    // clouds.yaml edited (size and time), a secure.yaml appearing
    writeFileSync(h.clouds, readFileSync(h.clouds, 'utf8') + '    interface: public\n');
    const edited = scopeInputs({}, h.env, h.dir);
    expect(edited).not.toBe(base);
    const t = statSync(h.clouds).mtime;
    utimesSync(h.clouds, t, new Date(t.getTime() + 5000));
    expect(scopeInputs({}, h.env, h.dir)).not.toBe(edited);
    const before = scopeInputs({}, h.env, h.dir);
    writeFileSync(join(h.dir, '.config', 'openstack', 'secure.yaml'), 'clouds: {}\n');
    expect(scopeInputs({}, h.env, h.dir)).not.toBe(before);
  });
});

describe('the index file', () => {
  it('gives back what was recorded, in a 0600 file of a 0700 folder, written only when new', () => {
    const h = home();
    expect(indexedScope(h.env, 'in')).toBeUndefined();
    recordScope(h.env, 'in', KEY, 1000);
    expect(indexedScope(h.env, 'in')).toBe(KEY);
    const file = join(h.dir, 'cache', 'ncli', 'names', 'scopes.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(h.dir, 'cache', 'ncli', 'names')).mode & 0o777).toBe(0o700);
    const m = statSync(file).mtimeMs;
    recordScope(h.env, 'in', KEY, 2000);
    expect(statSync(file).mtimeMs).toBe(m);
    expect(readFileSync(file, 'utf8')).toContain('1000');
  });

  it(`keeps the ${MAX_ENTRIES} most recently recorded, and takes a damaged file or entry for a miss`, () => {
    const h = home();
    for (let i = 0; i <= MAX_ENTRIES; i++) recordScope(h.env, `in-${i}`, KEY, 1000 + i);
    expect(indexedScope(h.env, 'in-0')).toBeUndefined();
    expect(indexedScope(h.env, 'in-1')).toBe(KEY);
    expect(indexedScope(h.env, `in-${MAX_ENTRIES}`)).toBe(KEY);
    const file = join(h.dir, 'cache', 'ncli', 'names', 'scopes.json');
    writeFileSync(file, JSON.stringify({ version: 1, entries: { bad: ['../../etc/passwd', 1] } }));
    expect(indexedScope(h.env, 'bad')).toBeUndefined();
    writeFileSync(file, '{not json');
    expect(indexedScope(h.env, 'in-1')).toBeUndefined();
    recordScope(h.env, 'in-1', KEY); // and a new record replaces the damaged file
    expect(indexedScope(h.env, 'in-1')).toBe(KEY);
  });
});

describe('a TAB after a run', () => {
  /** `ncli __complete WORDS` in a child process; what it printed and whether it loaded crypto or the yaml parser. */
  function tab(env: NodeJS.ProcessEnv, words: string[]) {
    const probe = join(mkdtempSync(join(tmpdir(), 'ncli-probe-')), 'probe.cjs');
    writeFileSync(
      probe,
      "process.on('exit', () => process.stderr.write('LOADED ' + JSON.stringify({ crypto: process.moduleLoadList.includes('NativeModule crypto'), yaml: Object.keys(require.cache).some((f) => f.endsWith('yaml.cjs')) }) + '\\n'));\n",
    );
    const r = spawnSync(process.execPath, ['-r', probe, NCLI, '__complete', ...words], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, ...env },
      cwd: mkdtempSync(join(tmpdir(), 'ncli-tab-cwd-')), // another folder than the run's: no clouds.yaml in either
      timeout: 20_000,
    });
    const loaded = JSON.parse(/^LOADED (.*)$/m.exec(r.stderr)![1]) as { crypto: boolean; yaml: boolean };
    return { names: r.stdout.split('\n').filter(Boolean), ...loaded };
  }

  it('reads the names the run saw without the yaml parser or node:crypto; with other inputs, resolves again', async () => {
    const h = home();
    const c = mockCloud();
    c.answer('GET', '/v2.1/servers/detail', 200, {
      servers: [
        { id: 's1', name: 'web-1', status: 'ACTIVE' },
        { id: 's2', name: 'web-2', status: 'ACTIVE' },
        { id: 's3', name: 'db-1', status: 'ACTIVE' },
      ],
    });
    const r = await runNcli(['server', 'list', '-f', 'value', '-c', 'Name'], h.env, {
      dispatcher: c.agent,
      tokenStore: null,
    });
    expect(r.stdout).toBe('web-1\nweb-2\ndb-1\n');
    expect(tab(h.env, ['server', 'show', 'we'])).toEqual({ names: ['web-1', 'web-2'], crypto: false, yaml: false });
    // the same cloud named by a flag is another input: resolved again, same names
    expect(tab(h.env, ['--os-cloud', 'mock', 'server', 'show', 'we'])).toEqual({
      names: ['web-1', 'web-2'],
      crypto: true,
      yaml: true,
    });
    // another project: its own (empty) names, not these
    expect(tab(h.env, ['--os-project-name', 'other', 'server', 'show', 'we']).names).toEqual([]);
    // clouds.yaml edited: resolved again (here to the same scope)
    writeFileSync(h.clouds, readFileSync(h.clouds, 'utf8') + '    interface: public\n');
    expect(tab(h.env, ['server', 'show', 'we'])).toEqual({ names: ['web-1', 'web-2'], crypto: true, yaml: true });
  });
});
