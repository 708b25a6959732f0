/**
 * The local cloud's own parts (scripts/cloud), checked through real clients: Keystone TOTP
 * multi-factor logins (receipts), the nginx TLS front (https, wss, region RegionTLS, clouds.yaml
 * devcloud-tls), the SPICE console (QEMU's SPICE server with spicy-screenshot, and the SPICE link
 * handshake through nova-spicehtml5proxy), the rdp refusal, the fault hooks of the fake driver
 * (devcloud_driver.py) and a server on the Neutron network `private`. What the tests assert is
 * what scripts/cloud/README.md documents.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { fetch } from 'undici';
import { beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  bootServer,
  cloudFetch,
  deleteServer,
  keystoneToken,
  nova,
  passwordAuthBody,
  settled,
  waitServer,
  withSerialProxy,
  type ServerView,
} from '../support/cloud-api.js';
import { ensureMfaUser, type MfaUser } from '../support/cloud-mfa.js';
import { CLOUD_DIR, ROOT, cloudEnv, cloudFacts, describeCloud, openstack, run } from '../support/cloud.js';
import { totpCode } from '../support/totp.js';

/** Connects a WebSocket (trusting the harness CA for wss), sends `send`, resolves with the first `n` bytes received. */
function wsFirstBytes(url: string, n: number, send?: Buffer, ms = 10_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['binary'], { ca: readFileSync(cloudFacts().CLOUD_CA) });
    let got = Buffer.alloc(0);
    const timer = setTimeout(() => {
      ws.terminate();
      reject(
        new Error(`${n} bytes from ${url.replace(/token=[^&]+/, 'token=…')} not within ${ms} ms (got ${got.length})`),
      );
    }, ms);
    ws.on('open', () => send && ws.send(send));
    ws.on('message', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (got.length >= n) {
        clearTimeout(timer);
        ws.terminate();
        resolve(got);
      }
    });
    ws.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/**
 * A SPICE link message for the main channel, no capabilities: SpiceLinkHeader (magic "REDQ",
 * protocol 2.2, size) + SpiceLinkMess (connection id 0, channel type 1 = main, channel id 0,
 * no caps, caps offset 18), little-endian (spice-protocol spice/protocol.h).
 */
function spiceLinkMain(): Buffer {
  const mess = Buffer.alloc(18);
  mess.writeUInt8(1, 4); // channel_type main
  mess.writeUInt32LE(18, 14); // caps_offset
  const header = Buffer.alloc(16);
  header.write('REDQ', 0, 'ascii');
  header.writeUInt32LE(2, 4);
  header.writeUInt32LE(2, 8);
  header.writeUInt32LE(mess.length, 12);
  return Buffer.concat([header, mess]);
}

/** A console URL from Nova (remote-consoles, microversion 2.6). */
async function consoleUrl(serverId: string, protocol: string, type: string, base?: string): Promise<string> {
  const r = await nova<{ remote_console: { url: string } }>(
    'POST',
    `/servers/${serverId}/remote-consoles`,
    { remote_console: { protocol, type } },
    { microversion: '2.6', base },
  );
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.remote_console.url;
}

/** Keystone's MFA receipt body (keystone/receipt/handlers.py). */
interface ReceiptBody {
  receipt: { methods: string[]; user: { id: string; name: string; domain: { name: string } }; expires_at: string };
  required_auth_methods: string[][];
}
interface TokenBody {
  token: { methods: string[]; project: { name: string } };
}
interface Link {
  href: string;
}
interface InstanceAction {
  action: string;
  message: string | null;
  request_id: string;
  events?: Record<string, unknown>[];
}

const tokenOf = (url: string): string => /token(?:=|%3D)([0-9a-f-]{36})/.exec(url)![1];

