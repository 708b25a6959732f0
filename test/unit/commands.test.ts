/**
 * Whole commands run in-process (`main(argv, io, {dispatcher})`) against a mocked Keystone and
 * Nova (test/support/mock-nova.ts) with fake streams (test/support/io.ts): one or more per command
 * group, from the argument parsing through the handler to what is printed and the exit code.
 * Copy one of these to test a new command.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { PNG } from 'pngjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { FakeTty, runNcli } from './../support/io.js';
import { mockAgent, mockCloud, NOVA } from '../support/mock-nova.js';
import { FakeRfbServer } from './screenshot/fake-rfb-server.js';
import { startFakeProxy, until, type FakeProxy } from './tunnel/helpers.js';

const VM1 = { id: '11111111-2222-3333-4444-555555555555', name: 'vm1', status: 'ACTIVE' };

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A mock cloud and a runner for it (no token cache). */
function cloud(opts: Parameters<typeof mockCloud>[0] = {}) {
  const c = mockCloud(opts);
  const run = (argv: string[], opts: { tty?: boolean; stdin?: string | NodeJS.ReadableStream } = {}) =>
    runNcli(argv, c.env, { dispatcher: c.agent, tokenStore: null }, opts);
  return { ...c, run };
}

describe('server', () => {
  it('list prints a table and follows pages; -f json gives the rows as objects', async () => {
    const c = cloud();
    c.pool
      .intercept({ path: '/v2.1/servers/detail', method: 'GET' })
      .reply(200, {
        servers: [
          {
            ...VM1,
            addresses: { priv: [{ addr: '10.0.0.5' }] },
            image: { id: 'img1' },
            flavor: { original_name: 'm1' },
          },
        ],
        servers_links: [{ rel: 'next', href: `${NOVA}/v2.1/servers/detail?marker=${VM1.id}` }],
      })
      .times(2);
    c.pool
      .intercept({ path: `/v2.1/servers/detail?marker=${VM1.id}`, method: 'GET' })
      .reply(200, { servers: [{ id: 'b', name: 'web', status: 'SHUTOFF', image: '' }] })
      .times(2);
    const table = await c.run(['server', 'list']);
    expect(table).toMatchObject({ code: 0, stderr: '' });
    expect(table.stdout).toMatch(/^│ ID +│ Name +│ Status +│ Networks +│ Image +│ Flavor +│$/m);
    expect(table.stdout).toMatch(/│ vm1 +│ ACTIVE +│ priv=10\.0\.0\.5 +│ img1 +│ m1 +│/);
    expect(table.stdout).toMatch(/│ web +│ SHUTOFF +│ +│ N\/A \(booted from volume\) +│/);
    const json = await c.run(['server', 'list', '-f', 'json', '-c', 'Name', '-c', 'Status']);
    expect(JSON.parse(json.stdout)).toEqual([
      { Name: 'vm1', Status: 'ACTIVE' },
      { Name: 'web', Status: 'SHUTOFF' },
    ]);
    expect(c.tokensIssued()).toBe(2); // one per run: no token cache here
  });

  it('show resolves a name exactly, refetches by ID and prints the fields asked for', async () => {
    const c = cloud();
    c.pool
      .intercept({ path: `/v2.1/servers/detail?name=${encodeURIComponent('^vm1$')}`, method: 'GET' })
      .reply(200, { servers: [VM1, { ...VM1, id: 'x', name: 'VM1' }] });
    c.pool
      .intercept({ path: `/v2.1/servers/${VM1.id}`, method: 'GET' })
      .reply(200, { server: { ...VM1, server_groups: [] } });
    const r = await c.run(['server', 'show', 'vm1', '-f', 'value', '-c', 'name', '-c', 'status']);
    expect(r).toEqual({ code: 0, stdout: 'vm1\nACTIVE\n', stderr: '' });
  });

  it('show of an unknown name is one line, exit 1', async () => {
    const c = cloud();
    c.pool.intercept({ path: /\/v2\.1\/servers\/detail\?name=/, method: 'GET' }).reply(200, { servers: [] });
    const r = await c.run(['server', 'show', 'ghost']);
    expect(r).toEqual({ code: 1, stdout: '', stderr: "ncli: No server with a name or ID of 'ghost' exists.\n" });
  });

  it('a bad option value is a usage error (exit 2) before any request', async () => {
    const agent = mockAgent(); // no interceptor: any request would fail the test
    const r = await runNcli(['server', 'list', '--limit', 'ten'], {}, { dispatcher: agent, tokenStore: null });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--limit takes a whole number, not 'ten'.");
    const t = await runNcli(['--timeout', '0', 'server', 'list'], {}, { dispatcher: agent, tokenStore: null });
    expect(t).toMatchObject({ code: 2, stderr: "ncli: --timeout takes a positive number of seconds, not '0'.\n" });
  });
});

