/**
 * A server's volume attachments (api-ref compute "Servers with volume attachments
 * (servers, os-volume_attachments)"), as `openstack server add|remove volume` and
 * `server volume list|update` use them (openstackclient/compute/v2/server.py `AddServerVolume`,
 * `RemoveServerVolume`; server_volume.py `ListServerVolume`, `UpdateServerVolume`):
 * - `GET /servers/{id}/os-volume_attachments` → `{"volumeAttachments": […]}`: `id` until 2.88,
 *   `tag` from 2.70, `delete_on_termination` from 2.79, `attachment_id` and `bdm_uuid` from 2.89;
 * - `POST …/os-volume_attachments` `{"volumeAttachment": {"volumeId", "device", "tag" (2.49),
 *   "delete_on_termination" (2.79)}}`: Nova reserves the volume and answers; the attach goes on
 *   (Cinder shows `attaching`, then `in-use`);
 * - `PUT …/os-volume_attachments/{volume_id}` `{"volumeAttachment": {"volumeId": same,
 *   "delete_on_termination"}}` (2.85; the same volume ID: not a swap);
 * - `DELETE …/os-volume_attachments/{volume_id}` (202; then Cinder shows `detaching`, `available`).
 * Nova's refusals become one line ({@link VolumeRefusedError}); a volume in use or in another
 * availability zone is named as such.
 */
import * as v from 'valibot';
import { NcliError } from '../errors.js';
import { ApiError } from '../http/errors.js';
import type { ComputeClient } from './client.js';
import { hasMicroversion, requireMicroversion } from './versions.js';

/** Nova (or ncli, from what Cinder says) refused an attach, detach or update (`REFUSED`). */
export class VolumeRefusedError extends NcliError {
  override readonly name = 'VolumeRefusedError';
  constructor(
    message: string,
    /** Nova's HTTP status, 0 when ncli refused before asking. */
    readonly status: number,
  ) {
    super('REFUSED', message);
  }
}

/** A volume attachment as Nova shows it (nova/api/openstack/compute/volumes.py `_translate_attachment_detail_view`). */
export const VolumeAttachmentSchema = v.looseObject({
  id: v.optional(v.string()),
  device: v.optional(v.nullable(v.string())),
  serverId: v.string(),
  volumeId: v.string(),
  tag: v.optional(v.nullable(v.string())),
  delete_on_termination: v.optional(v.boolean()),
  attachment_id: v.optional(v.nullable(v.string())),
  bdm_uuid: v.optional(v.nullable(v.string())),
});
export type VolumeAttachment = v.InferOutput<typeof VolumeAttachmentSchema>;

const path = (serverId: string) => `/servers/${encodeURIComponent(serverId)}/os-volume_attachments`;

/** A server's volume attachments. @throws ApiError, NetworkError */
export async function listVolumeAttachments(client: ComputeClient, serverId: string): Promise<VolumeAttachment[]> {
  const body = await client.read(
    'GET',
    path(serverId),
    v.looseObject({ volumeAttachments: v.array(VolumeAttachmentSchema) }),
    'the volume attachments of a server',
  );
  return body.volumeAttachments;
}

/**
 * The columns of `openstack server volume list` at the run's microversion (server_volume.py
 * `ListServerVolume`): `ID` before 2.89, `Tag` from 2.70, `Delete On Termination?` from 2.79,
 * `Attachment ID` and `BlockDeviceMapping UUID` from 2.89; each with its value.
 */
export async function volumeListColumns(
  client: ComputeClient,
): Promise<{ name: string; value: (a: VolumeAttachment) => unknown }[]> {
  const [at270, at279, at289] = await Promise.all(['2.70', '2.79', '2.89'].map((x) => hasMicroversion(client, x)));
  return [
    ...(at289 ? [] : [{ name: 'ID', value: (a: VolumeAttachment) => a.id ?? a.volumeId }]),
    { name: 'Device', value: (a: VolumeAttachment) => a.device ?? null },
    { name: 'Server ID', value: (a: VolumeAttachment) => a.serverId },
    { name: 'Volume ID', value: (a: VolumeAttachment) => a.volumeId },
    ...(at270 ? [{ name: 'Tag', value: (a: VolumeAttachment) => a.tag ?? null }] : []),
    ...(at279
      ? [{ name: 'Delete On Termination?', value: (a: VolumeAttachment) => a.delete_on_termination ?? null }]
      : []),
    ...(at289
      ? [
          { name: 'Attachment ID', value: (a: VolumeAttachment) => a.attachment_id ?? null },
          { name: 'BlockDeviceMapping UUID', value: (a: VolumeAttachment) => a.bdm_uuid ?? null },
        ]
      : []),
  ];
}

/**
 * The attachment as `openstack server add volume` prints it: ID, Server ID, Volume ID, Device,
 * Tag (2.49), Delete On Termination (2.79).
 */
