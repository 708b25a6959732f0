/** `ncli server add security group SERVER GROUP` (openstackclient/compute/v2/server.py `AddServerSecurityGroup`). */
import { securityGroup } from '../../../cli/server-attach.js';
import { arg, command } from '../../../cli/spec.js';

export const help = 'Add a security group to a server';

export const do_group = command(
  {
    help: 'Add a security group to a server',
    description: [
      'POST /servers/{id}/action {"addSecurityGroup": {"name": ID}}; GROUP is a name or ID in Neutron (a name',
      "several projects' groups share resolves to this project's). Nova applies it to every port of the server.",
      'Prints nothing on success.',
      'Example:',
      '  ncli server add security group vm1 web',
    ].join('\n'),
    args: [
      arg('<server>', 'Server (name or ID)', { complete: 'server' }),
      arg('<group>', 'Security group to add (name or ID)', { complete: 'security-group' }),
    ],
  },
  async (ctx, a) => securityGroup(ctx, a.server, a.group, true),
);
