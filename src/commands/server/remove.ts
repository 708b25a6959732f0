/**
 * `ncli server remove port|network|volume` (and, nested, `server remove security group`): words
 * and flags of `openstack server remove …` (openstackclient/compute/v2/server.py `RemovePort`,
 * `RemoveNetwork`, `RemoveServerVolume`), with `--wait`; the work is in src/cli/server-attach.ts.
 */
import { DEFAULT_WAIT_TIMEOUT, WAIT_TIMEOUT } from '../../cli/server-actions.js';
import { removeNetwork, removePort, removeVolume } from '../../cli/server-attach.js';
import { arg, command } from '../../cli/spec.js';

export const help = 'Remove a port, network, security group or volume from a server';

const SERVER = arg('<server>', 'Server (name or ID)', { complete: 'server' });

export const do_port = command(
  {
    help: 'Remove a port from a server',
    description: [
      'DELETE /servers/{id}/os-interface/{port_id}; PORT is a name or ID in Neutron. Nova detaches it after',
      `answering: --wait polls the server's interfaces until the port is gone (at most --wait-timeout, default`,
      `${DEFAULT_WAIT_TIMEOUT} s). Prints nothing on success.`,
      'Example:',
      '  ncli server remove port vm1 my-port --wait',
    ].join('\n'),
    args: [
      SERVER,
      arg('<port>', 'Port to remove (name or ID)', { complete: 'port' }),
      arg('--wait', 'Wait until the server no longer has the port'),
      WAIT_TIMEOUT,
    ],
  },
  async (ctx, a) => removePort(ctx, a.server, a.port, a),
);

export const do_network = command(
  {
    help: 'Remove all ports of a network from a server',
    description: [
      'DELETE /servers/{id}/os-interface/{port_id} for each port of the server on NETWORK (a name or ID in',
      'Neutron). A server without one gets a warning and exit status 0, as openstackclient. --wait polls until',
      'the ports are gone. Prints nothing on success.',
      'Example:',
      '  ncli server remove network vm1 private-2 --wait',
    ].join('\n'),
    args: [
      SERVER,
      arg('<network>', 'Network to remove (name or ID)', { complete: 'network' }),
      arg('--wait', 'Wait until the server no longer has ports on the network'),
      WAIT_TIMEOUT,
    ],
  },
  async (ctx, a) => removeNetwork(ctx, a.server, a.network, a),
);

export const do_volume = command(
  {
    help: 'Remove (detach) a volume from a server',
    description: [
      'DELETE /servers/{id}/os-volume_attachments/{volume_id}; VOLUME is a name or ID in Cinder. Nova detaches it',
      'after answering: --wait polls Cinder until the volume is available. Prints nothing on success.',
      'Example:',
      '  ncli server remove volume vm1 data-1 --wait',
    ].join('\n'),
    args: [
      SERVER,
      arg('<volume>', 'Volume to remove (name or ID)', { complete: 'volume' }),
      arg('--wait', 'Wait until Cinder shows the volume available'),
      WAIT_TIMEOUT,
    ],
  },
  async (ctx, a) => removeVolume(ctx, a.server, a.volume, a),
);
