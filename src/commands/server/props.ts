/**
 * `ncli server set|unset|rescue|unrescue`, exported by src/commands/server.ts as its `do_set`,
 * `do_unset`, `do_rescue`, `do_unrescue` (this module has no `do_` exports, so it is no command
 * group of its own). Words and flags of `openstack server set|unset|rescue|unrescue`
 * (openstackclient/compute/v2/server.py `SetServer`, `UnsetServer`, `RescueServer`,
 * `UnrescueServer`); the requests are in src/compute/server-props.ts and, for --state, rescue and
 * unrescue, the action table (src/compute/action-table.ts).
 */
import { runBulk, type BulkJob } from '../../cli/bulk.js';
import type { Context } from '../../cli/context.js';
import { parseProperties, tagList } from '../../cli/parse.js';
import {
  ALL_PROJECTS,
  BULK,
  PARALLEL,
  SERVERS,
  actionHelp,
  bulkSettings,
  plainAction,
  runActions,
  type BulkArgs,
} from '../../cli/server-actions.js';
import { arg, command, type ArgSpec } from '../../cli/spec.js';
import type { ComputeClient } from '../../compute/client.js';
import {
  setServerProperties,
  unsetServerProperties,
  type ServerChanges,
  type ServerRemovals,
} from '../../compute/server-props.js';
import type { Server } from '../../compute/types.js';
import { UsageError } from '../../errors.js';

/**
 * `--no-password`: commander parses it into the same attribute as `--password <password>` (false),
 * so it is typed as a plain spec, out of the computed argument type.
 */
const NO_PASSWORD: ArgSpec = {
  flags: '--no-password',
  help: "Clear the admin password the metadata service keeps (not the guest's password)",
};

export const setServer = command(
  {
    help: 'Set server properties: name, description, properties, tags, password; --state (reset-state)',
    description: [
      'As openstack server set, on one or several servers (each gets the same changes, in this order):',
      '  --name, --description (2.19), --hostname (2.90)   PUT /servers/{id} {"server": {…}}',
      '  --property K=V…                                  POST /servers/{id}/metadata (merged into what it has)',
      '  --password P | --root-password (asks twice)      {"changePassword": {"adminPass": …}} (needs guest support)',
      '  --no-password                                    DELETE /servers/{id}/os-server-password (the encrypted',
      '                                                   password of the metadata service; the guest keeps its own)',
      '  --tag T…                                         PUT /servers/{id}/tags/{tag} (2.26)',
      '  --state active|error                             then {"os-resetState": …} (admin; **WARNING** this resets',
      '                                                   what Nova records, not the server: it can leave it unusable)',
      'Prints nothing on success (--state: one line per server). A change Nova refuses is one line naming it;',
      'the changes after it are not made. Exit status 0 only when every server took every change.',
      'Examples:',
      '  ncli server set vm1 --name vm1-old --description "replaced by vm2"',
      '  ncli server set vm1 vm2 --property role=db --property owner=ops --tag prod',
      '  ncli server set --state active vm1',
    ].join('\n'),
    args: [
      SERVERS,
      arg('--name <new-name>', 'New server name'),
      arg('--description <description>', 'New server description', { since: '2.19' }),
      arg('--hostname <hostname>', 'Hostname the metadata service hands out', { since: '2.90' }),
      arg('--property <key=value>', 'Property to add or change (repeat for several)', { repeatable: true }),
      arg('--tag <tag>', 'Tag to add (repeat for several)', { repeatable: true, since: '2.26' }),
      arg('--password <password>', 'Set the server password (needs guest support)', { conflicts: ['rootPassword'] }),
      arg('--root-password', 'Set the server password, asked twice on the terminal', { conflicts: ['password'] }),
      NO_PASSWORD,
      arg('--state <state>', 'New server state, active or error (admin)', { choices: ['active', 'error'] as const }),
      ...BULK,
    ],
  },
  async (ctx, a) => {
    const properties = parseProperties(a.property);
    const tags = tagList(a.tag);
    // --password P: a string; --no-password: false (the same attribute)
    const given = a.password as string | false | undefined;
    const password = a.rootPassword ? await askNewPassword(ctx) : given || undefined;
    const changes: ServerChanges = {
      name: a.name,
      description: a.description,
      hostname: a.hostname,
      properties,
      tags,
      password,
      clearPassword: given === false,
    };
    const any = Object.values(changes).some((v) => v !== undefined && v !== false);
    if (!any && !a.state) {
      throw new UsageError(
        'server set needs a change: --name, --description, --property, --tag, --password, --no-password or --state.',
      );
    }
    if (any) {
      const code = await forEachServer(ctx, a, 'set', (compute, s, label) =>
        setServerProperties(compute, s.id, label, changes),
      );
      if (code !== 0 || !a.state) return code;
    }
    const state = a.state!;
    return runActions(ctx, a, () => [{ kind: 'reset-state', state }], 'reset');
  },
);

