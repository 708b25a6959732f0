/** `ncli server add floating ip SERVER IP` (openstackclient/compute/v2/server.py `AddFloatingIP`). */
import { addFloatingIp } from '../../../cli/server-floating.js';
import { arg, command } from '../../../cli/spec.js';

export const help = 'Add a floating IP address to a server';

export const do_ip = command(
  {
    help: 'Add floating IP address to server',
    description: [
      'PUT /v2.0/floatingips/{id} {"floatingip": {"port_id": …, "fixed_ip_address": …}} in Neutron: IP is the',
      "floating IP's address or ID. Without --fixed-ip-address, the server's ports are tried in turn until one is on",
      "a subnet a router connects to the floating IP's network, as openstackclient. A floating IP associated with",
      'another server is refused (remove it there first). Prints nothing on success.',
      'Examples:',
      '  ncli server add floating ip vm1 172.24.4.10',
      '  ncli server add floating ip vm1 172.24.4.10 --fixed-ip-address 10.10.0.5',
    ].join('\n'),
    args: [
      arg('<server>', 'Server to receive the floating IP address (name or ID)', { complete: 'server' }),
      arg('<ip-address>', 'Floating IP address to assign to the first available server port (IP only)'),
      arg(
        '--fixed-ip-address <ip-address>',
        'Fixed IP address to associate with this floating IP address. The first server port containing the fixed IP address will be used',
      ),
    ],
  },
  async (ctx, a) => addFloatingIp(ctx, a.server, a.ipAddress, a.fixedIpAddress),
);
