/**
 * Instance actions and their events: what was asked of a server, by which request, and how each
 * step went (api-ref compute "Servers actions (servers, os-instance-actions)":
 * `GET /servers/{id}/os-instance-actions`, `GET /servers/{id}/os-instance-actions/{request_id}`;
 * nova/api/openstack/compute/instance_actions.py). Microversions: 2.21 lists the actions of a
 * deleted server; 2.51 shows events to non-admins; 2.58 pages the list (`limit`, `marker` = a
 * request ID, `changes-since`, next `links`) and adds `updated_at`; 2.62 event `host`/`hostId`;
 * 2.66 `changes-before`; 2.84 per-event failure `details`.
 */
import { NcliError, NotFoundError } from '../errors.js';
import { ApiError } from '../http/errors.js';
import * as v from 'valibot';
import { nextMarker, type ComputeClient, type Query } from './client.js';
import { hasMicroversion, requireMicroversion } from './servers.js';
import {
  InstanceActionDetailSchema,
  InstanceActionSchema,
  LinkSchema,
  type InstanceAction,
  type InstanceActionDetail,
  type InstanceActionEvent,
} from './types.js';

/** The filters and paging of {@link listInstanceActions}. */
export interface ActionListOptions {
  /** At most this many actions (2.58); all when undefined or negative. */
  limit?: number;
  /** Start after the action with this request ID (2.58). */
  marker?: string;
  /** ISO 8601: actions updated at or after it (2.58). */
  changesSince?: string;
  /** ISO 8601: actions updated at or before it (2.66). */
  changesBefore?: string;
  /** For messages: how the server was named. */
  serverLabel?: string;
}

const ActionPageSchema = v.looseObject({
  instanceActions: v.array(InstanceActionSchema),
  links: v.optional(v.array(LinkSchema)),
});

/** Newest first by start time (ties keep Nova's order), as `openstack server event list` shows them. */
export function newestFirst<T extends { start_time?: string | null }>(actions: readonly T[]): T[] {
  return actions
    .map((a, i) => ({ a, i, t: a.start_time ? parseNovaTime(a.start_time) : 0 }))
    .sort((x, y) => y.t - x.t || x.i - y.i)
    .map((x) => x.a);
}

function notFound(e: unknown, label: string): unknown {
  if (e instanceof ApiError && e.status === 404) {
    return new NotFoundError(
      `No server ${label} exists (for a deleted server, give its ID: Nova keeps its actions from compute API 2.21).`,
      { cause: e },
    );
  }
  return e;
}

/**
 * The actions of a server, newest first, following the 2.58 `links` to the end (or `limit`).
 * @throws ConfigError `MICROVERSION` for `limit`/`marker`/`changesSince` before 2.58 and
 *   `changesBefore` before 2.66; NotFoundError (404); ApiError, NetworkError
 */
export async function listInstanceActions(
  client: ComputeClient,
  serverId: string,
  opts: ActionListOptions = {},
): Promise<InstanceAction[]> {
  const paged = await hasMicroversion(client, '2.58');
  if (opts.limit !== undefined || opts.marker || opts.changesSince) {
    await requireMicroversion(client, '2.58', 'Paging or filtering server events');
  }
  if (opts.changesBefore) await requireMicroversion(client, '2.66', 'Filtering server events by changes-before');
  const path = `/servers/${encodeURIComponent(serverId)}/os-instance-actions`;
  const want = opts.limit !== undefined && opts.limit >= 0 ? opts.limit : undefined;
  const out: InstanceAction[] = [];
  let marker = opts.marker;
  try {
    for (let n = 0; n < 10_000; n++) {
      const query: Query = {
        marker,
        limit: want !== undefined ? want - out.length : undefined,
        'changes-since': opts.changesSince,
        'changes-before': opts.changesBefore,
      };
      const page = await client.read('GET', path, ActionPageSchema, 'a list of instance actions', { query });
      out.push(...page.instanceActions);
      if (!paged || (want !== undefined && out.length >= want)) break;
      const next = nextMarker(page.links);
      if (!next || next === marker || page.instanceActions.length === 0) break;
      marker = next;
    }
  } catch (e) {
    throw notFound(e, opts.serverLabel ?? serverId);
  }
  return newestFirst(want !== undefined ? out.slice(0, want) : out);
}

