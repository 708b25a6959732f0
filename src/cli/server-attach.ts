/**
 * What `server add|remove port|network|fixed ip|security group|volume` do, between the handlers
 * (src/commands/server/add.ts, remove.ts and their nested modules) and the clients: the server by
 * name (Nova), the port, network or security group by name (Neutron, src/network/client.ts), the
 * volume by name (Cinder, src/volume/client.ts), the checks openstackclient leaves to Nova but
 * that read better from here (a port bound elsewhere, a volume in use), the request
 * (src/compute/interfaces.ts, src/compute/volume-attachments.ts), and with `--wait` the poll
 * until the change is done (the port gone from the server, the volume `in-use` or `available`).
 */
import type { Context } from './context.js';
import { bulkSettings } from './server-actions.js';
import {
  attachInterface,
  changeSecurityGroup,
  detachInterface,
  InterfaceRefusedError,
  listInterfaces,
  waitForDetach,
  type Interface,
} from '../compute/interfaces.js';
import {
  attachVolume,
  attachmentFields,
  detachVolume,
  VolumeRefusedError,
  type AttachVolumeRequest,
} from '../compute/volume-attachments.js';
import { hasMicroversion } from '../compute/versions.js';
import type { Server } from '../compute/types.js';
import { portBoundElsewhere } from '../network/client.js';
import { waitForVolume } from '../volume/client.js';

/** `--wait` and `--wait-timeout`. */
export interface WaitArgs {
  wait?: boolean;
  waitTimeout?: number;
}

/** `name (ID)`, or the ID alone for an unnamed resource. */
export function labelOf(x: { id: string; name?: string | null }): string {
  return x.name ? `${x.name} (${x.id})` : x.id;
}

/** Remembers a Neutron or Cinder resource for shell completion (the names cache). */
function remember(
  ctx: Context,
  kind: 'port' | 'network' | 'security-group' | 'volume',
  x: { id: string; name?: string | null },
) {
  return ctx.rememberNames(kind, [{ id: x.id, name: x.name ?? undefined }], { complete: false });
}

function serverLabel(s: Server): string {
  return s.name || s.id;
}

/**
 * `server add port SERVER PORT [--tag T]`: refuses a port bound to another server, router or
 * DHCP agent before asking Nova.
 * @throws InterfaceRefusedError, NotFoundError, ApiError
 */
export async function addPort(ctx: Context, serverRef: string, portRef: string, tag?: string): Promise<void> {
  const [server, network] = await Promise.all([ctx.server(serverRef), ctx.network()]);
  const port = await network.findPort(portRef);
  await remember(ctx, 'port', port);
  const bound = portBoundElsewhere(port, server.id);
  if (bound) {
    throw new InterfaceRefusedError(
      `Port ${labelOf(port)} is already bound to ${bound}; remove it there first (ncli server remove port SERVER PORT) or use a free port.`,
      0,
    );
  }
  await attachInterface(
    await ctx.compute(),
    server.id,
    { portId: port.id, tag },
    `port ${labelOf(port)}`,
    serverLabel(server),
  );
}

/** `server add network SERVER NETWORK [--tag T]`. @throws InterfaceRefusedError, NotFoundError, ApiError */
export async function addNetwork(ctx: Context, serverRef: string, netRef: string, tag?: string): Promise<void> {
  const [server, network] = await Promise.all([ctx.server(serverRef), ctx.network()]);
  const net = await network.findNetwork(netRef);
  await remember(ctx, 'network', net);
  await attachInterface(
    await ctx.compute(),
    server.id,
    { netId: net.id, tag },
    `network ${labelOf(net)}`,
    serverLabel(server),
  );
}

/**
 * `server add fixed ip SERVER NETWORK [--fixed-ip-address IP] [--tag T]`: a new port on the
 * network; the interface as openstackclient's `AddFixedIP` prints it.
 * @throws InterfaceRefusedError, NotFoundError, ApiError
 */
export async function addFixedIp(
  ctx: Context,
  serverRef: string,
  netRef: string,
  opts: { fixedIp?: string; tag?: string },
): Promise<Record<string, unknown>> {
  const [server, network, compute] = await Promise.all([ctx.server(serverRef), ctx.network(), ctx.compute()]);
  const net = await network.findNetwork(netRef);
  const i: Interface = await attachInterface(
    compute,
    server.id,
    { netId: net.id, fixedIp: opts.fixedIp, tag: opts.tag },
    `a fixed IP on network ${labelOf(net)}`,
    serverLabel(server),
  );
  return {
    'Port ID': i.port_id,
    'Server ID': server.id,
    'Network ID': i.net_id ?? net.id,
    'MAC Address': i.mac_addr ?? null,
    'Port State': i.port_state ?? null,
    'Fixed IPs': i.fixed_ips ?? [],
    ...((await hasMicroversion(compute, '2.49')) ? { Tag: i.tag ?? null } : {}),
  };
}

/**
 * `server remove port SERVER PORT [--wait]`: with --wait, until the server no longer lists it.
 * @throws InterfaceRefusedError (not on the server), NotFoundError, ApiError, NcliError `WAIT_TIMEOUT`
 */
