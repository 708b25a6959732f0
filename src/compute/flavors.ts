/**
 * Flavors (api-ref compute "Flavors", "Flavors extra-specs (flavors, os-flavor-extra-specs)",
 * "Flavors access (flavors, os-flavor-access)"): list (`GET /flavors/detail`, with
 * `is_public=None` for every flavor the caller may see, which is what `--all` means to an admin),
 * show, create (`POST /flavors`), update the description (`PUT /flavors/{id}`, 2.55), extra specs
 * (`POST|DELETE /flavors/{id}/os-extra_specs`), project access (`POST /flavors/{id}/action`
 * addTenantAccess/removeTenantAccess, `GET /flavors/{id}/os-flavor-access`) and delete. Sources:
 * nova/api/openstack/compute/{flavor_manage,flavors_extraspecs,flavor_access}.py.
 */
import * as v from 'valibot';
import { NcliError } from '../errors.js';
import { ApiError } from '../http/errors.js';
import type { ComputeClient } from './client.js';
import { getResource, listResource } from './resource.js';
import { FLAVOR } from './resources/flavor.js';
import { FlavorSchema, type Flavor } from './types.js';
import { requireMicroversion } from './versions.js';

/** @param all include private flavors (admin) @throws ApiError, NetworkError */
export function listFlavors(client: ComputeClient, all = false): Promise<Flavor[]> {
  return listResource(client, FLAVOR, { query: { is_public: all ? 'None' : undefined } });
}

/** One flavor by ID (IDs need not be UUIDs). @throws ApiError (404 when absent) */
export function getFlavor(client: ComputeClient, id: string): Promise<Flavor> {
  return getResource(client, FLAVOR, id);
}

/** What {@link createFlavor} sends; sizes in Nova's units. */
export interface FlavorRequest {
  name: string;
  /** Default: Nova makes a UUID. */
  id?: string;
  /** MiB. */
  ram: number;
  /** GiB. */
  disk: number;
  /** GiB. */
  ephemeral: number;
  /** MiB (0: none). */
  swap: number;
  vcpus: number;
  rxtxFactor: number;
  isPublic: boolean;
  /** 2.55. */
  description?: string;
}

const FLAVOR_ANSWER = v.looseObject({ flavor: FlavorSchema });

/**
 * `POST /flavors`, sent once (not replayed).
 * @throws NcliError `CONFLICT` (a flavor with that ID or name exists: 409), `REFUSED` (400: a
 *   size Nova rejects), UsageError-like NcliError `MICROVERSION` for a description before 2.55, ApiError
 */
export async function createFlavor(client: ComputeClient, req: FlavorRequest): Promise<Flavor> {
  if (req.description !== undefined) await requireMicroversion(client, '2.55', 'A flavor description');
  const flavor: Record<string, unknown> = {
    name: req.name,
    ram: req.ram,
    vcpus: req.vcpus,
    disk: req.disk,
    'OS-FLV-EXT-DATA:ephemeral': req.ephemeral,
    swap: req.swap,
    rxtx_factor: req.rxtxFactor,
    'os-flavor-access:is_public': req.isPublic,
  };
  if (req.id !== undefined) flavor.id = req.id;
  if (req.description !== undefined) flavor.description = req.description;
  try {
    return (await client.read('POST', '/flavors', FLAVOR_ANSWER, 'a created flavor', { body: { flavor } })).flavor;
  } catch (e) {
    if (e instanceof ApiError && e.status === 409) {
      const what = req.id !== undefined ? `ID '${req.id}' or name '${req.name}'` : `name '${req.name}'`;
      throw new NcliError('CONFLICT', `A flavor with ${what} already exists; choose another or delete it first.`, {
        cause: e,
      });
    }
    if (e instanceof ApiError && e.status === 400) {
      throw new NcliError('REFUSED', `Nova refused flavor '${req.name}': ${e.serverMessage.replace(/\.$/, '')}.`, {
        cause: e,
      });
    }
    throw e;
  }
}

/** `PUT /flavors/{id}` with a new description (2.55). @throws NcliError `MICROVERSION`, ApiError */
export async function setFlavorDescription(client: ComputeClient, id: string, description: string): Promise<Flavor> {
  await requireMicroversion(client, '2.55', 'A flavor description');
  const path = `/flavors/${encodeURIComponent(id)}`;
  return (await client.read('PUT', path, FLAVOR_ANSWER, 'a flavor', { body: { flavor: { description } } })).flavor;
}

/** `POST /flavors/{id}/os-extra_specs`: adds or replaces these extra specs (properties). @throws ApiError */
export async function setFlavorSpecs(client: ComputeClient, id: string, specs: Record<string, string>): Promise<void> {
  await client.send('POST', `/flavors/${encodeURIComponent(id)}/os-extra_specs`, { body: { extra_specs: specs } });
}

/** The extra specs of a flavor (`GET /flavors/{id}/os-extra_specs`). @throws ApiError */
export async function flavorSpecs(client: ComputeClient, id: string): Promise<Record<string, string>> {
  const schema = v.looseObject({ extra_specs: v.record(v.string(), v.string()) });
  const path = `/flavors/${encodeURIComponent(id)}/os-extra_specs`;
  return (await client.read('GET', path, schema, 'extra specs')).extra_specs;
}

/**
 * `DELETE /flavors/{id}/os-extra_specs/{key}`.
 * @throws NcliError `NOT_FOUND` (the flavor has no such property), ApiError
 */
