/** `ncli server add fixed ip SERVER NETWORK` (openstackclient/compute/v2/server.py `AddFixedIP`). */
import { addFixedIp } from '../../../cli/server-attach.js';
import { arg, command } from '../../../cli/spec.js';

export const help = 'Add a fixed IP address to a server';

export const do_ip = command(
  {
    help: 'Add a fixed IP address to a server (a new port on a network)',
    description: [
      'POST /servers/{id}/os-interface {"interfaceAttachment": {"net_id": …, "fixed_ips": [{"ip_address": …}]}};',
      'NETWORK is a name or ID in Neutron. Prints the new interface as openstackclient does.',
      'Example:',
      '  ncli server add fixed ip vm1 private --fixed-ip-address 10.0.0.50',
    ].join('\n'),
    output: 'show',
    args: [
      arg('<server>', 'Server to receive the fixed IP address (name or ID)', { complete: 'server' }),
      arg('<network>', 'Network to allocate the fixed IP address from (name or ID)', { complete: 'network' }),
      arg('--fixed-ip-address <ip-address>', 'Requested fixed IP address'),
      arg('--tag <tag>', 'Tag for the attached interface', { since: '2.49' }),
    ],
  },
  async (ctx, a) => {
    await ctx.show(await addFixedIp(ctx, a.server, a.network, { fixedIp: a.fixedIpAddress, tag: a.tag }), {
      fieldOrder: 'given',
    });
  },
);