export async function removePort(ctx: Context, serverRef: string, portRef: string, w: WaitArgs): Promise<void> {
  const settings = bulkSettings(w);
  const [server, network, compute] = await Promise.all([ctx.server(serverRef), ctx.network(), ctx.compute()]);
  const port = await network.findPort(portRef);
  await detachInterface(compute, server.id, port.id, `port ${labelOf(port)}`, serverLabel(server));
  if (settings.wait) await waitForDetach(compute, server.id, [port.id], serverLabel(server), settings.timeout);
}

/**
 * `server remove network SERVER NETWORK [--wait]`: every port of the server on that network, as
 * openstackclient's `RemoveNetwork`; a server without one is a warning, not a failure (as there).
 * @throws InterfaceRefusedError, NotFoundError, ApiError, NcliError `WAIT_TIMEOUT`
 */
export async function removeNetwork(ctx: Context, serverRef: string, netRef: string, w: WaitArgs): Promise<void> {
  const settings = bulkSettings(w);
  const [server, network, compute] = await Promise.all([ctx.server(serverRef), ctx.network(), ctx.compute()]);
  const net = await network.findNetwork(netRef);
  const ports = (await listInterfaces(compute, server.id)).filter((i) => i.net_id === net.id).map((i) => i.port_id);
  if (!ports.length) {
    ctx.warn(`ncli: server ${serverLabel(server)} has no port on network ${labelOf(net)}; nothing removed.`);
    return;
  }
  for (const p of ports) {
    await detachInterface(compute, server.id, p, `port ${p} of network ${labelOf(net)}`, serverLabel(server));
  }
  if (settings.wait) await waitForDetach(compute, server.id, ports, serverLabel(server), settings.timeout);
}

/**
 * `server add|remove security group SERVER GROUP`: the group by name or ID in Neutron (a name
 * shared by several projects' groups resolves to this project's), its ID sent to Nova.
 * @throws InterfaceRefusedError, NotFoundError, ApiError
 */
export async function securityGroup(ctx: Context, serverRef: string, groupRef: string, add: boolean): Promise<void> {
  const [server, network, compute] = await Promise.all([ctx.server(serverRef), ctx.network(), ctx.compute()]);
  const sg = await network.findSecurityGroup(groupRef);
  await remember(ctx, 'security-group', sg);
  await changeSecurityGroup(compute, server.id, add, sg.id, `security group ${labelOf(sg)}`, serverLabel(server));
}

/**
 * `server add volume SERVER VOLUME [--device D] [--tag T] [--enable|--disable-delete-on-termination]
 * [--wait]`: refuses a volume Cinder shows in use (and not multiattach) before asking Nova; with
 * --wait, until Cinder shows it `in-use`.
 * @returns the attachment as openstackclient prints it
 * @throws VolumeRefusedError, NotFoundError, ApiError, NcliError `FAILED` / `WAIT_TIMEOUT`
 */
export async function addVolume(
  ctx: Context,
  serverRef: string,
  volumeRef: string,
  req: Omit<AttachVolumeRequest, 'volumeId'> & WaitArgs,
): Promise<Record<string, unknown>> {
  const settings = bulkSettings(req);
  const [server, volumes, compute] = await Promise.all([ctx.server(serverRef), ctx.volumes(), ctx.compute()]);
  const vol = await volumes.findVolume(volumeRef);
  await remember(ctx, 'volume', vol);
  const what = `volume ${labelOf(vol)}`;
  const on = (vol.attachments ?? []).map((x) => x.server_id).filter((id): id is string => !!id);
  if (on.includes(server.id)) {
    throw new VolumeRefusedError(`Volume ${labelOf(vol)} is already attached to server ${serverLabel(server)}.`, 0);
  }
  if (vol.status === 'in-use' && !vol.multiattach) {
    throw new VolumeRefusedError(
      `Volume ${labelOf(vol)} is in use${on.length ? ` by server ${on.join(', ')}` : ''} and not multiattach; detach it first (ncli server remove volume SERVER VOLUME).`,
      0,
    );
  }
  const attachment = await attachVolume(
    compute,
    server.id,
    { volumeId: vol.id, device: req.device, tag: req.tag, deleteOnTermination: req.deleteOnTermination },
    what,
    serverLabel(server),
  );
  if (settings.wait) {
    await waitForVolume(volumes, vol.id, 'in-use', { timeoutSeconds: settings.timeout, label: labelOf(vol) });
  }
  return attachmentFields(compute, attachment);
}

/**
 * `server remove volume SERVER VOLUME [--wait]`: with --wait, until Cinder shows it `available`.
 * @throws VolumeRefusedError (not attached there), NotFoundError, ApiError, NcliError `FAILED` / `WAIT_TIMEOUT`
 */
export async function removeVolume(ctx: Context, serverRef: string, volumeRef: string, w: WaitArgs): Promise<void> {
  const settings = bulkSettings(w);
  const [server, volumes, compute] = await Promise.all([ctx.server(serverRef), ctx.volumes(), ctx.compute()]);
  const vol = await volumes.findVolume(volumeRef);
  await detachVolume(compute, server.id, vol.id, `volume ${labelOf(vol)}`, serverLabel(server));
  if (settings.wait) {
    await waitForVolume(volumes, vol.id, 'available', { timeoutSeconds: settings.timeout, label: labelOf(vol) });
  }
}
