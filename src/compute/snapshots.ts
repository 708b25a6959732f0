/**
 * Images made of a server: `createImage` (a snapshot) and `createBackup` (a snapshot with a type
 * and a rotation: Nova deletes the oldest backups of that type beyond it), as
 * `openstack server image create` and `server backup create` send them (api-ref compute
 * "Create Image (createImage Action)", "Create Server Back Up (createBackup Action)";
 * nova/api/openstack/compute/servers.py `_action_create_image`, create_backup.py). The new
 * image's ID is the answer's `image_id` from 2.45, before it the last part of the `Location`
 * header. The request is sent once: a lost answer is looked up in the server's instance actions,
 * never repeated.
 */
import * as v from 'valibot';
import { NcliError, NotFoundError, type NcliErrorOptions } from '../errors.js';
import { ApiError, NetworkError, TimeoutError } from '../http/errors.js';
import type { ComputeClient } from './client.js';
import { findRecordedAction } from './events.js';

/** Nova refused to make the image (`REFUSED`): a quota (403/413), the server's state (409), a bad request (400). */
export class SnapshotRefusedError extends NcliError {
  override readonly name = 'SnapshotRefusedError';
  constructor(
    message: string,
    /** Nova's HTTP status. */
    readonly status: number,
    options: NcliErrorOptions = {},
  ) {
    super('REFUSED', message, options);
  }
}

/** What Nova answered to a createImage or createBackup. */
export interface SnapshotStarted {
  /** The new image's ID; undefined only for a backup with rotation 0 before 2.45 (no image). */
  imageId?: string;
  /** Nova's request ID (the instance action's `request_id`). */
  requestId?: string;
}

/** The parameters of a backup. */
export interface BackupRequest {
  name: string;
  /** `backup_type`: any word (openstackclient's default ""); daily and weekly are usual. */
  type: string;
  /** How many backups of this type to keep (≥ 0). */
  rotation: number;
  metadata?: Record<string, string>;
}

const ImageIdSchema = v.optional(v.looseObject({ image_id: v.optional(v.string()) }));

/** `(HTTP 409, request req-…)`. */
function said(e: ApiError): string {
  return `(HTTP ${e.status}${e.requestId ? `, request ${e.requestId}` : ''})`;
}

/** Whether Nova's message is about a quota or limit. */
function isQuota(e: ApiError): boolean {
  return e.status === 413 || /quota|limit|exceed/i.test(e.serverMessage);
}

/**
 * One line for Nova's refusal of a snapshot or backup.
 * @param what `snapshot`, `backup`
 * @param properties how many properties the request carried (a metadata quota counts them)
 */
export function snapshotRefusal(e: unknown, what: string, label: string, properties = 0): unknown {
  if (!(e instanceof ApiError)) return e;
  const reason = e.serverMessage.replace(/\.$/, '');
  if (e.status === 404) {
    return new NotFoundError(`Server ${label} no longer exists (Nova answered 404 to the ${what}) ${said(e)}.`, {
      cause: e,
    });
  }
  if ((e.status === 403 || e.status === 413) && isQuota(e)) {
    const counted = /metadata/i.test(reason) ? `; the request had ${properties} properties` : '';
    return new SnapshotRefusedError(
      `Nova refused the ${what} of server ${label}: a quota is exceeded: ${reason}${counted} ${said(e)}; free some images or ask for a higher quota.`,
      e.status,
      { cause: e },
    );
  }
  if (e.status === 403) {
    return new SnapshotRefusedError(
      `Nova's policy does not let this user make a ${what} of server ${label}: ${reason} ${said(e)}.`,
      403,
      { cause: e },
    );
  }
  if (e.status === 409 || e.status === 400) {
    return new SnapshotRefusedError(`Nova refused the ${what} of server ${label}: ${reason} ${said(e)}.`, e.status, {
      cause: e,
    });
  }
  return e;
}

/** The image ID of the answer: `image_id` (2.45+), else the `Location` header's last part. */
function imageIdOf(body: unknown, headers: Record<string, string>): string | undefined {
  const fromBody = (body as { image_id?: string } | undefined)?.image_id;
  if (fromBody) return fromBody;
  const location = headers.location ?? headers.Location;
  const last = location?.replace(/\/+$/, '').split('/').pop();
  return last || undefined;
}

async function sendOnce(
  client: ComputeClient,
  serverId: string,
  label: string,
  what: string,
  instanceAction: string,
  body: Record<string, unknown>,
  properties: number,
): Promise<SnapshotStarted> {
  const sentAt = new Date();
  try {
    const res = await client.send('POST', `/servers/${encodeURIComponent(serverId)}/action`, { body });
    let parsed: unknown;
    try {
      parsed = res.text ? JSON.parse(res.text) : undefined;
    } catch {
      parsed = undefined;
    }
    const ok = v.safeParse(ImageIdSchema, parsed);
    return { imageId: imageIdOf(ok.success ? ok.output : undefined, res.headers), requestId: res.requestId };
  } catch (e) {
    if (!(e instanceof NetworkError || e instanceof TimeoutError)) throw snapshotRefusal(e, what, label, properties);
    const recorded = await findRecordedAction(client, serverId, instanceAction, sentAt).catch(() => undefined);
    const lost = e.message.replace(/\.$/, '');
    if (recorded) {
      throw new NcliError(
        e.code,
        `The answer to the ${what} of server ${label} was lost (${lost}), but Nova recorded it (request ${recorded.request_id}); not sent again: find the image with \`openstack image list --property instance_uuid=${serverId}\`.`,
        { cause: e },
      );
    }
    throw new NcliError(
      e.code,
      `The answer to the ${what} of server ${label} was lost (${lost}) and Nova has no record of it; ncli does not send it twice: run the command again.`,
      { cause: e },
    );
  }
}

/**
 * Snapshots a server: `{"createImage": {"name": …, "metadata": {…}}}`.
 * @throws SnapshotRefusedError (quota 403/413, state 409, 400, policy 403), NotFoundError,
 *   NcliError `NETWORK`/`TIMEOUT` for a lost answer (never resent), ApiError
 */
export function createImage(
  client: ComputeClient,
  serverId: string,
  label: string,
  name: string,
  metadata?: Record<string, string>,
): Promise<SnapshotStarted> {
  const body = { createImage: { name, ...(metadata ? { metadata } : {}) } };
  return sendOnce(client, serverId, label, 'snapshot', 'createImage', body, Object.keys(metadata ?? {}).length);
}

/**
 * Backs a server up: `{"createBackup": {"name", "backup_type", "rotation", "metadata"?}}`.
 * @throws like {@link createImage}
 */
export function createBackup(
  client: ComputeClient,
  serverId: string,
  label: string,
  b: BackupRequest,
): Promise<SnapshotStarted> {
  const body = {
    createBackup: {
      name: b.name,
      backup_type: b.type,
      rotation: b.rotation,
      ...(b.metadata ? { metadata: b.metadata } : {}),
    },
  };
  return sendOnce(client, serverId, label, 'backup', 'createBackup', body, Object.keys(b.metadata ?? {}).length);
}
