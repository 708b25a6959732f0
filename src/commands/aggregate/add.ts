/**
 * `ncli aggregate add host AGGREGATE HOST`: POST /os-aggregates/{id}/action {"add_host": …}, as
 * `openstack aggregate add host` (prints the aggregate afterwards).
 */
import { arg, command } from '../../cli/spec.js';
import { findAggregate, addAggregateHost } from '../../compute/aggregates.js';
import { aggregateFields } from '../../compute/resources/aggregate.js';

export const help = 'Add hosts to aggregates';

export const do_host = command(
  {
    help: 'Add a compute host to an aggregate',
    description:
      'POST /os-aggregates/{id}/action {"add_host": {"host": HOST}}.\nExample:\n  ncli aggregate add host ssd-hosts compute-2',
    output: 'show',
    args: [
      arg('<aggregate>', 'Aggregate name or ID', { complete: 'aggregate' }),
      arg('<host>', 'Compute host (as hypervisor list or compute service list names it)', { complete: 'hypervisor' }),
    ],
  },
  async (ctx, a) => {
    const compute = await ctx.compute();
    const agg = await addAggregateHost(compute, await findAggregate(compute, a.aggregate), a.host);
    await ctx.show(aggregateFields(agg));
  },
);
