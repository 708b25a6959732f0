/**
 * `ncli availability zone list`: the compute availability zones (Nova "Availability Zones";
 * src/compute/zones.ts, rows in src/compute/resources/availability-zone.ts), as
 * `openstack availability zone list --compute`.
 */
import { command, arg } from '../../cli/spec.js';
import { AVAILABILITY_ZONE, ZONE_ROWS, zoneRows } from '../../compute/resources/availability-zone.js';
import { listZones } from '../../compute/zones.js';

export const help = 'Availability zones (compute)';

export const do_list = command(
  {
    help: 'List compute availability zones and their status',
    fanout: true,
    description: [
      'GET /os-availability-zone/detail (admins: every zone, the internal one too, with hosts and services),',
      'else GET /os-availability-zone (zones that have hosts). Unlike openstack, which also lists volume and',
      'network zones unless told otherwise, ncli lists compute zones only; --compute is accepted for',
      'compatibility. --long adds one row per service of each host (Service Status: enabled/disabled,',
      ':-) when up or XXX when down, and the last report time).',
      'Examples:',
      '  ncli availability zone list',
      '  ncli availability zone list --long',
    ].join('\n'),
    output: 'list',
    args: [
      arg('--long', 'Also the hosts and services of each zone (admin)'),
      arg('--compute', 'List compute zones (the only kind ncli lists; for compatibility)'),
    ],
  },
  async (ctx, a) => {
    const { zones, detailed } = await listZones(await ctx.compute());
    if (a.long && !detailed) {
      ctx.warn("ncli: hosts and services per zone need an admin role (Nova's policy refused the detailed listing).");
    }
    await ctx.rememberAll(AVAILABILITY_ZONE, zones, detailed);
    await ctx.listOf(ZONE_ROWS, zoneRows(zones, !!a.long), { long: a.long });
  },
);
