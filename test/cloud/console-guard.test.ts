/**
 * The two protections of a tunnel on a shared jump host, against the real cloud's VNC console
 * (nova-novncproxy): `--vnc-password` checked with real viewers (gtk-vnc's gvnccapture, which
 * reads a password from its terminal; TigerVNC's `vncviewer -passwd` under Xvfb) and a raw RFB
 * client; `--local unix:PATH` reached over the socket.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, expect, it } from 'vitest';
import { obfuscateVncPassword, vncAuthResponse } from '../../src/tunnel/vnc-auth.js';
import { cloudEnv, describeCloud, freshCache, ncli, run } from '../support/cloud.js';
import {
  GVNCCAPTURE,
  freeVncPort,
  pngSize,
  rfbHandshake,
  socketReader,
  startNcli,
  type NcliChild,
} from '../support/console.js';

const VNCVIEWER = '/usr/bin/vncviewer';
const XVFB = '/usr/bin/Xvfb';

/** How a {@link gvnccaptureWithPassword} run ended. */
interface CaptureRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The terminal's transcript (its name, prompts, gvnccapture's lines). */
  output: string;
  /** Whether the password was typed (at a prompt with echo off). */
  typed: boolean;
}

/** Whether the terminal `tty` has echo off (`stty -a`: `-echo`). */
function echoOff(tty: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('stty', ['-a', '-F', tty], (err, stdout) => resolve(!err && /(^|\s)-echo(\s|$)/.test(stdout)));
  });
}

/**
 * gvnccapture in a terminal (script(1); it reads the password from one), typing `password` at its
 * prompt. gtk-vnc's gvnccapture (tools/gvnccapture.c `do_vnc_get_credential`) prints "Password: "
 * and only then turns echo off with `tcsetattr(TCSAFLUSH)`, which discards what was typed before:
 * a password typed as soon as the prompt shows could come first on a loaded machine, and
 * gvnccapture then waited for a line that never came (killed at 30 s, the tunnel saw the viewer
 * leave: seen in CI). So the password is typed once the terminal's echo is off (`stty -a -F`).
 */
