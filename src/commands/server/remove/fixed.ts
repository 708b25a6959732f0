/** `ncli server remove fixed ip SERVER IP` (openstackclient/compute/v2/server.py `RemoveFixedIP`). */
import { DEFAULT_WAIT_TIMEOUT, WAIT_TIMEOUT } from '../../../cli/server-actions.js';
import { removeFixedIp } from '../../../cli/server-floating.js';
import { arg, command } from '../../../cli/spec.js';

export const help = 'Remove a fixed IP address from a server';

export const do_ip = command(
  {
    help: 'Remove fixed IP address from server',
    description: [
      "The server's interface (GET /servers/{id}/os-interface) holding IP loses it: a port with other fixed IPs",
      'keeps them (PUT /v2.0/ports/{id} {"port": {"fixed_ips": […]}}, as Nova\'s removeFixedIp did); a port whose',
      'only fixed IP it is is detached (DELETE /servers/{id}/os-interface/{port_id}; Nova deletes a port it made).',
      `--wait polls until the server no longer has that port (at most --wait-timeout, default ${DEFAULT_WAIT_TIMEOUT} s).`,
      'An address the server does not have is one line and exit status 1. Prints nothing on success.',
      'Example:',
      '  ncli server remove fixed ip vm1 10.20.0.7 --wait',
    ].join('\n'),
    args: [
      arg('<server>', 'Server to remove the fixed IP address from (name or ID)', { complete: 'server' }),
      arg('<ip-address>', 'Fixed IP address to remove from the server (IP only)'),
      arg('--wait', 'Wait until the server no longer has the port (when the port is detached)'),
      WAIT_TIMEOUT,
    ],
  },
  async (ctx, a) => removeFixedIp(ctx, a.server, a.ipAddress, a),
);
