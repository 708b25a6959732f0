import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { forwardLocal } from '../../../src/tunnel/forwarder.js';
import { parseListenSpec } from '../../../src/tunnel/listen-spec.js';
import {
  deobfuscateVncPassword,
  obfuscateVncPassword,
  readVncPasswordFile,
  randomVncPassword,
  vncAuthResponse,
} from '../../../src/tunnel/vnc-auth.js';
import { sleep, startFakeProxy, testOptions, until, type FakeProxy } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const SERVER_INIT = Buffer.concat([
  Buffer.from([0, 4, 0, 3]), // 1024x768
  Buffer.alloc(16, 7), // pixel format
  Buffer.from([0, 0, 0, 3]),
  Buffer.from('vm1'),
]);

/** What the fake console saw of our RFB client half. */
interface ProxySeen {
  version?: string;
  chosen?: number;
  clientInit?: number;
}

/**
 * A console proxy answering as Nova's VNC security proxy does (nova/console/securityproxy/rfb.py):
 * RFB 3.8, security types `offer` (default `[1]`), SecurityResult OK, then ServerInit after ClientInit.
 */
function rfbConsole(seen: ProxySeen[], offer = [1], version = 'RFB 003.008\n') {
  return (ws: WebSocket): void => {
    const s: ProxySeen = {};
    seen.push(s);
    let buf = Buffer.alloc(0);
    let state: 'version' | 'type' | 'init' | 'done' = 'version';
    ws.send(Buffer.from(version));
    ws.on('message', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        if (state === 'version' && buf.length >= 12) {
          s.version = buf.subarray(0, 12).toString();
          buf = buf.subarray(12);
          if (version.startsWith('RFB 003.003')) {
            ws.send(Buffer.from([0, 0, 0, offer[0]]));
            state = 'init';
          } else {
            ws.send(Buffer.from([offer.length, ...offer]));
            state = 'type';
          }
        } else if (state === 'type' && buf.length >= 1) {
          s.chosen = buf[0];
          buf = buf.subarray(1);
          if (version.startsWith('RFB 003.008')) ws.send(Buffer.from([0, 0, 0, 0]));
          state = 'init';
        } else if (state === 'init' && buf.length >= 1) {
          s.clientInit = buf[0];
          buf = buf.subarray(1);
          ws.send(SERVER_INIT);
          state = 'done';
        } else if (state === 'done' && buf.length) {
          ws.send(buf); // echo the rest
          buf = Buffer.alloc(0);
        } else break;
      }
    });
  };
}

/** A raw RFB client (RFC 6143 §7.1–7.3) over a local socket, reading exact byte counts. */
class RawViewer {
  private buf = Buffer.alloc(0);
  private ended = false;
  constructor(readonly sock: net.Socket) {
    sock.on('data', (d: Buffer) => (this.buf = Buffer.concat([this.buf, d])));
    sock.on('close', () => (this.ended = true));
    sock.on('error', () => {});
  }
  static connect(to: { port: number } | { path: string }): Promise<RawViewer> {
    return new Promise((resolve, reject) => {
      const sock = 'path' in to ? net.connect({ path: to.path }) : net.connect({ port: to.port, host: '127.0.0.1' });
      sock.once('connect', () => resolve(new RawViewer(sock)));
      sock.once('error', reject);
    });
  }
  async read(n: number): Promise<Buffer> {
    await until(() => this.buf.length >= n || this.ended, 5000, `${n} bytes`);
    if (this.buf.length < n) throw new Error(`closed after ${this.buf.length} of ${n} bytes`);
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }
  async closed(): Promise<void> {
    await until(() => this.ended, 5000, 'close');
  }
  /** Version, security type 2, the challenge answered with `password`; returns the SecurityResult. */
  async login(password: string, version = 'RFB 003.008\n'): Promise<{ status: number; reason?: string }> {
    expect((await this.read(12)).toString()).toBe('RFB 003.008\n');
    this.sock.write(version);
    if (version === 'RFB 003.003\n') {
      expect((await this.read(4)).readUInt32BE(0)).toBe(2);
    } else {
      const count = (await this.read(1))[0];
      expect([...(await this.read(count))]).toEqual([2]);
      this.sock.write(Buffer.from([2]));
    }
    const challenge = await this.read(16);
    this.sock.write(vncAuthResponse(Buffer.from(password), challenge));
    const status = (await this.read(4)).readUInt32BE(0);
    if (status === 0 || version !== 'RFB 003.008\n') return { status };
    const len = (await this.read(4)).readUInt32BE(0);
    return { status, reason: (await this.read(len)).toString() };
  }
}

