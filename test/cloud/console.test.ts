/**
 * Consoles against the real local cloud: console URLs from Nova (remote-consoles at 2.6+), Nova's
 * refusals, the console log, and tunnels end to end — a real VNC client (gvnccapture) through
 * `ncli console tunnel` to nova-novncproxy and TigerVNC, the RFB handshake and the serial console
 * over `--stdio`, `--url` without credentials, token renewal after `[consoleauth] token_ttl`
 * (30 s here), Ctrl-C, and the failure lines.
 */
import { copyFileSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import {
  CLOUD_DIR,
  ROOT,
  cloudEnv,
  cloudFacts,
  describeCloud,
  freshCache,
  ncli,
  openstack,
  run,
} from '../support/cloud.js';
import { bootServer, deleteServer, withSerialProxy } from '../support/cloud-api.js';
import { ncliInPty } from '../support/pty.js';
import { selfSignedCert } from '../support/tls.js';
import { until } from '../unit/tunnel/helpers.js';
import {
  freeVncPort,
  gvnccapture,
  pngSize,
  portIsFree,
  processGroupAlive,
  rfbHandshake,
  since,
  startNcli,
  type NcliChild,
} from '../support/console.js';

const NOVNC_URL = /^http:\/\/127\.0\.0\.1:6080\/vnc_auto\.html\?path=%3Ftoken%3D([0-9a-f-]{36})$/;
const SERIAL_URL = /^ws:\/\/127\.0\.0\.1:6083\/\?token=([0-9a-f-]{36})$/;
/** A console token value anywhere in a text (raw or percent-encoded after `token=`). */
const TOKEN_VALUE = /token(=|%3D)[0-9a-f]{8}-[0-9a-f]{4}/i;

/** One line on stderr, nothing else. */
function oneLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l !== '');
  expect(lines, stderr).toHaveLength(1);
  return lines[0];
}

