/**
 * `server add floating ip`, `server remove floating ip` and `server remove fixed ip` against the
 * real local cloud (Neutron with the L3 router plugin: external network `public`, router
 * `devcloud-router` joining it to `private-subnet`; `private-2` has no router), with
 * python-openstackclient as the oracle (`floating ip show`, `port show`, `server show`). Its own
 * throwaway servers (bootServer, project admin, named floating-<pid>-…) and floating IPs (their
 * description floating-<pid>) are deleted in afterAll.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bootServer, deleteServer } from '../support/cloud-api.js';
import { cloudEnv, cloudFacts, describeCloud, freshCache, ncli, openstack, ok, fails } from '../support/cloud.js';

const PREFIX = `floating-${process.pid}`;

async function osJson<T = Record<string, unknown>>(args: string[]): Promise<T> {
  const r = await openstack([...args, '-f', 'json']);
  expect([args.join(' '), r.stderr]).toEqual([args.join(' '), '']);
  return JSON.parse(r.stdout) as T;
}

interface Fip {
  id: string;
  floating_ip_address: string;
  port_id: string | null;
  fixed_ip_address: string | null;
}
interface OscPort {
  id: string;
  network_id: string;
  fixed_ips: { ip_address: string; subnet_id: string }[];
}

describeCloud('server add|remove floating ip, server remove fixed ip against the real cloud', () => {
  const facts = cloudFacts();
  const env = cloudEnv({}, freshCache());
  const run = (args: string[]) => ncli(args, env, { timeoutMs: 120_000 });
  // a: ports on private (a router reaches it) and private-2; b: a port on private-2 only
  const [a, b] = [`${PREFIX}-a`, `${PREFIX}-b`];
  const ids: Record<string, string> = {};
  const fips: Fip[] = [];
  /** The port of server `id` on network `netId`. */
  const portOn = async (id: string, netId: string): Promise<OscPort> => {
    const ports = await osJson<{ ID: string; 'Fixed IP Addresses': unknown }[]>(['port', 'list', '--server', id]);
    const all = await Promise.all(ports.map((p) => osJson<OscPort>(['port', 'show', p.ID])));
    const port = all.find((p) => p.network_id === netId);
    if (!port) throw new Error(`server ${id} has no port on network ${netId}`);
    return port;
  };
  const fipShow = (f: Fip) => osJson<Fip>(['floating', 'ip', 'show', f.id]);

  beforeAll(async () => {
    const probe = await openstack(['floating', 'ip', 'list', '-f', 'value', '-c', 'ID']);
    if (probe.code !== 0) {
      throw new Error(
        `Neutron serves no floating IPs (${probe.stderr.trim()}): the L3 router plugin is off; run npm run cloud:up from this checkout.`,
      );
    }
    const [sa, sb] = await Promise.all([
      bootServer(a, { networks: [facts.PRIVATE_NET_ID, facts.PRIVATE2_NET_ID] }),
      bootServer(b, { networks: [facts.PRIVATE2_NET_ID] }),
    ]);
    Object.assign(ids, { a: sa.id, b: sb.id });
    for (let i = 0; i < 2; i++) {
      fips.push(await osJson<Fip>(['floating', 'ip', 'create', facts.PUBLIC_NET_NAME, '--description', PREFIX]));
    }
    expect([sa.status, sb.status]).toEqual(['ACTIVE', 'ACTIVE']);
  }, 300_000);

  afterAll(async () => {
    await Promise.all(fips.map((f) => openstack(['floating', 'ip', 'delete', f.id])));
    await Promise.all([ids.a, ids.b].filter(Boolean).map((id) => deleteServer(id)));
  }, 300_000);

  it('adds a floating IP by address to the port a router reaches, refuses it for another server, removes it', async () => {
    const [f] = fips;
    const priv = await portOn(ids.a, facts.PRIVATE_NET_ID);
    expect(ok(await run(['server', 'add', 'floating', 'ip', a, f.floating_ip_address]))).toBe('');
    let shown = await fipShow(f);
    // the private-2 port (no router) is skipped whatever Neutron's order: the private one gets it
    expect([shown.port_id, shown.fixed_ip_address]).toEqual([priv.id, priv.fixed_ips[0].ip_address]);
    // again: the same association, no error (openstackclient sends it again too)
    ok(await run(['server', 'add', 'floating', 'ip', a, f.floating_ip_address]));

    expect(fails(await run(['server', 'add', 'floating', 'ip', b, f.floating_ip_address]))).toBe(
      `ncli: Floating IP ${f.floating_ip_address} is already associated with port ${priv.id} (${priv.fixed_ips[0].ip_address}) ` +
        `of server ${ids.a}; remove it there first (ncli server remove floating ip ${ids.a} ${f.floating_ip_address}).\n`,
    );
    expect(fails(await run(['server', 'remove', 'floating', 'ip', b, f.floating_ip_address]))).toMatch(
      new RegExp(
        `^ncli: Floating IP ${f.floating_ip_address} is associated with port ${priv.id} .* not with server ${b}; nothing removed`,
      ),
    );
    shown = await fipShow(f);
    expect(shown.port_id).toBe(priv.id);

    expect(ok(await run(['server', 'remove', 'floating', 'ip', a, f.floating_ip_address]))).toBe('');
    shown = await fipShow(f);
    expect([shown.port_id, shown.fixed_ip_address]).toEqual([null, null]);
    // removed again: nothing to do, a warning and exit status 0 (openstackclient: silent)
    const again = await run(['server', 'remove', 'floating', 'ip', a, f.floating_ip_address]);
    expect([again.code, again.stderr]).toEqual([
      0,
      `ncli: floating IP ${f.floating_ip_address} is not associated with any port; nothing removed.\n`,
    ]);
  }, 240_000);

  it('adds a floating IP by ID with --fixed-ip-address; a fixed IP the server lacks, no router reaches or with a floating IP is one line', async () => {
    const [, f] = fips;
    const priv = await portOn(ids.a, facts.PRIVATE_NET_ID);
    const priv2 = await portOn(ids.a, facts.PRIVATE2_NET_ID);
    const fixed = priv.fixed_ips[0].ip_address;

    expect(fails(await run(['server', 'add', 'floating', 'ip', a, f.id, '--fixed-ip-address', '192.0.2.77']))).toMatch(
      /^ncli: Server floating-\d+-a has no port with fixed IP 192\.0\.2\.77 \(its fixed IPs: .*\); pick one of them with --fixed-ip-address\.\n$/,
    );
    const unreachable = fails(
      await run(['server', 'add', 'floating', 'ip', a, f.id, '--fixed-ip-address', priv2.fixed_ips[0].ip_address]),
    );
    expect(unreachable).toMatch(
      /^ncli: Neutron refused to associate floating IP .* is not reachable from subnet .*\(HTTP 404.*\); give the server a port on a network a router connects to/,
    );
    expect((await fipShow(f)).port_id).toBeNull();

    // a fixed IP that already has another floating IP: Neutron's 409, one line
    const [other] = fips;
    ok(await run(['server', 'add', 'floating', 'ip', a, other.floating_ip_address, '--fixed-ip-address', fixed]));
    expect(fails(await run(['server', 'add', 'floating', 'ip', a, f.id, '--fixed-ip-address', fixed]))).toMatch(
      /^ncli: Neutron refused to associate floating IP .*already has a floating IP.*\(HTTP 409.*\); remove that floating IP from the server first \(ncli server remove floating ip SERVER IP\)\.\n$/,
    );
    ok(await run(['server', 'remove', 'floating', 'ip', a, other.floating_ip_address]));

    ok(await run(['server', 'add', 'floating', 'ip', a, f.id, '--fixed-ip-address', fixed]));
    const shown = await fipShow(f);
    expect([shown.port_id, shown.fixed_ip_address]).toEqual([priv.id, fixed]);
    ok(await run(['server', 'remove', 'floating', 'ip', a, f.id]));
    expect((await fipShow(f)).port_id).toBeNull();
  }, 240_000);

  it('a server whose ports no router reaches, and a floating IP that does not exist, are one line each', async () => {
    const [f] = fips;
    const err = fails(await run(['server', 'add', 'floating', 'ip', b, f.floating_ip_address]));
    expect(err).toMatch(
      new RegExp(
        `^ncli: Server ${b} has no port on a network that a router connects to network ${facts.PUBLIC_NET_NAME} \\(${facts.PUBLIC_NET_ID}\\) ` +
          `of floating IP ${f.floating_ip_address.replace(/\./g, '\\.')} \\(its fixed IPs: 10\\.20\\.0\\.\\d+\\); add a port on such a network`,
      ),
    );
    expect((await fipShow(f)).port_id).toBeNull();
    expect(fails(await run(['server', 'add', 'floating', 'ip', a, '192.0.2.1']))).toBe(
      "ncli: No floating IP with an address or ID of '192.0.2.1' exists; create one first (openstack floating ip create NETWORK).\n",
    );
    expect(fails(await run(['server', 'remove', 'floating', 'ip', a, '192.0.2.1']))).toMatch(
      /^ncli: No floating IP with an address or ID of '192\.0\.2\.1' exists/,
    );
  }, 240_000);

  it('remove fixed ip: a second address of a port goes from the port, a sole one detaches the port', async () => {
    const priv = await portOn(ids.a, facts.PRIVATE_NET_ID);
    const first = priv.fixed_ips[0].ip_address;
    // a second fixed IP on the private port (as Nova's addFixedIp did), then removed by ncli
    const r = await openstack(['port', 'set', '--fixed-ip', `subnet=${facts.PRIVATE_SUBNET_ID}`, priv.id]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const two = await osJson<OscPort>(['port', 'show', priv.id]);
    const second = two.fixed_ips.map((x) => x.ip_address).find((ip) => ip !== first)!;
    expect(two.fixed_ips).toHaveLength(2);
    expect(ok(await run(['server', 'remove', 'fixed', 'ip', a, second]))).toBe('');
    const after = await osJson<OscPort>(['port', 'show', priv.id]);
    expect(after.fixed_ips.map((x) => x.ip_address)).toEqual([first]);

    // the private-2 port has one address: removing it detaches the port
    const priv2 = await portOn(ids.a, facts.PRIVATE2_NET_ID);
    expect(ok(await run(['server', 'remove', 'fixed', 'ip', a, priv2.fixed_ips[0].ip_address, '--wait']))).toBe('');
    const s = await osJson<{ addresses: Record<string, string[]> }>(['server', 'show', ids.a]);
    expect(s.addresses).toEqual({ private: [first] });

    expect(fails(await run(['server', 'remove', 'fixed', 'ip', a, priv2.fixed_ips[0].ip_address]))).toBe(
      `ncli: Server ${a} has no fixed IP ${priv2.fixed_ips[0].ip_address} (its fixed IPs: ${first}); nothing removed.\n`,
    );
  }, 240_000);
});
