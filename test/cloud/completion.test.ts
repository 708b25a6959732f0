/**
 * Shell completion against the real local cloud: list and show commands fill the names cache as
 * a side effect (per cloud and project; a full listing replaces, a filtered one or a show
 * merges, --all-projects adds nothing), and TAB in bash and zsh then offers those names, with no
 * API call, along with the cloud names of the harness clouds.yaml.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { cloudEnv, describeCloud, freshCache, ncli, ROOT } from '../support/cloud.js';

const PATH = `${join(ROOT, 'bin')}:${process.env.PATH}`;

/** Candidates `ncli __complete WORDS…` prints (plain mode). */
async function tab(words: string[], env: Record<string, string>): Promise<string[]> {
  const r = await ncli(['__complete', ...words], env);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout.split('\n').filter(Boolean);
}

/** Sources completions/ncli.bash and calls its function for `line` (words split at blanks; cursor at the end). */
function bashTab(line: string, env: Record<string, string>): Promise<string[]> {
  const words = line.split(' ');
  const script = [
    `source ${JSON.stringify(join(ROOT, 'completions', 'ncli.bash'))} || exit 9`,
    'COMP_LINE=$1; COMP_POINT=${#COMP_LINE}; shift',
    'COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))',
    '_ncli_complete',
    '(( ${#COMPREPLY[@]} )) && printf "%s\\n" "${COMPREPLY[@]}"',
    'exit 0',
  ].join('\n');
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['--norc', '--noprofile', '-c', script, 'bash', line, ...words], {
      env: { ...env, PATH },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', () => resolve(out.split('\n').filter(Boolean)));
  });
}

