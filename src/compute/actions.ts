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
import { deleteServer, requireMicroversion } from './servers.js';
import type { WaitKind } from './wait.js';

/** The actions, by the name the command uses (`confirm-resize` is `server resize --confirm`). */
export type ActionKind = Exclude<WaitKind, 'create'>;

/** One action and its arguments. */
export type ServerAction =
  | {
      kind: Exclude<ActionKind, 'reboot' | 'lock' | 'resize' | 'rebuild'>;
    }
  | { kind: 'reboot'; hard?: boolean }
  | { kind: 'lock'; reason?: string }
  | { kind: 'resize'; flavorRef: string }
  | { kind: 'rebuild'; imageRef: string };

/** Nova's name of each action in the server's instance actions (nova/compute/instance_actions.py). */
export const INSTANCE_ACTION: Readonly<Record<ActionKind, string>> = {
  start: 'start',
  stop: 'stop',
  reboot: 'reboot',
  pause: 'pause',
  unpause: 'unpause',
  suspend: 'suspend',
  resume: 'resume',
  lock: 'lock',
  unlock: 'unlock',
  shelve: 'shelve',
  unshelve: 'unshelve',
  resize: 'resize',
  'confirm-resize': 'confirmResize',
  'revert-resize': 'revertResize',
  rebuild: 'rebuild',
  delete: 'delete',
};

/** The action in words, for messages: `stop`, `hard reboot`, `resize confirmation`. */
export function actionWords(a: ServerAction): string {
  if (a.kind === 'reboot') return a.hard ? 'hard reboot' : 'reboot';
  if (a.kind === 'confirm-resize') return 'resize confirmation';
  if (a.kind === 'revert-resize') return 'resize revert';
  return a.kind;
}

/**
 * The body of `POST /servers/{id}/action` (api-ref "Servers - run an action"): `{"os-start":
 * null}`, `{"reboot": {"type": "HARD"}}`, `{"lock": {"locked_reason": "…"}}` (2.73),
 * `{"resize": {"flavorRef": "2"}}`, `{"confirmResize": null}`, `{"rebuild": {"imageRef": "…"}}`…
 * Undefined for `delete` (not an action body).
 */
export function actionBody(a: ServerAction): Record<string, unknown> | undefined {
  switch (a.kind) {
    case 'start':
      return { 'os-start': null };
    case 'stop':
      return { 'os-stop': null };
    case 'reboot':
      return { reboot: { type: a.hard ? 'HARD' : 'SOFT' } };
    case 'lock':
      return { lock: a.reason === undefined ? null : { locked_reason: a.reason } };
    case 'resize':
      return { resize: { flavorRef: a.flavorRef } };
    case 'confirm-resize':
      return { confirmResize: null };
    case 'revert-resize':
      return { revertResize: null };
    case 'rebuild':
      return { rebuild: { imageRef: a.imageRef } };
    case 'delete':
      return undefined;
    default:
      return { [a.kind]: null };
  }
}

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
 * `DELETE /servers/{id}`. A lock reason needs 2.73 (checked before sending).
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
  if (a.kind === 'lock' && a.reason !== undefined) await requireMicroversion(client, '2.73', 'A lock reason');
  if (a.kind === 'delete') {
    try {
      return { requestId: await deleteServer(client, serverId) };
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return { alreadyGone: true };
      throw refusal(e, a, label);
    }
  }
  const sentAt = (opts.now ?? (() => new Date()))();
  try {
    const res = await client.send('POST', `/servers/${encodeURIComponent(serverId)}/action`, { body: actionBody(a) });
    return { requestId: res.requestId };
  } catch (e) {
    if (!(e instanceof NetworkError || e instanceof TimeoutError)) throw refusal(e, a, label);
    // The answer was lost: Nova may or may not have the action. Never send it again; ask.
    const recorded = await findRecordedAction(client, serverId, INSTANCE_ACTION[a.kind], sentAt).catch(() => undefined);
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
