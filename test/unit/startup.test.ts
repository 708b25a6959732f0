/**
 * What the start-up work of issue 12 must keep true (bin/ncli, scripts/build-bundle.mjs,
 * src/cli/context.ts): the bundle's `--debug` stacks name src/ files; a command loads neither
 * node:http2 nor node:child_process, which undici and commander require but ncli never uses; V8's
 * compile cache (Node >= 22.1) lives in ncli's private cache folder; the names cache is written
 * after the output, not before.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import module from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { mockCloud } from '../support/mock-nova.js';
import { testIO } from '../support/io.js';
import type { IO } from '../../src/cli/context.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NCLI = join(ROOT, 'bin/ncli');
/** A command that gets as far as its first request: Keystone on a closed port. */
const CLOSED = ['--os-auth-url', 'http://127.0.0.1:9/v3', '--os-username', 'u', '--os-password', 'p', '--no-cache'];

function ncli(args: string[], env: NodeJS.ProcessEnv = {}, nodeArgs: string[] = []) {
  const home = mkdtempSync(join(tmpdir(), 'ncli-start-'));
  const r = spawnSync(process.execPath, [...nodeArgs, NCLI, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: home, XDG_CACHE_HOME: join(home, 'cache'), ...env },
    timeout: 20_000,
  });
  return { ...r, home };
}

describe('the bundle', () => {
  it('--debug prints the stack with src/ files and lines (source maps); without --debug, one line', () => {
    const debug = ncli(['--debug', ...CLOSED, 'server', 'list']);
    expect(debug.status).toBe(1);
    expect(debug.stderr).toMatch(/^\s+at .*\/src\/identity\/keystone\.ts:\d+:\d+\)?$/m);
    expect(debug.stderr).not.toMatch(/dist\/chunks\//);
    const plain = ncli([...CLOSED, 'server', 'list']);
    expect(plain.stderr).toBe(
      'ncli: Cannot reach Keystone at http://127.0.0.1:9/v3: connection refused; check OS_AUTH_URL / --os-auth-url.\n',
    );
  });

  it('loads neither node:http2 nor node:child_process for a command (but does load node:net)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ncli-loads-'));
    const hook = join(dir, 'loaded.mjs');
    // node's own list of the built-in modules it loaded, printed at exit
    writeFileSync(
      hook,
      "process.on('exit', () => process.stderr.write('LOADED ' + process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).join(',') + '\\n'));\n",
    );
    const loaded = (args: string[]) => {
      const r = ncli(args, {}, ['--import', pathToFileURL(hook).href]);
      const line = r.stderr.split('\n').find((l) => l.startsWith('LOADED '));
      expect(line, r.stderr).toBeDefined();
      return new Set(
        line!
          .slice(7)
          .split(',')
          .map((m) => m.replace('NativeModule ', '')),
      );
    };
    const list = loaded([...CLOSED, 'server', 'list']);
    expect(list.has('net')).toBe(true);
    expect(list.has('http2')).toBe(false);
    expect(list.has('child_process')).toBe(false);
    const help = loaded(['server', 'list', '--help']);
    expect(help.has('child_process')).toBe(false);
    // node:v8 (V8's flags, bin/ncli) for a command that talks HTTP, never for help, --version or TAB
    expect(list.has('v8')).toBe(true);
    for (const args of [['server', 'list', '--help'], ['--version'], ['__complete', 'server', ''], ['help']])
      expect(loaded(args).has('v8'), args.join(' ')).toBe(false);
  });
});

describe("V8's compile cache", () => {
  const supported = typeof (module as { enableCompileCache?: unknown }).enableCompileCache === 'function';

  it(
    supported
      ? 'is kept in $XDG_CACHE_HOME/ncli/compile: folders 0700, files 0600'
      : 'is not written on a Node.js without module.enableCompileCache (before 22.1)',
    () => {
      // a command that loads the ES modules (it gets as far as Keystone's closed port)
      const r = ncli([...CLOSED, 'server', 'list']);
      expect(r.status).toBe(1);
      const dir = join(r.home, 'cache', 'ncli', 'compile');
      if (!supported) {
        expect(existsSync(dir)).toBe(false);
        return;
      }
      const walk = (d: string): string[] =>
        readdirSync(d, { withFileTypes: true }).flatMap((e) =>
          e.isDirectory() ? [join(d, e.name), ...walk(join(d, e.name))] : [join(d, e.name)],
        );
      const entries = walk(dir);
      expect(entries.some((p) => statSync(p).isFile())).toBe(true);
      for (const p of [dir, join(r.home, 'cache', 'ncli'), ...entries]) {
        const st = statSync(p);
        expect((st.mode & 0o777).toString(8), p).toBe(st.isDirectory() ? '700' : '600');
      }
    },
  );

  it('is not used with NCLI_COMPILE_CACHE=0', () => {
    const r = ncli([...CLOSED, 'server', 'list'], { NCLI_COMPILE_CACHE: '0' });
    expect(r.status).toBe(1);
    expect(existsSync(join(r.home, 'cache', 'ncli', 'compile'))).toBe(false);
  });

  it('is not used by the quick answers (--version, the top-level help, TAB): their small CommonJS files start faster without it', () => {
    for (const args of [['--version'], ['--help'], ['__complete', 'server', '']]) {
      const r = ncli(args);
      expect(r.status, args.join(' ')).toBe(0);
      expect(r.stdout, args.join(' ')).not.toBe('');
      expect(existsSync(join(r.home, 'cache', 'ncli', 'compile')), args.join(' ')).toBe(false);
    }
    expect(ncli(['--version']).stdout).toBe(`${(JSON.parse(readPkg()) as { version: string }).version}\n`);
  });
});

function readPkg(): string {
  return spawnSync(process.execPath, ['-p', `JSON.stringify(require(${JSON.stringify(join(ROOT, 'package.json'))}))`], {
    encoding: 'utf8',
  }).stdout;
}

describe('the names cache', () => {
  it('is written after the listing is printed, not before', async () => {
    const cloud = mockCloud();
    cloud.answer('GET', /^\/v2\.1\/flavors\/detail/, 200, {
      flavors: [{ id: '1', name: 'm1.tiny', ram: 512, disk: 1, vcpus: 1, 'OS-FLV-EXT-DATA:ephemeral': 0, swap: '' }],
    });
    const cache = mkdtempSync(join(tmpdir(), 'ncli-names-'));
    const t = testIO({ env: { ...cloud.env, OS_CACHE: 'true', XDG_CACHE_HOME: cache } });
    const namesFiles = () =>
      existsSync(join(cache, 'ncli', 'names')) ? readdirSync(join(cache, 'ncli', 'names'), { recursive: true }) : [];
    const atFirstWrite: unknown[][] = [];
    const out = t.io.out;
    const io: IO = {
      ...t.io,
      out: Object.assign(Object.create(out) as typeof out, {
        write: (chunk: string | Uint8Array) => {
          atFirstWrite.push(namesFiles());
          return out.write(chunk);
        },
      }),
    };
    const { main } = (await import(new URL('../../dist/cli/main.js', import.meta.url).href)) as {
      main: (argv: string[], io: IO, deps: unknown) => Promise<number>;
    };
    const code = await main(['flavor', 'list', '-f', 'value', '-c', 'Name'], io, { dispatcher: cloud.agent });
    expect(t.err.text()).toBe('');
    expect(code).toBe(0);
    expect(t.out.text()).toBe('m1.tiny\n');
    expect(atFirstWrite[0]).toEqual([]);
    expect(namesFiles().length).toBeGreaterThan(0);
  });
});