/**
 * One action with its events (events are shown to non-admins from 2.51).
 * @throws NotFoundError for an unknown server or request ID; ApiError, NetworkError
 */
export async function getInstanceAction(
  client: ComputeClient,
  serverId: string,
  requestId: string,
  opts: { serverLabel?: string } = {},
): Promise<InstanceActionDetail> {
  const path = `/servers/${encodeURIComponent(serverId)}/os-instance-actions/${encodeURIComponent(requestId)}`;
  try {
    const body = await client.read(
      'GET',
      path,
      v.object({ instanceAction: InstanceActionDetailSchema }),
      'an instance action',
    );
    return body.instanceAction;
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      // Nova answers 404 both for a server it does not know and for a request ID it has no action for
      const msg = /action/i.test(e.serverMessage)
        ? `Server ${opts.serverLabel ?? serverId} has no action with request ID ${requestId}.`
        : `No server ${opts.serverLabel ?? serverId} exists.`;
      throw new NotFoundError(msg, { cause: e });
    }
    throw e;
  }
}

/** The events of an action that failed (`result` `Error`), in their order. */
export function failedEvents(action: Pick<InstanceActionDetail, 'events'>): InstanceActionEvent[] {
  return (action.events ?? []).filter((e) => (e.result ?? '').toLowerCase() === 'error');
}

/**
 * Why an event failed, in one line: its `details` (2.84, e.g. "Virtual Interface creation
 * failed"), else the last line of its `traceback` (admins), else nothing.
 */
export function eventReason(e: InstanceActionEvent): string | undefined {
  if (e.details?.trim()) return e.details.trim().split('\n')[0];
  const tb = e.traceback?.trim();
  if (tb)
    return tb
      .split('\n')
      .filter((l) => l.trim())
      .pop()
      ?.trim();
  return undefined;
}

/**
 * Whether Nova recorded an action a lost answer leaves in doubt: the newest `action` (Nova's name,
 * e.g. `reboot`) started at or after `since` less `skewSeconds` (the two clocks differ).
 * @returns the action, or undefined when Nova has none
 * @throws ApiError, NetworkError
 */
export async function findRecordedAction(
  client: ComputeClient,
  serverId: string,
  action: string,
  since: Date,
  skewSeconds = 60,
): Promise<InstanceAction | undefined> {
  const from = since.getTime() - skewSeconds * 1000;
  const all = await listInstanceActions(client, serverId);
  return all.find((a) => a.action === action && !!a.start_time && parseNovaTime(a.start_time) >= from);
}

/** Nova's times (`2026-12-02T13:56:35.000000`, no zone, UTC) as epoch milliseconds. */
export function parseNovaTime(t: string): number {
  return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(t) ? t : `${t}Z`);
}

/** A failed event of an action: its name and why (see {@link eventReason}). */
export interface ActionFailure {
  event: string;
  reason?: string;
}

/**
 * The failed events of the action a request started, as `{event, reason}` (empty when none failed
 * or the action cannot be read: this only adds detail to a failure already known).
 */
export async function actionFailures(
  client: ComputeClient,
  serverId: string,
  requestId: string | undefined,
): Promise<ActionFailure[]> {
  if (!requestId) return [];
  try {
    const a = await getInstanceAction(client, serverId, requestId);
    return failedEvents(a).map((e) => ({ event: e.event, reason: eventReason(e) }));
  } catch (e) {
    if (e instanceof NcliError) return [];
    throw e;
  }
}
