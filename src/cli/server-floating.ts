/**
 * What `server add floating ip`, `server remove floating ip` and `server remove fixed ip` do,
 * between the handlers (src/commands/server/add/floating.ts, remove/floating.ts, remove/fixed.ts)
 * and the clients, as openstackclient 6 does them through Neutron
 * (openstackclient/compute/v2/server.py `AddFloatingIP`, `RemoveFloatingIP`, `RemoveFixedIP`):
 * the server by name (Nova), the floating IP by address or ID and the server's ports (Neutron,
 * src/network/floating-ips.ts), the checks that read better from here than Neutron's answer (a
 * floating IP bound to another server, a fixed IP the server does not have), then the request.
 */
import type { Context } from './context.js';
import { bulkSettings } from './server-actions.js';
import { labelOf, type WaitArgs } from './server-attach.js';
import { detachInterface, listInterfaces, waitForDetach } from '../compute/interfaces.js';
import type { Server } from '../compute/types.js';
import type { NetworkClient, Port } from '../network/client.js';
import {
  findFloatingIp,
  FloatingIpRefusedError,
  isUnreachable,
  listDevicePorts,
  setPortFixedIps,
  updateFloatingIp,
  type FloatingIp,
} from '../network/floating-ips.js';

function serverLabel(s: Server): string {
  return s.name || s.id;
}

const ipsOf = (p: { fixed_ips?: readonly { ip_address: string }[] | null }) =>
  (p.fixed_ips ?? []).map((ip) => ip.ip_address);

/** `port ID (10.10.0.5)`. */
function portLabel(p: Port): string {
  const ips = ipsOf(p);
  return `port ${p.id}${ips.length ? ` (${ips.join(', ')})` : ''}`;
}

/**
 * The port a floating IP is associated with, in words (`port ID (10.10.0.5) of server ID`), and
 * the device (server, router) it is bound to when Neutron says; a port that cannot be read is
 * named by its ID alone (the words only feed a message).
 */
async function holderOf(net: NetworkClient, fip: FloatingIp): Promise<{ deviceId?: string; words: string }> {
  const base = `port ${fip.port_id}${fip.fixed_ip_address ? ` (${fip.fixed_ip_address})` : ''}`;
  try {
    const port = await net.getPort(fip.port_id!);
    if (!port.device_id) return { words: base };
    const owner = port.device_owner ?? '';
    const of = owner.startsWith('compute:') ? `server ${port.device_id}` : `${owner || 'device'} ${port.device_id}`;
    return { deviceId: port.device_id, words: `${base} of ${of}` };
  } catch {
    return { words: base };
  }
}

/**
 * `server add floating ip SERVER IP [--fixed-ip-address A]`: with A, the server's first port
 * holding A; without, each of the server's ports in turn until Neutron takes one (a port on a
 * subnet no router reaches is skipped), as openstackclient. Refuses, before asking Neutron, a
 * floating IP associated with another server's port, a server without ports, and a fixed IP the
 * server does not have.
 * @throws NotFoundError, FloatingIpRefusedError, ApiError
 */
