/**
 * Service catalog endpoint selection, as keystoneauth's `ServiceCatalogV3` does
 * (keystoneauth1/access/service_catalog.py): match the service type, the interface
 * (public/internal/admin) and the region (`region_id`, falling back to `region`).
 */
import type { Interface } from '../config/options.js';
import { NcliError } from '../errors.js';
import * as v from 'valibot';

/** One catalog entry as Keystone v3 returns it in `token.catalog` (api-ref identity "Password authentication"). */
export const CatalogServiceSchema = v.looseObject({
  type: v.string(),
  name: v.optional(v.string()),
  id: v.optional(v.string()),
  endpoints: v.array(
    v.looseObject({
      id: v.optional(v.string()),
      interface: v.string(),
      region_id: v.optional(v.nullable(v.string())),
      region: v.optional(v.nullable(v.string())),
      url: v.string(),
    }),
  ),
});
export type CatalogService = v.InferOutput<typeof CatalogServiceSchema>;

/** A catalog value for a one-line message: control characters (a newline in a region name) as spaces. */
function shown(s: string): string {
  return s.replace(/\p{Cc}/gu, ' ');
}

/**
 * The catalog offers the service in several regions and none was chosen: a fresher catalog cannot
 * settle that, only a region can (`ENDPOINT_NOT_FOUND`, hint `region`).
 */
export class AmbiguousEndpointError extends NcliError {
  override readonly name = 'AmbiguousEndpointError';
  constructor(message: string) {
    super('ENDPOINT_NOT_FOUND', message, { hint: 'region' });
  }
}

/**
 * The URL of the `type` service's endpoint for `iface` in `region` (any region when not given,
 * as long as only one region offers it).
 * @returns the endpoint URL without a trailing slash
 * @throws NcliError `ENDPOINT_NOT_FOUND` naming service, interface, region and what exists;
 *   {@link AmbiguousEndpointError} when no region was given and several offer it
 */
export function selectEndpoint(catalog: CatalogService[], type: string, iface: Interface, region?: string): string {
  const services = catalog.filter((s) => s.type === type);
  if (services.length === 0) {
    const types = [...new Set(catalog.map((s) => shown(s.type)))].sort();
    throw catalog.length === 0
      ? new NcliError(
          'ENDPOINT_NOT_FOUND',
          `The service catalog is empty, so there is no ${type} endpoint: the token is not scoped to a project.`,
          { hint: 'project-scope' },
        )
      : new NcliError(
          'ENDPOINT_NOT_FOUND',
          `The service catalog has no '${type}' service (it has: ${types.join(', ')}).`,
        );
  }
  const all = services.flatMap((s) => s.endpoints);
  const regionOf = (e: (typeof all)[number]) => e.region_id ?? e.region ?? '';
  const byIface = all.filter((e) => e.interface === iface);
  const matches = region ? byIface.filter((e) => regionOf(e) === region) : byIface;
  const regions = [...new Set(matches.map(regionOf))];
  if (matches.length > 0 && (region || regions.length === 1)) return matches[0].url.replace(/\/+$/, '');
  if (matches.length > 0) {
    throw new AmbiguousEndpointError(
      `The ${type} service has ${iface} endpoints in several regions (${regions.map(shown).join(', ')}).`,
    );
  }
  const offered = all.map((e) => shown(`${e.interface}@${regionOf(e) || '(no region)'}`));
  throw new NcliError(
    'ENDPOINT_NOT_FOUND',
    `No ${iface} endpoint for the ${type} service${region ? ` in region '${region}'` : ''}; the catalog offers ${[...new Set(offered)].join(', ')}.`,
    { hint: 'interface' },
  );
}
