/**
 * `ncli server backup create`: a backup image of a server, as `openstack server backup create`
 * (openstackclient/compute/v2/server_backup.py `CreateServerBackup`): `--name` (default: the
 * server's name), `--type` (backup_type, default ""), `--rotate` (default 1), `--wait`; prints
 * the image as openstackclient does. The request: src/compute/snapshots.ts `createBackup`.
 */
import { showStartedImage } from '../../cli/image-wait.js';
import { parseProperties } from '../../cli/parse.js';
import { DEFAULT_WAIT_TIMEOUT, WAIT_TIMEOUT, bulkSettings } from '../../cli/server-actions.js';
import { arg, command } from '../../cli/spec.js';
import { createBackup } from '../../compute/snapshots.js';
import { UsageError } from '../../errors.js';

export const help = 'Server backups: images Nova rotates per backup type';

export const do_create = command(
  {
    help: 'Create a server backup image',
    description: [
      'POST /servers/{id}/action {"createBackup": {"name": …, "backup_type": …, "rotation": N}}: a snapshot',
      'whose image has image_type=backup and backup_type=TYPE; Nova then deletes the oldest backups of that',
      'server and type beyond --rotate. Prints the image from Glance (queued until uploaded). With --wait, polls',
      `Glance until it is active (at most --wait-timeout, default ${DEFAULT_WAIT_TIMEOUT} s); a backup that fails is one line.`,
      'Examples:',
      '  ncli server backup create vm1 --name vm1-daily --type daily --rotate 7 --wait',
      '  ncli server backup create vm1 --type weekly --rotate 4 -f value -c id',
    ].join('\n'),
    output: 'show',
    args: [
      arg('<server>', 'Server to back up (name or ID)', { complete: 'server' }),
      arg('--name <image-name>', "Name of the backup image (default: the server's name)"),
      arg('--type <backup-type>', 'The backup_type property of the image, e.g. daily or weekly (default: empty)'),
      arg('--rotate <count>', 'Number of backups of this type to keep (default: 1)', { integer: true }),
      arg('--property <key=value>', 'A property of the backup image (repeat for several)', { repeatable: true }),
      arg('--all-projects', 'Look the server name up in every project (admin)'),
      arg('--wait', 'Wait until the backup image is active in Glance'),
      WAIT_TIMEOUT,
    ],
  },
  async (ctx, a) => {
    const rotation = a.rotate ?? 1;
    if (rotation < 0) throw new UsageError(`--rotate takes 0 or more backups to keep, not ${rotation}.`);
    const metadata = parseProperties(a.property);
    const settings = bulkSettings({ wait: a.wait, waitTimeout: a.waitTimeout });
    const server = await ctx.server(a.server, { allProjects: a.allProjects });
    const name = a.name ?? server.name;
    const started = await createBackup(await ctx.compute(), server.id, server.name, {
      name,
      type: a.type ?? '',
      rotation,
      metadata,
    });
    await showStartedImage(ctx, { server, started, what: 'backup', name, ...settings });
  },
);
