/**
 * Server actions: `POST /servers/{id}/action` with one body per action and `DELETE /servers/{id}`
 * (api-ref compute "Servers - run an action" and "Delete Server"; request samples in Nova's
 * doc/api_samples/servers/server-action-*.json), and what Nova's refusals mean, one line each.
 *
 * A POST action is sent once. The transport never repeats a POST (src/http/retry.ts), and when
 * the connection drops before the answer, ncli does not send it again either: it reads the
 * server's instance actions to learn whether Nova recorded it (then it goes on as if answered),
 * and otherwise says that nothing was repeated. DELETE is idempotent and retried by the transport.
 */
import { NcliError, NotFoundError, type NcliErrorOptions } from '../errors.js';
import { ApiError, NetworkError, TimeoutError } from '../http/errors.js';
import type { ComputeClient } from './client.js';
import { findRecordedAction } from './events.js';
import { actionWords, definitionOf, type ServerAction } from './action-table.js';
import { deleteServer, requireMicroversion } from './servers.js';

export { actionWords, type ServerAction } from './action-table.js';

/** Nova refused an action (`REFUSED`): wrong state or locked (409), policy (403), a bad request (400). */
export class ActionRefusedError extends NcliError {
  override readonly name = 'ActionRefusedError';
  constructor(
    message: string,
    /** Nova's HTTP status. */
    readonly status: number,
    options: NcliErrorOptions = {},
  ) {
    super('REFUSED', message, options);
  }
}

/** `(HTTP 409, request req-…)`. */
function said(e: ApiError): string {
  return `(HTTP ${e.status}${e.requestId ? `, request ${e.requestId}` : ''})`;
}

/**
 * One line for Nova's refusal of an action on a server, naming it and Nova's reason.
 * @returns ActionRefusedError, NotFoundError for a 404, or `e` itself when it is no refusal
 */
export function refusal(e: unknown, a: ServerAction, label: string): unknown {
  if (!(e instanceof ApiError)) return e;
  const what = actionWords(a);
  const reason = e.serverMessage.replace(/\.$/, '');
  if (e.status === 404) {
    return new NotFoundError(`Server ${label} no longer exists (Nova answered 404 to the ${what}) ${said(e)}.`, {
      cause: e,
    });
  }
  if (e.status === 409 && /\block(ed)?\b/i.test(reason) && a.kind !== 'lock' && a.kind !== 'unlock') {
    return new ActionRefusedError(
      `Server ${label} is locked, so Nova refused the ${what}: ${reason} ${said(e)}.`,
      409,
      {
        cause: e,
      },
    );
  }
  if (e.status === 409) {
    return new ActionRefusedError(`Nova refused the ${what} of server ${label}: ${reason} ${said(e)}.`, 409, {
      cause: e,
    });
  }
  if (e.status === 403) {
    return new ActionRefusedError(
      `Nova's policy does not let this user ${what} server ${label}: ${reason} ${said(e)}.`,
      403,
      { cause: e },
    );
  }
  if (e.status === 400) {
    return new ActionRefusedError(`Nova refused the ${what} of server ${label}: ${reason} ${said(e)}.`, 400, {
      cause: e,
    });
  }
  if (e.status === 429 || e.status === 503) {
    // rate-limited or unavailable: not taken, and a POST is never sent twice (issue 18 §5)
    const after = e.retryAfterSeconds !== undefined ? `, retry after ${e.retryAfterSeconds} s` : '';
    return new ActionRefusedError(
      `Nova did not take the ${what} of server ${label}: ${reason} (HTTP ${e.status}${after}${e.requestId ? `, request ${e.requestId}` : ''}); ncli does not send an action twice: run the command again for this server.`,
      e.status,
      { cause: e },
    );
  }
  return e;
}

/** What an accepted action left to go on with. */
export interface ActionAccepted {
  /** Nova's request ID: the instance action's `request_id` (for `server event show`). */
  requestId?: string;
  /**
   * Set when the answer was lost and the instance actions showed that Nova had recorded the
   * action anyway: one line saying so.
   */
  recovered?: string;
  /** A delete answered 404: the server was already gone (another client, or a retried DELETE). */
  alreadyGone?: boolean;
}

/** Options of {@link performAction}. */
export interface PerformOptions {
  /** How the server is named in messages (`vm1`). */
  label?: string;
  /** Now, for the instance-action lookup after a lost answer (tests). */
  now?: () => Date;
}

/**
 * Runs one action on one server: `POST /servers/{id}/action` (202, 204 for confirmResize), or
 * `DELETE /servers/{id}`, as the action table (src/compute/action-table.ts) describes it; the
 * microversion the action needs is checked before sending.
 * @throws ActionRefusedError (409 wrong state / locked, 403 policy, 400), NotFoundError (404),
 *   ConfigError `MICROVERSION`, NetworkError / TimeoutError (a POST whose answer was lost and that
 *   Nova has no record of: never sent again), ApiError otherwise
 */
export async function performAction(
  client: ComputeClient,
  serverId: string,
  a: ServerAction,
  opts: PerformOptions = {},
): Promise<ActionAccepted> {
  const label = opts.label ?? serverId;
  const def = definitionOf(a);
  const need = def.needs?.(a);
  if (need) await requireMicroversion(client, need.version, need.feature);
  const request = def.request(a);
  if (request.method === 'DELETE') {
    try {
      return { requestId: await deleteServer(client, serverId) };
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return { alreadyGone: true };
      throw refusal(e, a, label);
    }
  }
  const sentAt = (opts.now ?? (() => new Date()))();
  try {
    const res = await client.send('POST', `/servers/${encodeURIComponent(serverId)}/action`, { body: request.body });
    return { requestId: res.requestId };
  } catch (e) {
    if (!(e instanceof NetworkError || e instanceof TimeoutError)) throw refusal(e, a, label);
    // The answer was lost: Nova may or may not have the action. Never send it again; ask.
    const recorded = await findRecordedAction(client, serverId, def.instanceAction, sentAt).catch(() => undefined);
    if (recorded) {
      return {
        requestId: recorded.request_id,
        recovered: `The answer to the ${actionWords(a)} of server ${label} was lost (${e.message.replace(/\.$/, '')}), but Nova recorded it (request ${recorded.request_id}); not sent again.`,
      };
    }
    throw new NcliError(
      e.code,
      `The answer to the ${actionWords(a)} of server ${label} was lost (${e.message.replace(/\.$/, '')}) and Nova has no record of it; ncli does not send an action twice: run the command again if the server still needs it.`,
      { cause: e },
    );
  }
}
