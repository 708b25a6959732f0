/**
 * The `aggregate add host` and `aggregate remove host` handlers, built from one description per
 * action (src/compute/aggregates.ts `AGGREGATE_HOST_ACTIONS`), as `openstack aggregate add|remove
 * host` (openstackclient/compute/v2/aggregate.py: prints the aggregate afterwards).
 */
import {
  AGGREGATE_HOST_ACTIONS,
  changeAggregateHost,
  findAggregate,
  type AggregateHostAction,
} from '../compute/aggregates.js';
import { aggregateFields } from '../compute/resources/aggregate.js';
import { arg, command } from './spec.js';

/** The `do_host` handler of `aggregate <action> host AGGREGATE HOST`: finds the aggregate, acts, shows it. */
export function aggregateHostCommand(action: AggregateHostAction) {
  const def = AGGREGATE_HOST_ACTIONS[action];
  return command(
    {
      help: def.help,
      description: `POST /os-aggregates/{id}/action {"${def.key}": {"host": HOST}}.\nExample:\n  ncli aggregate ${action} host ssd-hosts compute-2`,
      output: 'show',
      args: [
        arg('<aggregate>', 'Aggregate name or ID', { complete: 'aggregate' }),
        arg('<host>', 'Compute host (as hypervisor list or compute service list names it)', { complete: 'hypervisor' }),
      ],
    },
    async (ctx, a) => {
      const compute = await ctx.compute();
      const agg = await changeAggregateHost(compute, action, await findAggregate(compute, a.aggregate), a.host);
      await ctx.show(aggregateFields(agg));
    },
  );
}
