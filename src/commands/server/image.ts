/**
 * `ncli server image create`: a snapshot of a server, as `openstack server image create`
 * (openstackclient/compute/v2/server_image.py `CreateServerImage`): `--name` (default: the
 * server's name), `--property K=V`, `--wait`; prints the image as openstackclient does
 * (src/compute/images.ts `formatImage`). The request: src/compute/snapshots.ts `createImage`.
 */
import { showStartedImage } from '../../cli/image-wait.js';
import { parseProperties } from '../../cli/parse.js';
import { DEFAULT_WAIT_TIMEOUT, WAIT_TIMEOUT, bulkSettings } from '../../cli/server-actions.js';
import { arg, command } from '../../cli/spec.js';
import { createImage } from '../../compute/snapshots.js';

export const help = 'Server images: snapshots of servers';

export const do_create = command(
  {
    help: 'Create a new disk image (snapshot) of a server',
    description: [
      'POST /servers/{id}/action {"createImage": {"name": …, "metadata": {…}}}; the new image ID is Nova\'s',
      'answer (image_id from compute API 2.45, the Location header before). Prints the image from Glance',
      `(queued until the snapshot is uploaded). With --wait, polls Glance until the image is active (at most`,
      `--wait-timeout, default ${DEFAULT_WAIT_TIMEOUT} s); an image that goes to killed or error, or that Nova deletes`,
      "after a failed snapshot, ends the wait in one line with the failed events of the server's action.",
      'Examples:',
      '  ncli server image create vm1 --name vm1-before-upgrade --wait',
      '  ncli server image create vm1 --property purpose=golden -f value -c id',
    ].join('\n'),
    output: 'show',
    args: [
      arg('<server>', 'Server to snapshot (name or ID)', { complete: 'server' }),
      arg('--name <image-name>', "Name of the new image (default: the server's name)"),
      arg('--property <key=value>', 'A property of the new image (repeat for several)', { repeatable: true }),
      arg('--all-projects', 'Look the server name up in every project (admin)'),
      arg('--wait', 'Wait until the image is active in Glance'),
      WAIT_TIMEOUT,
    ],
  },
  async (ctx, a) => {
    const properties = parseProperties(a.property);
    const settings = bulkSettings({ wait: a.wait, waitTimeout: a.waitTimeout });
    const server = await ctx.server(a.server, { allProjects: a.allProjects });
    const name = a.name ?? server.name;
    const started = await createImage(await ctx.compute(), server.id, server.name, name, properties);
    await showStartedImage(ctx, { server, started, what: 'snapshot', name, ...settings });
  },
);
