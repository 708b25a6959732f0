/**
 * The example extension examples/extensions/server-where.mjs (issue 19) against the real local
 * cloud: installed through NCLI_EXTENSIONS_PATH, and as an npm package `ncli-ext-where` in a
 * project's node_modules next to ncli (a link to this checkout, as `npm link` or a workspace
 * makes it). `ncli server where` must give each server's host, hypervisor hostname and
 * availability zone as `openstack server show -f json` does; help and completion show it.
 * Two throwaway servers in a project of this file's own (`ncli-ext`), named ext-<pid>-N and
 * deleted in afterAll.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  ROOT,
  cloudEnv,
  describeCloud,
  ensureTestProject,
  freshCache,
  ncli,
  run as runCommand,
} from '../support/cloud.js';

const PROJECT = 'ncli-ext';
const PREFIX = `ext-${process.pid}`;
const EXAMPLE = join(ROOT, 'examples', 'extensions', 'server-where.mjs');

interface Where {
  ID: string;
  Name: string;
  Host: string;
  'Hypervisor Hostname': string;
  'Availability Zone': string;
}

describeCloud('extensions: the server-where example against the real cloud', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'ncli-ext-cloud-'));
  const cache = freshCache();
  const base = cloudEnv({ OS_PROJECT_NAME: PROJECT, XDG_CONFIG_HOME: join(tmp, 'config') }, cache);
  const env = { ...base, NCLI_EXTENSIONS_PATH: join(ROOT, 'examples', 'extensions') };
  const names = [`${PREFIX}-1`, `${PREFIX}-2`];

  /** openstack as admin (project admin: it shows any project's server by ID). */
  const osc = (args: string[]) =>
    runCommand('/usr/bin/openstack', ['--os-cloud', 'devcloud', ...args], cloudEnv(), { timeoutMs: 60_000 });

  beforeAll(async () => {
    await ensureTestProject(PROJECT, { description: 'ncli test/cloud/extensions.test.ts', quota: true });
    const r = await ncli(
      ['server', 'create', PREFIX, '--image', 'devcloud-image', '--flavor', 'm1.tiny', '--network', 'none'].concat([
        '--min',
        '2',
        '--max',
        '2',
        '--wait',
      ]),
      base,
      { timeoutMs: 240_000 },
    );
    expect(r.stderr).toBe('');
  }, 300_000);

  afterAll(async () => {
    const list = await ncli(['server', 'list', '--name', `^${PREFIX}`, '-f', 'value', '-c', 'ID'], base);
    const ids = list.stdout.split('\n').filter(Boolean);
    if (ids.length) await ncli(['server', 'delete', ...ids, '--wait'], base, { timeoutMs: 120_000 });
    rmSync(tmp, { recursive: true, force: true });
    rmSync(cache, { recursive: true, force: true });
  }, 180_000);

  /** What openstackclient says of each server (by ID): the oracle. */
  async function oracle(ids: string[]): Promise<Where[]> {
    const out: Where[] = [];
    for (const n of ids) {
      const r = await osc(['--os-compute-api-version', '2.47', 'server', 'show', '-f', 'json', n]);
      expect(r.stderr).toBe('');
      const s = JSON.parse(r.stdout) as Record<string, string>;
      out.push({
        ID: s.id,
        Name: s.name,
        Host: s['OS-EXT-SRV-ATTR:host'],
        'Hypervisor Hostname': s['OS-EXT-SRV-ATTR:hypervisor_hostname'],
        'Availability Zone': s['OS-EXT-AZ:availability_zone'],
      });
    }
    return out;
  }

  it('through NCLI_EXTENSIONS_PATH: server where gives what openstack server show gives', async () => {
    const r = await ncli(['server', 'where', ...names, '-f', 'json'], env, { timeoutMs: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const got = JSON.parse(r.stdout) as Where[];
    expect(got.map((w) => w.Name).sort()).toEqual(names);
    expect(got).toEqual(await oracle(got.map((w) => w.ID)));
    for (const w of got) expect(['devcloud-compute', 'compute-2']).toContain(w.Host);
    // a name that matches nothing: one line, exit 1, the others still printed
    const miss = await ncli(['server', 'where', names[0], `${PREFIX}-nosuch`, '-f', 'value', '-c', 'Name'], env);
    expect(miss).toMatchObject({ code: 1, stdout: `${names[0]}\n` });
    expect(miss.stderr).toBe(`ncli: No server with a name or ID of '${PREFIX}-nosuch' exists.\n`);
  }, 120_000);

  it('help, completion and extension list show it', async () => {
    const help = await ncli(['server', '--help'], env);
    expect(help.stdout).toMatch(/\n {2}where \[options\] <server\.\.\.>\s+Show where servers run/);
    const page = await ncli(['help', 'server', 'where'], env);
    expect(page.stdout).toContain('--all-projects');
    expect(page.stdout).toContain('ncli server where vm1 vm2');
    const tab = await ncli(['__complete', '--', 'server', 'wh'], env);
    expect(tab.stdout).toBe('where\n');
    // names of servers: from the names cache a server list wrote
    await ncli(['server', 'list'], env);
    const names2 = await ncli(['__complete', '--', 'server', 'where', PREFIX], env);
    expect(names2.stdout.split('\n').filter(Boolean).sort()).toEqual(names);
    const list = await ncli(['extension', 'list', '-f', 'json'], env);
    expect(JSON.parse(list.stdout)).toEqual([
      { Extension: EXAMPLE, Source: 'NCLI_EXTENSIONS_PATH', Commands: 'server where', State: 'ok' },
    ]);
  }, 120_000);

  it('as the package ncli-ext-where in node_modules next to ncli', async () => {
    // project/node_modules/{ncli → this checkout, .bin/ncli, ncli-ext-where/{package.json, server-where.mjs}}
    const nm = join(tmp, 'project', 'node_modules');
    mkdirSync(join(nm, '.bin'), { recursive: true });
    symlinkSync(ROOT, join(nm, 'ncli'));
    symlinkSync('../ncli/bin/ncli', join(nm, '.bin', 'ncli'));
    const pkg = join(nm, 'ncli-ext-where');
    mkdirSync(pkg);
    writeFileSync(
      join(pkg, 'package.json'),
      JSON.stringify({
        name: 'ncli-ext-where',
        version: '1.0.0',
        type: 'module',
        peerDependencies: { ncli: '>=0.1.0' },
        ncli: { extension: 'server-where.mjs', group: 'server' },
      }),
    );
    copyFileSync(EXAMPLE, join(pkg, 'server-where.mjs'));
    const e = { ...base, npm_config_prefix: join(tmp, 'no-global') };
    const r = await runCommand(
      process.execPath,
      [join(nm, '.bin', 'ncli'), 'server', 'where', ...names, '-f', 'json'],
      e,
      {
        timeoutMs: 60_000,
      },
    );
    expect(r.stderr).toBe('');
    const got = JSON.parse(r.stdout) as Where[];
    expect(got.map((w) => w.Name).sort()).toEqual(names);
    expect(got).toEqual(await oracle(got.map((w) => w.ID)));
    const list = await runCommand(process.execPath, [join(nm, '.bin', 'ncli'), 'extension', 'list', '-f', 'json'], e);
    expect(JSON.parse(list.stdout)).toEqual([
      { Extension: 'ncli-ext-where@1.0.0', Source: `package ${pkg}`, Commands: 'server where', State: 'ok' },
    ]);
    // the checkout's own bin/ncli is not in that node_modules: it does not see the package
    const own = await ncli(['server', 'where', names[0]], e);
    expect(own.code).toBe(2);
    expect(own.stderr).toContain("unknown command 'where'");
  }, 120_000);
});