async function tunnel(proxy: FakeProxy, password: string, listen: { host: string; port: number } | { path: string }) {
  const ac = new AbortController();
  const t = testOptions(async () => proxy.wsUrl('good'), {
    signal: ac.signal,
    vncPassword: Buffer.from(password),
  });
  const fwd = forwardLocal(listen, t.opts);
  cleanups.push(async () => {
    ac.abort();
    await fwd.done.catch(() => {});
  });
  const bound = await fwd.ready;
  return { ...t, ...fwd, bound, ac };
}

async function proxyWith(onSession: (ws: WebSocket) => void): Promise<FakeProxy> {
  const p = await startFakeProxy({ onSession });
  cleanups.push(() => p.close());
  return p;
}

describe('VNC authentication (RFC 6143 §7.2.2)', () => {
  it('encrypts the challenge with DES keyed by the bit-mirrored password', () => {
    // FIPS 81 / the classic DES vector: key 0123456789abcdef, "Now is t" → 3fa40e8a984d4815.
    // Mirrored bytes of that key are the "password" 80 c4 a2 e6 91 d5 b3 f7.
    const password = Buffer.from('80c4a2e691d5b3f7', 'hex');
    const challenge = Buffer.from('Now is tNow is t');
    expect(vncAuthResponse(password, challenge).toString('hex')).toBe('3fa40e8a984d4815'.repeat(2));
  });

  it('cuts passwords to 8 bytes and pads short ones with NULs', () => {
    const c = Buffer.alloc(16, 0x5a);
    expect(vncAuthResponse(Buffer.from('12345678-and-more'), c)).toEqual(vncAuthResponse(Buffer.from('12345678'), c));
    expect(vncAuthResponse(Buffer.from('abc'), c)).toEqual(vncAuthResponse(Buffer.from('abc\0\0\0\0\0'), c));
    expect(vncAuthResponse(Buffer.from('abc'), c)).not.toEqual(vncAuthResponse(Buffer.from('abd'), c));
  });

  it('reads and writes vncpasswd files ("password" is dbd83cfd727a1458, as vncpasswd -f writes it)', () => {
    expect(obfuscateVncPassword(Buffer.from('password')).toString('hex')).toBe('dbd83cfd727a1458');
    expect(deobfuscateVncPassword(Buffer.from('dbd83cfd727a1458', 'hex')).toString()).toBe('password');
    expect(deobfuscateVncPassword(obfuscateVncPassword(Buffer.from('abc'))).toString()).toBe('abc');
  });

  it('takes a password file as text (first line) or as a vncpasswd file, and warns when others can read it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ncli-vncpw-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const text = join(dir, 'pw.txt');
    writeFileSync(text, 's3cret\nignored\n', { mode: 0o600 });
    expect(readVncPasswordFile(text)).toEqual({ password: Buffer.from('s3cret') });
    const binary = join(dir, 'passwd');
    writeFileSync(binary, obfuscateVncPassword(Buffer.from('s3cret')), { mode: 0o644 });
    chmodSync(binary, 0o644);
    const read = readVncPasswordFile(binary);
    expect(read.password.toString()).toBe('s3cret');
    expect(read.warning).toMatch(/other users can read .*passwd; chmod 600/);
    expect(() => readVncPasswordFile(join(dir, 'missing'))).toThrow(
      /Cannot read the VNC password file .*missing: no such file/,
    );
    writeFileSync(text, '\n');
    expect(() => readVncPasswordFile(text)).toThrow(/holds no password/);
  });

  it('makes random 8-character passwords', () => {
    const a = randomVncPassword();
    expect(a).toMatch(/^[a-zA-Z2-9]{8}$/);
    expect(randomVncPassword()).not.toBe(a);
  });
});