describe('flavor', () => {
  it('list shows public flavors; show finds one by name after its ID fails', async () => {
    const c = cloud();
    const m1 = { id: '1', name: 'm1.tiny', ram: 512, disk: 1, vcpus: 1, 'OS-FLV-EXT-DATA:ephemeral': 0 };
    c.pool.intercept({ path: '/v2.1/flavors/detail', method: 'GET' }).reply(200, { flavors: [m1] });
    const list = await c.run(['flavor', 'list', '-f', 'csv']);
    expect(list.stdout).toBe(
      '"ID","Name","RAM","Disk","Ephemeral","VCPUs","Is Public"\n"1","m1.tiny",512,1,0,1,True\n',
    );
    c.pool
      .intercept({ path: '/v2.1/flavors/m1.tiny', method: 'GET' })
      .reply(404, { itemNotFound: { code: 404, message: 'Flavor m1.tiny could not be found.' } });
    c.pool.intercept({ path: '/v2.1/flavors/detail?is_public=None', method: 'GET' }).reply(200, { flavors: [m1] });
    const show = await c.run(['flavor', 'show', 'm1.tiny', '-f', 'json']);
    expect(JSON.parse(show.stdout)).toMatchObject({ id: '1', ram: 512 });
  });
});

describe('token and auth', () => {
  it('token issue prints the token for scripts; auth logout --all says how many it dropped', async () => {
    const c = cloud({ versionDoc: false }); // Keystone only
    const r = await c.run(['token', 'issue', '-f', 'value', '-c', 'id']);
    expect(r).toEqual({ code: 0, stdout: 'tok1\n', stderr: '' });
    const env = { ...c.env, XDG_CACHE_HOME: '/nonexistent-ncli-test' };
    const out = await runNcli(['auth', 'logout', '--all'], env, { dispatcher: c.agent });
    expect(out).toEqual({ code: 0, stdout: '', stderr: 'Dropped 0 cached tokens.\n' });
  });
});

describe('completion', () => {
  it('completion bash prints the script that calls ncli __complete', async () => {
    const r = await runNcli(['completion', 'bash'], {});
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('__complete');
    expect(r.stdout).toContain('complete -F');
  });
});

describe('console', () => {
  async function proxy(onSession: (ws: WebSocket) => void): Promise<FakeProxy> {
    const p = await startFakeProxy({ onSession });
    cleanups.push(() => p.close());
    return p;
  }

  it('get-vnc resolves the server and prints Type and Url', async () => {
    const c = cloud();
    c.pool
      .intercept({ path: `/v2.1/servers/detail?name=${encodeURIComponent('^vm1$')}`, method: 'GET' })
      .reply(200, { servers: [VM1] });
    c.answer('POST', `/v2.1/servers/${VM1.id}/remote-consoles`, 200, {
      remote_console: { protocol: 'vnc', type: 'novnc', url: 'http://h:6080/vnc_auto.html?path=%3Ftoken%3Dt' },
    });
    const r = await c.run(['console', 'get-vnc', 'vm1', '-f', 'json']);
    expect(JSON.parse(r.stdout)).toEqual({
      protocol: 'vnc',
      type: 'novnc',
      url: 'http://h:6080/vnc_auto.html?path=%3Ftoken%3Dt',
    });
    expect(c.seen[0].body).toEqual({ remote_console: { protocol: 'vnc', type: 'novnc' } });
  });

  // a ws:// --url is a serial console: the ~. escape and raw mode without --type serial all the same
  it.each([
    ['--type serial', ['--type', 'serial']],
    ['a ws:// URL without --type serial', []],
  ])(
    'tunnel --stdio on a terminal (%s): raw mode once connected, ~. leaves, the terminal is restored',
    async (_, type) => {
      const got: Buffer[] = [];
      const p = await proxy((ws) => {
        ws.send(Buffer.from('login: '));
        ws.on('message', (d: Buffer) => got.push(d));
      });
      const stdin = new FakeTty();
      const run = runNcli(['console', 'tunnel', '--url', p.wsUrl('t'), ...type, '--stdio'], {}, {}, { stdin });
      await until(() => stdin.modes.length === 1, 5000, 'raw mode');
      stdin.write('root\r~.');
      const r = await run;
      expect(r).toEqual({ code: 0, stdout: 'login: ', stderr: 'Connected to console (type "~." to disconnect)\n' });
      expect(stdin.modes).toEqual([true, false]);
      expect(Buffer.concat(got).toString()).toBe('root\r');
    },
  );

  it('tunnel --stdio restores the terminal when the session is lost, and says so in one line', async () => {
    const p = await proxy((ws) => {
      ws.send(Buffer.from('login: '));
      setTimeout(() => ws.terminate(), 100);
    });
    const stdin = new FakeTty();
    const r = await runNcli(
      ['console', 'tunnel', '--url', p.wsUrl('t'), '--type', 'serial', '--stdio'],
      {},
      {},
      { stdin },
    );
    expect(r.code).toBe(1);
    expect(stdin.modes).toEqual([true, false]);
    expect(r.stderr.split('\n').filter(Boolean).pop()).toMatch(
      /^ncli: Lost the connection to the console proxy at ws:\/\/127\.0\.0\.1:\d+: .*after 7 bytes received\.$/,
    );
  });

  it('tunnel --stdio stops cleanly on SIGTERM, exit 0, terminal restored', async () => {
    const p = await proxy(() => {});
    const stdin = new FakeTty();
    const run = runNcli(['console', 'tunnel', '--url', p.wsUrl('t'), '--type', 'serial', '--stdio'], {}, {}, { stdin });
    await until(() => stdin.modes.length === 1, 5000, 'raw mode');
    const before = process.listenerCount('SIGTERM');
    process.emit('SIGTERM', 'SIGTERM');
    const r = await run;
    expect(r.code).toBe(0);
    expect(stdin.modes).toEqual([true, false]);
    expect(process.listenerCount('SIGTERM')).toBe(before - 1);
  });

  it('tunnel --stdio from a pipe: no raw mode, no escape: ~. is data', async () => {
    const got: Buffer[] = [];
    const p = await proxy((ws) => ws.on('message', (d: Buffer) => got.push(d)));
    const stdin = new PassThrough();
    const run = runNcli(['console', 'tunnel', '--url', p.wsUrl('t'), '--type', 'serial', '--stdio'], {}, {}, { stdin });
    stdin.end('~.\n');
    const r = await run;
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(Buffer.concat(got).toString()).toBe('~.\n');
  });

  it('tunnel with neither --local nor --stdio is a usage error naming both', async () => {
    const r = await runNcli(['console', 'tunnel', 'vm1'], {});
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'ncli: Say where the tunnel starts: --local [ADDR:]PORT (a local TCP port, 0 for any free one) or --stdio.\n',
    );
  });
});

