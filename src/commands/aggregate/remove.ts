/**
 * `ncli aggregate remove host AGGREGATE HOST`: POST /os-aggregates/{id}/action {"remove_host": …},
 * as `openstack aggregate remove host` (prints the aggregate afterwards); described once in
 * src/compute/aggregates.ts `AGGREGATE_HOST_ACTIONS`.
 */
import { aggregateHostCommand } from '../../cli/aggregate-host.js';
import { AGGREGATE_HOST_ACTIONS } from '../../compute/aggregates.js';

export const help = AGGREGATE_HOST_ACTIONS.remove.groupHelp;

export const do_host = aggregateHostCommand('remove');
