/**
 * `ncli availability zone list [--compute] [--volume] [--network] [--long]`: availability zones
 * as `openstack availability zone list` (openstackclient/common/availability_zone.py
 * `ListAvailabilityZone`): compute zones (Nova "Availability Zones", src/compute/zones.ts), then
 * volume zones (Cinder, src/volume/client.ts), then network zones (Neutron,
 * src/network/availability-zones.ts); all three unless one or more of --compute, --volume,
 * --network say which. Rows and columns in src/compute/resources/availability-zone.ts.
 */
import type { Context } from '../../cli/context.js';
import { messageFor } from '../../cli/errors.js';
import { command, arg } from '../../cli/spec.js';
import {
  AVAILABILITY_ZONE,
  ZONE_ROWS,
  zoneRows,
  type AvailabilityZone,
  type ZoneRow,
} from '../../compute/resources/availability-zone.js';
import { listZones } from '../../compute/zones.js';
import { isNcliError } from '../../errors.js';
import { listNetworkZones } from '../../network/availability-zones.js';

export const help = 'Availability zones (compute, volume, network)';

/**
 * The rows of a volume or network listing, or [] when it fails: as openstackclient, a cloud without
 * that service (or that Neutron extension) just has no such rows; asked for by name (`asked`), the
 * reason is a warning, else a --debug line. Exit status 0 either way.
 */
async function optional(ctx: Context, kind: string, asked: boolean, list: () => Promise<ZoneRow[] | undefined>) {
  let why: string;
  try {
    const rows = await list();
    if (rows) return rows;
    why = `Neutron has no availability zone extension`;
  } catch (e) {
    if (!isNcliError(e)) throw e;
    why = messageFor(e).replace(/\.$/, '');
  }
  if (asked) ctx.warn(`ncli: no ${kind} availability zones: ${why}.`);
  else ctx.debug(`availability zone list: no ${kind} zones: ${why}`);
  return [];
}

export const do_list = command(
  {
    help: 'List availability zones and their status (compute, volume and network)',
    fanout: true,
    description: [
      'Compute: GET /os-availability-zone/detail (admins: every zone, the internal one too, with hosts and',
      'services), else GET /os-availability-zone (zones that have hosts). Volume: Cinder GET /os-availability-zone.',
      'Network: Neutron GET /v2.0/availability_zones (zones of the agents, resource network or router).',
      'All three by default, as openstack; --compute, --volume, --network list only those. A cloud without',
      'Cinder or Neutron (or its availability zone extension) has no such rows (a warning when asked for them).',
      '--long adds Zone Resource (network zones) and one row per service of each compute host (Service',
      'Status: enabled/disabled, :-) when up or XXX when down, and the last report time).',
      'Examples:',
      '  ncli availability zone list',
      '  ncli availability zone list --compute --long',
      '  ncli availability zone list --volume -f value -c "Zone Name"',
    ].join('\n'),
    output: 'list',
    args: [
      arg('--compute', 'List compute availability zones'),
      arg('--network', 'List network availability zones'),
      arg('--volume', 'List volume availability zones'),
      arg('--long', 'Also Zone Resource, and the hosts and services of each compute zone (admin)'),
    ],
  },
  async (ctx, a) => {
    const all = !a.compute && !a.volume && !a.network;
    const long = !!a.long;
    const rows: ZoneRow[] = [];
    if (a.compute || all) {
      const { zones, detailed } = await listZones(await ctx.compute());
      if (long && !detailed) {
        ctx.warn("ncli: hosts and services per zone need an admin role (Nova's policy refused the detailed listing).");
      }
      await ctx.rememberAll(AVAILABILITY_ZONE, zones, detailed);
      rows.push(...zoneRows(zones, long));
    }
    if (a.volume || all) {
      rows.push(
        ...(await optional(ctx, 'volume', !!a.volume, async () =>
          zoneRows(await (await ctx.volumes()).listAvailabilityZones(), long),
        )),
      );
    }
    if (a.network || all) {
      rows.push(
        ...(await optional(ctx, 'network', !!a.network, async () => {
          const zones = await listNetworkZones(await ctx.network());
          return zones?.map((z) => {
            // Neutron's `unavailable` is openstackclient's `not available`
            const zone: AvailabilityZone = { zoneName: z.name, zoneState: { available: z.state === 'available' } };
            return { zone, resource: z.resource ?? '' };
          });
        })),
      );
    }
    await ctx.listOf(ZONE_ROWS, rows, { long });
  },
);