describe('console screenshot', () => {
  it('asks Nova for a noVNC console, reads the screen, writes a PNG', async () => {
    const rfb = await FakeRfbServer.start({ width: 8, height: 4, name: 'vm1' });
    cleanups.push(() => rfb.close());
    const c = cloud();
    c.pool
      .intercept({ path: `/v2.1/servers/detail?name=${encodeURIComponent('^vm1$')}`, method: 'GET' })
      .reply(200, { servers: [VM1] });
    c.answer('POST', `/v2.1/servers/${VM1.id}/remote-consoles`, 200, {
      remote_console: { protocol: 'vnc', type: 'novnc', url: rfb.pageUrl },
    });
    const file = join(mkdtempSync(join(tmpdir(), 'ncli-shot-')), 'vm1.png');
    const r = await c.run(['console', 'screenshot', 'vm1', '-o', file]);
    expect(r).toEqual({ code: 0, stdout: '', stderr: `Saved the 8x4 console screen of vm1 to ${file}.\n` });
    const png = PNG.sync.read(readFileSync(file));
    expect([png.width, png.height]).toEqual([8, 4]);
  });

  it('asks Nova for a fresh console URL once when the proxy refuses the token, and writes to stdout with -o -', async () => {
    const refusing = await FakeRfbServer.start({ dropOnConnect: true });
    const good = await FakeRfbServer.start({ width: 4, height: 2 });
    cleanups.push(
      () => refusing.close(),
      () => good.close(),
    );
    const c = cloud();
    c.pool
      .intercept({ path: `/v2.1/servers/detail?name=${encodeURIComponent('^vm1$')}`, method: 'GET' })
      .reply(200, { servers: [VM1] });
    for (const url of [refusing.pageUrl, good.pageUrl]) {
      c.answer('POST', `/v2.1/servers/${VM1.id}/remote-consoles`, 200, {
        remote_console: { protocol: 'vnc', type: 'novnc', url },
      });
    }
    const r = await c.run(['console', 'screenshot', 'vm1', '-o', '-']);
    expect(r.code).toBe(0);
    expect(r.stdout.slice(1, 4)).toBe('PNG');
    expect(c.seen).toHaveLength(2);
    expect(refusing.sessions.length + good.sessions.length).toBeGreaterThanOrEqual(1);
  });

  it('will not write a PNG to a terminal, nor run without -o', async () => {
    const tty = await runNcli(['console', 'screenshot', 'vm1', '-o', '-'], {}, {}, { tty: true });
    expect(tty).toMatchObject({
      code: 2,
      stderr: 'ncli: Not writing a PNG to a terminal: give -o FILE.png, or redirect standard output.\n',
    });
    const none = await runNcli(['console', 'screenshot', 'vm1'], {});
    expect(none).toMatchObject({
      code: 2,
      stderr: 'ncli: Say where the PNG goes: -o FILE.png (or -o - for standard output).\n',
    });
  });
});
