/** `ncli server remove security group SERVER GROUP` (openstackclient/compute/v2/server.py `RemoveServerSecurityGroup`). */
import { securityGroup } from '../../../cli/server-attach.js';
import { arg, command } from '../../../cli/spec.js';

export const help = 'Remove a security group from a server';

export const do_group = command(
  {
    help: 'Remove a security group from a server',
    description: [
      'POST /servers/{id}/action {"removeSecurityGroup": {"name": ID}}; GROUP is a name or ID in Neutron.',
      'A group the server does not have is one line and exit status 1. Prints nothing on success.',
      'Example:',
      '  ncli server remove security group vm1 web',
    ].join('\n'),
    args: [
      arg('<server>', 'Name or ID of server to use', { complete: 'server' }),
      arg('<group>', 'Name or ID of security group to remove from server', { complete: 'security-group' }),
    ],
  },
  async (ctx, a) => securityGroup(ctx, a.server, a.group, false),
);
