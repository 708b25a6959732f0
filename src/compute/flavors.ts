/**
 * Flavors: `GET /flavors/detail` (with `is_public=None` for every flavor the caller may see,
 * which is what `--all` means to an admin) and `GET /flavors/{id}` (api-ref compute "Flavors").
 */
import type { ComputeClient } from './client.js';
import { getResource, listResource } from './resource.js';
import { FLAVOR } from './resources/flavor.js';
import type { Flavor } from './types.js';

/** @param all include private flavors (admin) @throws ApiError, NetworkError */
export function listFlavors(client: ComputeClient, all = false): Promise<Flavor[]> {
  return listResource(client, FLAVOR, { query: { is_public: all ? 'None' : undefined } });
}

/** One flavor by ID (IDs need not be UUIDs). @throws ApiError (404 when absent) */
export function getFlavor(client: ComputeClient, id: string): Promise<Flavor> {
  return getResource(client, FLAVOR, id);
}
