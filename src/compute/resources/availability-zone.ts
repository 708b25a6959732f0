/**
 * Compute availability zones (api-ref compute "Availability Zones": `GET /os-availability-zone/detail`
 * for admins, with each zone's hosts and services and the `internal` zone of the control services;
 * `GET /os-availability-zone` for everyone, zones only; nova/api/openstack/compute/availability_zone.py),
 * and the rows of `openstack availability zone list` (openstackclient/common/availability_zone.py
 * `ListAvailabilityZone`: Zone Name, Zone Status; `--long` adds Zone Resource, Host Name, Service
 * Name and Service Status, one row per service of each host of the zone).
 */
import * as v from 'valibot';
import { column, defineResource, type Column } from '../resource.js';

/** One service of a host in the detailed listing. */
const ZoneServiceSchema = v.looseObject({
  available: v.boolean(),
  active: v.boolean(),
  updated_at: v.optional(v.nullable(v.string())),
});

/** One zone: `hosts` is null in the plain listing (and for a zone without hosts). */
export const AvailabilityZoneSchema = v.looseObject({
  zoneName: v.string(),
  zoneState: v.looseObject({ available: v.boolean() }),
  hosts: v.optional(v.nullable(v.record(v.string(), v.record(v.string(), ZoneServiceSchema)))),
});
export type AvailabilityZone = v.InferOutput<typeof AvailabilityZoneSchema>;

/** The detailed listing (admins); {@link AVAILABILITY_ZONES_PLAIN} is the one everybody may read. */
export const AVAILABILITY_ZONE = defineResource<AvailabilityZone>({
  kind: 'availability-zone',
  path: '/os-availability-zone/detail',
  key: 'availabilityZoneInfo',
  item: AvailabilityZoneSchema,
  paging: 'none',
  idOf: (z) => z.zoneName,
  nameOf: (z) => z.zoneName,
  columns: [column('Zone Name', (z) => z.zoneName), column('Zone Status', (z) => zoneStatus(z))],
});

/** The plain listing: zones with hosts only, no `internal` zone, no hosts. */
export const AVAILABILITY_ZONES_PLAIN = { ...AVAILABILITY_ZONE, path: '/os-availability-zone' };

/** `available` / `not available`, as openstackclient words `zoneState`. */
export function zoneStatus(z: AvailabilityZone): string {
  return z.zoneState.available ? 'available' : 'not available';
}

/** One row of `availability zone list`: a zone, or with `--long` one service of one of its hosts. */
export interface ZoneRow {
  zone: AvailabilityZone;
  host?: string;
  service?: string;
  /** `enabled :-) 2026-12-06T17:08:31.000000` (openstackclient's words: enabled/disabled, `:-)`/`XXX`, updated_at). */
  serviceStatus?: string;
  /** A network zone's resource (`network`, `router`); '' for compute and volume zones. */
  resource?: string;
}

/** The columns of `availability zone list` (`--long` adds the last four). */
export const ZONE_ROWS: { readonly columns: readonly Column<ZoneRow>[] } = {
  columns: [
    column('Zone Name', (r) => r.zone.zoneName),
    column('Zone Status', (r) => zoneStatus(r.zone)),
    column('Zone Resource', (r) => r.resource ?? '', { long: true }),
    column('Host Name', (r) => r.host ?? '', { long: true }),
    column('Service Name', (r) => r.service ?? '', { long: true }),
    column('Service Status', (r) => r.serviceStatus ?? '', { long: true }),
  ],
};

/**
 * The rows of the zones: one per zone, or with `long` one per service of each host (a zone without
 * hosts keeps one row with empty host columns), as openstackclient's `_xform_compute_availability_zone`.
 */
export function zoneRows(zones: readonly AvailabilityZone[], long: boolean): ZoneRow[] {
  if (!long) return zones.map((zone) => ({ zone }));
  return zones.flatMap((zone) => {
    const hosts = Object.entries(zone.hosts ?? {});
    if (!hosts.length) return [{ zone }];
    return hosts.flatMap(([host, services]) =>
      Object.entries(services).map(([service, s]) => ({
        zone,
        host,
        service,
        serviceStatus: `${s.active ? 'enabled' : 'disabled'} ${s.available ? ':-)' : 'XXX'} ${s.updated_at ?? 'None'}`,
      })),
    );
  });
}
