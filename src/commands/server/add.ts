/**
 * `ncli server add port|network|volume` (and, nested, `server add fixed ip`,
 * `server add security group`): words and flags of `openstack server add …`
 * (openstackclient/compute/v2/server.py `AddPort`, `AddNetwork`, `AddServerVolume`); the work is
 * in src/cli/server-attach.ts.
 */
import { DEFAULT_WAIT_TIMEOUT, WAIT_TIMEOUT } from '../../cli/server-actions.js';
import { addNetwork, addPort, addVolume } from '../../cli/server-attach.js';
import { arg, command } from '../../cli/spec.js';

export const help = 'Add a port, network, fixed IP, security group or volume to a server';

const SERVER = arg('<server>', 'Server (name or ID)', { complete: 'server' });
const TAG = arg('--tag <tag>', 'Tag for the attached interface', { since: '2.49' });

export const do_port = command(
  {
    help: 'Add a port to a server',
    description: [
      'POST /servers/{id}/os-interface {"interfaceAttachment": {"port_id": …}}; PORT is a name or ID in Neutron.',
      'A port already bound to another server (or a router, a DHCP agent) is refused before asking Nova.',
      'Prints nothing on success: Nova answers once the port is bound.',
      'Example:',
      '  ncli server add port vm1 my-port --tag data',
    ].join('\n'),
    args: [SERVER, arg('<port>', 'Port to add (name or ID)', { complete: 'port' }), TAG],
  },
  async (ctx, a) => addPort(ctx, a.server, a.port, a.tag),
);

export const do_network = command(
  {
    help: 'Add a network to a server (a new port on it)',
    description: [
      'POST /servers/{id}/os-interface {"interfaceAttachment": {"net_id": …}}: Nova creates a port on the network',
      '(NETWORK: a name or ID in Neutron) and binds it. Prints nothing on success.',
      'Example:',
      '  ncli server add network vm1 private-2',
    ].join('\n'),
    args: [SERVER, arg('<network>', 'Network to add (name or ID)', { complete: 'network' }), TAG],
  },
  async (ctx, a) => addNetwork(ctx, a.server, a.network, a.tag),
);

export const do_volume = command(
  {
    help: 'Add (attach) a volume to a server',
    description: [
      'POST /servers/{id}/os-volume_attachments {"volumeAttachment": {"volumeId": …, "device", "tag" (2.49),',
      '"delete_on_termination" (2.79)}}; VOLUME is a name or ID in Cinder. A volume Cinder shows in use (and not',
      'multiattach) is refused before asking Nova. Prints the attachment; with --wait, first polls Cinder until the',
      `volume is in-use (at most --wait-timeout, default ${DEFAULT_WAIT_TIMEOUT} s).`,
      'Examples:',
      '  ncli server add volume vm1 data-1 --wait',
      '  ncli server add volume vm1 data-2 --device /dev/vdc --tag db --enable-delete-on-termination',
    ].join('\n'),
    output: 'show',
    args: [
      SERVER,
      arg('<volume>', 'Volume to add (name or ID)', { complete: 'volume' }),
      arg('--device <device>', 'Server internal device name for the volume (a hint: /dev/vdb)'),
      arg('--tag <tag>', 'Tag for the attached volume', { since: '2.49' }),
      arg('--enable-delete-on-termination', 'Delete the volume when the server is destroyed', {
        since: '2.79',
        conflicts: ['disableDeleteOnTermination'],
      }),
      arg('--disable-delete-on-termination', 'Do not delete the volume when the server is destroyed', {
        since: '2.79',
        conflicts: ['enableDeleteOnTermination'],
      }),
      arg('--wait', 'Wait until Cinder shows the volume in-use'),
      WAIT_TIMEOUT,
    ],
  },
  async (ctx, a) => {
    const attachment = await addVolume(ctx, a.server, a.volume, {
      device: a.device,
      tag: a.tag,
      deleteOnTermination: a.enableDeleteOnTermination ? true : a.disableDeleteOnTermination ? false : undefined,
      wait: a.wait,
      waitTimeout: a.waitTimeout,
    });
    await ctx.show(attachment, { fieldOrder: 'given' });
  },
);
