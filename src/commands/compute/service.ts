/**
 * `ncli compute service …`: list, set (enable / disable with a reason / force down or up) and
 * delete compute services (Nova "Compute services (os-services)"), with openstackclient 6's
 * words, flags and columns (openstackclient/compute/v2/service.py; columns in
 * src/compute/resources/compute-service.ts).
 */
import { arg, command } from '../../cli/spec.js';
import { hasMicroversion } from '../../compute/versions.js';
import { COMPUTE_SERVICE, FORCED_DOWN } from '../../compute/resources/compute-service.js';
import { deleteService, findService, listServices, updateService } from '../../compute/services.js';
import { UsageError } from '../../errors.js';

export const help = 'Compute services (nova-compute, nova-scheduler, …: enable, disable, force down)';

export const do_list = command(
  {
    help: 'List compute services',
    fanout: true,
    description: [
      'The ID is a UUID from compute API 2.53 (a number before). --long adds Disabled Reason and, from 2.11,',
      "Forced Down. Admin only in Nova's default policy.",
      'Examples:',
      '  ncli compute service list',
      '  ncli compute service list --service nova-compute --long',
      '  ncli compute service list --host compute-2 -f json',
    ].join('\n'),
    output: 'list',
    args: [
      arg('--host <host>', 'Only the services of this host (exact name)'),
      arg('--service <service>', 'Only this binary (exact name), e.g. nova-compute'),
      arg('--long', 'Also Disabled Reason and Forced Down'),
    ],
  },
  async (ctx, a) => {
    const compute = await ctx.compute();
    const [services, forcedDown] = await Promise.all([
      listServices(compute, { host: a.host, binary: a.service }),
      hasMicroversion(compute, '2.11'),
    ]);
    const columns = COMPUTE_SERVICE.columns.filter((c) => forcedDown || c.name !== FORCED_DOWN);
    await ctx.listOf({ columns }, services, { long: a.long });
  },
);

export const do_set = command(
  {
    help: 'Enable, disable (with a reason), force down or force up a compute service',
    description: [
      'The service is found by HOST and BINARY; from compute API 2.53 it is then changed by its UUID',
      '(PUT /os-services/{id} {"status": "disabled", "disabled_reason": …, "forced_down": …}), before with',
      'PUT /os-services/enable, /disable, /disable-log-reason and /force-down. A disabled host gets no new',
      'servers; a forced-down nova-compute counts as dead at once (what an evacuation needs: fence the host',
      "first). Nova refuses --up after an evacuation until the host's nova-compute has restarted.",
      'Examples:',
      '  ncli compute service set compute-2 nova-compute --disable --disable-reason "disk swap 12/06"',
      '  ncli compute service set compute-2 nova-compute --enable',
      '  ncli compute service set compute-2 nova-compute --down',
    ].join('\n'),
    args: [
      arg('<host>', 'Name of the host'),
      arg('<service>', 'Name of the service (binary), e.g. nova-compute'),
      arg('--enable', 'Enable the service', { conflicts: ['disable'] }),
      arg('--disable', 'Disable the service', { conflicts: ['enable'] }),
      arg('--disable-reason <reason>', 'Why it is disabled (with --disable)'),
      arg('--up', 'Force the service up (undo --down)', { conflicts: ['down'], since: '2.11' }),
      arg('--down', 'Force the service down', { conflicts: ['up'], since: '2.11' }),
    ],
  },
  async (ctx, a) => {
    if (a.disableReason !== undefined && !a.disable) {
      throw new UsageError('--disable-reason needs --disable.');
    }
    if (!a.enable && !a.disable && !a.up && !a.down) {
      throw new UsageError('Nothing to set: give --enable, --disable, --up or --down.');
    }
    const compute = await ctx.compute();
    const service = await findService(compute, a.host, a.service);
    const now = await updateService(compute, service, {
      enabled: a.enable ? true : a.disable ? false : undefined,
      reason: a.disableReason,
      forcedDown: a.down ? true : a.up ? false : undefined,
    });
    const parts = [
      now.status + (now.status === 'disabled' && now.disabled_reason ? ` ("${now.disabled_reason}")` : ''),
    ];
    if (a.up || a.down) parts.push(now.forced_down ? 'forced down' : 'not forced down');
    if (now.state) parts.push(`state ${now.state}`);
    ctx.write(`${now.binary} on ${now.host}: ${parts.join(', ')}.\n`);
  },
);

export const do_delete = command(
  {
    help: 'Delete compute services (by ID)',
    description: [
      'ID as compute service list shows it (a UUID from compute API 2.53). Stop the service on its host first:',
      'a running nova-compute registers itself again. Nova refuses (409) while servers or migrations use the host.',
      'Example:',
      '  ncli compute service delete 25541fae-36e7-4223-9ad2-7d1f67aeaf7f',
    ].join('\n'),
    args: [arg('<service...>', 'Compute service IDs', { complete: 'compute-service' })],
  },
  async (ctx, a) => {
    const compute = await ctx.compute();
    let failed = 0;
    for (const id of a.service) {
      try {
        await deleteService(compute, id);
      } catch (e) {
        failed++;
        const { messageFor } = await import('../../cli/errors.js');
        ctx.warn(`ncli: ${messageFor(e)}`);
      }
    }
    if (failed && a.service.length > 1)
      ctx.warn(`ncli: ${failed} of ${a.service.length} compute services failed to delete.`);
    return failed ? 1 : 0;
  },
);
