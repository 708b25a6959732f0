/**
 * Connections on a far-away cloud (src/http/connections.ts, issue 18 §2): against a local
 * TLS 1.2 server, a second Transport (a second run) resumes the first one's session — an
 * abbreviated handshake — from a 0600 file; a session made with --insecure is not resumed with
 * verification on; a corrupt file is an empty store. Against a server that answers
 * `Connection: close`, the next run opens the next connection while the first request is still
 * out (a spare), and closes the spare it did not need.
 */
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Transport } from '../../src/http/transport.js';
import { ConnectionStore } from '../../src/http/connections.js';
import { selfSignedCert } from '../support/tls.js';

const cert = selfSignedCert();
let server: https.Server;
let url: string;
/** Per TLS connection the server accepted: was it a resumed session? */
const resumed: boolean[] = [];

beforeAll(async () => {
  server = https.createServer({ cert: cert.cert, key: cert.key, maxVersion: 'TLSv1.2' }, (_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end('{"ok": true}');
  });
  server.on('secureConnection', (s: TLSSocket) => resumed.push(s.isSessionReused()));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** One run: a Transport, one GET, closed (which saves the sessions). */
async function oneRun(file: string, opts: { insecure?: boolean } = {}): Promise<void> {
  const t = new Transport({
    timeoutSeconds: 5,
    ca: opts.insecure ? undefined : cert.cert,
    insecure: opts.insecure,
    connectionsFile: file,
  });
  const res = await t.request({ method: 'GET', url, service: 'compute' });
  expect(res.status).toBe(200);
  await t.close();
}

describe('TLS sessions between runs', () => {
  it("the second run resumes the first run's TLS 1.2 session, kept in a 0600 file", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ncli-connections-'));
    const file = join(dir, 'ncli', 'connections.json');
    resumed.length = 0;
    await oneRun(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'ncli')).mode & 0o777).toBe(0o700);
    await oneRun(file);
    expect(resumed).toEqual([false, true]);
  });

  it('a session made with --insecure is not offered with verification on, nor with another CA bundle', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ncli-connections-')), 'connections.json');
    resumed.length = 0;
    await oneRun(file, { insecure: true });
    await oneRun(file);
    await oneRun(file);
    expect(resumed).toEqual([false, false, true]);
  });

  it('a corrupt, foreign or stale file is an empty store', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ncli-connections-')), 'connections.json');
    for (const text of ['{not json', '[1,2]', 'null', '{"k": {"s": 5}}']) {
      writeFileSync(file, text);
      expect(new ConnectionStore(file).get('k')).toBeUndefined();
    }
    const store = new ConnectionStore(file, () => 0);
    store.set('k', Buffer.from('x'));
    store.save();
    expect(new ConnectionStore(file, () => 1000).get('k')).toEqual(Buffer.from('x'));
    expect(new ConnectionStore(file, () => 2 * 3600 * 1000).get('k')).toBeUndefined();
  });

  it('a server that closes its connections: the next run opens the next one while the first request is out', async () => {
    const events: string[] = [];
    const open = new Set<import('node:net').Socket>();
    const srv = http.createServer((req, res) => {
      events.push(`request ${req.url}`);
      // the answer takes 100 ms: time enough for a spare to connect meanwhile
      setTimeout(() => {
        res.setHeader('connection', 'close');
        res.setHeader('content-type', 'application/json');
        res.end('{}');
      }, 100);
    });
    srv.on('connection', (c) => {
      events.push('connection');
      open.add(c);
      c.on('close', () => open.delete(c));
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
    const file = join(mkdtempSync(join(tmpdir(), 'ncli-connections-')), 'connections.json');
    const run = async () => {
      events.length = 0;
      const t = new Transport({ timeoutSeconds: 5, connectionsFile: file });
      for (const path of ['/a', '/b']) await t.request({ method: 'GET', url: base + path, service: 'compute' });
      await t.close();
    };
    try {
      await run();
      // the first run learns it from the first answer: the second connection comes after it (with
      // the spare for a third request, which nobody makes)
      expect(events.slice(0, 3)).toEqual(['connection', 'request /a', 'connection']);
      expect(events.filter((e) => e === 'connection')).toHaveLength(3);
      await run();
      // the next run: the second connection is open before the first answer, the third (a spare
      // nobody needed) too, and closed at the end of the run
      expect(events.slice(0, 3)).toEqual(['connection', 'connection', 'request /a']);
      expect(events.filter((e) => e.startsWith('request'))).toEqual(['request /a', 'request /b']);
      expect(events.filter((e) => e === 'connection')).toHaveLength(3);
      await new Promise((r) => setTimeout(r, 50));
      expect(open.size).toBe(0);
    } finally {
      srv.closeAllConnections();
      await new Promise<void>((r) => srv.close(() => r()));
    }
  });
});
