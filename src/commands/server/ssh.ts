/**
 * `ncli server ssh SERVER [-- ssh args…]`: ssh to a server's address, as openstackclient's
 * SshServer does (openstackclient/compute/v2/server.py): the address picked by type and IP
 * version (src/compute/ssh-address.ts), the system `ssh` run on this terminal
 * (src/cli/ssh.ts), ncli ending with its exit status. Re-exported as `do_ssh` by
 * src/commands/server.ts (no `do_` exports here: no group of its own).
 */
import { arg, command } from '../../cli/spec.js';
import { sshAddress, sshArgs } from '../../compute/ssh-address.js';

export const sshServer = command(
  {
    help: 'SSH to a server',
    description: [
      "Picks the server's address as openstackclient does: --public (the default) a floating IP, --private a",
      'fixed one, --address-type TYPE a network named TYPE or an address of that OS-EXT-IPS:type; -4/-6',
      'only IPv4/IPv6. Runs `ssh ADDRESS [ssh args] [-p PORT] [-i FILE] [-o OPT] -l LOGIN` and exits with its',
      "status. LOGIN defaults to the cloud's user name (unless -l is among the ssh args). Arguments after --",
      'go to ssh as they are.',
      'Examples:',
      '  ncli server ssh web-1 --private -l debian',
      '  ncli server ssh web-1 -4 -- -A -L 8080:localhost:80',
    ].join('\n'),
    args: [
      arg('<server>', 'Server name or ID', { complete: 'server' }),
      arg('[ssh-args...]', 'Arguments for ssh (after --)'),
      arg('-l, --login <login-name>', 'Login name (ssh -l)'),
      arg('-p, --port <port>', 'Destination port (ssh -p)', { integer: true, min: 1 }),
      arg('-i, --identity <keyfile>', 'Private key file (ssh -i)', { complete: 'file' }),
      arg('-o, --option <config-options>', 'An ssh option (ssh -o)'),
      arg('-4, --ipv4', 'Use only IPv4 addresses', { conflicts: ['ipv6'] }),
      arg('-6, --ipv6', 'Use only IPv6 addresses', { conflicts: ['ipv4'] }),
      arg('--public', 'Use a public (floating) address (the default)', { conflicts: ['private', 'addressType'] }),
      arg('--private', 'Use a private (fixed) address', { conflicts: ['public', 'addressType'] }),
      arg('--address-type <address-type>', 'Use an address of this type or network name', {
        conflicts: ['public', 'private'],
      }),
      arg('-v, --verbose', 'Verbose ssh (ssh -v)'),
    ],
  },
  async (ctx, a) => {
    const server = await ctx.server(a.server);
    const families = a.ipv4 ? [4] : a.ipv6 ? [6] : [4, 6];
    const type = a.addressType ?? (a.private ? 'private' : 'public');
    const address = sshAddress(server.name, server.addresses, type, families);
    const cfg = await ctx.config();
    const method = cfg.auth.method as { username?: string };
    const args = sshArgs(address, {
      sshArgs: a.sshArgs,
      port: a.port,
      identity: a.identity,
      option: a.option,
      login: a.login,
      defaultLogin: method.username,
      verbose: a.verbose,
    });
    ctx.debug(`ssh command: ssh ${args.join(' ')}`);
    // node:child_process only for this command (src/cli/ssh.ts): other commands start without it
    const { runSsh } = await import('../../cli/ssh.js');
    return runSsh(args, ctx.io.env);
  },
);
