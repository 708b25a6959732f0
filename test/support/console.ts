/**
 * Helpers for console tests against the real cloud: a long-running `ncli` child whose output can
 * be awaited line by line, free local ports in the VNC display range, the real VNC client
 * (`gvnccapture`, package gvncviewer), PNG header checks, and an RFB 3.8 handshake over any
 * byte stream (RFC 6143 §7.1–7.3) with exact reads from a socket.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { NCLI, cloudEnv, run, type RunResult } from './cloud.js';

/** The real VNC client used by the tests and the demo. */
export const GVNCCAPTURE = '/usr/bin/gvnccapture';

/** A running `bin/ncli`, with its output collected as it comes. */
export interface NcliChild {
  child: ChildProcessWithoutNullStreams;
  /** Everything written to stdout so far (binary-safe copy in {@link NcliChild.stdoutBytes}). */
  stdout(): string;
  stdoutBytes(): Buffer;
  stderr(): string;
  /** Resolves with the first match of `re` in stdout (or stderr with `stream: 'stderr'`); rejects after `ms` or at exit. */
  waitFor(re: RegExp, opts?: { ms?: number; stream?: 'stdout' | 'stderr' }): Promise<RegExpMatchArray>;
  /** Resolves when stdout holds at least `n` unread bytes, and consumes them. */
  read(n: number, ms?: number): Promise<Buffer>;
  /** The exit: code and signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL if still running (cleanup). */
  kill(): void;
}

/** Starts `bin/ncli args…` in the background. */
export function startNcli(args: string[], env: Record<string, string> = cloudEnv()): NcliChild {
  const child = spawn(process.execPath, [NCLI, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = Buffer.alloc(0);
  let unread = Buffer.alloc(0);
  let err = '';
  let done = false;
  const listeners = new Set<() => void>();
  const notify = (): void => {
    for (const l of [...listeners]) l();
  };
  child.stdout.on('data', (d: Buffer) => {
    out = Buffer.concat([out, d]);
    unread = Buffer.concat([unread, d]);
    notify();
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
    notify();
  });
  child.stdin.on('error', () => {});
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => {
      done = true;
      notify();
      resolve({ code, signal });
    });
  });
  const wait = <T>(check: () => T | undefined, ms: number, what: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const tick = (): void => {
        const v = check();
        if (v !== undefined) {
          cleanup();
          resolve(v);
        } else if (done) {
          cleanup();
          reject(new Error(`ncli exited before ${what}; stdout: ${out.toString()} stderr: ${err}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${ms} ms waiting for ${what}; stdout: ${out.toString()} stderr: ${err}`));
      }, ms);
      const cleanup = (): void => {
        clearTimeout(timer);
        listeners.delete(tick);
      };
      listeners.add(tick);
      tick();
    });
  return {
    child,
    stdout: () => out.toString(),
    stdoutBytes: () => out,
    stderr: () => err,
    waitFor: (re, opts = {}) =>
      wait(
        () => (opts.stream === 'stderr' ? err : out.toString()).match(re) ?? undefined,
        opts.ms ?? 20_000,
        String(re),
      ),
    read: (n, ms = 20_000) =>
      wait(
        () => {
          if (unread.length < n) return undefined;
          const b = unread.subarray(0, n);
          unread = unread.subarray(n);
          return b;
        },
        ms,
        `${n} byte(s) on stdout`,
      ),
    exited,
    kill: () => {
      if (!done) child.kill('SIGKILL');
    },
  };
}

/** `true` when nothing listens on 127.0.0.1:port (we could bind it). */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen({ host: '127.0.0.1', port, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/**
 * A free port in 5950–5999, so that gvnccapture's display number (port − 5900) is small and
 * positive. Starts at a random place to keep parallel runs apart.
 */
export async function freeVncPort(): Promise<number> {
  const start = Math.floor(Math.random() * 50);
  for (let i = 0; i < 50; i++) {
    const port = 5950 + ((start + i) % 50);
    if (await portIsFree(port)) return port;
  }
  throw new Error('No free port in 5950-5999');
}

/** Runs the real VNC client against 127.0.0.1:port, saving the screen to `file`. */
export function gvnccapture(port: number, file: string, timeoutMs = 30_000): Promise<RunResult> {
  if (port <= 5900 || port >= 6000)
    throw new Error(`gvnccapture needs a port in 5901-5999 (display = port - 5900), not ${port}`);
  return run(GVNCCAPTURE, [`127.0.0.1:${port - 5900}`, file], { ...process.env } as Record<string, string>, {
    timeoutMs,
  });
}

/** Width and height from a PNG's IHDR chunk. @throws when the file is not a PNG */
export function pngSize(file: string): { width: number; height: number } {
  const b = readFileSync(file);
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (b.length < 24 || !b.subarray(0, 8).equals(sig) || b.toString('latin1', 12, 16) !== 'IHDR') {
    throw new Error(`${file} is not a PNG (${b.length} bytes)`);
  }
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

/** What an RFB 3.8 handshake (security None) learned from the server. */
export interface RfbInit {
  version: string;
  securityTypes: number[];
  width: number;
  height: number;
  name: string;
}

/**
 * The client side of an RFB 3.8 handshake with security type None, over any byte stream:
 * ProtocolVersion, security types, SecurityResult, ClientInit (shared), ServerInit.
 * @throws when the server deviates
 */
export async function rfbHandshake(read: (n: number) => Promise<Buffer>, write: (b: Buffer) => void): Promise<RfbInit> {
  const version = (await read(12)).toString('latin1');
  if (version !== 'RFB 003.008\n') throw new Error(`unexpected ProtocolVersion ${JSON.stringify(version)}`);
  write(Buffer.from(version, 'latin1'));
  const count = (await read(1))[0];
  if (count === 0) throw new Error('the server offered no security type');
  const securityTypes = [...(await read(count))];
  if (!securityTypes.includes(1)) throw new Error(`no security type None among ${securityTypes.join(',')}`);
  write(Buffer.from([1]));
  const result = (await read(4)).readUInt32BE(0);
  if (result !== 0) throw new Error(`SecurityResult ${result}`);
  write(Buffer.from([1]));
  const init = await read(24);
  const nameLength = init.readUInt32BE(20);
  const name = (await read(nameLength)).toString('utf8');
  return { version, securityTypes, width: init.readUInt16BE(0), height: init.readUInt16BE(2), name };
}

/**
 * Exact reads from a socket: the returned function resolves with the next `n` bytes once they
 * have arrived. @throws (from the returned function) when the socket closes before `n` bytes,
 * naming how many arrived. Socket errors are swallowed (the close reports them).
 */
export function socketReader(sock: net.Socket): (n: number) => Promise<Buffer> {
  let buf = Buffer.alloc(0);
  let wake: (() => void) | undefined;
  let closed = false;
  sock.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    wake?.();
  });
  sock.on('close', () => {
    closed = true;
    wake?.();
  });
  sock.on('error', () => {});
  return async (n) => {
    while (buf.length < n) {
      if (closed) throw new Error(`closed after ${buf.length} of ${n} bytes`);
      await new Promise<void>((r) => (wake = r));
    }
    const out = buf.subarray(0, n);
    buf = buf.subarray(n);
    return out;
  };
}

/** Milliseconds since `t0` (performance.now()), rounded. */
export function since(t0: number): number {
  return Math.round(performance.now() - t0);
}

/** Whether any process of the process group `pgid` is still there (signal 0 to the group). */
export function processGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
