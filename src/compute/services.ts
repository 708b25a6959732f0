/**
 * Compute services (api-ref compute "Compute services (os-services)";
 * nova/api/openstack/compute/services.py): list, find one by host and binary, enable / disable
 * (with a reason) / force down or up, delete. Before 2.53 a change is one `PUT
 * /os-services/{enable|disable|disable-log-reason|force-down}` with `{host, binary}` in the body;
 * from 2.53 it is `PUT /os-services/{uuid}` with `{status, disabled_reason, forced_down}`, the
 * service found by host and binary first, as openstackclient does (`SetService`). Forced down
 * (`forced_down`) is 2.11+. All of it is admin-only in Nova's default policy.
 */
import * as v from 'valibot';
import { NotFoundError } from '../errors.js';
import { ApiError } from '../http/errors.js';
import type { ComputeClient } from './client.js';
import { adminRefusal } from './policy.js';
import { listResource } from './resource.js';
import { COMPUTE_SERVICE, type ComputeService } from './resources/compute-service.js';
import { hasMicroversion, requireMicroversion } from './versions.js';

/** The binary of the service that runs servers on a host. */
export const NOVA_COMPUTE = 'nova-compute';

/**
 * The compute services, optionally only those of one host and/or binary (Nova filters exactly).
 * @throws AdminRequiredError (403: an admin role is needed), ApiError, NetworkError
 */
export async function listServices(
  client: ComputeClient,
  f: { host?: string; binary?: string } = {},
): Promise<ComputeService[]> {
  try {
    return await listResource(client, COMPUTE_SERVICE, { query: { host: f.host, binary: f.binary } });
  } catch (e) {
    throw adminRefusal(e, 'Listing compute services');
  }
}

/**
 * The service `binary` of `host` (openstackclient `SetService._find_service_by_host_and_binary`).
 * @throws NotFoundError (`NOT_FOUND`: no such service, naming the hosts that have that binary;
 *   `AMBIGUOUS`), AdminRequiredError (403), ApiError, NetworkError
 */
export async function findService(client: ComputeClient, host: string, binary: string): Promise<ComputeService> {
  const found = await listServices(client, { host, binary });
  if (found.length === 1) return found[0];
  if (found.length > 1) {
    throw new NotFoundError(`Several ${binary} services run on host ${host}: give the service ID.`, {
      ids: found.map((s) => String(s.id)),
    });
  }
  const others = [...new Set((await listServices(client, { binary })).map((s) => s.host))].sort();
  const known = others.length ? `hosts with ${binary}: ${others.join(', ')}` : `no host runs ${binary}`;
  throw new NotFoundError(`No ${binary} service on host ${host} (${known}).`);
}

/** What {@link updateService} changes; at least one field. */
export interface ServiceChange {
  /** Enable (true) or disable (false) scheduling onto the service's host. */
  enabled?: boolean;
  /** With `enabled: false`: why (`disabled_reason`). */
  reason?: string;
  /** Force the service down (true) or up (false): 2.11+. */
  forcedDown?: boolean;
}

const UpdatedSchema = v.looseObject({ service: v.looseObject({}) });

/**
 * Applies `change` to `service` and returns it as Nova then lists it.
 * From 2.53 one `PUT /os-services/{id}`; before, one PUT per part (enable / disable /
 * disable-log-reason, then force-down). PUT is idempotent: the transport may retry it.
 * @throws ConfigError `MICROVERSION` (forced down before 2.11), AdminRequiredError (403: an admin
 *   role is needed), ApiError (400: e.g. "Unable to force up host … as `done` evacuation migration
 *   records remain"), NetworkError
 */
export async function updateService(
  client: ComputeClient,
  service: ComputeService,
  change: ServiceChange,
): Promise<ComputeService> {
  if (change.forcedDown !== undefined) await requireMicroversion(client, '2.11', 'Forcing a service up or down');
  try {
    if (await hasMicroversion(client, '2.53')) {
      const body: Record<string, unknown> = {};
      if (change.enabled !== undefined) body.status = change.enabled ? 'enabled' : 'disabled';
      if (change.enabled === false && change.reason !== undefined) body.disabled_reason = change.reason;
      if (change.forcedDown !== undefined) body.forced_down = change.forcedDown;
      await client.read(
        'PUT',
        `/os-services/${encodeURIComponent(String(service.id))}`,
        UpdatedSchema,
        'a compute service',
        {
          body,
        },
      );
    } else {
      const who = { host: service.host, binary: service.binary };
      if (change.enabled === true) await client.send('PUT', '/os-services/enable', { body: who });
      if (change.enabled === false && change.reason !== undefined) {
        await client.send('PUT', '/os-services/disable-log-reason', {
          body: { ...who, disabled_reason: change.reason },
        });
      } else if (change.enabled === false) await client.send('PUT', '/os-services/disable', { body: who });
      if (change.forcedDown !== undefined) {
        await client.send('PUT', '/os-services/force-down', { body: { ...who, forced_down: change.forcedDown } });
      }
    }
  } catch (e) {
    throw adminRefusal(e, `Changing the ${service.binary} service of host ${service.host}`);
  }
  const [now] = await listServices(client, { host: service.host, binary: service.binary });
  return now ?? service;
}

/**
 * Deletes a compute service (`DELETE /os-services/{id}`: a number before 2.53, a UUID from 2.53).
 * @throws NotFoundError (404), AdminRequiredError (403), ApiError (409: servers or migrations still on
 *   the host; 400), NetworkError
 */
export async function deleteService(client: ComputeClient, id: string): Promise<void> {
  try {
    await client.send('DELETE', `/os-services/${encodeURIComponent(id)}`);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      throw new NotFoundError(`No compute service with ID ${id} (compute service list shows the IDs).`, { cause: e });
    }
    throw adminRefusal(e, `Deleting compute service ${id}`);
  }
}
