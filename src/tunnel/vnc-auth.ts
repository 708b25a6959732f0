/**
 * VNC authentication on the tunnel's local side (`console tunnel --vnc-password`), so that other
 * users of a shared jump host cannot use a tunnel listening on 127.0.0.1.
 *
 * The tunnel plays an RFB server towards the local viewer up to the end of the security
 * handshake — version, security type 2 "VNC Authentication", the DES challenge–response of
 * RFC 6143 §7.2.2 — and, once the viewer proved the password, an RFB client towards the console
 * proxy: it picks security type 1 "None", which is what Nova's proxies present (nova-novncproxy
 * passes QEMU's handshake through; its VNC security proxy, nova/console/securityproxy/rfb.py,
 * always offers the tenant `1:[None]` over RFB 3.8). The proxy's SecurityResult is passed to the
 * viewer as the answer to its password; from there on bytes are relayed untouched (ClientInit,
 * ServerInit, …).
 *
 * DES: node:crypto has no `des-ecb` without OpenSSL's legacy provider, but 3DES-EDE with the same
 * key three times is single DES (E_K∘D_K∘E_K = E_K) and is in the default provider.
 */
import { createCipheriv, createDecipheriv, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type net from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import { NcliError } from '../errors.js';

/** Significant bytes of a VNC password (RFC 6143 §7.2.2: the key is 8 bytes; longer is cut, shorter padded). */
export const VNC_PASSWORD_BYTES = 8;
/** The fixed key vncpasswd(1) files are obfuscated with (TigerVNC/RealVNC `d3desObfuscationKey`). */
const OBFUSCATION_KEY = Buffer.from([23, 82, 107, 6, 35, 78, 88, 7]);
/** RFB security types (RFC 6143 §7.1.2). */
const SEC_NONE = 1;
const SEC_VNC_AUTH = 2;
/** What a viewer is told when its password is wrong (as TigerVNC's server words it). */
export const WRONG_PASSWORD_REASON = 'Authentication failure';

/** Reverses the bit order of each byte: VNC's DES key is the password with every byte mirrored. */
function mirrorBits(b: number): number {
  let r = 0;
  for (let i = 0; i < 8; i++) r |= ((b >> i) & 1) << (7 - i);
  return r;
}

/** Single-DES ECB of whole 8-byte blocks with `key` (8 bytes), through 3DES-EDE with K1=K2=K3. */
function des(key: Buffer, data: Buffer, decrypt = false): Buffer {
  const k3 = Buffer.concat([key, key, key]);
  const c = decrypt ? createDecipheriv('des-ede3-ecb', k3, null) : createCipheriv('des-ede3-ecb', k3, null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}

/** The 8 password bytes VNC uses: cut to 8, padded with NULs. */
function passwordBytes(password: Buffer): Buffer {
  const p = Buffer.alloc(VNC_PASSWORD_BYTES);
  password.copy(p, 0, 0, VNC_PASSWORD_BYTES);
  return p;
}

/**
 * The viewer's answer to a VNC authentication challenge (RFC 6143 §7.2.2): the 16-byte challenge
 * DES-encrypted (ECB) with the password, cut or NUL-padded to 8 bytes, each byte bit-mirrored, as key.
 *
 * @param password the password's bytes (UTF-8 of what the user types; only the first 8 count)
 * @param challenge 16 bytes
 * @returns 16 bytes
 */
export function vncAuthResponse(password: Buffer, challenge: Buffer): Buffer {
  const key = Buffer.from(passwordBytes(password).map(mirrorBits));
  return des(key, challenge);
}

/**
 * The 8-byte content of a vncpasswd(1) file for `password` (what `vncpasswd -f` writes and
 * `vncviewer -passwd FILE` reads: the padded password DES-encrypted with a fixed, public key —
 * an obfuscation, not a protection).
 */
export function obfuscateVncPassword(password: Buffer): Buffer {
  return des(Buffer.from(OBFUSCATION_KEY.map(mirrorBits)), passwordBytes(password));
}

/** The password held by a vncpasswd(1) file's first 8 bytes (inverse of {@link obfuscateVncPassword}). */
export function deobfuscateVncPassword(data: Buffer): Buffer {
  const p = des(Buffer.from(OBFUSCATION_KEY.map(mirrorBits)), data.subarray(0, VNC_PASSWORD_BYTES), true);
  const nul = p.indexOf(0);
  return nul < 0 ? p : p.subarray(0, nul);
}

/**
 * Reads a `--vnc-password FILE`: either a vncpasswd(1) file (8 bytes, not all printable: the same
 * file `vncviewer -passwd` takes) or text whose first line is the password.
 *
 * @returns the password's bytes, and `warning`: one line when the file can be read by other users
 * @throws NcliError `CONFIG` when the file cannot be read or holds no password
 */
export function readVncPasswordFile(path: string): { password: Buffer; warning?: string } {
  let data: Buffer;
  let mode: number;
  try {
    data = readFileSync(path);
    mode = statSync(path).mode;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EACCES' ? 'permission denied' : err.message;
    throw new NcliError('CONFIG', `Cannot read the VNC password file ${path}: ${why}.`, { cause: e });
  }
  const printable = (b: number): boolean => (b >= 0x20 && b < 0x7f) || b === 0x0a || b === 0x0d || b >= 0x80;
  const password =
    data.length === VNC_PASSWORD_BYTES && !data.every(printable)
      ? deobfuscateVncPassword(data)
      : Buffer.from(data.toString('utf8').split(/\r?\n/, 1)[0], 'utf8');
  if (password.length === 0) {
    throw new NcliError('CONFIG', `The VNC password file ${path} holds no password: write it on its first line.`);
  }
  return {
    password,
    ...(mode & 0o077 ? { warning: `Warning: other users can read the VNC password file ${path}; chmod 600 it.` } : {}),
  };
}

/** A random password for one tunnel: 8 characters (all VNC uses) without look-alikes (0/O, 1/l/I). */
export function randomVncPassword(): string {
  const alphabet = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  let s = '';
  for (let i = 0; i < VNC_PASSWORD_BYTES; i++) s += alphabet[randomInt(alphabet.length)];
  return s;
}

// ---------------------------------------------------------------------------
// The two handshakes
// ---------------------------------------------------------------------------

/** RFB protocol minor version a peer's 12-byte `RFB xxx.yyy\n` maps to (RFC 6143 §7.1.1: unknown = 3.3). */
function rfbMinor(version: Buffer): 3 | 7 | 8 | undefined {
  const m = /^RFB (\d{3})\.(\d{3})\n$/.exec(version.toString('latin1'));
  if (!m) return undefined;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  if (major > 3 || (major === 3 && minor >= 8 && minor !== 889)) return 8;
  return major === 3 && minor === 7 ? 7 : 3;
}

function versionLine(minor: 3 | 7 | 8): Buffer {
  return Buffer.from(`RFB 003.00${minor}\n`, 'latin1');
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** SecurityResult "failed" (RFC 6143 §7.1.3): with a reason from 3.8 on. */
function failure(minor: 3 | 7 | 8, reason: string): Buffer {
  const r = Buffer.from(reason, 'utf8');
  return minor === 8 ? Buffer.concat([u32(1), u32(r.length), r]) : u32(1);
}

/** Reads exact byte counts from a socket that is read by nothing else. */
class SocketReader {
  private buf: Buffer = Buffer.alloc(0);
  private wake?: () => void;
  private ended = false;
  private readonly onData = (d: Buffer): void => {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    this.wake?.();
  };
  private readonly onEnd = (): void => {
    this.ended = true;
    this.wake?.();
  };

  constructor(private readonly sock: net.Socket) {
    sock.on('data', this.onData);
    sock.on('end', this.onEnd);
    sock.on('close', this.onEnd);
    sock.resume();
  }

  /** `n` bytes, or undefined when the socket ended first. */
  async read(n: number): Promise<Buffer | undefined> {
    while (this.buf.length < n) {
      if (this.ended) return undefined;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** Stops reading; returns what was read but not consumed. */
  detach(): Buffer {
    this.sock.pause();
    this.sock.removeListener('data', this.onData);
    this.sock.removeListener('end', this.onEnd);
    this.sock.removeListener('close', this.onEnd);
    return this.buf;
  }
}

/** How long a viewer has to get through the password prompt, in milliseconds. */
export const VIEWER_AUTH_TIMEOUT_MS = 120_000;

/**
 * Outcome of {@link authenticateViewer}: `ok` with the viewer's RFB minor version, or why not
 * (`wrong-password`, `protocol`: not a VNC viewer or one that refused type 2, `gone`: it left or
 * took longer than the timeout).
 */
export type ViewerAuth = { ok: true; minor: 3 | 7 | 8 } | { ok: false; why: 'wrong-password' | 'protocol' | 'gone' };

/**
 * The server half of the RFB handshake with a local viewer, up to its password (RFC 6143 §7.1.1,
 * §7.1.2, §7.2.2): `RFB 003.008`, security types `[2]` (3.3: the type as a u32), a random
 * 16-byte challenge, the viewer's response compared in constant time. Does not send the
 * SecurityResult when the password is right (the proxy's comes later: {@link upstreamNone}); sends
 * "failed" with {@link WRONG_PASSWORD_REASON} and ends the socket when it is wrong. The socket is
 * left paused; bytes the viewer sent early are returned in `rest`.
 *
 * @param password the password's bytes (first 8 count)
 * @param timeoutMs the whole exchange's limit (default {@link VIEWER_AUTH_TIMEOUT_MS})
 */
export async function authenticateViewer(
  sock: net.Socket,
  password: Buffer,
  timeoutMs = VIEWER_AUTH_TIMEOUT_MS,
): Promise<ViewerAuth & { rest: Buffer }> {
  const reader = new SocketReader(sock);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs);
  });
  const read = (n: number): Promise<Buffer | undefined> => Promise.race([reader.read(n), timeout]);
  const fail = (why: 'wrong-password' | 'protocol' | 'gone', answer?: Buffer) => {
    if (answer && !sock.destroyed) sock.end(answer);
    else sock.end();
    return { ok: false as const, why, rest: reader.detach() };
  };
  try {
    sock.write(versionLine(8));
    const version = await read(12);
    if (!version) return fail('gone');
    const minor = rfbMinor(version);
    if (!minor) return fail('protocol');
    if (minor === 3) {
      sock.write(u32(SEC_VNC_AUTH));
    } else {
      sock.write(Buffer.from([1, SEC_VNC_AUTH]));
      const chosen = await read(1);
      if (!chosen) return fail('gone');
      if (chosen[0] !== SEC_VNC_AUTH) return fail('protocol', failure(minor, 'This tunnel needs VNC authentication'));
    }
    const challenge = randomBytes(16);
    sock.write(challenge);
    const response = await read(16);
    if (!response) return fail('gone');
    if (!timingSafeEqual(response, vncAuthResponse(password, challenge))) {
      return fail('wrong-password', failure(minor, WRONG_PASSWORD_REASON));
    }
    return { ok: true, minor, rest: reader.detach() };
  } finally {
    clearTimeout(timer);
  }
}

/** Events of {@link upstreamNone}. */
export interface UpstreamHooks {
  /** The proxy accepted security type None: the viewer gets SecurityResult OK, then everything else. */
  onAccepted: () => void;
  /** The proxy's handshake failed; `reason` is one line (the proxy's own reason when it gave one). */
  onFailed: (reason: string) => void;
}

/**
 * The client half of the RFB handshake with the console proxy, as a pair of streams for the
 * tunnel's bridge: `toProxy` is what the bridge sends to the proxy (our version and security type,
 * then the viewer's bytes once piped in), `fromProxy` takes what the proxy sends, answers its
 * handshake (version: the lower of its and 3.8; security type None, the only one a tunnel can
 * pass through) and writes the rest to `viewer`, starting with the SecurityResult the viewer
 * waits for.
 *
 * @param viewer the local viewer's socket, past {@link authenticateViewer}
 * @param viewerMinor the viewer's RFB minor version (its SecurityResult format)
 */
export function upstreamNone(
  viewer: net.Socket,
  viewerMinor: 3 | 7 | 8,
  hooks: UpstreamHooks,
): { toProxy: PassThrough; fromProxy: Writable } {
  const toProxy = new PassThrough();
  let buf: Buffer = Buffer.alloc(0);
  let state: 'version' | 'types' | 'result' | 'relay' | 'failed' = 'version';
  let minor: 3 | 7 | 8 = 8;

  const fail = (reason: string): void => {
    state = 'failed';
    if (!viewer.destroyed) viewer.end(failure(viewerMinor, reason));
    hooks.onFailed(reason);
  };
  const accept = (): void => {
    state = 'relay';
    viewer.write(u32(0));
    hooks.onAccepted();
  };
  /** A length-prefixed reason at `at` (u32 + text), or undefined while incomplete. */
  const reasonAt = (at: number): { text: string; end: number } | undefined => {
    if (buf.length < at + 4) return undefined;
    const n = buf.readUInt32BE(at);
    if (n > 4096) return { text: '(no reason given)', end: buf.length };
    if (buf.length < at + 4 + n) return undefined;
    return {
      text: buf
        .toString('utf8', at + 4, at + 4 + n)
        .replace(/\s+/g, ' ')
        .trim(),
      end: at + 4 + n,
    };
  };

  /** Consumes as much of the handshake as `buf` holds; returns false when it needs more bytes. */
  const step = (): boolean => {
    switch (state) {
      case 'version': {
        if (buf.length < 12) return false;
        const m = rfbMinor(buf.subarray(0, 12));
        if (!m) {
          fail('The console proxy did not answer as a VNC server');
          return false;
        }
        minor = m;
        buf = buf.subarray(12);
        toProxy.write(versionLine(minor));
        state = 'types';
        return true;
      }
      case 'types': {
        if (minor === 3) {
          if (buf.length < 4) return false;
          const type = buf.readUInt32BE(0);
          if (type === 0) {
            const r = reasonAt(4);
            if (!r) return false;
            fail(`The console refused the connection: ${r.text}`);
            return false;
          }
          buf = buf.subarray(4);
          if (type !== SEC_NONE) {
            fail(`The console asks for security type ${type}; a tunnel can only pass on None`);
            return false;
          }
          accept();
          return true;
        }
        if (buf.length < 1) return false;
        const count = buf[0];
        if (count === 0) {
          const r = reasonAt(1);
          if (!r) return false;
          fail(`The console refused the connection: ${r.text}`);
          return false;
        }
        if (buf.length < 1 + count) return false;
        const types = [...buf.subarray(1, 1 + count)];
        buf = buf.subarray(1 + count);
        if (!types.includes(SEC_NONE)) {
          fail(`The console offers security types ${types.join(', ')}, not None; a tunnel can only pass on None`);
          return false;
        }
        toProxy.write(Buffer.from([SEC_NONE]));
        if (minor === 7) {
          accept();
          return true;
        }
        state = 'result';
        return true;
      }
      case 'result': {
        if (buf.length < 4) return false;
        if (buf.readUInt32BE(0) !== 0) {
          const r = reasonAt(4);
          if (!r) return false;
          fail(`The console refused the connection: ${r.text}`);
          return false;
        }
        buf = buf.subarray(4);
        accept();
        return true;
      }
      default:
        return false;
    }
  };

  const fromProxy = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (state === 'failed') return cb();
      if (state === 'relay') {
        if (viewer.write(chunk)) cb();
        else viewer.once('drain', () => cb());
        return;
      }
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      while (step());
      if ((state as string) === 'relay' && buf.length) {
        const rest = buf;
        buf = Buffer.alloc(0);
        if (viewer.write(rest)) cb();
        else viewer.once('drain', () => cb());
        return;
      }
      cb();
    },
  });
  return { toProxy, fromProxy };
}
