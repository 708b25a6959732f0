/**
 * `ncli hypervisor stats show`: the cloud's hypervisor totals (`GET /os-hypervisors/statistics`,
 * which Nova removed in compute API 2.88: sent at 2.87), as `openstack hypervisor stats show`.
 */
import { command } from '../../cli/spec.js';
import { hypervisorStats } from '../../compute/hypervisors.js';

export const help = 'Hypervisor totals (compute API 2.87 and older)';

export const do_show = command(
  {
    help: 'Show the totals of all hypervisors (compute API ≤ 2.87)',
    fanout: true,
    description: [
      'GET /os-hypervisors/statistics, sent at compute API 2.87 when the cloud is newer: Nova removed it',
      'in 2.88. Placement holds the totals on newer clouds.',
      'Example:',
      '  ncli hypervisor stats show -f json',
    ].join('\n'),
    output: 'show',
    args: [],
  },
  async (ctx) => {
    const cfg = await ctx.config();
    const stats = await hypervisorStats(
      await ctx.compute(),
      cfg.computeApiVersion,
      'Placement has the totals now (openstack resource provider usage show PROVIDER)',
    );
    await ctx.show(stats);
  },
);