export async function attachmentFields(client: ComputeClient, a: VolumeAttachment): Promise<Record<string, unknown>> {
  const [at249, at279] = await Promise.all([hasMicroversion(client, '2.49'), hasMicroversion(client, '2.79')]);
  return {
    ID: a.id ?? a.volumeId,
    'Server ID': a.serverId,
    'Volume ID': a.volumeId,
    Device: a.device ?? null,
    ...(at249 ? { Tag: a.tag ?? null } : {}),
    ...(at279 ? { 'Delete On Termination': a.delete_on_termination ?? false } : {}),
  };
}

/** What {@link attachVolume} sends. */
export interface AttachVolumeRequest {
  volumeId: string;
  /** `/dev/vdb`; Nova picks one when undefined. */
  device?: string;
  /** 2.49. */
  tag?: string;
  /** 2.79. */
  deleteOnTermination?: boolean;
}

/**
 * Attaches a volume (`POST /servers/{id}/os-volume_attachments`), sent once.
 * @param what the volume in messages (`volume v1 (ID)`); `label` the server
 * @throws ConfigError `MICROVERSION` (--tag before 2.49, delete-on-termination before 2.79),
 *   VolumeRefusedError (a volume in use, in another availability zone, a server in the wrong
 *   state), ApiError, NetworkError
 */
export async function attachVolume(
  client: ComputeClient,
  serverId: string,
  req: AttachVolumeRequest,
  what: string,
  label: string,
): Promise<VolumeAttachment> {
  if (req.tag) await requireMicroversion(client, '2.49', '--tag');
  if (req.deleteOnTermination !== undefined) {
    await requireMicroversion(
      client,
      '2.79',
      req.deleteOnTermination ? '--enable-delete-on-termination' : '--disable-delete-on-termination',
    );
  }
  const body: Record<string, unknown> = { volumeId: req.volumeId };
  if (req.device) body.device = req.device;
  if (req.tag) body.tag = req.tag;
  if (req.deleteOnTermination !== undefined) body.delete_on_termination = req.deleteOnTermination;
  try {
    const answer = await client.read(
      'POST',
      path(serverId),
      v.looseObject({ volumeAttachment: VolumeAttachmentSchema }),
      'a volume attachment',
      { body: { volumeAttachment: body } },
    );
    return answer.volumeAttachment;
  } catch (e) {
    throw refused(e, `attach ${what} to server ${label}`);
  }
}

/**
 * Detaches a volume (`DELETE /servers/{id}/os-volume_attachments/{volume_id}`); the detach goes
 * on after the 202.
 * @throws VolumeRefusedError (404: not attached to this server; 400/409: wrong state), ApiError
 */
export async function detachVolume(
  client: ComputeClient,
  serverId: string,
  volumeId: string,
  what: string,
  label: string,
): Promise<void> {
  try {
    await client.send('DELETE', `${path(serverId)}/${encodeURIComponent(volumeId)}`);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      throw new VolumeRefusedError(`${cap(what)} is not attached to server ${label}; nothing removed.`, 404);
    }
    throw refused(e, `detach ${what} from server ${label}`);
  }
}

/**
 * Changes whether the volume is deleted with the server (`PUT
 * /servers/{id}/os-volume_attachments/{volume_id}`, 2.85).
 * @throws ConfigError `MICROVERSION` (before 2.85), VolumeRefusedError, ApiError
 */
export async function updateVolumeAttachment(
  client: ComputeClient,
  serverId: string,
  volumeId: string,
  deleteOnTermination: boolean,
  what: string,
  label: string,
): Promise<void> {
  await requireMicroversion(
    client,
    '2.85',
    deleteOnTermination ? '--delete-on-termination' : '--preserve-on-termination',
  );
  try {
    await client.send('PUT', `${path(serverId)}/${encodeURIComponent(volumeId)}`, {
      body: { volumeAttachment: { volumeId, delete_on_termination: deleteOnTermination } },
    });
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      throw new VolumeRefusedError(`${cap(what)} is not attached to server ${label}; nothing changed.`, 404);
    }
    throw refused(e, `update ${what} on server ${label}`);
  }
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Nova's 400/403/409 as one line naming the cause; other errors unchanged. */
function refused(e: unknown, doing: string): unknown {
  if (!(e instanceof ApiError) || ![400, 403, 409].includes(e.status)) return e;
  const why = e.serverMessage.replace(/\.$/, '');
  let fix = '';
  if (/availability[ _]zone/i.test(why)) {
    fix =
      '; this cloud attaches only within one availability zone ([cinder] cross_az_attach = False): use a volume of the server’s zone';
  } else if (/in-use|status must be available|already attached/i.test(why)) {
    fix = '; detach it first (ncli server remove volume SERVER VOLUME) or use a multiattach volume';
  }
  return new VolumeRefusedError(
    `Nova refused to ${doing}: ${why} (HTTP ${e.status}${e.requestId ? `, request ${e.requestId}` : ''})${fix}.`,
    e.status,
  );
}
