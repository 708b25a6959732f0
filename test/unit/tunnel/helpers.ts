/**
 * Test helpers for the tunnel: a fake console proxy built on `ws`'s server,
 * local TCP clients, collectors.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  accessSync,
  constants as fsConstants,
  existsSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';

export interface FakeProxy {
  port: number;
  url: (token: string) => string;
  wsUrl: (token: string) => string;
  /** Every WebSocket accepted, in order, with the request URL. */
  accepted: { ws: WebSocket; url: string; headers: http.IncomingHttpHeaders; protocol: string }[];
  close: () => Promise<void>;
}

/**
 * A fake nova-novncproxy: accepts upgrades; `onSession` runs for each
 * accepted socket. `selectProtocol: false` mimics websockify without
 * `binary` (selects no subprotocol even when one is offered).
 */
export async function startFakeProxy(opts: {
  onSession: (ws: WebSocket, req: http.IncomingMessage) => void;
  selectProtocol?: boolean;
}): Promise<FakeProxy> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<html>noVNC</html>');
  });
  const wss = new WebSocketServer({
    server,
    perMessageDeflate: false,
    handleProtocols: (protocols) =>
      opts.selectProtocol === false ? false : protocols.has('binary') ? 'binary' : false,
  });
  const accepted: FakeProxy['accepted'] = [];
  wss.on('connection', (ws, req) => {
    accepted.push({ ws, url: req.url ?? '', headers: req.headers, protocol: ws.protocol });
    opts.onSession(ws, req);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url: (token) => `http://127.0.0.1:${port}/vnc_auto.html?path=%3Ftoken%3D${token}`,
    wsUrl: (token) => `ws://127.0.0.1:${port}/?token=${token}`,
    accepted,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The token in a request URL (`/?token=T` or `/websockify?token=T`). */
export function tokenOf(reqUrl: string): string | null {
  return new URL(reqUrl, 'http://x').searchParams.get('token');
}

/** A Writable that keeps everything written to it. */
export class Collector extends Writable {
  chunks: Buffer[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.chunks.push(Buffer.from(chunk));
    cb();
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
  lines(): string[] {
    return this.text()
      .split('\n')
      .filter((l) => l !== '');
  }
}

/** A PassThrough collecting its output, for stdout. */
export function collectingPassThrough(): { stream: PassThrough; data: () => Buffer } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, data: () => Buffer.concat(chunks) };
}

/** Connects to a local port; collects what arrives until the server ends. */
export function connectClient(port: number, host = '127.0.0.1'): Promise<LocalClient> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ port, host });
    const client = new LocalClient(sock);
    sock.once('connect', () => resolve(client));
    sock.once('error', reject);
  });
}

