/**
 * `ncli aggregate remove host AGGREGATE HOST`: POST /os-aggregates/{id}/action {"remove_host": …}, as
 * `openstack aggregate remove host` (prints the aggregate afterwards).
 */
import { arg, command } from '../../cli/spec.js';
import { findAggregate, removeAggregateHost } from '../../compute/aggregates.js';
import { aggregateFields } from '../../compute/resources/aggregate.js';

export const help = 'Remove hosts from aggregates';

export const do_host = command(
  {
    help: 'Remove a compute host from an aggregate',
    description:
      'POST /os-aggregates/{id}/action {"remove_host": {"host": HOST}}.\nExample:\n  ncli aggregate remove host ssd-hosts compute-2',
    output: 'show',
    args: [
      arg('<aggregate>', 'Aggregate name or ID', { complete: 'aggregate' }),
      arg('<host>', 'Compute host (as hypervisor list or compute service list names it)', { complete: 'hypervisor' }),
    ],
  },
  async (ctx, a) => {
    const compute = await ctx.compute();
    const agg = await removeAggregateHost(compute, await findAggregate(compute, a.aggregate), a.host);
    await ctx.show(aggregateFields(agg));
  },
);
