/** `ncli server remove floating ip SERVER IP` (openstackclient/compute/v2/server.py `RemoveFloatingIP`). */
import { removeFloatingIp } from '../../../cli/server-floating.js';
import { arg, command } from '../../../cli/spec.js';

export const help = 'Remove a floating IP address from a server';

export const do_ip = command(
  {
    help: 'Remove floating IP address from server',
    description: [
      'PUT /v2.0/floatingips/{id} {"floatingip": {"port_id": null}} in Neutron: IP is the floating IP\'s address or',
      'ID; the floating IP stays allocated to the project. One associated with another server is refused; one',
      'associated with nothing gets a warning and exit status 0. Prints nothing on success.',
      'Example:',
      '  ncli server remove floating ip vm1 172.24.4.10',
    ].join('\n'),
    args: [
      arg('<server>', 'Server to remove the floating IP address from (name or ID)', { complete: 'server' }),
      arg('<ip-address>', 'Floating IP address to remove from server (IP only)'),
    ],
  },
  async (ctx, a) => removeFloatingIp(ctx, a.server, a.ipAddress),
);
