/**
 * Console-token renewal with several viewers at once, against the real cloud's nova-novncproxy
 * (tokens live CONSOLE_TOKEN_TTL, 30 s, there): the tunnel soak's finding (issue 18 §5). Once the
 * first token expired, eight raw RFB viewers connect at the same moment; nova-novncproxy answers
 * each upgrade and refuses the expired token only after its lookup, seconds later when many arrive
 * at once. Every viewer must still get the greeting and ServerInit, through one fresh console URL.
 */
import { rmSync } from 'node:fs';
import net from 'node:net';
import { afterAll, afterEach, expect, it } from 'vitest';
import { cloudEnv, cloudFacts, describeCloud, freshCache } from '../support/cloud.js';
import { rfbHandshake, socketReader, startNcli, type NcliChild } from '../support/console.js';

const VIEWERS = 8;
/** A console token in any ncli output (what --debug must never show). */
const TOKEN_VALUE = /token(=|%3D)[0-9a-f]{8}-[0-9a-f]{4}/i;

/** One raw RFB viewer: the handshake up to ServerInit, as a short line for the assertion. */
async function viewer(port: number): Promise<string> {
  const sock = net.connect({ port, host: '127.0.0.1' });
  try {
    const init = await rfbHandshake(socketReader(sock), (b) => sock.write(b));
    return `${init.version.trim()} ${init.width}x${init.height} "${init.name}"`;
  } catch (e) {
    return `failed: ${(e as Error).message}`;
  } finally {
    sock.destroy();
  }
}

describeCloud('console tunnel: token renewal with several viewers at once, against the real cloud', () => {
  const cache = freshCache();
  const env = cloudEnv({}, cache);
  const facts = cloudFacts();
  const children: NcliChild[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) c.kill();
  });
  afterAll(() => rmSync(cache, { recursive: true, force: true }));

  it(
    `${VIEWERS} viewers connecting at once after the first token expired all reach ServerInit, through one fresh console URL`,
    async () => {
      const ttl = Number(facts.CONSOLE_TOKEN_TTL ?? 30);
      const tun = startNcli(['--debug', 'console', 'tunnel', 'vm1', '--local', '0'], env);
      children.push(tun);
      const [, port] = await tun.waitFor(/^Forwarding from 127\.0\.0\.1:(\d+) -> vm1 \(vnc\)$/m, { ms: 60_000 });
      expect(tun.stderr()).toContain('got console URL #1 from Nova');
      await new Promise((r) => setTimeout(r, (ttl + 5) * 1000));

      const got = await Promise.all(Array.from({ length: VIEWERS }, () => viewer(Number(port))));
      const err = tun.stderr();
      const log = err
        .split('\n')
        .filter((l) => /tunnel\[|console:/.test(l))
        .join('\n');
      expect(got, log).toEqual(Array(VIEWERS).fill('RFB 003.008 640x480 "devcloud-vm1"'));
      // the URL asked before listening, and one more for all eight (connections refused with the
      // expired token share the renewal, however far apart the proxy refused them)
      expect(err.match(/REQ: POST \S+\/remote-consoles/g), log).toHaveLength(2);
      expect(err, log).toContain('got console URL #2 from Nova');
      expect(err).not.toContain('got console URL #3');
      // every viewer's first dial used the expired token, and was refused and renewed once
      expect(err.match(/\(attempt 2, fresh token\)/g), log).toHaveLength(VIEWERS);
      expect(err).not.toMatch(/Lost the connection|refused the console token \(invalid or expired\)/);
      expect(err).not.toMatch(TOKEN_VALUE);
      expect(tun.stdout().match(/^Handling connection for \d+$/gm)).toHaveLength(VIEWERS);
      tun.child.kill('SIGTERM');
      expect((await tun.exited).code).toBe(0);
    },
    (30 + 5) * 1000 + 150_000,
  );
});
