/** `ncli server …`: list and show servers (Nova "Servers" API). */
import { command, arg } from '../cli/spec.js';
import { listServers } from '../compute/servers.js';
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

/** Human name of `OS-EXT-STS:power_state` (nova/compute/power_state.py), as openstackclient shows it. */
export function powerStateName(s: number | null | undefined): string {
  const names: Record<number, string> = {
    0: 'NOSTATE',
    1: 'Running',
    3: 'Paused',
    4: 'Shutdown',
    6: 'Crashed',
    7: 'Suspended',
  };
  return s === undefined || s === null ? '' : (names[s] ?? String(s));
}

/** `addresses` as openstackclient prints it: `net1=10.0.0.5, fd00::5; net2=…`. */
export function formatNetworks(addresses: Server['addresses']): string {
  return Object.entries(addresses ?? {})
    .map(([net, addrs]) => `${net}=${addrs.map((a) => a.addr).join(', ')}`)
    .join('; ');
}

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
      name: a.name,
      status: a.status,
      allProjects: a.allProjects,
      limit: a.limit,
      marker: a.marker,
    });
    if (!a.allProjects) {
      // an unfiltered listing of the whole project replaces the completion names; any other merges
      const complete = !a.name && !a.status && !a.marker && (a.limit === undefined || a.limit < 0);
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
    await ctx.show(await ctx.server(a.server, { allProjects: a.allProjects, refetch: true }));
  },
);
