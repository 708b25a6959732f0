/**
 * Neutron's availability zones (api-ref network "Availability Zones": `GET /v2.0/availability_zones`,
 * one row per zone and resource, `network` or `router`, with state `available`/`unavailable`;
 * the `availability_zone` extension), as openstackclient's `availability zone list --network`
 * reads them (openstackclient/common/availability_zone.py: only when the extension named
 * "Availability Zone" is there). A zone exists once an agent (DHCP, L3) reports it.
 */
import * as v from 'valibot';
import type { NetworkClient } from './client.js';

/** One network availability zone. */
export const NetworkZoneSchema = v.looseObject({
  name: v.string(),
  /** `network` or `router`. */
  resource: v.optional(v.nullable(v.string())),
  /** `available` or `unavailable`. */
  state: v.optional(v.nullable(v.string())),
});
export type NetworkZone = v.InferOutput<typeof NetworkZoneSchema>;

const ExtensionsSchema = v.looseObject({
  extensions: v.array(v.looseObject({ alias: v.optional(v.string()), name: v.optional(v.string()) })),
});

/**
 * The network availability zones, or undefined when Neutron has no availability zone extension.
 * @throws ApiError, NetworkError, NcliError `BAD_RESPONSE`
 */
export async function listNetworkZones(net: NetworkClient): Promise<NetworkZone[] | undefined> {
  const { extensions } = await net.api.read('GET', '/extensions', ExtensionsSchema, 'a list of extensions');
  if (!extensions.some((x) => x.name === 'Availability Zone' || x.alias === 'availability_zone')) return undefined;
  const schema = v.looseObject({ availability_zones: v.array(NetworkZoneSchema) });
  return (await net.api.read('GET', '/availability_zones', schema, 'a list of availability zones')).availability_zones;
}
