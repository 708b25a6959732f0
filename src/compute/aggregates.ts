/**
 * Host aggregates (api-ref compute "Host Aggregates"; nova/api/openstack/compute/aggregates.py):
 * list, find, create (`POST /os-aggregates`), update name and zone (`PUT /os-aggregates/{id}`),
 * metadata (`POST …/action {"set_metadata"}`: a null value removes a key), hosts (`POST …/action
 * {"add_host"|"remove_host"}`) and delete, with Nova's refusals worded one line each. Every call is
 * admin-only by default policy. The POSTs are sent once (the transport never repeats a POST).
 */
import * as v from 'valibot';
import { NcliError, NotFoundError } from '../errors.js';
import { ApiError } from '../http/errors.js';
import type { ComputeClient } from './client.js';
import { adminRefusal, asAdmin } from './policy.js';
import { findResource, listResource } from './resource.js';
import { AGGREGATE, AggregateSchema, type Aggregate } from './resources/aggregate.js';

/** Nova refused an aggregate operation (`REFUSED`): a name taken, a host already in it, not empty… */
export class AggregateRefusedError extends NcliError {
  override readonly name = 'AggregateRefusedError';
  constructor(
    message: string,
    /** Nova's HTTP status. */
    readonly status: number,
    cause: ApiError,
  ) {
    super('REFUSED', message, { cause });
  }
}

/** `(HTTP 409, request req-…)`. */
function said(e: ApiError): string {
  return `(HTTP ${e.status}${e.requestId ? `, request ${e.requestId}` : ''})`;
}

/** `prod-ssd (ID 4)`. */
export function aggregateLabel(a: Pick<Aggregate, 'id' | 'name'>): string {
  return `${a.name} (ID ${a.id})`;
}

/** Nova's message without its final full stop. */
const novaSaid = (e: ApiError) => e.serverMessage.replace(/\.$/, '');

/**
 * Words a failed aggregate request: a 403 (admin role needed), a name taken (409 on create or
 * rename), else "Nova refused to <verb> aggregate X: <Nova's reason>". Not an ApiError: unchanged.
 */
function refusal(e: unknown, verb: string, label: string, name?: string): unknown {
  if (!(e instanceof ApiError)) return e;
  if (e.status === 403) return adminRefusal(e, 'Managing host aggregates');
  if (e.status === 409 && name !== undefined && /already exists/i.test(e.serverMessage)) {
    return new AggregateRefusedError(
      `An aggregate named '${name}' already exists ${said(e)}; choose another name.`,
      409,
      e,
    );
  }
  if (e.status === 404) {
    return new NotFoundError(`Aggregate ${label} no longer exists (${novaSaid(e)}) ${said(e)}.`, { cause: e });
  }
  if (e.status === 400 || e.status === 409) {
    return new AggregateRefusedError(
      `Nova refused to ${verb} aggregate ${label}: ${novaSaid(e)} ${said(e)}.`,
      e.status,
      e,
    );
  }
  return e;
}

/** Every aggregate. @throws AdminRequiredError (403), ApiError, NetworkError */
export function listAggregates(client: ComputeClient): Promise<Aggregate[]> {
  return asAdmin('Listing aggregates', () => listResource(client, AGGREGATE));
}

/**
 * An aggregate by ID (digits) or exact name.
 * @throws NotFoundError (`NOT_FOUND`, `AMBIGUOUS`), AdminRequiredError (403), ApiError, NetworkError
 */
export function findAggregate(client: ComputeClient, ref: string): Promise<Aggregate> {
  return asAdmin('Looking up an aggregate', () => findResource(client, AGGREGATE, ref));
}

const OneSchema = v.looseObject({ aggregate: AggregateSchema });

/** An aggregate answer with `hosts` and `metadata` (a create answers without them: a new one has none). */
function complete(a: Aggregate): Aggregate {
  return {
    ...a,
    hosts: a.hosts ?? [],
    metadata: a.metadata ?? (a.availability_zone ? { availability_zone: a.availability_zone } : {}),
  };
}

/** `POST /os-aggregates/{id}/action` with one action body; the aggregate after it. */
async function act(client: ComputeClient, id: number, body: unknown): Promise<Aggregate> {
  const r = await client.read('POST', `/os-aggregates/${id}/action`, OneSchema, 'an aggregate', { body });
  return complete(r.aggregate);
}

