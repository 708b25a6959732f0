/**
 * `ncli aggregate add host AGGREGATE HOST`: POST /os-aggregates/{id}/action {"add_host": …}, as
 * `openstack aggregate add host` (prints the aggregate afterwards); described once in
 * src/compute/aggregates.ts `AGGREGATE_HOST_ACTIONS`.
 */
import { aggregateHostCommand } from '../../cli/aggregate-host.js';
import { AGGREGATE_HOST_ACTIONS } from '../../compute/aggregates.js';

export const help = AGGREGATE_HOST_ACTIONS.add.groupHelp;

export const do_host = aggregateHostCommand('add');