describe('console tunnel --vnc-password', () => {
  it('lets a viewer with the password through, selecting None with the proxy, then relays', async () => {
    const seen: ProxySeen[] = [];
    const proxy = await proxyWith(rfbConsole(seen));
    const t = await tunnel(proxy, 'pa55word', { host: '127.0.0.1', port: 0 });
    const viewer = await RawViewer.connect(t.bound);
    expect(await viewer.login('pa55word')).toEqual({ status: 0 });
    viewer.sock.write(Buffer.from([1])); // ClientInit, shared
    expect(await viewer.read(SERVER_INIT.length)).toEqual(SERVER_INIT);
    viewer.sock.write('after the handshake');
    expect((await viewer.read(19)).toString()).toBe('after the handshake');
    expect(seen).toEqual([{ version: 'RFB 003.008\n', chosen: 1, clientInit: 1 }]);
    expect(t.err.text()).toBe('');
  });

  it('refuses a wrong password with RFB failure reason and one line on stderr, without dialing the proxy', async () => {
    const seen: ProxySeen[] = [];
    const proxy = await proxyWith(rfbConsole(seen));
    const t = await tunnel(proxy, 'pa55word', { host: '127.0.0.1', port: 0 });
    const viewer = await RawViewer.connect(t.bound);
    expect(await viewer.login('guessing')).toEqual({ status: 1, reason: 'Authentication failure' });
    await viewer.closed();
    expect(proxy.accepted).toHaveLength(0);
    expect(t.err.lines()).toEqual([
      expect.stringMatching(/^A VNC viewer gave a wrong password on \d+ \(connection 1\); it was refused\.$/),
    ]);
    // the tunnel still serves the right password afterwards
    const again = await RawViewer.connect(t.bound);
    expect(await again.login('pa55word')).toEqual({ status: 0 });
  });

  it('speaks RFB 3.3 to an old viewer (the type as a u32, no reason)', async () => {
    const seen: ProxySeen[] = [];
    const proxy = await proxyWith(rfbConsole(seen));
    const t = await tunnel(proxy, 'pw', { host: '127.0.0.1', port: 0 });
    const ok = await RawViewer.connect(t.bound);
    expect(await ok.login('pw', 'RFB 003.003\n')).toEqual({ status: 0 });
    const bad = await RawViewer.connect(t.bound);
    expect(await bad.login('nope', 'RFB 003.003\n')).toEqual({ status: 1 });
  });

  it('passes on a console that speaks RFB 3.3 upstream (QEMU without the security proxy can)', async () => {
    const seen: ProxySeen[] = [];
    const proxy = await proxyWith(rfbConsole(seen, [1], 'RFB 003.003\n'));
    const t = await tunnel(proxy, 'pw', { host: '127.0.0.1', port: 0 });
    const viewer = await RawViewer.connect(t.bound);
    expect(await viewer.login('pw')).toEqual({ status: 0 });
    viewer.sock.write(Buffer.from([1]));
    expect(await viewer.read(SERVER_INIT.length)).toEqual(SERVER_INIT);
    expect(seen[0]).toEqual({ version: 'RFB 003.003\n', clientInit: 1 });
  });

  it('tells the viewer why when the console offers no None', async () => {
    const seen: ProxySeen[] = [];
    const proxy = await proxyWith(rfbConsole(seen, [2, 19]));
    const t = await tunnel(proxy, 'pw', { host: '127.0.0.1', port: 0 });
    const viewer = await RawViewer.connect(t.bound);
    const result = await viewer.login('pw');
    expect(result.status).toBe(1);
    expect(result.reason).toMatch(/offers security types 2, 19, not None/);
    await viewer.closed();
    await until(() => t.err.text() !== '');
    expect(t.err.lines()).toHaveLength(1);
  });

  it('closes a client that is not a VNC viewer without a word on stderr', async () => {
    const proxy = await proxyWith(rfbConsole([]));
    const t = await tunnel(proxy, 'pw', { host: '127.0.0.1', port: 0 });
    const client = await RawViewer.connect(t.bound);
    await client.read(12);
    client.sock.write('GET / HTTP/1.1\r\n\r\n');
    await client.closed();
    await sleep(50);
    expect(t.err.text()).toBe('');
    expect(proxy.accepted).toHaveLength(0);
  });
});

