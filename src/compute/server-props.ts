/**
 * A server's own properties, set and unset as `openstack server set|unset` does
 * (openstackclient/compute/v2/server.py `SetServer`, `UnsetServer`; api-ref compute "Servers"
 * "Update Server", "Server metadata", "Server tags", "Servers - run an action" `changePassword`,
 * "Servers password"):
 * - name, description (2.19), hostname (2.90): one `PUT /servers/{id}` `{"server": {…}}`;
 * - metadata ("properties"): `POST /servers/{id}/metadata` `{"metadata": {…}}` (merged into what
 *   the server has), `DELETE /servers/{id}/metadata/{key}` (404 for a key it does not have);
 * - tags (2.26): `PUT /servers/{id}/tags/{tag}` (idempotent), `DELETE /servers/{id}/tags/{tag}`;
 * - password: `POST /servers/{id}/action` `{"changePassword": {"adminPass": …}}` (sent once,
 *   never logged: the transport redacts `adminPass`), or `DELETE /servers/{id}/os-server-password`
 *   (clears the encrypted password the metadata service hands out; the guest keeps its own);
 * - diagnostics (`GET /servers/{id}/diagnostics`, admin) and topology (`GET /servers/{id}/topology`, 2.78).
 * Nova's refusals become one line naming the server and the change ({@link PropertyRefusedError}).
 */
import * as v from 'valibot';
import { NcliError, NotFoundError, type NcliErrorOptions } from '../errors.js';
import { ApiError } from '../http/errors.js';
import type { ComputeClient } from './client.js';

/** Nova refused a change of a server's properties (`REFUSED`): 400, 403, 409. */
export class PropertyRefusedError extends NcliError {
  override readonly name = 'PropertyRefusedError';
  constructor(
    message: string,
    /** Nova's HTTP status. */
    readonly status: number,
    options: NcliErrorOptions = {},
  ) {
    super('REFUSED', message, options);
  }
}

/** What `server set` changes; every field optional. */
export interface ServerChanges {
  name?: string;
  /** 2.19. */
  description?: string;
  /** 2.90. */
  hostname?: string;
  /** Metadata keys and values to add or change. */
  properties?: Record<string, string>;
  /** Tags to add (2.26). */
  tags?: readonly string[];
  /** A new admin password (changePassword). Never logged or printed. */
  password?: string;
  /** Clear the password the metadata service keeps (os-server-password). */
  clearPassword?: boolean;
}

/** What `server unset` removes. */
export interface ServerRemovals {
  /** Metadata keys. */
  properties?: readonly string[];
  /** Tags (2.26). */
  tags?: readonly string[];
  /** Clear the description (2.19): set to "" as openstackclient does. */
  description?: boolean;
}

/** `(HTTP 409, request req-…)`. */
function said(e: ApiError): string {
  return `(HTTP ${e.status}${e.requestId ? `, request ${e.requestId}` : ''})`;
}

/**
 * Runs one request of a change, turning Nova's refusal into one line.
 * @param what the change in words: `set the properties of`, `remove tag 'x' from`
 * @param missing the line for a 404 of a sub-resource (a key or tag the server does not have)
 */
async function step<T>(label: string, what: string, fn: () => Promise<T>, missing?: string): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    const reason = e.serverMessage.replace(/\.$/, '');
    if (e.status === 404 && missing) throw new NotFoundError(`${missing} ${said(e)}.`, { cause: e });
    if (e.status === 404) {
      throw new NotFoundError(`Server ${label} no longer exists (Nova answered 404) ${said(e)}.`, { cause: e });
    }
    if (e.status === 403) {
      throw new PropertyRefusedError(
        `Nova's policy does not let this user ${what} server ${label}: ${reason} ${said(e)}.`,
        403,
        { cause: e },
      );
    }
    if (e.status === 400 || e.status === 409) {
      throw new PropertyRefusedError(`Nova refused to ${what} server ${label}: ${reason} ${said(e)}.`, e.status, {
        cause: e,
      });
    }
    throw e;
  }
}

function path(id: string, ...rest: string[]): string {
  return ['/servers', id, ...rest].map((p, i) => (i === 0 ? p : encodeURIComponent(p))).join('/');
}

