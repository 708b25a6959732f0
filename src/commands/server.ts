/** `ncli server …`: list and show servers (Nova "Servers" API). */
import { command, arg } from '../cli/spec.js';
import { findServer } from '../compute/find.js';
import { formatNetworks, listServers, powerStateName } from '../compute/servers.js';
import type { Server } from '../compute/types.js';

export const help = 'Servers (instances)';

const COLUMNS = ['ID', 'Name', 'Status', 'Networks', 'Image', 'Flavor'];
const LONG_COLUMNS = [
  'ID',
  'Name',
  'Status',
  'Task State',
  'Power State',
  'Networks',
  'Image',
  'Flavor',
  'Flavor ID',
  'Availability Zone',
  'Host',
  'Project ID',
  'Created',
];

function imageOf(s: Server): string {
  return s.image && typeof s.image === 'object' && s.image.id ? s.image.id : 'N/A (booted from volume)';
}

function row(s: Server): Record<string, unknown> {
  return {
    ID: s.id,
    Name: s.name,
    Status: s.status,
    Networks: formatNetworks(s.addresses),
    Image: imageOf(s),
    Flavor: s.flavor?.original_name ?? s.flavor?.id ?? '',
    'Flavor ID': s.flavor?.id ?? '',
    'Task State': s['OS-EXT-STS:task_state'] ?? '',
    'Power State': powerStateName(s['OS-EXT-STS:power_state']),
    'Availability Zone': s['OS-EXT-AZ:availability_zone'] ?? '',
    Host: s['OS-EXT-SRV-ATTR:host'] ?? '',
    'Project ID': s.tenant_id ?? '',
    Created: s.created ?? '',
  };
}

export const do_list = command(
  {
    help: 'List servers',
    description:
      'Follows pagination to the end unless --limit is given.\nExamples:\n  ncli server list\n  ncli server list --status active --name "^web" -f json\n  ncli server list --all-projects --long',
    output: 'list',
    args: [
      arg('--long', 'Show more columns'),
      arg('--name <regex>', 'Only servers whose name matches this regular expression (as Nova matches it)'),
      arg('--status <status>', 'Only servers in this status (ACTIVE, SHUTOFF, ERROR, BUILD, …)'),
      arg('--all-projects', 'Servers of every project (admin)'),
      arg('--limit <n>', 'At most this many servers (-1: all)', { integer: true }),
      arg('--marker <id>', 'Start after the server with this ID'),
    ],
  },
  async (ctx, a) => {
    const compute = await ctx.compute();
    const servers = await listServers(compute, {
      name: a.name as string | undefined,
      status: a.status as string | undefined,
      allProjects: !!a.allProjects,
      limit: a.limit as number | undefined,
      marker: a.marker as string | undefined,
    });
    if (!a.allProjects) {
      // an unfiltered listing of the whole project replaces the completion names; any other merges
      const complete = !a.name && !a.status && !a.marker && (a.limit === undefined || (a.limit as number) < 0);
      await ctx.rememberNames('server', servers, { complete });
    }
    await ctx.list(a.long ? LONG_COLUMNS : COLUMNS, servers.map(row));
  },
);

export const do_show = command(
  {
    help: 'Show every field of one server',
    description:
      'SERVER is an ID or an exact name.\nExamples:\n  ncli server show vm1\n  ncli server show vm1 -f json -c status -c addresses',
    output: 'show',
    args: [
      arg('<server>', 'Server name or ID', { complete: 'server' }),
      arg('--all-projects', 'Look the name up in every project (admin)'),
    ],
  },
  async (ctx, a) => {
    const compute = await ctx.compute();
    const server = await findServer(compute, a.server as string, { allProjects: !!a.allProjects, refetch: true });
    if (!a.allProjects) await ctx.rememberNames('server', [server], { complete: false });
    await ctx.show(server);
  },
);
