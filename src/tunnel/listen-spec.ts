/**
 * Parsing of the `--local` listen spec.
 *
 * Accepted forms (like websockify's `[source_addr:]source_port` and the
 * local half of kubectl port-forward's `[LOCAL_PORT:]REMOTE_PORT` with
 * `--address`):
 *
 *   5901             → 127.0.0.1:5901
 *   0                → 127.0.0.1, a free port chosen by the OS
 *   127.0.0.1:5901   → any IPv4 literal, 0.0.0.0 included
 *   [::1]:5901       → any IPv6 literal, in brackets
 *   localhost:5901   → 127.0.0.1:5901 (one predictable address, not a DNS lookup)
 *   unix:PATH        → a Unix socket at PATH (relative to the working folder), 0600 in a 0700 folder
 */
import { lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import net, { isIPv4, isIPv6 } from 'node:net';
import { dirname, resolve } from 'node:path';
import { TunnelError } from './errors.js';

/** A parsed listen spec. */
export interface ListenSpec {
  /** Address to bind, without brackets (`127.0.0.1`, `::1`, `0.0.0.0`). */
  host: string;
  /** TCP port, 0–65535; 0 asks the OS for a free port. */
  port: number;
  /** `true` when the spec named a host; `false` for a bare port. */
  explicitHost: boolean;
}

/** A parsed `unix:PATH` listen spec. */
export interface UnixListenSpec {
  /** Absolute path of the socket. */
  path: string;
}

/** The host used when the spec is a bare port. */
export const DEFAULT_LISTEN_HOST = '127.0.0.1';

const ACCEPTED =
  'PORT, IPv4:PORT, [IPv6]:PORT, localhost:PORT or unix:PATH (e.g. 5901, 0, 127.0.0.1:5901, [::1]:5901, unix:/run/user/1000/vm1.sock)';

function bad(spec: string, why?: string): TunnelError {
  return new TunnelError('BAD_LISTEN', `Invalid listen address "${spec}"${why ? ` (${why})` : ''}; use ${ACCEPTED}.`);
}

function parsePort(spec: string, text: string): number {
  if (!/^\d{1,5}$/.test(text)) throw bad(spec, text === '' ? 'missing port' : `"${text}" is not a port number`);
  const port = Number(text);
  if (port > 65535) throw bad(spec, `port ${port} is out of range 0-65535`);
  return port;
}

/**
 * Parses a `--local` listen spec.
 *
 * @param spec one of the forms in the module comment; surrounding
 *   whitespace is ignored
 * @returns `{ host, port, explicitHost }` (host defaults to 127.0.0.1), or `{ path }` (absolute)
 *   for `unix:PATH`
 * @throws TunnelError `BAD_LISTEN` naming the spec and the accepted forms for
 *   anything else (host names other than localhost, ports > 65535, `:5901`,
 *   unbracketed IPv6, empty input, `unix:` without a path, a path longer than a socket takes)
 */
export function parseListenSpec(spec: string): ListenSpec | UnixListenSpec {
  const s = spec.trim();
  if (s.startsWith('unix:')) {
    const raw = s.slice(5);
    if (raw === '' || raw.endsWith('/')) throw bad(spec, 'unix: needs the path of the socket to create');
    if (raw.includes('\0')) throw bad(spec, 'the path holds a NUL byte');
    const path = resolve(raw);
    // sockaddr_un.sun_path is 108 bytes on Linux (104 on macOS), NUL included
    if (Buffer.byteLength(path) > 103) throw bad(spec, `the socket path is longer than 103 bytes`);
    return { path };
  }
  if (/^\d+$/.test(s)) {
    return { host: DEFAULT_LISTEN_HOST, port: parsePort(spec, s), explicitHost: false };
  }
  const bracketed = /^\[([^\]]+)\]:(.*)$/.exec(s);
  if (bracketed) {
    const host = bracketed[1];
    if (!isIPv6(host)) throw bad(spec, `"${host}" is not an IPv6 address`);
    return { host, port: parsePort(spec, bracketed[2]), explicitHost: true };
  }
  const colon = s.lastIndexOf(':');
  if (colon <= 0) throw bad(spec);
  const host = s.slice(0, colon);
  const portText = s.slice(colon + 1);
  if (host.includes(':')) throw bad(spec, 'put IPv6 addresses in brackets');
  if (host.toLowerCase() === 'localhost') {
    return { host: DEFAULT_LISTEN_HOST, port: parsePort(spec, portText), explicitHost: true };
  }
  if (!isIPv4(host)) throw bad(spec, `"${host}" is not an IP address or localhost`);
  return { host, port: parsePort(spec, portText), explicitHost: true };
}