/**
 * Applies `c` to one server, in openstackclient's order: name/description/hostname, properties,
 * password, tags. Each request is sent once; the first refusal stops the rest.
 * @param label how the server is named in messages
 * @throws PropertyRefusedError (400, 403, 409), NotFoundError (the server is gone), ApiError,
 *   NetworkError
 */
export async function setServerProperties(
  client: ComputeClient,
  id: string,
  label: string,
  c: ServerChanges,
): Promise<void> {
  const update: Record<string, string> = {};
  if (c.name !== undefined) update.name = c.name;
  if (c.description !== undefined) update.description = c.description;
  if (c.hostname !== undefined) update.hostname = c.hostname;
  if (Object.keys(update).length) {
    const words = Object.keys(update).join(' and ');
    await step(label, `change the ${words} of`, () => client.send('PUT', path(id), { body: { server: update } }));
  }
  if (c.properties && Object.keys(c.properties).length) {
    const metadata = c.properties;
    await step(label, 'set the properties of', () => client.send('POST', path(id, 'metadata'), { body: { metadata } }));
  }
  if (c.password !== undefined) {
    const adminPass = c.password;
    await step(label, 'change the password of', () =>
      client.send('POST', path(id, 'action'), { body: { changePassword: { adminPass } } }),
    );
  } else if (c.clearPassword) {
    await step(label, 'clear the password of', () => client.send('DELETE', path(id, 'os-server-password')));
  }
  for (const tag of c.tags ?? []) {
    await step(label, `add tag '${tag}' to`, () => client.send('PUT', path(id, 'tags', tag)));
  }
}

/**
 * Removes `r` from one server: properties, description, tags (openstackclient's order).
 * @throws NotFoundError for a property or tag the server does not have ("Server vm1 has no
 *   property 'x'"), PropertyRefusedError, ApiError, NetworkError
 */
export async function unsetServerProperties(
  client: ComputeClient,
  id: string,
  label: string,
  r: ServerRemovals,
): Promise<void> {
  for (const key of r.properties ?? []) {
    await step(
      label,
      `remove property '${key}' from`,
      () => client.send('DELETE', path(id, 'metadata', key)),
      `Server ${label} has no property '${key}'`,
    );
  }
  if (r.description) {
    await step(label, 'clear the description of', () =>
      client.send('PUT', path(id), { body: { server: { description: '' } } }),
    );
  }
  for (const tag of r.tags ?? []) {
    await step(
      label,
      `remove tag '${tag}' from`,
      () => client.send('DELETE', path(id, 'tags', tag)),
      `Server ${label} has no tag '${tag}'`,
    );
  }
}

/**
 * A server's diagnostics as Nova reports them (`GET /servers/{id}/diagnostics`; admin by default
 * policy): from 2.48 the standard shape (`state`, `driver`, `uptime`, `cpu_details`,
 * `nic_details`, `disk_details`, `memory_details`, …), before it whatever the virt driver gives.
 * @throws PropertyRefusedError (403 policy, 409 a server in a state without diagnostics),
 *   NotFoundError, ApiError
 */
export function serverDiagnostics(client: ComputeClient, id: string, label: string): Promise<Record<string, unknown>> {
  return step(label, 'read the diagnostics of', () =>
    client.read('GET', path(id, 'diagnostics'), v.record(v.string(), v.unknown()), 'server diagnostics'),
  );
}

/** A server's NUMA topology (2.78): `nodes` (empty without NUMA) and `pagesize_kb`. */
export const TopologySchema = v.looseObject({
  nodes: v.array(v.record(v.string(), v.unknown())),
  pagesize_kb: v.optional(v.nullable(v.number())),
});
export type Topology = v.InferOutput<typeof TopologySchema>;

/**
 * A server's NUMA topology (`GET /servers/{id}/topology`, 2.78; host details for admins only).
 * @throws PropertyRefusedError (403), NotFoundError, ApiError
 */
export function serverTopology(client: ComputeClient, id: string, label: string): Promise<Topology> {
  return step(label, 'read the topology of', () =>
    client.read('GET', path(id, 'topology'), TopologySchema, 'a server topology'),
  );
}
