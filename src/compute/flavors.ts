/**
 * Flavors: `GET /flavors/detail` (with `is_public=None` for every flavor the caller may see,
 * which is what `--all` means to an admin) and `GET /flavors/{id}` (api-ref compute "Flavors").
 */
import type { ComputeClient } from './client.js';
import * as v from 'valibot';
import { FlavorSchema, type Flavor } from './types.js';

/** @param all include private flavors (admin) @throws ApiError, NetworkError */
export function listFlavors(client: ComputeClient, all = false): Promise<Flavor[]> {
  return client.paginate('/flavors/detail', 'flavors', FlavorSchema, 'a list of flavors', {
    is_public: all ? 'None' : undefined,
  });
}

/** One flavor by ID (IDs need not be UUIDs). @throws ApiError (404 when absent) */
export async function getFlavor(client: ComputeClient, id: string): Promise<Flavor> {
  const path = `/flavors/${encodeURIComponent(id)}`;
  return (await client.read('GET', path, v.object({ flavor: FlavorSchema }), 'a flavor')).flavor;
}