export class LocalClient {
  chunks: Buffer[] = [];
  received = 0;
  ended: Promise<void>;
  closed: Promise<void>;
  constructor(readonly sock: net.Socket) {
    sock.on('data', (c: Buffer) => {
      this.chunks.push(c);
      this.received += c.length;
    });
    sock.on('error', () => {});
    this.ended = new Promise((resolve) => sock.once('end', () => resolve()));
    this.closed = new Promise((resolve) => sock.once('close', () => resolve()));
  }
  data(): Buffer {
    return Buffer.concat(this.chunks);
  }
  async waitFor(n: number, timeoutMs = 5000): Promise<Buffer> {
    const start = Date.now();
    while (this.received < n) {
      if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${n} bytes (have ${this.received})`);
      await sleep(5);
    }
    return this.data();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function until(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/**
 * Waits until `read()` stops growing (same value over `quietMs`), within
 * `timeoutMs`; returns the settled value. For "the sender is blocked" checks
 * that do not depend on machine speed.
 */
export async function settles(read: () => number, quietMs = 400, timeoutMs = 8000): Promise<number> {
  const start = Date.now();
  let last = read();
  let since = Date.now();
  for (;;) {
    await sleep(50);
    const v = read();
    if (v !== last) {
      last = v;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) {
      return v;
    }
    if (Date.now() - start > timeoutMs) throw new Error(`value kept growing for ${timeoutMs} ms (now ${v})`);
  }
}

export function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

/** A port that nothing listens on (bound, then closed). */
export async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Common TunnelOptions for tests, with collectors for out/err/debug. */
export function testOptions<E extends object = Record<never, never>>(
  resolveUrl: (fresh: boolean) => Promise<string>,
  extra: E = {} as E,
) {
  const out = new Collector();
  const err = new Collector();
  const debugLines: string[] = [];
  return {
    out,
    err,
    debugLines,
    opts: {
      resolveUrl,
      label: 'vm1 (vnc)',
      out,
      err,
      debug: (m: string) => debugLines.push(m),
      ...extra,
    },
  };
}

// ---------------------------------------------------------------------------
// Real websockify (Debian package websockify, /usr/bin/websockify)
// ---------------------------------------------------------------------------

/**
 * Path of the websockify executable, or null when it is not installed
 * (or when NCLI_TEST_NO_WEBSOCKIFY=1 pretends so, to check the CI rule).
 */
export function findWebsockify(): string | null {
  if (process.env.NCLI_TEST_NO_WEBSOCKIFY === '1') return null;
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':').concat(['/usr/bin', '/usr/local/bin'])) {
    const p = `${dir}/websockify`;
    try {
      accessSync(p, fsConstants.X_OK);
      return p;
    } catch {
      // keep looking
    }
  }
  return null;
}

/** When CI is set, the real-websockify tests run (and fail) even without websockify; otherwise they skip. */
export const websockifyPath = findWebsockify();
export const requireWebsockify = Boolean(process.env.CI);

export interface RunningWebsockify {
  port: number;
  proc: ChildProcess;
  log: () => string;
  stop: () => Promise<void>;
}

/**
 * Starts `websockify [extraArgs] 127.0.0.1:<free> [127.0.0.1:<targetPort>]`
 * and waits until it accepts TCP. `targetPort` null = no target argument
 * (token plugins).
 */
export async function startWebsockify(targetPort: number | null, extraArgs: string[] = []): Promise<RunningWebsockify> {
  if (!websockifyPath) throw new Error('websockify is not installed (Debian: apt-get install websockify)');
  const port = await closedPort();
  const target = targetPort === null ? [] : [`127.0.0.1:${targetPort}`];
  const proc = spawn(websockifyPath, [...extraArgs, `127.0.0.1:${port}`, ...target], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  proc.stdout.on('data', (d: Buffer) => (log += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const start = Date.now();
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`websockify exited early:\n${log}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ port, host: '127.0.0.1' });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) break;
    if (Date.now() - start > 10_000) throw new Error(`websockify did not start listening:\n${log}`);
    await sleep(50);
  }
  return {
    port,
    proc,
    log: () => log,
    stop: async () => {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      await Promise.race([exited, sleep(3000)]);
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    },
  };
}

// ---------------------------------------------------------------------------
// Compiled tunnel module for child processes (no TS loader in plain node)
// ---------------------------------------------------------------------------

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Path of a built `tunnel/index.js`: the bundle's `dist/tunnel/index.js` when it is newer than
 * every TypeScript file of `src/`, else a fresh esbuild bundle of `src/tunnel/index.ts` (as
 * scripts/build-bundle.mjs makes it) in `node_modules/.cache/ncli-tunnel-test/<sources hash>/`.
 */
export async function compiledTunnelModule(): Promise<string> {
  const srcDir = join(repoRoot, 'src');
  const sources = readdirSync(srcDir, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.ts'))
    .sort();
  const newestSrc = Math.max(...sources.map((f) => statSync(join(srcDir, f)).mtimeMs));
  const distIndex = join(repoRoot, 'dist/tunnel/index.js');
  if (existsSync(distIndex) && statSync(distIndex).mtimeMs >= newestSrc) return distIndex;
  const hash = createHash('sha256');
  for (const f of sources) hash.update(f).update(readFileSync(join(srcDir, f)));
  const outDir = join(repoRoot, 'node_modules/.cache/ncli-tunnel-test', hash.digest('hex').slice(0, 16));
  const out = join(outDir, 'index.js');
  if (existsSync(out)) return out;
  // Several test files may get here at once: each bundles into its own folder, then renames it.
  const tmp = `${outDir}.${process.pid}.tmp`;
  const { build } = await import('esbuild');
  await build({
    entryPoints: [join(srcDir, 'tunnel/index.ts')],
    outfile: join(tmp, 'index.js'),
    bundle: true,
    format: 'esm',
    platform: 'node',
    packages: 'external',
    logLevel: 'warning',
  });
  try {
    renameSync(tmp, outDir);
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // another file got there first
  }
  return out;
}