/**
 * Creates an aggregate (in `zone` when given), then sets its `properties` (a second request).
 * @throws AggregateRefusedError (409 name taken; 400 e.g. a zone named like a host aggregate's
 *   host, or properties refused after the aggregate was created: the message says it exists),
 *   AdminRequiredError (403), ApiError, NetworkError
 */
export async function createAggregate(
  client: ComputeClient,
  name: string,
  opts: { zone?: string; properties?: Record<string, string> } = {},
): Promise<Aggregate> {
  let created: Aggregate;
  try {
    const body = { aggregate: { name, ...(opts.zone ? { availability_zone: opts.zone } : {}) } };
    created = complete((await client.read('POST', '/os-aggregates', OneSchema, 'an aggregate', { body })).aggregate);
  } catch (e) {
    throw refusal(e, 'create', `'${name}'`, name);
  }
  if (!opts.properties || !Object.keys(opts.properties).length) return created;
  try {
    return await act(client, created.id, { set_metadata: { metadata: opts.properties } });
  } catch (e) {
    const why = refusal(e, 'set the properties of', aggregateLabel(created));
    const text = why instanceof Error ? why.message : String(why);
    throw new NcliError('REFUSED', `Aggregate ${aggregateLabel(created)} was created, but ${lower(text)}`, {
      cause: e,
    });
  }
}