/** zsh under a private tmux server: types `line`, presses Tab (twice), returns the screen once `want` shows. */
async function zshTab(line: string, want: RegExp, env: Record<string, string>): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'ncli-comp-tmux-'));
  const sock = join(dir, 'socket'); // a private tmux server
  const tmux = (...args: string[]) =>
    spawnSync('tmux', ['-S', sock, '-f', '/dev/null', ...args], {
      env: { ...env, PATH, TERM: 'xterm' },
      encoding: 'utf8',
    });
  try {
    tmux('new-session', '-d', '-s', 't', '-x', '200', '-y', '50', 'zsh -f');
    tmux(
      'send-keys',
      '-t',
      't',
      '-l',
      `PS1='%% '; fpath=(${join(ROOT, 'completions')} $fpath); autoload -U compinit && compinit -u -D`,
    );
    tmux('send-keys', '-t', 't', 'Enter');
    tmux('send-keys', '-t', 't', '-l', line);
    tmux('send-keys', '-t', 't', 'Tab');
    tmux('send-keys', '-t', 't', 'Tab');
    const end = Date.now() + 20_000;
    for (;;) {
      const screen = tmux('capture-pane', '-p', '-J', '-t', 't').stdout;
      if (want.test(screen)) return screen;
      if (Date.now() > end) throw new Error(`timed out waiting for ${want} in:\n${screen}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    tmux('kill-server');
    rmSync(dir, { recursive: true, force: true });
  }
}

describeCloud('shell completion against the real cloud', () => {
  const cache = freshCache();
  const env = cloudEnv({}, cache);

  beforeAll(async () => {
    for (const args of [
      ['server', 'list'],
      ['flavor', 'list'],
    ]) {
      const r = await ncli(args, env);
      expect(r.code, r.stderr).toBe(0);
    }
  });

  it('fills a private names cache per cloud and project', () => {
    const dir = join(cache, 'ncli', 'names');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const files = readdirSync(dir);
    expect(files.filter((f) => f.endsWith('.server.json'))).toHaveLength(1);
    expect(files.filter((f) => f.endsWith('.flavor.json'))).toHaveLength(1);
    for (const f of files) expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
  });

  it('offers web.1 and webX1 on ncli server show we, in bash and zsh', async () => {
    expect(await tab(['server', 'show', 'we'], env)).toEqual(['web.1', 'webX1']);
    expect(await bashTab('ncli server show we', env)).toEqual(['web.1', 'webX1']);
    await zshTab('ncli server show we', /web\.1\s+webX1/, env);
  });

  it('offers the m1 flavors on ncli flavor show m1., in bash and zsh', async () => {
    const want = ['m1.custom', 'm1.small', 'm1.tiny'];
    expect(await tab(['flavor', 'show', 'm1.'], env)).toEqual(expect.arrayContaining(want));
    expect(await bashTab('ncli flavor show m1.', env)).toEqual(expect.arrayContaining(want));
    const screen = await zshTab('ncli flavor show m1.', /m1\.custom.*m1\.small.*m1\.tiny/s, env);
    expect(screen).toContain('m1.tiny');
  });

  it('offers the harness clouds on ncli --os-cloud dev, in bash and zsh', async () => {
    // the harness's clouds, in clouds.yaml's order: the core ones, then one per federated auth type
    const want = [
      'devcloud',
      'devcloud-demo',
      'devcloud-appcred',
      'devcloud-tls',
      'devcloud-oidcpassword',
      'devcloud-oidcclientcredentials',
      'devcloud-oidcaccesstoken',
      'devcloud-oidcauthcode',
      'devcloud-oidcdeviceauthz',
      'devcloud-websso',
    ];
    expect(await tab(['--os-cloud', 'dev'], env)).toEqual(want);
    expect(await bashTab('ncli --os-cloud dev', env)).toEqual(want);
    await zshTab('ncli --os-cloud dev', /devcloud\s.*devcloud-appcred|devcloud-appcred\s.*devcloud-demo/s, env);
  });

  it('keeps a full listing when a filtered or truncated one runs, and ignores --all-projects', async () => {
    const before = await tab(['server', 'show', ''], env);
    expect(before).toContain('vm1');
    expect(before.length).toBeGreaterThan(20);
    for (const args of [
      ['server', 'list', '--limit', '3'],
      ['server', 'list', '--name', '^web'],
      ['server', 'list', '--all-projects'],
      ['server', 'show', 'vm1'],
    ]) {
      expect((await ncli(args, env)).code).toBe(0);
    }
    const after = await tab(['server', 'show', ''], env);
    // other test files boot throwaway servers (any name) in this project meanwhile: a truncated
    // listing rightly merges the newest in; every name seen before must still be there
    expect(after).toEqual(expect.arrayContaining(before));
    expect(after).not.toContain('demo-vm');
  });

  it('keeps each project apart, honouring an --os-cloud typed on the line', async () => {
    const c = freshCache();
    const e = cloudEnv({}, c);
    expect((await ncli(['--os-cloud', 'devcloud-demo', 'server', 'list'], e)).code).toBe(0);
    expect(await tab(['--os-cloud', 'devcloud-demo', 'server', 'show', 'demo'], e)).toEqual(['demo-vm']);
    expect(await tab(['server', 'show', '--os-cloud=devcloud-demo', 'demo'], e)).toEqual(['demo-vm']);
    expect(await tab(['server', 'show', 'demo'], e)).toEqual([]); // devcloud (OS_CLOUD): nothing cached yet
    expect(await bashTab('ncli --os-cloud devcloud-demo server show dem', e)).toEqual(['demo-vm']);
  });

  it('merges what a show finds, and writes nothing with --no-cache', async () => {
    const c = freshCache();
    const e = cloudEnv({}, c);
    expect((await ncli(['server', 'show', 'vm1'], e)).code).toBe(0);
    expect((await ncli(['flavor', 'show', 'm1.small'], e)).code).toBe(0);
    expect(await tab(['server', 'show', ''], e)).toEqual(['vm1']);
    expect(await tab(['flavor', 'show', ''], e)).toEqual(['m1.small']);
    const off = freshCache();
    expect((await ncli(['--no-cache', 'server', 'list'], cloudEnv({}, off))).code).toBe(0);
    expect(readdirSync(off)).toEqual([]);
  });
});
