/**
 * TLS sessions kept between runs (src/http/tls-sessions.ts, issue 18 §2): against a local
 * TLS 1.2 server, a second Transport (a second run) resumes the first one's session — an
 * abbreviated handshake — from a 0600 file; a session made with --insecure is not resumed with
 * verification on; a corrupt file is an empty store.
 */
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Transport } from '../../src/http/transport.js';
import { TlsSessionStore } from '../../src/http/tls-sessions.js';
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
    tlsSessionFile: file,
  });
  const res = await t.request({ method: 'GET', url, service: 'compute' });
  expect(res.status).toBe(200);
  await t.close();
}

describe('TLS sessions between runs', () => {
  it("the second run resumes the first run's TLS 1.2 session, kept in a 0600 file", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ncli-tls-sessions-'));
    const file = join(dir, 'ncli', 'tls-sessions.json');
    resumed.length = 0;
    await oneRun(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'ncli')).mode & 0o777).toBe(0o700);
    await oneRun(file);
    expect(resumed).toEqual([false, true]);
  });

  it('a session made with --insecure is not offered with verification on, nor with another CA bundle', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ncli-tls-sessions-')), 'tls-sessions.json');
    resumed.length = 0;
    await oneRun(file, { insecure: true });
    await oneRun(file);
    await oneRun(file);
    expect(resumed).toEqual([false, false, true]);
  });

  it('a corrupt, foreign or stale file is an empty store', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ncli-tls-sessions-')), 'tls-sessions.json');
    for (const text of ['{not json', '[1,2]', 'null', '{"k": {"s": 5}}']) {
      writeFileSync(file, text);
      expect(new TlsSessionStore(file).get('k')).toBeUndefined();
    }
    const store = new TlsSessionStore(file, () => 0);
    store.set('k', Buffer.from('x'));
    store.save();
    expect(new TlsSessionStore(file, () => 1000).get('k')).toEqual(Buffer.from('x'));
    expect(new TlsSessionStore(file, () => 2 * 3600 * 1000).get('k')).toBeUndefined();
  });
});