describeCloud('consoles against the real cloud', () => {
  const env = cloudEnv({}, freshCache());
  const work = mkdtempSync(join(tmpdir(), 'ncli-console-test-'));
  const children: NcliChild[] = [];
  const start = (args: string[], e = env): NcliChild => {
    const c = startNcli(args, e);
    children.push(c);
    return c;
  };
  let facts: Record<string, string>;

  beforeAll(async () => {
    facts = cloudFacts();
    // warm the token cache so the timed runs below measure the console path
    expect((await ncli(['server', 'show', 'vm1', '-f', 'value', '-c', 'id'], env)).code).toBe(0);
  });

  afterEach(() => {
    for (const c of children.splice(0)) c.kill();
  });

  // -- URLs -------------------------------------------------------------------------

  it('get-vnc prints a Type/Url table with the noVNC URL, and -f json gives protocol, type, url', async () => {
    const t = await ncli(['console', 'get-vnc', 'vm1'], env);
    expect(t.stderr).toBe('');
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/│ Type\s+│ novnc\s+│/);
    const url = /│ Url\s+│ (\S+)\s+│/.exec(t.stdout)![1];
    expect(url).toMatch(NOVNC_URL);

    const j = await ncli(['console', 'get-vnc', 'vm1', '-f', 'json'], env);
    expect(j.code).toBe(0);
    const obj = JSON.parse(j.stdout) as Record<string, string>;
    expect(Object.keys(obj)).toEqual(['protocol', 'type', 'url']);
    expect(obj.protocol).toBe('vnc');
    expect(obj.type).toBe('novnc');
    expect(obj.url).toMatch(NOVNC_URL);
    expect(obj.url).not.toBe(url); // a new token each time

    const v = await ncli(['console', 'get-vnc', facts.VM1_ID, '-f', 'value', '-c', 'url'], env);
    expect(v.stdout.trim()).toMatch(NOVNC_URL);
  });

  it('get-vnc --debug shows the remote-consoles request at 2.6+ but never the token', async () => {
    const r = await ncli(['--debug', 'console', 'get-vnc', 'vm1', '-f', 'value', '-c', 'url'], env);
    expect(r.code).toBe(0);
    const token = NOVNC_URL.exec(r.stdout.trim())![1];
    expect(r.stderr).toMatch(/REQ: POST http:\/\/127\.0\.0\.1:8774\/v2\.1\/servers\/[0-9a-f-]+\/remote-consoles/);
    expect(r.stderr).toMatch(/OpenStack-API-Version: compute 2\.\d+/);
    expect(r.stderr).toContain('"remote_console":{"protocol":"vnc","type":"novnc"}');
    expect(r.stderr).not.toContain(token);
    expect(r.stderr).not.toMatch(TOKEN_VALUE);
  });

  it('get-serial prints the serial proxy WebSocket URL', async () => {
    const r = await ncli(['console', 'get-serial', 'vm1', '-f', 'json'], env);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      protocol: 'serial',
      type: 'serial',
      url: expect.stringMatching(SERIAL_URL),
    });
  });

  it("get-mks (a console type this cloud keeps off): Nova's refusal as one line, exit 1", async () => {
    const r = await ncli(['console', 'get-mks', 'vm1'], env);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const line = oneLine(r.stderr);
    expect(line).toMatch(
      /^ncli: Cannot get a webmks console for server vm1: this cloud has the mks console type turned off/,
    );
    expect(line).toContain('Nova: "Unavailable console type webmks."');
    expect(line).toMatch(/HTTP 400, request req-[0-9a-f-]+\)\.$/);
  });

  it('get-rdp and get-mks: refused as one line, exit 1', async () => {
    const rdp = await ncli(['console', 'get-rdp', 'vm1'], env);
    expect(rdp.code).toBe(1);
    expect(oneLine(rdp.stderr)).toMatch(
      /^ncli: Cannot get an rdp-html5 console for server vm1: .*Hyper-V.*Unavailable console type rdp-html5\./,
    );
    const mks = await ncli(['console', 'get-mks', 'vm1'], env);
    expect(mks.code).toBe(1);
    expect(oneLine(mks.stderr)).toMatch(
      /^ncli: Cannot get a webmks console for server vm1: this cloud has the mks console type turned off.*Unavailable console type webmks\./,
    );
    const xvp = await ncli(['console', 'get-vnc', 'vm1', '--type', 'xvpvnc'], env);
    expect(xvp.code).toBe(1);
    expect(oneLine(xvp.stderr)).toMatch(/use --type novnc/);
  });

  it('get-spice --type spice-direct is refused before any console request, naming 2.99', async () => {
    const r = await ncli(['--debug', 'console', 'get-spice', 'vm1', '--type', 'spice-direct'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toContain('remote-consoles');
    expect(r.stderr).toMatch(
      /ncli: The spice-direct console needs compute API microversion 2\.99 or newer; this cloud supports up to 2\.\d+\.\n/,
    );
  });

  it('console log prints the console output, all of it or the last N lines (as openstack console log show)', async () => {
    const all = await ncli(['console', 'log', 'vm1'], env);
    expect(all.code).toBe(0);
    expect(all.stderr).toBe('');
    const oracle = await openstack(['console', 'log', 'show', 'vm1']);
    expect(all.stdout.trim()).toBe(oracle.stdout.trim());
    expect(all.stdout).toBe('FAKE CONSOLE OUTPUT\nANOTHER\nLAST LINE\n');
    const last = await ncli(['console', 'log', 'vm1', '--lines', '1'], env);
    expect(last.stdout).toBe('LAST LINE\n');
    const bad = await ncli(['console', 'log', 'vm1', '--lines', '0'], env);
    expect(bad.code).toBe(2);
  });

  it('an unknown server is one line, exit 1, for every console command', async () => {
    for (const args of [
      ['get-vnc', 'no-such-vm'],
      ['log', 'no-such-vm'],
      ['tunnel', 'no-such-vm', '--stdio'],
    ]) {
      const r = await ncli(['console', ...args], env);
      expect(r.code, args.join(' ')).toBe(1);
      expect(oneLine(r.stderr)).toBe("ncli: No server with a name or ID of 'no-such-vm' exists.");
    }
  });

  it('--open still prints the URL and only warns when no browser can be opened', async () => {
    const r = await ncli(
      ['console', 'get-vnc', 'vm1', '--open', '-f', 'value', '-c', 'url'],
      cloudEnv({ DISPLAY: undefined, WAYLAND_DISPLAY: undefined, BROWSER: undefined }),
    );
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(NOVNC_URL);
    expect(oneLine(r.stderr)).toMatch(/^Warning: cannot open the console in a browser: no graphical session here/);
    expect(r.stderr).not.toMatch(TOKEN_VALUE);
  });

  it('--open hands the URL to the desktop opener ($BROWSER here)', async () => {
    const { writeFileSync, readFileSync, existsSync, chmodSync } = await import('node:fs');
    const browser = join(work, 'browser.sh');
    const got = join(work, 'browser.out');
    writeFileSync(browser, `#!/bin/sh\necho "$1" > '${got}'\n`);
    chmodSync(browser, 0o755);
    const r = await ncli(
      ['console', 'get-vnc', 'vm1', '--open', '-f', 'value', '-c', 'url'],
      cloudEnv({ BROWSER: browser, DISPLAY: undefined }),
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    for (let i = 0; i < 50 && !existsSync(got); i++) await new Promise((res) => setTimeout(res, 100));
    expect(readFileSync(got, 'utf8').trim()).toBe(r.stdout.trim());
  });

  // -- tunnels, end to end ------------------------------------------------------

  it('tunnel --local PORT --once: the real VNC client saves a 640x480 PNG through it, then the tunnel exits 0', async () => {
    const port = await freeVncPort();
    const t0 = performance.now();
    const tun = start(['console', 'tunnel', 'vm1', '--local', String(port), '--once']);
    const m = await tun.waitFor(/^Forwarding from 127\.0\.0\.1:(\d+) -> vm1 \(vnc\)$/m);
    const ready = since(t0);
    expect(Number(m[1])).toBe(port);
    const png = join(work, 'once.png');
    const t1 = performance.now();
    const cap = await gvnccapture(port, png);
    const captured = since(t1);
    expect(cap.code, cap.stderr + cap.stdout).toBe(0);
    expect(pngSize(png)).toEqual({ width: 640, height: 480 });
    const exit = await tun.exited;
    expect(exit.code).toBe(0);
    expect(tun.stdout()).toBe(`Forwarding from 127.0.0.1:${port} -> vm1 (vnc)\nHandling connection for ${port}\n`);
    expect(tun.stderr()).toBe('');
    expect(await portIsFree(port)).toBe(true);
    console.log(`tunnel listening after ${ready} ms; gvnccapture through it took ${captured} ms`);
  });

  it('tunnel --local 0 picks a free port and says which', async () => {
    const tun = start(['console', 'tunnel', 'vm1', '--local', '0', '--once']);
    const m = await tun.waitFor(/^Forwarding from 127\.0\.0\.1:(\d+) -> vm1 \(vnc\)$/m);
    const port = Number(m[1]);
    expect(port).toBeGreaterThan(0);
    // first byte through the tunnel: the RFB ProtocolVersion from TigerVNC via nova-novncproxy
    const t0 = performance.now();
    const first = await new Promise<Buffer>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('data', (d) => {
        resolve(d);
        s.end();
      });
      s.once('error', reject);
    });
    console.log(`time to first byte through the tunnel: ${since(t0)} ms`);
    expect(first.toString('latin1')).toBe('RFB 003.008\n');
    expect((await tun.exited).code).toBe(0);
  });

  it('several VNC clients at once through one tunnel, then Ctrl-C exits 0 and frees the port', async () => {
    const port = await freeVncPort();
    const tun = start(['console', 'tunnel', 'vm1', '--local', String(port)]);
    await tun.waitFor(/^Forwarding from/m);
    const files = [1, 2, 3].map((i) => join(work, `multi-${i}.png`));
    const t0 = performance.now();
    const caps = await Promise.all(files.map((f) => gvnccapture(port, f)));
    console.log(`3 parallel gvnccapture through one tunnel: ${since(t0)} ms`);
    for (const c of caps) expect(c.code, c.stderr).toBe(0);
    for (const f of files) expect(pngSize(f)).toEqual({ width: 640, height: 480 });
    expect(tun.stdout().match(/^Handling connection for \d+$/gm)).toHaveLength(3);
    tun.child.kill('SIGINT');
    const t1 = performance.now();
    const exit = await tun.exited;
    console.log(`exit after SIGINT: ${since(t1)} ms`);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(tun.stderr()).toBe('');
    expect(await portIsFree(port)).toBe(true);
  });

  it('Ctrl-C with a VNC client still connected: the client sees the end, ncli exits 0', async () => {
    const tun = start(['console', 'tunnel', 'vm1', '--local', '0']);
    const port = Number((await tun.waitFor(/^Forwarding from 127\.0\.0\.1:(\d+)/m))[1]);
    const sock = net.connect(port, '127.0.0.1');
    const ended = new Promise<string>((resolve) => {
      let got = '';
      sock.on('data', (d) => (got += d.toString('latin1')));
      sock.on('end', () => resolve(got));
      sock.on('error', () => resolve(got));
    });
    await tun.waitFor(/^Handling connection for/m);
    await new Promise((r) => setTimeout(r, 500));
    const t0 = performance.now();
    tun.child.kill('SIGINT');
    const exit = await tun.exited;
    console.log(`exit after SIGINT with a live session: ${since(t0)} ms`);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(await ended).toBe('RFB 003.008\n');
    sock.destroy();
    expect(await portIsFree(port)).toBe(true);
  });

  it('--viewer opens vnc://127.0.0.1:PORT with the desktop opener once listening', async () => {
    const { writeFileSync, readFileSync, existsSync, chmodSync } = await import('node:fs');
    const viewer = join(work, 'viewer.sh');
    const got = join(work, 'viewer.out');
    writeFileSync(viewer, `#!/bin/sh\necho "$1" > '${got}'\n`);
    chmodSync(viewer, 0o755);
    const tun = start(
      ['console', 'tunnel', 'vm1', '--local', '0', '--viewer'],
      cloudEnv({ BROWSER: viewer, DISPLAY: undefined }),
    );
    const port = Number((await tun.waitFor(/^Forwarding from 127\.0\.0\.1:(\d+)/m))[1]);
    for (let i = 0; i < 50 && !existsSync(got); i++) await new Promise((res) => setTimeout(res, 100));
    expect(readFileSync(got, 'utf8').trim()).toBe(`vnc://127.0.0.1:${port}`);
    tun.child.kill('SIGTERM');
    expect((await tun.exited).code).toBe(0);
    expect(tun.stderr()).toBe('');
  });

  it('--viewer without a graphical session warns, and the tunnel keeps running', async () => {
    const tun = start(
      ['console', 'tunnel', 'vm1', '--local', '0', '--viewer'],
      cloudEnv({ BROWSER: undefined, DISPLAY: undefined, WAYLAND_DISPLAY: undefined }),
    );
    const port = Number((await tun.waitFor(/^Forwarding from 127\.0\.0\.1:(\d+)/m))[1]);
    await tun.waitFor(
      /^Warning: cannot open a VNC viewer: no graphical session here .*point a VNC viewer at 127\.0\.0\.1:\d+ yourself\.$/m,
      { stream: 'stderr' },
    );
    expect(await portIsFree(port)).toBe(false);
    tun.child.kill('SIGINT');
    expect((await tun.exited).code).toBe(0);
  });

  it('tunnel --stdio carries the RFB handshake: 640x480, "devcloud-vm1"', async () => {
    const t0 = performance.now();
    const tun = start(['console', 'tunnel', 'vm1', '--stdio']);
    const init = await rfbHandshake(
      (n) => tun.read(n),
      (b) => tun.child.stdin.write(b),
    );
    console.log(`--stdio: ServerInit ${since(t0)} ms after spawning ncli`);
    expect(init).toEqual({
      version: 'RFB 003.008\n',
      securityTypes: [1],
      width: 640,
      height: 480,
      name: 'devcloud-vm1',
    });
    tun.child.stdin.end();
    const exit = await tun.exited;
    expect(exit.code).toBe(0);
    expect(tun.stderr()).toBe('');
  });

  it('tunnel --stdio --type serial: the login prompt, then the echo of what we type', async () => {
    const tun = start(['console', 'tunnel', 'vm1', '--stdio', '--type', 'serial']);
    await tun.waitFor(/devcloud-vm1 login: $/);
    expect(tun.stdout()).toBe('\r\ndevcloud-vm1 login: ');
    tun.child.stdin.write('hello\n');
    await tun.waitFor(/login: hello\n$/);
    tun.child.stdin.end();
    expect((await tun.exited).code).toBe(0);
    expect(tun.stderr()).toBe(''); // not a TTY: no escape banner
  });

  it('tunnel --stdio --type serial in a terminal: raw mode, a banner on stderr, ~. disconnects with exit 0', async () => {
    const r = await ncliInPty(
      ['console', 'tunnel', 'vm1', '--type', 'serial', '--stdio'],
      [{ until: 'login: ', seconds: 20, write: 'abc\r' }, { until: 'abc\r', seconds: 5, write: '~.' }, { seconds: 10 }],
      env,
    );
    const { screen: seen, code } = r;
    expect(code, r.screen + r.stderr).toBe('0');
    expect(seen).toContain('Connected to console (type "~." to disconnect)');
    expect(seen).toContain('devcloud-vm1 login: abc\\r');
    expect(seen.split('login: abc')[1]).not.toContain('~'); // the escape never reached the console
  });

  it('tunnel --url with a URL from get-vnc works with no credentials at all', async () => {
    const url = (await ncli(['console', 'get-vnc', 'vm1', '-f', 'value', '-c', 'url'], env)).stdout.trim();
    expect(url).toMatch(NOVNC_URL);
    const bare: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('OS_')) bare[k] = v;
    bare.XDG_CACHE_HOME = freshCache();
    bare.HOME = work; // no ~/.config/openstack/clouds.yaml either
    const port = await freeVncPort();
    const tun = start(['--debug', 'console', 'tunnel', '--url', url, '--local', String(port), '--once'], bare);
    await tun.waitFor(/^Forwarding from 127\.0\.0\.1:\d+ -> ws:\/\/127\.0\.0\.1:6080$/m);
    const png = join(work, 'url.png');
    const cap = await gvnccapture(port, png);
    expect(cap.code, cap.stderr).toBe(0);
    expect(pngSize(png)).toEqual({ width: 640, height: 480 });
    expect((await tun.exited).code).toBe(0);
    expect(tun.stderr()).not.toMatch(/REQ:/); // neither Keystone nor Nova was asked
    expect(tun.stderr()).not.toMatch(TOKEN_VALUE);
  });

  it(
    'renews the console URL after the token TTL: a new connection 30+ s later still works',
    async () => {
      const ttl = Number(facts.CONSOLE_TOKEN_TTL ?? 30);
      const port = await freeVncPort();
      const tun = start(['--debug', 'console', 'tunnel', 'vm1', '--local', String(port)]);
      await tun.waitFor(/^Forwarding from/m);
      const first = await gvnccapture(port, join(work, 'ttl-1.png'));
      expect(first.code, first.stderr).toBe(0);
      expect(tun.stderr()).not.toContain('asking Nova for a fresh console URL');
      await new Promise((r) => setTimeout(r, (ttl + 3) * 1000));
      const t0 = performance.now();
      const second = await gvnccapture(port, join(work, 'ttl-2.png'));
      console.log(`connection after the token expired (refused, renewed, replayed): ${since(t0)} ms`);
      expect(second.code, second.stderr).toBe(0);
      expect(pngSize(join(work, 'ttl-2.png'))).toEqual({ width: 640, height: 480 });
      const err = tun.stderr();
      expect(err).toContain('refused the console token (expired?); asking Nova for a fresh console URL');
      expect(err).toMatch(/dialing ws:\/\/127\.0\.0\.1:6080\/\?token=\S+ \(attempt 2, fresh token\)/);
      expect(err.match(/REQ: POST \S+\/remote-consoles/g)).toHaveLength(2);
      expect(err).not.toMatch(TOKEN_VALUE);
      tun.child.kill('SIGTERM');
      expect((await tun.exited).code).toBe(0);
    },
    (30 + 3) * 1000 + 60_000,
  );

  // -- failures ---------------------------------------------------------------------

  it('a port in use: one line naming the port, exit 1, within seconds', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const t0 = performance.now();
      const r = await ncli(['console', 'tunnel', 'vm1', '--local', String(port)], env, { timeoutMs: 15_000 });
      expect(since(t0)).toBeLessThan(10_000);
      expect(r.code).toBe(1);
      expect(oneLine(r.stderr)).toBe(
        `ncli: Port ${port} is already in use on 127.0.0.1; pick another with --local PORT, or --local 0 for a free one.`,
      );
      expect(r.stdout).toBe('');
    } finally {
      blocker.close();
    }
  });

  it('--local garbage is a usage error, exit 2', async () => {
    for (const spec of ['abc', '99999', 'example.com:5901', ':5901']) {
      const r = await ncli(['console', 'tunnel', 'vm1', '--local', spec], env);
      expect(r.code, spec).toBe(2);
      expect(oneLine(r.stderr)).toMatch(/^ncli: --local: Invalid listen address ".*"/);
    }
  });

  it('usage errors: SERVER and --url, neither, --local and --stdio, neither', async () => {
    const cases: [string[], RegExp][] = [
      [['vm1', '--url', 'ws://127.0.0.1:6080/?token=x', '--stdio'], /either a SERVER or --url URL, not both/],
      [['--stdio'], /a SERVER name or ID, or --url URL/],
      [['vm1', '--local', '0', '--stdio'], /one of --local \[ADDR:\]PORT and --stdio, not both/],
      [['vm1'], /--local \[ADDR:\]PORT .* or --stdio/],
      [['vm1', '--stdio', '--once'], /--once goes with --local/],
      [
        ['vm1', '--local', '0', '--type', 'serial', '--viewer'],
        /--viewer opens a VNC or SPICE viewer; a serial console goes with --stdio/,
      ],
      [
        ['--url', 'ftp://x/?token=secret-token', '--stdio'],
        /^ncli: --url: Cannot use console URL "ftp:\/\/x\/\?token=(\*\*\*|<redacted>)"/,
      ],
    ];
    for (const [args, re] of cases) {
      const r = await ncli(['console', 'tunnel', ...args], env);
      expect(r.code, args.join(' ')).toBe(2);
      expect(oneLine(r.stderr)).toMatch(re);
    }
  });

  it('--url with a bogus token: "refused the console token", exit 1', async () => {
    const t0 = performance.now();
    const r = await ncli(
      ['console', 'tunnel', '--url', 'ws://127.0.0.1:6080/?token=bogus', '--stdio'],
      cloudEnv({ OS_CLOUD: undefined, OS_CLIENT_CONFIG_FILE: undefined }),
      {
        input: 'RFB 003.008\n',
      },
    );
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(
      /^ncli: The console proxy at ws:\/\/127\.0\.0\.1:6080 refused the console token .*\(invalid or expired\)/,
    );
    expect(r.stderr).not.toContain('bogus');
    expect(since(t0)).toBeLessThan(10_000);
  });

  it('a tunnel to a console Nova refuses (type unavailable) fails before listening', async () => {
    // every tunnel type is on in this cloud; the fake driver refuses all consoles of servers named
    // fail-console* with the same 400 "Unavailable console type ..." (scripts/cloud/py/devcloud_driver.py)
    const name = `fail-console-tunnel-${process.pid}`;
    const server = await bootServer(name);
    try {
      const port = await freeVncPort();
      const r = await ncli(['console', 'tunnel', name, '--type', 'spice-html5', '--local', String(port)], env);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(oneLine(r.stderr)).toMatch(
        new RegExp(
          `^ncli: Cannot get a spice-html5 console for server ${name}: this cloud has the spice console type turned off`,
        ),
      );
      expect(await portIsFree(port)).toBe(true);
    } finally {
      await deleteServer(server.id);
    }
  });
});