describeCloud('the local cloud harness (scripts/cloud)', () => {
  let facts: Record<string, string>;
  beforeAll(() => {
    facts = cloudFacts();
  });

  describe('Keystone multi-factor login (totp)', () => {
    let user: MfaUser;
    beforeAll(async () => {
      user = await ensureMfaUser();
      // a second call changes nothing: the same secret (passcodes of concurrent callers agree)
      expect((await ensureMfaUser()).secret).toBe(user.secret);
    });

    const post = (base: string, body: unknown, receipt?: string) =>
      cloudFetch(`${base}/auth/tokens`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...(receipt ? { 'Openstack-Auth-Receipt': receipt } : {}) },
        body: JSON.stringify(body),
      });

    for (const via of ['KEYSTONE_URL', 'KEYSTONE_TLS_URL']) {
      it(`a password alone gets 401 + a receipt; the receipt and a TOTP passcode get a token (${via})`, async () => {
        const base = facts[via];
        const first = await post(base, passwordAuthBody(user));
        expect(first.status).toBe(401);
        const receipt = first.headers.get('openstack-auth-receipt');
        expect(receipt).toMatch(/^gAAAAA[\w-]+=*$/); // a Fernet token
        const body = (await first.json()) as ReceiptBody;
        expect(body.receipt.methods).toEqual(['password']);
        expect(body.receipt.user).toMatchObject({ id: user.userId, name: user.username, domain: { name: 'Default' } });
        expect(Date.parse(body.receipt.expires_at)).toBeGreaterThan(Date.now());
        expect(body.required_auth_methods.map((m) => [...m].sort())).toEqual([['password', 'totp']]);

        const second = await post(base, passwordAuthBody(user, ['totp'], totpCode(user.secret)), receipt!);
        expect(second.status).toBe(201);
        expect(second.headers.get('x-subject-token')).toBeTruthy();
        const { token } = (await second.json()) as TokenBody;
        expect([...token.methods].sort()).toEqual(['password', 'totp']);
        expect(token.project.name).toBe(user.project);
      });
    }

    it('password and totp in one request get a token; a wrong passcode gets a plain 401', async () => {
      const both = await post(facts.KEYSTONE_URL, passwordAuthBody(user, ['password', 'totp'], totpCode(user.secret)));
      expect(both.status).toBe(201);
      await both.text();
      const now = Date.now();
      const valid = new Set([totpCode(user.secret, now), totpCode(user.secret, now - 30_000)]);
      let wrong = 0;
      while (valid.has(String(wrong).padStart(6, '0'))) wrong++;
      const bad = await post(
        facts.KEYSTONE_URL,
        passwordAuthBody(user, ['password', 'totp'], String(wrong).padStart(6, '0')),
      );
      expect(bad.status).toBe(401);
      expect(bad.headers.get('openstack-auth-receipt')).toBeNull();
      expect(((await bad.json()) as { error: { code: number } }).error.code).toBe(401);
    });
  });

  describe('TLS front (nginx)', () => {
    it('serves Keystone over https with a certificate for 127.0.0.1 and localhost from the harness CA', async () => {
      const version = (await (await cloudFetch(facts.KEYSTONE_TLS_URL)).json()) as { version: { links: Link[] } };
      expect(version.version.links[0].href).toBe(`${facts.KEYSTONE_TLS_URL}/`); // Keystone is told the scheme
      await expect(fetch(facts.KEYSTONE_TLS_URL)).rejects.toMatchObject({
        cause: { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' },
      });
      const san = await new Promise<string>((resolve, reject) => {
        const port = Number(new URL(facts.KEYSTONE_TLS_URL).port);
        const s = tls.connect({ host: '127.0.0.1', port, ca: readFileSync(facts.CLOUD_CA) }, () => {
          resolve(s.getPeerCertificate().subjectaltname ?? '');
          s.end();
        });
        s.on('error', reject);
      });
      expect(san).toBe('IP Address:127.0.0.1, DNS:localhost');
      const mode = (p: string) => execFileSync('stat', ['-c', '%a', p]).toString().trim();
      expect(mode(join(facts.CLOUD_CA, '..', 'private'))).toBe('700');
      expect(mode(join(facts.CLOUD_CA, '..', 'private', 'server.key'))).toBe('600');
    });

    it('RegionTLS: identity and public compute over https; the token catalog says so', async () => {
      const t = await keystoneToken(undefined, facts.KEYSTONE_TLS_URL);
      const url = (type: string, iface: string) =>
        t.body.token.catalog
          .find((s) => s.type === type)!
          .endpoints.find((e) => e.region_id === facts.TLS_REGION && e.interface === iface)!.url;
      expect(url('identity', 'public')).toBe(`${facts.KEYSTONE_TLS_URL}/`);
      expect(url('compute', 'public')).toBe(facts.NOVA_TLS_URL);
      expect(url('compute', 'internal')).toBe(facts.NOVA_URL);
    });

    it('Nova behind the front writes http:// links (it is not told the scheme); consoles stay http/ws', async () => {
      const r = await nova<{ servers: { links: Link[] }[]; servers_links: Link[] }>(
        'GET',
        '/servers?limit=1',
        undefined,
        {
          base: facts.NOVA_TLS_URL,
        },
      );
      expect(r.status).toBe(200);
      const tlsOrigin = new URL(facts.NOVA_TLS_URL).host; // 127.0.0.1:18774
      expect(r.body.servers_links[0].href).toMatch(new RegExp(`^http://${tlsOrigin}/v2\\.1/servers\\?limit=1&marker=`));
      expect(r.body.servers[0].links[0].href).toMatch(new RegExp(`^http://${tlsOrigin}/v2\\.1/servers/`));
      const plain = await fetch(r.body.servers_links[0].href);
      expect(plain.status).toBe(400); // nginx: "The plain HTTP request was sent to HTTPS port"
      await plain.text();
      const vnc = await consoleUrl(facts.VM1_ID, 'vnc', 'novnc', facts.NOVA_TLS_URL);
      expect(vnc).toMatch(/^http:\/\/127\.0\.0\.1:6080\/vnc_auto\.html\?path=%3Ftoken%3D/);
    });

    it('clouds.yaml devcloud-tls works for the openstack CLI (cacert, RegionTLS)', async () => {
      const r = await run(
        '/usr/bin/openstack',
        ['--os-cloud', 'devcloud-tls', 'server', 'show', 'vm1', '-f', 'value', '-c', 'id'],
        cloudEnv(),
      );
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe(facts.VM1_ID);
    });

    it('carries the console WebSockets: wss to nova-novncproxy and nova-serialproxy', async () => {
      const vnc = tokenOf(await consoleUrl(facts.VM1_ID, 'vnc', 'novnc'));
      const rfb = await wsFirstBytes(`wss://127.0.0.1:${facts.NOVNC_TLS_PORT}/?token=${vnc}`, 12);
      expect(rfb.toString('latin1')).toBe('RFB 003.008\n');
      // (the serial-proxy lock: console.test.ts restarts nova-serialproxy meanwhile)
      await withSerialProxy(async () => {
        const serial = tokenOf(await consoleUrl(facts.VM1_ID, 'serial', 'serial'));
        const banner = await wsFirstBytes(`wss://127.0.0.1:${facts.SERIAL_TLS_PORT}/?token=${serial}`, 21);
        expect(banner.toString()).toBe('\r\ndevcloud-vm1 login: ');
      });
    });
  });

  describe('SPICE console (QEMU)', () => {
    it("spicy-screenshot saves QEMU's screen (SeaBIOS text mode) straight from its SPICE port", async () => {
      const out = join(mkdtempSync(join(tmpdir(), 'ncli-spice-')), 'shot.ppm');
      const r = await run('/usr/bin/spicy-screenshot', ['-h', '127.0.0.1', '-p', facts.SPICE_PORT, '-o', out], {
        ...cloudEnv(),
      });
      expect(r.code, r.stderr).toBe(0);
      const ppm = readFileSync(out);
      const m = /^P6\n(\d+) (\d+)\n255\n/.exec(ppm.subarray(0, 20).toString('latin1'))!;
      expect([Number(m[1]), Number(m[2])]).toEqual([720, 400]);
      const pixels = ppm.subarray(m[0].length);
      expect(pixels.length).toBe(720 * 400 * 3);
      expect(pixels.some((b) => b !== 0)).toBe(true); // text on the black screen
    });

    it('Nova hands out spice-html5 URLs; nova-spicehtml5proxy relays the SPICE link over ws and wss', async () => {
      const url = await consoleUrl(facts.VM1_ID, 'spice', 'spice-html5');
      expect(url).toMatch(
        new RegExp(`^http://127\\.0\\.0\\.1:${facts.SPICE_PROXY_PORT}/spice_auto\\.html\\?token=[0-9a-f-]{36}$`),
      );
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('spice');
      for (const ws of [
        `ws://127.0.0.1:${facts.SPICE_PROXY_PORT}/?token=${tokenOf(url)}`,
        `wss://127.0.0.1:${facts.SPICE_TLS_PORT}/?token=${tokenOf(url)}`,
      ]) {
        const reply = await wsFirstBytes(ws, 20, spiceLinkMain());
        expect(reply.subarray(0, 4).toString('latin1')).toBe('REDQ');
        expect([reply.readUInt32LE(4), reply.readUInt32LE(8)]).toEqual([2, 2]); // protocol 2.2
        expect(reply.readUInt32LE(16)).toBe(0); // SpiceLinkReply.error: SPICE_LINK_ERR_OK
      }
    });
  });

  describe('refusals and injected faults', () => {
    it('rdp stays off: Nova answers 400 to openstack console url show --rdp', async () => {
      const r = await openstack(['console', 'url', 'show', '--rdp', 'vm1']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /^BadRequestException: 400: Client Error for url: .*\/remote-consoles, Unavailable console type rdp-html5\.\n$/,
      );
    });

    it('fail-boot servers end in ERROR with the fault; fail-console servers get the 400 of a console type turned off', async () => {
      const name = `fail-boot-harness-${process.pid}`;
      const s = await bootServer(name);
      try {
        expect(s.status).toBe('ERROR');
        expect(s.fault!.message).toBe(
          `Build of instance ${s.id} aborted: devcloud: injected failure of boot for server ${name} (its name starts with fail-boot)`,
        );
      } finally {
        await deleteServer(s.id);
      }
      const c = await bootServer(`fail-console-harness-${process.pid}`);
      try {
        expect(c.status).toBe('ACTIVE');
        const r = await nova(
          'POST',
          `/servers/${c.id}/remote-consoles`,
          { remote_console: { protocol: 'spice', type: 'spice-html5' } },
          { microversion: '2.6' },
        );
        expect([r.status, r.body]).toEqual([
          400,
          { badRequest: { code: 400, message: 'Unavailable console type spice-html5.' } },
        ]);
      } finally {
        await deleteServer(c.id);
      }
    });

    it('a failed start keeps the server SHUTOFF; its instance action records the error (2.84 details)', async () => {
      const name = `fail-start-harness-${process.pid}`;
      const s = await bootServer(name);
      try {
        expect((await nova('POST', `/servers/${s.id}/action`, { 'os-stop': null })).status).toBe(202);
        await waitServer(s.id, (v) => v!.status === 'SHUTOFF' && settled(v));
        expect((await nova('POST', `/servers/${s.id}/action`, { 'os-start': null })).status).toBe(202);
        const list = async () =>
          (await nova<{ instanceActions: InstanceAction[] }>('GET', `/servers/${s.id}/os-instance-actions`)).body
            .instanceActions;
        const deadline = Date.now() + 30_000;
        while ((await list())[0].message !== 'Error' && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 200));
        const [start] = await list();
        expect(start).toMatchObject({ action: 'start', message: 'Error' });
        const shown = (
          await nova<{ instanceAction: InstanceAction }>(
            'GET',
            `/servers/${s.id}/os-instance-actions/${start.request_id}`,
          )
        ).body;
        expect(shown.instanceAction.events).toEqual([
          expect.objectContaining({
            event: 'compute_start_instance',
            result: 'Error',
            host: 'devcloud-compute',
            details: `devcloud: injected failure of start for server ${name} (its name starts with fail-start)`,
            traceback: expect.stringContaining('InjectedFault'),
          }),
        ]);
        const now = (await waitServer(s.id, settled)) as ServerView;
        expect(now.status).toBe('SHUTOFF');
      } finally {
        await deleteServer(s.id);
      }
    });
  });

  describe('networks and images', () => {
    it('a server boots on network private (the devcloud ML2 driver binds its port) and gets an address', async () => {
      const s = await bootServer(`harness-net-${process.pid}`, { networks: [facts.PRIVATE_NET_ID] });
      try {
        expect(s.status).toBe('ACTIVE');
        expect(s.addresses.private[0].addr).toMatch(/^10\.10\.0\.\d+$/);
      } finally {
        await deleteServer(s.id);
      }
    });

    it('has a second image for rebuilds', async () => {
      const r = await openstack(['image', 'show', 'devcloud-image-2', '-f', 'value', '-c', 'id', '-c', 'status']);
      expect(r.stdout.split('\n').filter(Boolean)).toEqual([facts.IMAGE2_ID, 'active']);
    });
  });

  describe('a second checkout', () => {
    /** The harness's own services (SERVICES in scripts/cloud/lib.sh) and their PIDs now. */
    const services = (): Record<string, string> => {
      const names = /^SERVICES="([^"]+)"/m
        .exec(readFileSync(join(ROOT, 'scripts/cloud/lib.sh'), 'utf8'))![1]
        .split(/\s+/);
      const out: Record<string, string> = {};
      for (const name of names.filter(Boolean)) {
        const file = join(CLOUD_DIR, 'run', `${name}.pid`);
        if (existsSync(file)) out[name] = readFileSync(file, 'utf8').trim();
      }
      return out;
    };

    it(
      'up.sh of another copy of the harness restarts nothing, and no service names that copy or runs in it',
      { timeout: 600_000 },
      async () => {
        const copy = mkdtempSync(join(tmpdir(), 'ncli-second-checkout-'));
        cpSync(join(ROOT, 'scripts', 'cloud'), join(copy, 'scripts', 'cloud'), {
          recursive: true,
          filter: (src) => !src.includes('__pycache__'),
        });
        const before = services();
        try {
          const r = await run(
            'bash',
            [join(copy, 'scripts', 'cloud', 'up.sh')],
            process.env as Record<string, string>,
            {
              timeoutMs: 580_000,
            },
          );
          expect(r.code, r.stderr).toBe(0);
          expect(r.stdout).not.toMatch(/configuration or code changed|runs in a deleted folder/);
          const after = services();
          // (a test may kill a console proxy for its reconnect test: up.sh restarts what died)
          for (const name of [
            'mariadb',
            'rabbitmq',
            'keystone',
            'nova-api',
            'nova-conductor',
            'nova-compute',
            'cinder-volume',
          ])
            expect(after[name], name).toBe(before[name]);
          for (const [name, pid] of Object.entries(after)) {
            const group = execFileSync('ps', ['-o', 'pid=', '-s', pid]).toString().trim().split(/\s+/);
            for (const p of group) {
              const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').replaceAll('\0', ' ');
              const cwd = readlinkSync(`/proc/${p}/cwd`);
              for (const dir of [copy, ROOT.replace(/\/$/, '')]) {
                expect(cmd, `${name} (pid ${p}) command line`).not.toContain(dir);
                expect(cwd.startsWith(dir), `${name} (pid ${p}) runs in ${cwd}`).toBe(false);
              }
            }
          }
        } finally {
          rmSync(copy, { recursive: true, force: true });
        }
      },
    );
  });
});