describe('console tunnel --local unix:PATH', () => {
  function privateDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'ncli-sock-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  it('parses unix:PATH to an absolute path', () => {
    expect(parseListenSpec('unix:/run/x/vm1.sock')).toEqual({ path: '/run/x/vm1.sock' });
    expect(parseListenSpec('unix:rel.sock')).toEqual({ path: join(process.cwd(), 'rel.sock') });
    expect(() => parseListenSpec('unix:')).toThrow(/needs the path/);
    expect(() => parseListenSpec(`unix:/${'x'.repeat(120)}`)).toThrow(/longer than 103 bytes/);
  });

  it('listens on a 0600 socket in a 0700 folder it creates, and relays (with a VNC password too)', async () => {
    const path = join(privateDir(), 'sub', 'vm1.sock');
    const seen: ProxySeen[] = [];
    const proxy = await proxyWith(rfbConsole(seen));
    const t = await tunnel(proxy, 'pw', { path });
    expect(t.bound).toEqual({ path });
    expect(statSync(path).isSocket()).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(path, '..')).mode & 0o777).toBe(0o700);
    expect(t.out.lines()).toEqual([`Forwarding from unix:${path} -> vm1 (vnc)`]);
    const viewer = await RawViewer.connect({ path });
    expect(await viewer.login('pw')).toEqual({ status: 0 });
    viewer.sock.write(Buffer.from([1]));
    expect(await viewer.read(SERVER_INIT.length)).toEqual(SERVER_INIT);
    expect(t.out.lines()[1]).toBe(`Handling connection for unix:${path}`);
  });

  it('refuses a folder others can enter, naming the fix', async () => {
    const dir = privateDir();
    chmodSync(dir, 0o755);
    const proxy = await proxyWith(rfbConsole([]));
    const t = testOptions(async () => proxy.wsUrl('good'));
    const fwd = forwardLocal({ path: join(dir, 'vm1.sock') }, t.opts);
    await expect(fwd.ready).rejects.toThrow(
      /its folder .* is open to other users \(mode 755\); use a folder only you can enter/,
    );
    await expect(fwd.done).rejects.toThrow();
  });

  it('replaces a stale socket, but not a live one or a plain file', async () => {
    const dir = privateDir();
    const path = join(dir, 'vm1.sock');
    const proxy = await proxyWith(rfbConsole([]));
    // a live socket: another program listens there
    const other = net.createServer();
    await new Promise<void>((r) => other.listen(path, r));
    const live = forwardLocal({ path }, testOptions(async () => proxy.wsUrl('good')).opts);
    await expect(live.ready).rejects.toThrow(`Another program listens on the socket ${path}.`);
    await new Promise<void>((r) => other.close(() => r()));
    // a stale socket: its process was killed, the file stayed
    const killed = spawnSync(process.execPath, [
      '-e',
      `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`,
    ]);
    expect(killed.signal).toBe('SIGKILL');
    expect(statSync(path).isSocket()).toBe(true);
    const t = await tunnel(proxy, 'pw', { path });
    expect(t.bound).toEqual({ path });
    t.ac.abort();
    await t.done;
    // a plain file is left alone
    writeFileSync(path, 'mine');
    const file = forwardLocal({ path }, testOptions(async () => proxy.wsUrl('good')).opts);
    await expect(file.ready).rejects.toThrow(/a file that is not a socket is there/);
    expect(readFileSync(path, 'utf8')).toBe('mine');
  });

  it('removes its socket when it stops', async () => {
    const path = join(privateDir(), 'vm1.sock');
    const proxy = await proxyWith(rfbConsole([]));
    const t = await tunnel(proxy, 'pw', { path });
    t.ac.abort();
    await t.done;
    expect(statSync(path, { throwIfNoEntry: false })).toBeUndefined();
  });
});