// -- TLS settings reach the tunnel (a local wss:// echo "proxy"; needs no cloud) ----------

describe('console tunnel --url over wss://: --os-cacert, OS_CACERT and --insecure', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ncli-console-tls-'));
  const cert = join(dir, 'cert.pem');
  let server: https.Server;
  let wsUrl: string;
  const bare: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('OS_')) bare[k] = v;
  bare.XDG_CACHE_HOME = dir;

  beforeAll(async () => {
    const tls = selfSignedCert();
    copyFileSync(tls.certFile, cert);
    server = https.createServer({ cert: tls.cert, key: tls.key });
    const wss = new WebSocketServer({ server, handleProtocols: (p) => (p.has('binary') ? 'binary' : false) });
    wss.on('connection', (ws) => {
      ws.send(Buffer.from('hello over tls\n'));
      ws.on('message', (d) => ws.send(d as Buffer));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    wsUrl = `wss://127.0.0.1:${(server.address() as net.AddressInfo).port}/?token=t0k3n`;
  });
  afterAll(() => {
    server?.closeAllConnections();
    server?.close();
  });

  it('refuses an unknown CA as one line, exit 1', async () => {
    const r = await ncli(['console', 'tunnel', '--url', wsUrl, '--stdio'], bare, { input: 'x' });
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(
      /^ncli: Cannot verify the TLS connection to the console proxy at wss:\/\/127\.0\.0\.1:\d+: .*(--insecure)/,
    );
    expect(r.stderr).not.toContain('t0k3n');
  });

  it('trusts the CA given with --os-cacert or OS_CACERT', async () => {
    const a = await ncli(['--os-cacert', cert, 'console', 'tunnel', '--url', wsUrl, '--stdio'], bare, {
      input: 'ping\n',
    });
    expect(a.stderr).toBe('');
    expect(a.code).toBe(0);
    expect(a.stdout).toBe('hello over tls\nping\n');
    const b = await ncli(
      ['console', 'tunnel', '--url', wsUrl, '--stdio'],
      { ...bare, OS_CACERT: cert },
      { input: 'pong\n' },
    );
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toBe('hello over tls\npong\n');
  });

  it('skips verification with --insecure', async () => {
    const r = await ncli(['--insecure', 'console', 'tunnel', '--url', wsUrl, '--stdio'], bare, { input: 'x\n' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('hello over tls\nx\n');
  });

  it('says so when the CA file cannot be read', async () => {
    const r = await ncli(
      ['--os-cacert', join(dir, 'missing.pem'), 'console', 'tunnel', '--url', wsUrl, '--stdio'],
      bare,
    );
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toBe(
      `ncli: Cannot read the CA bundle ${join(dir, 'missing.pem')} (--os-cacert / OS_CACERT / clouds.yaml cacert): no such file or directory: ${join(dir, 'missing.pem')}.`,
    );
  });
});

describeCloud('serial consoles that keep their output', () => {
  const env = cloudEnv({}, freshCache());
  const work = mkdtempSync(join(tmpdir(), 'ncli-serial-log-'));
  const children: NcliChild[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) c.kill();
  });

  it(
    '--log keeps both sessions when nova-serialproxy restarts, and --stdio reconnects by itself',
    // every step waits for its event; the deadlines are for a loaded machine (the harness's
    // restart waits for another run's up.sh to finish first, which takes minutes there)
    { timeout: 600_000 },
    async () => {
      const log = join(work, 'vm1.log');
      const tun = startNcli(['console', 'tunnel', 'vm1', '--type', 'serial', '--stdio', '--log', log], env);
      children.push(tun);
      await tun.waitFor(/devcloud-vm1 login: $/, { ms: 60_000 });
      const t0 = performance.now();
      // the exclusive serial-proxy lock: no other test file connects to the proxy while it is down
      await withSerialProxy(
        async () => {
          // restart the real proxy: stop it, then let the harness start it again (it restarts what died)
          const proxy = Number(readFileSync(join(CLOUD_DIR, 'run', 'nova-serialproxy.pid'), 'utf8').trim());
          process.kill(-proxy, 'SIGTERM'); // its process group: the harness starts each service with setsid
          await tun.waitFor(/^--- console lost .*; reconnecting in .* ---$/m, { stream: 'stderr', ms: 60_000 });
          // ncli's reconnects are bounded (8 attempts, ~40 s of backoff) and the harness may take longer
          // than that to bring the proxy back on a loaded machine: ncli stands still until the proxy is
          // back, then its next attempt must reconnect by itself
          tun.child.kill('SIGSTOP');
          try {
            // the harness starts only a proxy that is gone: wait until the whole process group has exited
            await until(() => !processGroupAlive(proxy), 60_000, `nova-serialproxy (process group ${proxy}) to exit`);
            // the proxy alone, not the whole of up.sh: other test files meet it down for seconds only
            const up = await run(
              'bash',
              [join(ROOT, 'scripts/cloud/restart-proxy.sh'), 'nova-serialproxy'],
              process.env as Record<string, string>,
              { timeoutMs: 480_000 },
            );
            expect(up.code, up.stderr).toBe(0);
          } finally {
            tun.child.kill('SIGCONT');
          }
        },
        { exclusive: true },
      );
      await tun.waitFor(/^--- reconnected to the console ---$/m, { stream: 'stderr', ms: 120_000 });
      console.log(
        `serial reconnect: ${since(t0)} ms from the proxy's stop to the new session (harness restart included)`,
      );
      await tun.waitFor(/login: [\s\S]*login: $/, { ms: 60_000 });
      tun.child.stdin.write('after-restart\n');
      await tun.waitFor(/after-restart\n$/, { ms: 60_000 });
      tun.child.stdin.end();
      expect((await tun.exited).code).toBe(0);
      const text = readFileSync(log, 'utf8');
      expect(text.match(/^--- \d{4}-\d\d-\d\dT[\d:.]+Z connected to vm1 \(serial\) ---$/gm)).toHaveLength(2);
      expect(text.match(/^--- [\dT:.Z-]+ disconnected \(.+\) ---$/gm)!.length).toBeGreaterThanOrEqual(2);
      expect(text).toContain('devcloud-vm1 login: ');
      expect(text).toContain('after-restart');
      expect(statSync(log).mode & 0o777).toBe(0o600);
    },
  );

  it('console log --follow prints the log once, then only what is new, until Ctrl-C (exit 0)', async () => {
    const once = await ncli(['console', 'log', 'vm1'], env);
    expect(once.code).toBe(0);
    const tun = startNcli(['console', 'log', 'vm1', '--follow', '--interval', '0.5'], env);
    children.push(tun);
    await tun.waitFor(
      new RegExp(
        once.stdout
          .trim()
          .split('\n')
          .pop()!
          .replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
      ),
    );
    await new Promise((r) => setTimeout(r, 1500)); // three more polls: the fake driver's log does not change
    tun.child.kill('SIGINT');
    expect((await tun.exited).code).toBe(0);
    expect(tun.stdout().trim()).toBe(once.stdout.trim());
  });
});
