/**
 * forwardStdio on a real process's stdin/stdout (pipes): the process must
 * print the remote's answer and exit by itself once stdin ends — no timer,
 * socket or paused stdin may keep it alive.
 */
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { compiledTunnelModule, startFakeProxy, type FakeProxy } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function runChild(
  modulePath: string,
  url: string,
  input: string,
): Promise<{ code: number | null; out: string; err: string; ms: number }> {
  const script = `
    const { forwardStdio } = await import(${JSON.stringify(pathToFileURL(modulePath).href)});
    try {
      await forwardStdio({ resolveUrl: async () => ${JSON.stringify(url)}, label: 'x', out: process.stderr, err: process.stderr,
        stdin: process.stdin, stdout: process.stdout, pingIntervalMs: 50 });
    } catch (e) { process.stderr.write(e.message + '\\n'); process.exitCode = 1; }
  `;
  const t0 = Date.now();
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'pipe'] });
  cleanups.push(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  child.stdin.end(input);
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out, err, ms: Date.now() - t0 })));
}

describe('forwardStdio in a real process', () => {
  it('answers, then exits on its own after stdin EOF', { timeout: 20_000 }, async () => {
    const p: FakeProxy = await startFakeProxy({
      onSession: (ws) => ws.on('message', (d: Buffer) => ws.send(Buffer.from(d.toString().toUpperCase()))),
    });
    cleanups.push(() => p.close());
    const modulePath = await compiledTunnelModule();
    const r = await runChild(modulePath, p.wsUrl('good'), 'hello ~.\n~.\n');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toBe('HELLO ~.\n~.\n');
    expect(r.ms).toBeLessThan(10_000);
  });

  it('exits 1 with one line when the proxy is unreachable', { timeout: 20_000 }, async () => {
    const modulePath = await compiledTunnelModule();
    const r = await runChild(modulePath, 'ws://127.0.0.1:1/?token=secret', 'x');
    expect(r.code).toBe(1);
    expect(r.err).toBe('Cannot reach the console proxy at ws://127.0.0.1:1: connection refused.\n');
  });
});
