/**
 * `ncli server volume list|update`: a server's volume attachments, as `openstack server volume
 * list|update` (openstackclient/compute/v2/server_volume.py `ListServerVolume`,
 * `UpdateServerVolume`); requests in src/compute/volume-attachments.ts.
 */
import { arg, command } from '../../cli/spec.js';
import { UUID } from '../../ids.js';
import { listVolumeAttachments, updateVolumeAttachment, volumeListColumns } from '../../compute/volume-attachments.js';
import { UsageError } from '../../errors.js';

export const help = "A server's volume attachments: list, update";

export const do_list = command(
  {
    help: 'List all the volumes attached to a server',
    description: [
      "GET /servers/{id}/os-volume_attachments. Columns as openstackclient's at the run's compute API version:",
      'ID (before 2.89), Device, Server ID, Volume ID, Tag (2.70), Delete On Termination? (2.79), Attachment ID and',
      'BlockDeviceMapping UUID (2.89).',
      'Examples:',
      '  ncli server volume list vm1',
      '  ncli server volume list vm1 -f json',
    ].join('\n'),
    output: 'list',
    args: [arg('<server>', 'Server to list volume attachments for (name or ID)', { complete: 'server' })],
  },
  async (ctx, a) => {
    const [server, compute] = await Promise.all([ctx.server(a.server), ctx.compute()]);
    const [attachments, columns] = await Promise.all([
      listVolumeAttachments(compute, server.id),
      volumeListColumns(compute),
    ]);
    await ctx.list(
      columns.map((c) => c.name),
      attachments.map((x) => Object.fromEntries(columns.map((c) => [c.name, c.value(x)]))),
    );
  },
);

export const do_update = command(
  {
    help: 'Update a volume attachment on the server (whether the volume is deleted with it)',
    description: [
      'PUT /servers/{id}/os-volume_attachments/{volume_id} {"volumeAttachment": {"volumeId": …,',
      '"delete_on_termination": …}} (compute API 2.85). VOLUME is an ID, or a name looked up in Cinder. Without',
      'one of the two flags it is a usage error (openstackclient does nothing). Prints nothing on success.',
      'Example:',
      '  ncli server volume update vm1 data-1 --delete-on-termination',
    ].join('\n'),
    args: [
      arg('<server>', 'Server to update volume for (name or ID)', { complete: 'server' }),
      arg('<volume>', 'Volume (ID, or a name)', { complete: 'volume' }),
      arg('--delete-on-termination', 'Delete the volume when the server is destroyed', {
        since: '2.85',
        conflicts: ['preserveOnTermination'],
      }),
      arg('--preserve-on-termination', 'Preserve the volume when the server is destroyed', {
        since: '2.85',
        conflicts: ['deleteOnTermination'],
      }),
    ],
  },
  async (ctx, a) => {
    if (!a.deleteOnTermination && !a.preserveOnTermination) {
      throw new UsageError('server volume update needs --delete-on-termination or --preserve-on-termination.');
    }
    const [server, compute] = await Promise.all([ctx.server(a.server), ctx.compute()]);
    const vol = UUID.test(a.volume)
      ? { id: a.volume, name: undefined }
      : await (await ctx.volumes()).findVolume(a.volume);
    const what = vol.name ? `volume ${vol.name} (${vol.id})` : `volume ${vol.id}`;
    await updateVolumeAttachment(compute, server.id, vol.id, !!a.deleteOnTermination, what, server.name || server.id);
  },
);