export async function unsetFlavorSpec(client: ComputeClient, flavor: Flavor, key: string): Promise<void> {
  try {
    await client.send('DELETE', `/flavors/${encodeURIComponent(flavor.id)}/os-extra_specs/${encodeURIComponent(key)}`);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      throw new NcliError('NOT_FOUND', `Flavor '${flavor.name}' has no property '${key}'.`, { cause: e });
    }
    throw e;
  }
}

/**
 * Grants (`addTenantAccess`) or revokes (`removeTenantAccess`) a project's access to a private flavor.
 * @param project a project ID (Keystone checks it)
 * @throws NcliError `REFUSED` (a public flavor; a project Keystone does not know: 400),
 *   `CONFLICT` (access already granted: 409), `NOT_FOUND` (no access to revoke), ApiError
 */
export async function flavorAccess(
  client: ComputeClient,
  flavor: Flavor,
  project: string,
  grant: boolean,
): Promise<void> {
  if (flavor['os-flavor-access:is_public'] !== false) {
    throw new NcliError(
      'REFUSED',
      `Flavor '${flavor.name}' is public: project access is for private flavors (create it with --private).`,
    );
  }
  const action = grant ? 'addTenantAccess' : 'removeTenantAccess';
  try {
    await client.send('POST', `/flavors/${encodeURIComponent(flavor.id)}/action`, {
      body: { [action]: { tenant: project } },
    });
  } catch (e) {
    if (e instanceof ApiError && (e.status === 400 || e.status === 409 || e.status === 404)) {
      const code = e.status === 409 ? 'CONFLICT' : e.status === 404 ? 'NOT_FOUND' : 'REFUSED';
      throw new NcliError(
        code,
        `Nova refused ${action} of project '${project}' to flavor '${flavor.name}': ${e.serverMessage.replace(/\.$/, '')}.`,
        {
          cause: e,
        },
      );
    }
    throw e;
  }
}

/** The projects that may use a private flavor (`GET /flavors/{id}/os-flavor-access`). @throws ApiError */
export async function flavorProjects(client: ComputeClient, id: string): Promise<string[]> {
  const schema = v.looseObject({ flavor_access: v.array(v.looseObject({ tenant_id: v.string() })) });
  const path = `/flavors/${encodeURIComponent(id)}/os-flavor-access`;
  return (await client.read('GET', path, schema, 'flavor access')).flavor_access.map((a) => a.tenant_id);
}

/** `DELETE /flavors/{id}`. @throws ApiError (404 when gone) */
export async function deleteFlavor(client: ComputeClient, id: string): Promise<void> {
  await client.send('DELETE', `/flavors/${encodeURIComponent(id)}`);
}

/**
 * `flavor set`: the description (2.55), then with `clear` every property removed, then
 * `properties` set, then `project` given access, as openstackclient's SetFlavor does them.
 * @throws NcliError (see {@link setFlavorDescription}, {@link flavorAccess}), ApiError
 */
export async function updateFlavor(
  client: ComputeClient,
  flavor: Flavor,
  opts: { description?: string; clear?: boolean; properties?: Record<string, string>; project?: string },
): Promise<void> {
  if (opts.description !== undefined) await setFlavorDescription(client, flavor.id, opts.description);
  if (opts.clear) {
    const current = flavor.extra_specs ?? (await flavorSpecs(client, flavor.id));
    for (const key of Object.keys(current))
      if (!(key in (opts.properties ?? {}))) await unsetFlavorSpec(client, flavor, key);
  }
  if (opts.properties && Object.keys(opts.properties).length) await setFlavorSpecs(client, flavor.id, opts.properties);
  if (opts.project) await flavorAccess(client, flavor, opts.project, true);
}

/**
 * `flavor unset`: these properties removed, then `project`'s access revoked.
 * @throws NcliError `NOT_FOUND` (a property the flavor lacks), see {@link flavorAccess}, ApiError
 */
export async function reduceFlavor(
  client: ComputeClient,
  flavor: Flavor,
  opts: { properties?: readonly string[]; project?: string },
): Promise<void> {
  for (const key of opts.properties ?? []) await unsetFlavorSpec(client, flavor, key);
  if (opts.project) await flavorAccess(client, flavor, opts.project, false);
}

/**
 * A flavor with what `flavor show` adds: its extra specs when not embedded (before 2.61) and the
 * projects of a private flavor (null for a public one; null too when Nova does not tell, as
 * openstackclient logs and goes on).
 * @throws ApiError for the extra specs
 */
export async function flavorExtras(
  client: ComputeClient,
  flavor: Flavor,
): Promise<{ specs?: Record<string, string>; access: string[] | null }> {
  const specs = flavor.extra_specs ? undefined : await flavorSpecs(client, flavor.id).catch(() => undefined);
  let access: string[] | null = null;
  if (flavor['os-flavor-access:is_public'] === false)
    access = await flavorProjects(client, flavor.id).catch(() => null);
  return { specs, access };
}

/**
 * `flavor create`: the flavor, then `project`'s access (a private flavor), then its properties;
 * the flavor as it then is.
 * @throws see {@link createFlavor}, {@link flavorAccess}, ApiError
 */
export async function createFlavorWith(
  client: ComputeClient,
  req: FlavorRequest,
  opts: { properties?: Record<string, string>; project?: string },
): Promise<Flavor> {
  const flavor = await createFlavor(client, req);
  if (opts.project) await flavorAccess(client, flavor, opts.project, true);
  if (opts.properties) {
    await setFlavorSpecs(client, flavor.id, opts.properties);
    return { ...flavor, extra_specs: { ...(flavor.extra_specs ?? {}), ...opts.properties } };
  }
  return flavor;
}
