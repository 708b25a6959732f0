/**
 * The cloud behind a TLS terminator (the harness's nginx with its own CA, catalog region RegionTLS,
 * clouds.yaml `devcloud-tls` with `cacert`): the core commands over https, pagination although Nova
 * writes `http://` next links behind the terminator, a VNC console over wss, and certificate
 * verification: an unknown CA is one line, `--os-cacert`, `OS_CACERT` and `--insecure` work.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { cloudEnv, cloudFacts, describeCloud, freshCache, ncli } from '../support/cloud.js';
import { rfbHandshake, startNcli } from '../support/console.js';
import { selfSignedCert } from '../support/tls.js';

describeCloud('the cloud over TLS (nginx in front, RegionTLS)', () => {
  let facts: Record<string, string>;
  const tls = cloudEnv({ OS_CLOUD: 'devcloud-tls' }, freshCache());
  const plain = cloudEnv({}, freshCache());
  /** The TLS cloud given by OS_* variables alone (no clouds.yaml, so no cacert unless added). */
  const bare = (extra: Record<string, string | undefined> = {}) =>
    cloudEnv(
      {
        OS_CLOUD: undefined,
        OS_CLIENT_CONFIG_FILE: '/nonexistent/clouds.yaml',
        OS_AUTH_URL: facts.KEYSTONE_TLS_URL,
        OS_USERNAME: 'admin',
        OS_PASSWORD: 'secret',
        OS_PROJECT_NAME: 'admin',
        OS_USER_DOMAIN_NAME: 'Default',
        OS_PROJECT_DOMAIN_NAME: 'Default',
        OS_REGION_NAME: facts.TLS_REGION,
        ...extra,
      },
      freshCache(),
    );

  beforeAll(() => {
    facts = cloudFacts();
    expect(facts.KEYSTONE_TLS_URL, 'the harness writes KEYSTONE_TLS_URL to cloud.env').toMatch(/^https:\/\//);
  });

  it('server list over https reaches every server on every page, as the plain endpoint does', async () => {
    // Other test files boot and delete servers in this project meanwhile: the https listing must
    // equal a plain one taken just before or just after it (three tries).
    const plainIds = async () =>
      (await ncli(['server', 'list', '-f', 'value', '-c', 'ID'], plain)).stdout.trim().split('\n').sort();
    let viaTls: Awaited<ReturnType<typeof ncli>>;
    let ids: string[];
    for (let attempt = 1; ; attempt++) {
      const before = await plainIds();
      viaTls = await ncli(['--debug', 'server', 'list', '-f', 'value', '-c', 'ID'], tls);
      expect(viaTls.code, viaTls.stderr).toBe(0);
      ids = viaTls.stdout.trim().split('\n').sort();
      const after = await plainIds();
      const same = (x: string[]) => JSON.stringify(x) === JSON.stringify(ids);
      if (same(before) || same(after) || attempt === 3) {
        expect(ids).toEqual(same(after) ? after : before);
        break;
      }
    }
    expect(ids.length).toBeGreaterThan(Number(facts.NOVA_MAX_LIMIT ?? 20)); // more than one page
    // every compute request went to the https endpoint, whatever scheme Nova's next links carried
    // (RegionTLS's image endpoint, asked for image names, is plain http in the harness)
    const requests = viaTls.stderr.split('\n').filter((l) => l.startsWith('DEBUG REQ:') && l.includes('/v2.1/'));
    expect(requests.length).toBeGreaterThan(1);
    for (const r of requests) expect(r).toMatch(/ https:\/\//);
  });

  it('flavor list, server show and a console URL over https', async () => {
    expect((await ncli(['flavor', 'list', '-f', 'value', '-c', 'Name'], tls)).stdout).toMatch(/m1\./);
    const show = await ncli(['server', 'show', 'vm1', '-f', 'value', '-c', 'id'], tls);
    expect(show.stdout.trim()).toBe(facts.VM1_ID);
    const vnc = await ncli(['console', 'get-vnc', 'vm1', '-f', 'value', '-c', 'url'], tls);
    expect(vnc.code, vnc.stderr).toBe(0);
    expect(vnc.stdout).toMatch(/token/);
  });

  it('a VNC console over wss through the TLS front (--url, --os-cacert)', async () => {
    const url = (await ncli(['console', 'get-vnc', 'vm1', '-f', 'value', '-c', 'url'], tls)).stdout.trim();
    const token = /token%3D([0-9a-f-]+)/.exec(url)?.[1] ?? /token=([0-9a-f-]+)/.exec(url)![1];
    const wss = `wss://127.0.0.1:${facts.NOVNC_TLS_PORT}/?token=${token}`;
    const tun = startNcli(['--os-cacert', facts.CLOUD_CA, 'console', 'tunnel', '--url', wss, '--stdio'], bare());
    try {
      const init = await rfbHandshake(
        (n) => tun.read(n),
        (b) => tun.child.stdin.write(b),
      );
      expect(init).toMatchObject({ width: 640, height: 480, name: 'devcloud-vm1' });
      tun.child.stdin.end();
      expect((await tun.exited).code).toBe(0);
    } finally {
      tun.kill();
    }
  });

  describe('certificate verification', () => {
    const UNTRUSTED =
      /^ncli: Cannot reach Keystone at https:\/\/127\.0\.0\.1:\d+\/v3: TLS certificate not trusted \([A-Z_]+\); trust its CA with --os-cacert FILE \(or OS_CACERT\), or skip verification with --insecure\.\n$/;

    it('without the CA: one line saying how to trust it', async () => {
      const r = await ncli(['server', 'list'], bare());
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(UNTRUSTED);
    });

    it('with another CA (--os-cacert of the wrong one): the same line', async () => {
      const other = selfSignedCert();
      const r = await ncli(['--os-cacert', other.certFile, 'server', 'list'], bare());
      expect(r.stderr).toMatch(UNTRUSTED);
    });

    it('--os-cacert, OS_CACERT and --insecure each work', async () => {
      const a = await ncli(['--os-cacert', facts.CLOUD_CA, 'flavor', 'list', '-f', 'value', '-c', 'ID'], bare());
      expect(a.code, a.stderr).toBe(0);
      const b = await ncli(['flavor', 'list', '-f', 'value', '-c', 'ID'], bare({ OS_CACERT: facts.CLOUD_CA }));
      expect(b.code, b.stderr).toBe(0);
      const c = await ncli(['--insecure', 'flavor', 'list', '-f', 'value', '-c', 'ID'], bare());
      expect(c.code, c.stderr).toBe(0);
      expect(a.stdout).toBe(b.stdout);
      expect(b.stdout).toBe(c.stdout);
    });

    it('a wss console with an untrusted certificate is one line too', async () => {
      const wss = `wss://127.0.0.1:${facts.NOVNC_TLS_PORT}/?token=00000000-0000-0000-0000-000000000000`;
      const r = await ncli(['console', 'tunnel', '--url', wss, '--stdio'], bare(), { input: '' });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /^ncli: Cannot verify the TLS connection to the console proxy at wss:\/\/127\.0\.0\.1:\d+: .*; trust its CA with --os-cacert FILE \(or OS_CACERT\), or skip verification with --insecure\.\n$/,
      );
    });
  });
});