function lower(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

/**
 * Renames an aggregate and/or moves it to another availability zone (`PUT /os-aggregates/{id}`).
 * @throws AggregateRefusedError (409 name taken, 400), NotFoundError (404), AdminRequiredError, ApiError
 */
export async function updateAggregate(
  client: ComputeClient,
  a: Aggregate,
  changes: { name?: string; zone?: string },
): Promise<Aggregate> {
  const body = {
    aggregate: {
      ...(changes.name !== undefined ? { name: changes.name } : {}),
      ...(changes.zone !== undefined ? { availability_zone: changes.zone } : {}),
    },
  };
  try {
    return complete(
      (await client.read('PUT', `/os-aggregates/${a.id}`, OneSchema, 'an aggregate', { body })).aggregate,
    );
  } catch (e) {
    throw refusal(e, 'update', aggregateLabel(a), changes.name);
  }
}

/**
 * Sets metadata keys (a null value removes the key; keys not named are kept).
 * @throws AggregateRefusedError (400), NotFoundError (404), AdminRequiredError, ApiError
 */
export async function setAggregateMetadata(
  client: ComputeClient,
  a: Aggregate,
  metadata: Record<string, string | null>,
): Promise<Aggregate> {
  try {
    return await act(client, a.id, { set_metadata: { metadata } });
  } catch (e) {
    throw refusal(e, 'set the properties of', aggregateLabel(a));
  }
}

/** An action on an aggregate's hosts: `aggregate add host` or `aggregate remove host`. */
export type AggregateHostAction = 'add' | 'remove';

/** One description of an aggregate host action ({@link AGGREGATE_HOST_ACTIONS}). */
export interface AggregateHostActionDef {
  /** The key of the action body: `{"add_host": {"host": HOST}}`. */
  readonly key: 'add_host' | 'remove_host';
  /** The command's help line: `Add a compute host to an aggregate`. */
  readonly help: string;
  /** The help of its command group: `Add hosts to aggregates`. */
  readonly groupHelp: string;
  /** The action in words for Nova's other refusals: "Nova refused to add host 'h' to aggregate …". */
  readonly words: (host: string) => string;
  /** The refusals this action words itself (undefined: the shared wording of every aggregate call). */
  readonly refused: (e: ApiError, a: Aggregate, host: string) => NcliError | undefined;
}

/**
 * One description per aggregate host action (api-ref compute "Add Host", "Remove Host";
 * nova/api/openstack/compute/aggregates.py `_add_host`, `_remove_host`), as
 * `openstack aggregate add|remove host` sends them.
 */
export const AGGREGATE_HOST_ACTIONS: Readonly<Record<AggregateHostAction, AggregateHostActionDef>> = {
  add: {
    key: 'add_host',
    help: 'Add a compute host to an aggregate',
    groupHelp: 'Add hosts to aggregates',
    words: (host) => `add host '${host}' to`,
    refused: (e, a, host) => {
      // Nova's 404 names the aggregate when it is the aggregate that is gone: that is the shared wording
      if (e.status === 404 && !/^aggregate\b/i.test(e.serverMessage)) {
        return new NotFoundError(
          `No compute host named '${host}' exists (${novaSaid(e)}) ${said(e)}; hosts are named as hypervisor list shows them.`,
          { cause: e },
        );
      }
      if (e.status === 409 && /already has host/i.test(e.serverMessage)) {
        return new AggregateRefusedError(
          `Host '${host}' is already in aggregate ${aggregateLabel(a)} ${said(e)}.`,
          409,
          e,
        );
      }
      return undefined;
    },
  },
  remove: {
    key: 'remove_host',
    help: 'Remove a compute host from an aggregate',
    groupHelp: 'Remove hosts from aggregates',
    words: (host) => `remove host '${host}' from`,
    refused: (e, a, host) => {
      if (e.status !== 404) return undefined;
      const hosts = a.hosts ?? [];
      const has = hosts.length ? `its hosts: ${hosts.join(', ')}` : 'it has no hosts';
      return new NotFoundError(`Host '${host}' is not in aggregate ${aggregateLabel(a)} (${has}) ${said(e)}.`, {
        cause: e,
      });
    },
  },
};

/**
 * Adds a compute host to an aggregate or removes it (`POST /os-aggregates/{id}/action` with the
 * action's body, sent once); the aggregate after it.
 * @throws for `add`: NotFoundError (no such host, or the aggregate is gone), AggregateRefusedError
 *   (409: the host is already in it, or a zone conflict); for `remove`: NotFoundError (the host is
 *   not in it, or there is no such host), AggregateRefusedError (409); for both:
 *   AdminRequiredError (403), ApiError, NetworkError
 */
export async function changeAggregateHost(
  client: ComputeClient,
  action: AggregateHostAction,
  a: Aggregate,
  host: string,
): Promise<Aggregate> {
  const def = AGGREGATE_HOST_ACTIONS[action];
  try {
    return await act(client, a.id, { [def.key]: { host } });
  } catch (e) {
    throw (
      (e instanceof ApiError ? def.refused(e, a, host) : undefined) ?? refusal(e, def.words(host), aggregateLabel(a))
    );
  }
}

/**
 * Deletes an aggregate (`DELETE /os-aggregates/{id}`). Nova refuses one that still has hosts.
 * @throws AggregateRefusedError (400: not empty, naming its hosts), NotFoundError (404),
 *   AdminRequiredError (403), ApiError, NetworkError
 */
export async function deleteAggregate(client: ComputeClient, a: Aggregate): Promise<void> {
  try {
    await client.send('DELETE', `/os-aggregates/${a.id}`);
  } catch (e) {
    if (e instanceof ApiError && e.status === 400 && /not empty/i.test(e.serverMessage)) {
      const hosts = a.hosts ?? [];
      throw new AggregateRefusedError(
        `Aggregate ${aggregateLabel(a)} still has hosts${hosts.length ? ` (${hosts.join(', ')})` : ''} ${said(e)}; ` +
          `remove them first (aggregate remove host ${a.name} HOST).`,
        400,
        e,
      );
    }
    throw refusal(e, 'delete', aggregateLabel(a));
  }
}

/**
 * Asks Nova to fetch images into the image cache of every host of an aggregate (`POST
 * /os-aggregates/{id}/images {"cache": [{"id": …}]}`, compute API 2.81; Nova's aggregates.py
 * `images`): 202 and nothing else, the conductor casts to the hosts and logs the outcome (cached,
 * existing, errors, unsupported: a driver without an image cache, such as Nova's FakeDriver,
 * counts as unsupported). `imageIds` are Glance IDs, without duplicates (Nova refuses them).
 * @returns the request ID, to find the conductor's log lines
 * @throws AggregateRefusedError (400: e.g. a host of it in no cell), NotFoundError (404),
 *   AdminRequiredError (403), ApiError, NetworkError
 */
export async function cacheAggregateImages(
  client: ComputeClient,
  a: Aggregate,
  imageIds: readonly string[],
): Promise<string | undefined> {
  try {
    const body = { cache: imageIds.map((id) => ({ id })) };
    return (await client.send('POST', `/os-aggregates/${a.id}/images`, { body })).requestId;
  } catch (e) {
    throw refusal(e, 'cache images on', aggregateLabel(a));
  }
}