export async function addFloatingIp(
  ctx: Context,
  serverRef: string,
  ipRef: string,
  fixedIp: string | undefined,
): Promise<void> {
  const [server, net] = await Promise.all([ctx.server(serverRef), ctx.network()]);
  const fip = await findFloatingIp(net, ipRef);
  const what = fip.floating_ip_address;
  const ports = await listDevicePorts(net, server.id);
  if (fip.port_id && !ports.some((p) => p.id === fip.port_id)) {
    const holder = await holderOf(net, fip);
    const on = holder.deviceId ?? 'SERVER';
    throw new FloatingIpRefusedError(
      `Floating IP ${what} is already associated with ${holder.words}; remove it there first (ncli server remove floating ip ${on} ${what}).`,
      0,
    );
  }
  if (!ports.length) {
    throw new FloatingIpRefusedError(
      `Server ${serverLabel(server)} has no port to associate floating IP ${what} with; add one first (ncli server add network SERVER NETWORK).`,
      0,
    );
  }
  if (fixedIp) {
    const port = ports.find((p) => ipsOf(p).includes(fixedIp));
    if (!port) {
      throw new FloatingIpRefusedError(
        `Server ${serverLabel(server)} has no port with fixed IP ${fixedIp} (its fixed IPs: ${ports.flatMap(ipsOf).join(', ') || 'none'}); pick one of them with --fixed-ip-address.`,
        0,
      );
    }
    await updateFloatingIp(net, fip, port.id, fixedIp, what, `${portLabel(port)} of server ${serverLabel(server)}`);
    return;
  }
  let last: FloatingIpRefusedError | undefined;
  for (const port of ports) {
    try {
      await updateFloatingIp(net, fip, port.id, undefined, what, `${portLabel(port)} of server ${serverLabel(server)}`);
      return;
    } catch (e) {
      if (!isUnreachable(e)) throw e;
      ctx.debug(`port ${port.id} skipped: no router joins its subnet to the floating IP's network`);
      last = e;
    }
  }
  const network = fip.floating_network_id
    ? ` network ${await net.findNetwork(fip.floating_network_id).then(labelOf, () => fip.floating_network_id)}`
    : ' the network';
  throw new FloatingIpRefusedError(
    `Server ${serverLabel(server)} has no port on a network that a router connects to${network} of floating IP ${what} ` +
      `(its fixed IPs: ${ports.flatMap(ipsOf).join(', ') || 'none'}); add a port on such a network (ncli server add network SERVER NETWORK) ` +
      `or a router interface on the port's subnet (openstack router add subnet ROUTER SUBNET).`,
    last?.status ?? 404,
  );
}

/**
 * `server remove floating ip SERVER IP`: dissociates the floating IP (`port_id` null), as
 * openstackclient; refuses one associated with another server's port, and warns (exit 0) about
 * one associated with nothing.
 * @throws NotFoundError, FloatingIpRefusedError, ApiError
 */
export async function removeFloatingIp(ctx: Context, serverRef: string, ipRef: string): Promise<void> {
  const [server, net] = await Promise.all([ctx.server(serverRef), ctx.network()]);
  const fip = await findFloatingIp(net, ipRef);
  const what = fip.floating_ip_address;
  if (!fip.port_id) {
    ctx.warn(`ncli: floating IP ${what} is not associated with any port; nothing removed.`);
    return;
  }
  const holder = await holderOf(net, fip);
  if (holder.deviceId && holder.deviceId !== server.id) {
    throw new FloatingIpRefusedError(
      `Floating IP ${what} is associated with ${holder.words}, not with server ${serverLabel(server)}; nothing removed (ncli server remove floating ip ${holder.deviceId} ${what} removes it there).`,
      0,
    );
  }
  await updateFloatingIp(net, fip, null, undefined, what, '');
}

/**
 * `server remove fixed ip SERVER IP [--wait]`: the server's interface holding the address loses
 * it. A port with other fixed IPs keeps them (`PUT /v2.0/ports/{id}`, as Nova's `removeFixedIp`);
 * a port whose only fixed IP it is is detached (`DELETE os-interface`, Nova deletes a port it
 * made), and --wait polls until the server no longer has it.
 * @throws FloatingIpRefusedError (no such fixed IP on the server), InterfaceRefusedError, ApiError,
 *   NcliError `WAIT_TIMEOUT`
 */
export async function removeFixedIp(ctx: Context, serverRef: string, ip: string, w: WaitArgs): Promise<void> {
  const settings = bulkSettings(w);
  const [server, compute] = await Promise.all([ctx.server(serverRef), ctx.compute()]);
  const interfaces = await listInterfaces(compute, server.id);
  const iface = interfaces.find((i) => ipsOf(i).includes(ip));
  if (!iface) {
    throw new FloatingIpRefusedError(
      `Server ${serverLabel(server)} has no fixed IP ${ip} (its fixed IPs: ${interfaces.flatMap(ipsOf).join(', ') || 'none'}); nothing removed.`,
      0,
    );
  }
  const keep = (iface.fixed_ips ?? []).filter((x) => x.ip_address !== ip);
  if (keep.length) {
    const net = await ctx.network();
    await setPortFixedIps(
      net,
      iface.port_id,
      keep,
      `remove fixed IP ${ip} from port ${iface.port_id} of server ${serverLabel(server)}`,
    );
    return;
  }
  const what = `port ${labelOf({ id: iface.port_id })} (fixed IP ${ip})`;
  await detachInterface(compute, server.id, iface.port_id, what, serverLabel(server));
  if (settings.wait) await waitForDetach(compute, server.id, [iface.port_id], serverLabel(server), settings.timeout);
}
