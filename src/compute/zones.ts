/**
 * Compute availability zones (api-ref compute "Availability Zones"; nova/api/openstack/compute/
 * availability_zone.py): the detailed listing (`GET /os-availability-zone/detail`, admin by
 * default policy: every zone with its hosts and their services, the `internal` zone of the control
 * services too), or for a user the policy refuses, the plain one (`GET /os-availability-zone`:
 * zones that have hosts, without them), as openstackclient falls back on a 403.
 */
import { ApiError } from '../http/errors.js';
import type { ComputeClient } from './client.js';
import { listResource } from './resource.js';
import { AVAILABILITY_ZONE, AVAILABILITY_ZONES_PLAIN, type AvailabilityZone } from './resources/availability-zone.js';

/** The zones, and whether they came with their hosts (false: the policy allowed only the plain listing). */
export interface ZoneListing {
  zones: AvailabilityZone[];
  detailed: boolean;
}

/**
 * The compute availability zones: detailed when the policy allows, else plain.
 * @throws ApiError (other than a 403 on the detailed listing), NetworkError
 */
export async function listZones(client: ComputeClient): Promise<ZoneListing> {
  try {
    return { zones: await listResource(client, AVAILABILITY_ZONE), detailed: true };
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 403)) throw e;
  }
  return { zones: await listResource(client, AVAILABILITY_ZONES_PLAIN), detailed: false };
}