/**
 * `true` for loopback addresses (127.0.0.0/8, ::1, ::ffff:127.x.y.z,
 * `localhost`), i.e. those not reachable from the network.
 *
 * @param host an address as accepted by {@link parseListenSpec}
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return isIPv4(v4) && v4.startsWith('127.');
}

/**
 * Formats `host:port` for display, bracketing IPv6 hosts (`[::1]:5901`).
 *
 * @param host address without brackets
 * @param port TCP port
 */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * The address a local client dials to reach a listener bound to `host`: the loopback address of
 * the same family for a wildcard bind (`0.0.0.0` → `127.0.0.1`, `::` → `::1`), else `host`.
 */
export function dialHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '::1';
  return host;
}

/**
 * Makes a Unix socket path ready to listen on, so that only this user can reach the socket: its
 * folder is created 0700 when missing, and must otherwise be this user's with no access for
 * group or others (the socket itself is created 0600 by the caller). A stale socket (nothing
 * listens on it: a tunnel that was killed) is removed; anything else at PATH is left alone.
 *
 * @param path absolute socket path (from {@link parseListenSpec})
 * @throws TunnelError `LISTEN` naming the folder or file and the fix; `EADDRINUSE` when a live
 *   socket is there
 */
export async function prepareSocketPath(path: string): Promise<void> {
  const dir = dirname(path);
  let st;
  try {
    st = lstatSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw listenFail(path, `cannot look at its folder ${dir}`, e);
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (e2) {
      throw listenFail(path, `cannot create its folder ${dir} (${(e2 as NodeJS.ErrnoException).code ?? 'error'})`, e2);
    }
    st = lstatSync(dir);
  }
  if (!st.isDirectory()) throw listenFail(path, `${dir} is not a folder`);
  const uid = process.getuid?.();
  if ((uid !== undefined && st.uid !== uid) || (st.mode & 0o077) !== 0) {
    throw new TunnelError(
      'LISTEN',
      `Not listening on ${path}: its folder ${dir} is open to other users (mode ${(st.mode & 0o777).toString(8)}${uid !== undefined && st.uid !== uid ? ', not yours' : ''}); use a folder only you can enter (chmod 700, or one under $XDG_RUNTIME_DIR).`,
    );
  }
  let target;
  try {
    target = lstatSync(path);
  } catch {
    return; // nothing there
  }
  if (!target.isSocket())
    throw listenFail(path, 'a file that is not a socket is there; remove it or choose another path');
  if (await socketIsLive(path)) {
    throw new TunnelError('EADDRINUSE', `Another program listens on the socket ${path}.`);
  }
  unlinkSync(path);
}

/** Whether something accepts connections on the Unix socket at `path` (ECONNREFUSED: a stale one). */
function socketIsLive(path: string): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const probe = net.connect({ path });
    probe.once('connect', () => {
      probe.destroy();
      resolvePromise(true);
    });
    probe.once('error', (e: NodeJS.ErrnoException) => resolvePromise(e.code !== 'ECONNREFUSED'));
  });
}

function listenFail(path: string, why: string, cause?: unknown): TunnelError {
  return new TunnelError('LISTEN', `Cannot listen on the socket ${path}: ${why}.`, cause ? { cause } : undefined);
}
