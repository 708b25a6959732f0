/**
 * `ncli hypervisor list|show`: the compute nodes (Nova "Hypervisors"; src/compute/hypervisors.ts,
 * columns in src/compute/resources/hypervisor.ts), as `openstack hypervisor list|show`. Admin only.
 */
import { arg, command } from '../cli/spec.js';
import { findHypervisor, listHypervisors, showHypervisor } from '../compute/hypervisors.js';
import { HYPERVISOR } from '../compute/resources/hypervisor.js';

export const help = 'Hypervisors (compute nodes): resources, state, uptime (admin)';

export const do_list = command(
  {
    help: 'List hypervisors',
    fanout: true,
    description: [
      'GET /os-hypervisors/detail, every page (paged from compute API 2.33; IDs are UUIDs from 2.53).',
      'The --long counters are empty from 2.88, where Nova no longer reports them (Placement does).',
      'Examples:',
      '  ncli hypervisor list',
      '  ncli hypervisor list --matching compute --long',
      '  ncli hypervisor list --limit 10 -f json',
    ].join('\n'),
    output: 'list',
    args: [
      arg('--matching <hostname>', 'Only hypervisors whose hostname contains this text', {
        conflicts: ['limit', 'marker'],
      }),
      arg('--long', 'Also vCPUs Used, vCPUs, Memory MB Used and Memory MB'),
      arg('--limit <n>', 'At most this many hypervisors (-1: all)', { integer: true, since: '2.33' }),
      arg('--marker <id>', 'Start after the hypervisor with this ID', { since: '2.33' }),
    ],
  },
  async (ctx, a) => {
    const all = await listHypervisors(await ctx.compute(), { matching: a.matching, limit: a.limit, marker: a.marker });
    await ctx.rememberAll(HYPERVISOR, all, a.matching === undefined && a.marker === undefined && a.limit === undefined);
    await ctx.listOf(HYPERVISOR, all, { long: a.long });
  },
);

export const do_show = command(
  {
    help: 'Show every field of one hypervisor, its aggregates and uptime',
    description: [
      'HYPERVISOR is an ID or an exact hostname. Fields as the cloud gives them, sorted, plus aggregates,',
      'service_id and service_host. Before compute API 2.88 the uptime comes from GET …/uptime (left out',
      "when the driver has none); from 2.88 it is part of the hypervisor and Nova's resource counters are",
      'gone (Placement has them).',
      'Example:',
      '  ncli hypervisor show compute-2',
    ].join('\n'),
    output: 'show',
    args: [arg('<hypervisor>', 'Hypervisor hostname or ID', { complete: 'hypervisor' })],
  },
  async (ctx, a) => {
    const compute = await ctx.compute();
    const h = await findHypervisor(compute, a.hypervisor);
    await ctx.rememberAll(HYPERVISOR, [h], false);
    await ctx.show(await showHypervisor(compute, h));
  },
);