export const unsetServer = command(
  {
    help: 'Unset server properties, tags and the description',
    description: [
      'As openstack server unset, on one or several servers: --property K… (DELETE /servers/{id}/metadata/{key}),',
      '--description (PUT /servers/{id} with an empty description, 2.19), --tag T… (DELETE /servers/{id}/tags/{tag},',
      '2.26). A property or tag the server does not have is one line and fails that server. Prints nothing on',
      'success.',
      'Examples:',
      '  ncli server unset vm1 --property role --property owner',
      '  ncli server unset vm1 --tag prod --description',
    ].join('\n'),
    args: [
      SERVERS,
      arg('--property <key>', 'Property key to remove (repeat for several)', { repeatable: true }),
      arg('--tag <tag>', 'Tag to remove (repeat for several)', { repeatable: true, since: '2.26' }),
      arg('--description', 'Clear the server description', { since: '2.19' }),
      ALL_PROJECTS,
      PARALLEL,
    ],
  },
  async (ctx, a) => {
    const removals: ServerRemovals = {
      properties: a.property?.length ? a.property : undefined,
      tags: tagList(a.tag),
      description: !!a.description,
    };
    if (!removals.properties && !removals.tags && !removals.description) {
      throw new UsageError('server unset needs --property KEY, --tag TAG or --description.');
    }
    return forEachServer(ctx, a, 'unset', (compute, s, label) => unsetServerProperties(compute, s.id, label, removals));
  },
);

export const rescueServer = command(
  {
    help: 'Put servers in rescue mode (→ RESCUE, booted from a rescue image)',
    description: actionHelp(
      'rescue',
      'ncli server rescue vm1 --wait\nncli server rescue vm1 --image devcloud-image-2 --password "$PW" --wait',
      "RESCUE. IMAGE is a name or ID from Glance (default: the server's own image); Nova's generated\nrescue password is never printed",
    ),
    args: [
      SERVERS,
      arg('--image <image>', 'Image to boot the rescue from (name or ID; default: the one the server uses)', {
        complete: 'image',
      }),
      arg('--password <password>', 'Password of the rescued server (needs cloud support)'),
      ...BULK,
    ],
  },
  async (ctx, a) => {
    const image = a.image ? await ctx.image(a.image) : undefined;
    return runActions(ctx, a, () => [{ kind: 'rescue', imageRef: image?.id, adminPass: a.password }], 'rescue');
  },
);

export const unrescueServer = plainAction('unrescue', 'Restore servers from rescue mode (RESCUE → ACTIVE)', {
  example: 'ncli server unrescue vm1 --wait',
});

/** Asks for a new password twice (no echo), as openstackclient's --root-password. @throws UsageError */
async function askNewPassword(ctx: Context): Promise<string> {
  const { askSecret, canPrompt } = await import('../../cli/prompt.js');
  if (!canPrompt(ctx.io)) {
    throw new UsageError('--root-password asks for the password on a terminal; without one, use --password.');
  }
  const p1 = await askSecret(ctx.io, 'New password: ');
  const p2 = await askSecret(ctx.io, 'Retype new password: ');
  if (p1 !== p2) throw new UsageError('The passwords do not match; the password is unchanged.');
  return p1;
}

/**
 * Runs `fn` on every server of `a.server` (names resolved in few requests), printing nothing for a
 * success and one line per failure, then "N of M servers failed to <verb>."; the exit code.
 */
async function forEachServer(
  ctx: Context,
  a: BulkArgs,
  verb: string,
  fn: (compute: ComputeClient, s: Server, label: string) => Promise<void>,
): Promise<number> {
  const settings = bulkSettings(a);
  const compute = await ctx.compute();
  const refs = [...new Set(a.server)];
  const resolved = await ctx.servers(refs, { allProjects: a.allProjects });
  const jobs: BulkJob[] = refs.map((ref) => ({
    name: ref,
    run: async () => {
      const s = resolved.get(ref);
      if (!s || s instanceof Error) throw s ?? new Error(`'${ref}' was not resolved`);
      await fn(compute, s, s.name === ref || !s.name ? ref : `${s.name} (${s.id})`);
      return '';
    },
  }));
  return runBulk(ctx, jobs, { parallel: settings.parallel, verb, wait: false });
}