function gvnccaptureWithPassword(port: number, file: string, password: string): Promise<CaptureRun> {
  const cmd = `tty; exec ${GVNCCAPTURE} 127.0.0.1:${port - 5900} ${file}`;
  return new Promise((resolve) => {
    const child = spawn('script', ['-qec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let typed = false;
    let waiting = false;
    let exited = false;
    const typeWhenEchoOff = async (tty: string): Promise<void> => {
      waiting = true;
      while (!exited && !(await echoOff(tty))) await new Promise((r) => setTimeout(r, 20));
      if (exited) return;
      typed = true;
      child.stdin.write(`${password}\n`);
    };
    const onData = (d: Buffer): void => {
      output += d.toString();
      const tty = /^(\/dev\/pts\/\d+)\r?$/m.exec(output)?.[1];
      if (tty && !waiting && output.includes('Password:')) void typeWhenEchoOff(tty);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code, signal) => {
      exited = true;
      clearTimeout(timer);
      resolve({ code, signal, output, typed });
    });
  });
}

/** A capture run in words, for assertion messages. */
function described(what: string, r: CaptureRun): string {
  return `${what}: exit ${r.code}${r.signal ? ` (${r.signal})` : ''}, password ${r.typed ? 'typed' : 'never typed'}, output ${JSON.stringify(r.output)}`;
}

describeCloud('console tunnel on a shared jump host, against the real cloud', () => {
  const env = cloudEnv({}, freshCache());
  const work = mkdtempSync(join(tmpdir(), 'ncli-guard-test-'));
  const children: NcliChild[] = [];
  const start = (args: string[], e = env): NcliChild => {
    const c = startNcli(args, e);
    children.push(c);
    return c;
  };
  afterEach(() => {
    for (const c of children.splice(0)) c.kill();
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('--vnc-password FILE: gvnccapture with the password saves the screen; a wrong one is refused with one line', async () => {
    const pwFile = join(work, 'pw.txt');
    writeFileSync(pwFile, 'Tr0ub4dr\n', { mode: 0o600 });
    const port = await freeVncPort();
    const tun = start(['console', 'tunnel', 'vm1', '--local', String(port), '--vnc-password', pwFile]);
    await tun.waitFor(/^Forwarding from 127\.0\.0\.1:\d+ -> vm1 \(vnc\)$/m, { ms: 30_000 });

    const png = join(work, 'guarded.png');
    const good = await gvnccaptureWithPassword(port, png, 'Tr0ub4dr');
    const goodSaid = described('gvnccapture with the password', good);
    expect(good.output, goodSaid).toContain(`Saved display to ${png}`);
    expect(good.code, goodSaid).toBe(0);
    expect(pngSize(png)).toEqual({ width: 640, height: 480 });

    const bad = await gvnccaptureWithPassword(port, join(work, 'nope.png'), 'guess');
    const badSaid = described('gvnccapture with a wrong password', bad);
    // it answered and was refused: it ended by itself, not killed at the prompt
    expect(bad.signal, badSaid).toBeNull();
    expect(bad.code, badSaid).toBe(1);
    expect(existsSync(join(work, 'nope.png'))).toBe(false);
    await tun
      .waitFor(/^A VNC viewer gave a wrong password on \d+ \(connection 2\); it was refused\.$/m, {
        stream: 'stderr',
      })
      .catch((e: Error) => {
        throw new Error(`${e.message}; ${badSaid}`);
      });
    expect(tun.stderr().split('\n').filter(Boolean), tun.stderr()).toHaveLength(1);
  }, 120_000);

  it('--vnc-password without FILE prints a random password once; a raw RFB client proves it and reaches "devcloud-vm1"', async () => {
    const tun = start(['console', 'tunnel', 'vm1', '--local', '0', '--vnc-password']);
    const [, password] = await tun.waitFor(/^VNC password for this tunnel: (\S{8})$/m, {
      stream: 'stderr',
      ms: 30_000,
    });
    const [, port] = await tun.waitFor(/^Forwarding from 127\.0\.0\.1:(\d+) -> vm1 \(vnc\)$/m);
    const sock = net.connect({ port: Number(port), host: '127.0.0.1' });
    const read = socketReader(sock);
    expect((await read(12)).toString()).toBe('RFB 003.008\n');
    sock.write('RFB 003.008\n');
    expect([...(await read(2))]).toEqual([1, 2]); // one type: VNC authentication
    sock.write(Buffer.from([2]));
    sock.write(vncAuthResponse(Buffer.from(password), await read(16)));
    expect((await read(4)).readUInt32BE(0)).toBe(0); // nova's SecurityResult, passed on
    sock.write(Buffer.from([1]));
    const init = await read(24);
    expect([init.readUInt16BE(0), init.readUInt16BE(2)]).toEqual([640, 480]);
    expect((await read(init.readUInt32BE(20))).toString()).toBe('devcloud-vm1');
    sock.destroy();
    expect(tun.stderr().match(/VNC password/g)).toHaveLength(1);
    expect(tun.stdout()).not.toContain(password);
  });

  it('NCLI_VNC_PASSWORD alone turns it on, with that password, printing none', async () => {
    const tun = start(['console', 'tunnel', 'vm1', '--local', '0'], { ...env, NCLI_VNC_PASSWORD: 'fr0mEnv' });
    const [, port] = await tun.waitFor(/^Forwarding from 127\.0\.0\.1:(\d+) -> vm1 \(vnc\)$/m, { ms: 30_000 });
    const login = async (password: string): Promise<number> => {
      const sock = net.connect({ port: Number(port), host: '127.0.0.1' });
      const read = socketReader(sock);
      await read(12);
      sock.write('RFB 003.008\n');
      expect([...(await read(2))]).toEqual([1, 2]);
      sock.write(Buffer.from([2]));
      sock.write(vncAuthResponse(Buffer.from(password), await read(16)));
      const status = (await read(4)).readUInt32BE(0);
      sock.destroy();
      return status;
    };
    expect(await login('fr0mEnv')).toBe(0);
    expect(await login('fr0mEnX')).toBe(1);
    await tun.waitFor(/wrong password/, { stream: 'stderr' });
    expect(tun.stderr()).not.toContain('fr0mEnv');
  });

  it('--vnc-password goes with --local and a VNC console (exit 2)', async () => {
    for (const [args, message] of [
      [['--stdio', '--vnc-password'], '--vnc-password goes with --local.'],
      [
        ['--local', '0', '--type', 'serial', '--vnc-password'],
        '--vnc-password protects VNC consoles; a serial console has no VNC handshake to guard.',
      ],
      [
        ['--local', 'unix:/tmp/x.sock', '--viewer'],
        '--viewer opens vnc://HOST:PORT; with --local unix:PATH point the viewer at the socket yourself.',
      ],
    ] as const) {
      const r = await ncli(['console', 'tunnel', 'vm1', ...args], env);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(message);
    }
  });

  it.skipIf(!existsSync(VNCVIEWER) || !existsSync(XVFB))(
    'TigerVNC (vncviewer -passwd, under Xvfb) gets through with a vncpasswd file, and is told "Authentication failure" without',
    async () => {
      const passwd = join(work, 'passwd');
      writeFileSync(passwd, obfuscateVncPassword(Buffer.from('s3cr3tpw')), { mode: 0o600 });
      const wrong = join(work, 'wrong');
      writeFileSync(wrong, obfuscateVncPassword(Buffer.from('n0tit')), { mode: 0o600 });
      const display = `:${100 + Math.floor(Math.random() * 800)}`;
      const xvfb = spawn(XVFB, [display, '-screen', '0', '800x600x24'], { stdio: 'ignore' });
      try {
        const tun = start(['console', 'tunnel', 'vm1', '--local', '0', '--vnc-password', passwd]);
        const [, port] = await tun.waitFor(/^Forwarding from 127\.0\.0\.1:(\d+) -> vm1 \(vnc\)$/m, { ms: 30_000 });
        const viewer = async (file: string, until: RegExp): Promise<string> => {
          const child = spawn(VNCVIEWER, ['-passwd', file, `127.0.0.1::${port}`], {
            env: { ...process.env, DISPLAY: display },
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          let log = '';
          return new Promise((resolve) => {
            const done = (): void => {
              clearTimeout(timer);
              child.kill('SIGKILL');
              resolve(log);
            };
            const timer = setTimeout(done, 20_000);
            const onData = (d: Buffer): void => {
              log += d.toString();
              if (until.test(log)) done();
            };
            child.stdout.on('data', onData);
            child.stderr.on('data', onData);
          });
        };
        const ok = await viewer(passwd, /Using pixel format depth \d+|Authentication failure/);
        expect(ok).toContain('Choosing security type VncAuth(2)');
        expect(ok).toMatch(/Using pixel format depth 24/);
        const refused = await viewer(wrong, /Authentication failure|Using pixel format depth \d+/);
        expect(refused).toContain('Authentication failure');
        await tun.waitFor(/wrong password/, { stream: 'stderr' });
      } finally {
        xvfb.kill('SIGKILL');
      }
    },
  );

  it('--local unix:PATH: a 0600 socket in a 0700 folder, the RFB handshake through it, removed on Ctrl-C', async () => {
    const path = join(work, 'run', 'vm1.sock');
    const tun = start(['console', 'tunnel', 'vm1', '--local', `unix:${path}`]);
    await tun.waitFor(new RegExp(`^Forwarding from unix:${path} -> vm1 \\(vnc\\)$`, 'm'), { ms: 30_000 });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(work, 'run')).mode & 0o777).toBe(0o700);
    const sock = net.connect({ path });
    const read = socketReader(sock);
    const init = await rfbHandshake(read, (b) => sock.write(b));
    expect(init).toMatchObject({ securityTypes: [1], width: 640, height: 480, name: 'devcloud-vm1' });
    sock.destroy();
    // socat takes a Unix socket too: the way to hand it to a tool that speaks TCP only
    const viaSocat = await run('socat', ['-T', '5', '-u', `UNIX-CONNECT:${path}`, 'STDOUT'], env, {
      timeoutMs: 10_000,
    });
    expect(viaSocat.stdout.slice(0, 12)).toBe('RFB 003.008\n');
    tun.child.kill('SIGINT');
    expect((await tun.exited).code).toBe(0);
    expect(existsSync(path)).toBe(false);
  });

  it('--local unix:PATH in a folder others can enter is refused, naming the fix (exit 1)', async () => {
    const r = await ncli(['console', 'tunnel', 'vm1', '--local', 'unix:/tmp/ncli-guard.sock'], env);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(
      /^ncli: Not listening on \/tmp\/ncli-guard\.sock: its folder \/tmp is open to other users \(mode 777\); use a folder only you can enter \(chmod 700, or one under \$XDG_RUNTIME_DIR\)\.$/,
    );
    expect(existsSync('/tmp/ncli-guard.sock')).toBe(false);
  });
});
