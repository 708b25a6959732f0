/**
 * `ncli server …`: list, show and create servers, and the actions on one or several of them (Nova
 * "Servers" and "Servers - run an action" APIs). Command words and flags follow
 * python-openstackclient (openstackclient/compute/v2/server.py): `server stop vm1 vm2`, `server
 * reboot --hard`, `server migrate --live-migration --host`, `server evacuate`, `server set
 * --state`. Columns come from the server resource (src/compute/resources/server.ts), each
 * action's request and wait target from the action table (src/compute/action-table.ts); several
 * servers run through src/cli/server-actions.ts.
 */
import { DEFAULT_PARALLEL, runBulk, type BulkJob } from '../cli/bulk.js';
import { isoTime, parseBool, parseProperties, parseSort, readUserData, tagList } from '../cli/parse.js';
import { bootFromVolume, parseNics, resolveNics, resolveSecurityGroups } from '../cli/nics.js';
import { parseHints } from '../cli/parse.js';
import {
  BULK,
  SERVERS,
  WAIT,
  WAIT_TIMEOUT,
  actionHelp,
  bulkSettings,
  plainAction,
  reached,
  req,
  runActions,
  waitOne,
} from '../cli/server-actions.js';
import { command, arg } from '../cli/spec.js';
import type { ServerAction } from '../compute/action-table.js';
import { serverDetails } from '../cli/server-detail.js';
import { listFlavors } from '../compute/flavors.js';
import { imageIdOf, serverListColumns } from '../compute/resources/server.js';
import { SERVER_GROUP } from '../compute/resources/server-group.js';
import { serverDiagnostics, serverTopology } from '../compute/server-props.js';
import { createOnce, createServer, hasMicroversion, listServers, requireMicroversion } from '../compute/servers.js';
import type { Server } from '../compute/types.js';
import { CREATED } from '../compute/wait.js';
import { UsageError } from '../errors.js';

export const help = 'Servers (instances)';

export const do_list = command(
  {
    help: 'List servers',
    fanout: true,
    description: [
      'Follows pagination to the end unless --limit is given. The Image column names the image (a',
      'Glance lookup of the images the servers use, kept a day in the names cache); --no-name-lookup',
      'keeps IDs.',
      'Examples:',
      '  ncli server list',
      '  ncli server list --status active --name "^web" -f json',
      '  ncli server list --image devcloud-image --flavor m1.tiny --sort display_name:asc',
      '  ncli server list --locked --tags prod,db --sort-column Name --sort-descending',
      '  ncli server list --all-projects --host compute-3 --long --fit-width',
    ].join('\n'),
    output: 'list',
    args: [
      arg('--long', 'Show more columns'),
      arg('--name <regex>', 'Only servers whose name matches this regular expression (as Nova matches it)'),
      arg('--status <status>', 'Only servers in this status (ACTIVE, SHUTOFF, ERROR, BUILD, …)'),
      arg('--flavor <flavor>', 'Only servers of this flavor (name or ID)', { complete: 'flavor' }),
      arg('--image <image>', 'Only servers booted from this image (name or ID)', { complete: 'image' }),
      arg('--host <host>', 'Only servers on this compute host (admin)'),
      arg(
        '--ip <address>',
        'Only servers with an IPv4 address matching this: a part of the address where Neutron has ip-substring-filtering (most clouds), else a regular expression',
      ),
      arg('--changes-since <time>', 'Only servers changed at or after this ISO 8601 time (deleted ones too)'),
      arg('--changes-before <time>', 'Only servers changed at or before this ISO 8601 time (2.66)'),
      arg('--locked', 'Only locked servers (2.73)', { conflicts: ['unlocked'] }),
      arg('--unlocked', 'Only unlocked servers (2.73)', { conflicts: ['locked'] }),
      arg('--tags <tag>', 'Only servers with all these tags (comma-separated or repeated; 2.26)', {
        repeatable: true,
      }),
      arg('--not-tags <tag>', 'Only servers without all these tags (comma-separated or repeated; 2.26)', {
        repeatable: true,
      }),
      arg('--deleted', 'Only deleted servers (admin)'),
      arg('--sort <key[:dir]>', 'Server-side order: a Nova sort key with asc or desc (comma-separated or repeated)', {
        repeatable: true,
      }),
      arg('--all-projects', 'Servers of every project (admin)'),
      arg('--limit <n>', 'At most this many servers (-1: all)', { integer: true, min: -1 }),
      arg('--marker <id>', 'Start after the server with this ID'),
      arg('--no-name-lookup', 'Show image IDs, not names (no Glance request)'),
    ],
  },
  async (ctx, a) => {
    // the values ncli checks itself, before any request
    const sort = parseSort(a.sort);
    const changesSince = isoTime('--changes-since', a.changesSince);
    const changesBefore = isoTime('--changes-before', a.changesBefore);
    const compute = await ctx.compute();
    const [flavor, image] = await Promise.all([
      a.flavor ? ctx.flavor(a.flavor) : undefined,
      a.image ? ctx.image(a.image) : undefined,
    ]);
    const servers = await listServers(compute, {
      name: a.name,
      status: a.status,
      allProjects: a.allProjects,
      limit: a.limit,
      marker: a.marker,
      flavor: flavor?.id,
      image: image?.id,
      host: a.host,
      ip: a.ip,
      changesSince,
      changesBefore,
      locked: a.locked ? true : a.unlocked ? false : undefined,
      tags: tagList(a.tags),
      notTags: tagList(a.notTags),
      deleted: a.deleted,
      sort,
    });
    if (!a.allProjects && !a.deleted) {
      // an unfiltered listing of the whole project replaces the completion names; any other merges
      const filtered = [a.name, a.status, a.marker, a.flavor, a.image, a.host, a.ip, a.changesSince, a.changesBefore];
      const complete =
        filtered.every((f) => f === undefined) &&
        !a.locked &&
        !a.unlocked &&
        !a.tags &&
        !a.notTags &&
        (a.limit === undefined || a.limit < 0);
      await ctx.rememberNames('server', servers, { complete });
    }
    const ids = servers.map(imageIdOf).filter((id): id is string => !!id);
    const images = a.nameLookup ? await ctx.imageNames(ids) : new Map<string, string>();
    // before 2.47 a server names no flavor: openstackclient lists the flavors to name them
    const embeddedFlavor = await hasMicroversion(compute, '2.47');
    const flavors = new Map<string, string>();
    if (!embeddedFlavor && a.nameLookup && servers.length) {
      for (const f of await listFlavors(compute, true).catch(() => [])) flavors.set(f.id, f.name);
    }
    const columns = serverListColumns(servers, { long: a.long, embeddedFlavor, wanted: ctx.output.columns });
    await ctx.listOf({ columns }, servers, {
      long: true,
      names: (kind, id) => (kind === 'image' ? images.get(id) : kind === 'flavor' ? flavors.get(id) : undefined),
    });
  },
);

export const do_show = command(
  {
    help: 'Show every field of one server (or its diagnostics, or with its NUMA topology)',
    description: [
      'SERVER is an ID or an exact name. --diagnostics shows GET /servers/{id}/diagnostics instead (admin; the',
      "standard fields from compute API 2.48, the virt driver's own before), --topology adds a `topology` field",
      '(GET /servers/{id}/topology, 2.78: NUMA nodes, empty without NUMA), as openstackclient does.',
      'Examples:',
      '  ncli server show vm1',
      '  ncli server show vm1 -f json -c status -c addresses',
      '  eval "$(ncli server show vm1 -f shell -c status -c name)"; echo "$name is $status"',
      '  ncli server show vm1 --diagnostics -f json',
    ].join('\n'),
    output: 'show',
    args: [
      arg('<server>', 'Server name or ID', { complete: 'server' }),
      arg('--all-projects', 'Look the name up in every project (admin)'),
      arg('--diagnostics', 'Show the server diagnostics instead (admin)', { conflicts: ['topology'] }),
      arg('--topology', 'Include the NUMA topology', { conflicts: ['diagnostics'], since: '2.78' }),
    ],
  },
  async (ctx, a) => {
    const server = await ctx.server(a.server, { allProjects: a.allProjects, refetch: !a.diagnostics });
    if (a.diagnostics) {
      const diagnostics = await serverDiagnostics(await ctx.compute(), server.id, server.name);
      await ctx.show(Object.fromEntries(Object.entries(diagnostics).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))));
      return;
    }
    if (a.topology) {
      const topology = await serverTopology(await ctx.compute(), server.id, server.name);
      await ctx.show({ ...(await serverDetails(ctx, [server]))[0], topology });
      return;
    }
    await ctx.show((await serverDetails(ctx, [server]))[0]);
  },
);

// ---------------------------------------------------------------------------------------------
// actions on one or several servers (src/compute/action-table.ts)
// ---------------------------------------------------------------------------------------------

export const do_start = plainAction('start', 'Start servers (SHUTOFF → ACTIVE)');
export const do_stop = plainAction('stop', 'Stop servers (→ SHUTOFF)');
export const do_pause = plainAction('pause', 'Pause servers (→ PAUSED, kept in memory)');
export const do_unpause = plainAction('unpause', 'Unpause servers (PAUSED → ACTIVE)');
export const do_suspend = plainAction('suspend', 'Suspend servers (→ SUSPENDED, memory saved to disk)');
export const do_resume = plainAction('resume', 'Resume servers (SUSPENDED → ACTIVE)');
export const do_unshelve = plainAction('unshelve', 'Unshelve servers (→ ACTIVE)');
export const do_unlock = plainAction('unlock', 'Unlock servers');
export const do_restore = plainAction('restore', 'Restore soft-deleted servers (SOFT_DELETED → ACTIVE)', {
  example: 'ncli server restore vm1 --wait   (names are looked up among soft-deleted servers: admin; IDs work for all)',
  softDeleted: 'only',
});

export const do_shelve = command(
  {
    help: 'Shelve servers (→ SHELVED or SHELVED_OFFLOADED, off their host); --offload a shelved one',
    description: actionHelp(
      'shelve',
      'ncli server shelve vm1 --wait\nncli server shelve vm1 --offload --wait   (shelve, then offload)',
      'SHELVED or SHELVED_OFFLOADED; with --offload, SHELVED_OFFLOADED ({"shelveOffload": null} after the shelve)',
    ),
    args: [SERVERS, arg('--offload', 'Also offload: free the host (SHELVED → SHELVED_OFFLOADED)'), ...BULK],
  },
  (ctx, a) =>
    runActions(
      ctx,
      a,
      (s) => {
        const steps: ServerAction[] = [];
        if (s.status !== 'SHELVED') steps.push({ kind: 'shelve' });
        if (a.offload) steps.push({ kind: 'shelve-offload' });
        return steps.length ? steps : [{ kind: 'shelve' }];
      },
      'shelve',
    ),
);

export const do_reboot = command(
  {
    help: 'Reboot servers (soft, or --hard)',
    description: actionHelp('reboot', 'ncli server reboot --hard vm1 --wait'),
    args: [
      SERVERS,
      arg('--hard', 'Hard reboot (power cycle)', { conflicts: ['soft'] }),
      arg('--soft', 'Soft reboot (the default)', { conflicts: ['hard'] }),
      ...BULK,
    ],
  },
  (ctx, a) => runActions(ctx, a, () => [{ kind: 'reboot', hard: !!a.hard }], 'reboot'),
);

export const do_lock = command(
  {
    help: 'Lock servers (non-admins can then not act on them)',
    description: actionHelp('lock', 'ncli server lock vm1 --reason "maintenance until 18:00"'),
    args: [SERVERS, arg('--reason <text>', 'Why (shown as locked_reason)', { since: '2.73' }), ...BULK],
  },
  (ctx, a) => runActions(ctx, a, () => [{ kind: 'lock', reason: a.reason }], 'lock'),
);

export const do_delete = command(
  {
    help: 'Delete servers (--force: at once, even where the cloud keeps deleted servers for a while)',
    description: [
      'Sends DELETE /servers/{id} to each server (with --force, POST /servers/{id}/action {"forceDelete": null},',
      'which also removes a SOFT_DELETED server at once). With --wait, polls each one until Nova answers 404.',
      'Each server gets one line; when some fail, "N of M servers failed to delete." Exit status 0 only when',
      'every server was deleted.',
      'Examples:',
      '  ncli server delete act-1 act-2 act-3 --wait',
      '  ncli server delete --force old-vm',
    ].join('\n'),
    args: [SERVERS, arg('--force', 'Force delete (also a soft-deleted server; admin by default)'), ...BULK],
  },
  async (ctx, a) => {
    const deleted: string[] = [];
    const kind = a.force ? 'force-delete' : 'delete';
    const code = await runActions(
      ctx,
      a,
      () => [{ kind }],
      'delete',
      (s) => deleted.push(s.id),
      { softDeleted: a.force ? 'also' : undefined },
    );
    if (deleted.length) await ctx.rememberNames('server', [], { complete: false, forget: deleted });
    return code;
  },
);

/**
 * The sub-words of `server resize` and `server migrate` (openstackclient's `server resize confirm`,
 * `server migrate revert`): the commands they run (spec `subwords`, src/arg-spec.ts).
 */
const MIGRATION_SUBWORDS = { confirm: 'server migration confirm', revert: 'server migration revert' } as const;

export const do_resize = command(
  {
    help: 'Resize servers to another flavor; confirm or revert a resize',
    description: [
      'server resize SERVER... --flavor FLAVOR      {"resize": {"flavorRef": …}}; --wait: until VERIFY_RESIZE',
      'server resize SERVER... --confirm            {"confirmResize": null}; --wait: until ACTIVE (or SHUTOFF)',
      'server resize SERVER... --revert             {"revertResize": null}; --wait: until ACTIVE (or SHUTOFF)',
      'server resize SERVER... --flavor F --confirm both: resize, wait for VERIFY_RESIZE, confirm.',
      'FLAVOR is a name or ID. Each server gets one line; exit status 0 only when every server succeeded.',
      'Examples:',
      '  ncli server resize vm1 --flavor m1.small --wait',
      '  ncli server resize vm1 --confirm',
      '  ncli server resize web.1 web.2 --flavor m1.small --confirm --wait',
      "  ncli server resize confirm vm1     # openstackclient's words: `server migration confirm`",
    ].join('\n'),
    subwords: MIGRATION_SUBWORDS,
    args: [
      SERVERS,
      arg('--flavor <flavor>', 'The new flavor (name or ID)', { complete: 'flavor', conflicts: ['revert'] }),
      arg('--confirm', 'Confirm the resize (after --flavor: once it is in VERIFY_RESIZE)', { conflicts: ['revert'] }),
      arg('--revert', 'Revert the resize: back to the old flavor', { conflicts: ['confirm', 'flavor'] }),
      ...BULK,
    ],
  },
  async (ctx, a) => {
    if (!a.flavor && !a.confirm && !a.revert) {
      throw new UsageError('server resize needs --flavor FLAVOR, --confirm or --revert.');
    }
    const flavor = a.flavor ? await ctx.flavor(a.flavor) : undefined;
    const steps: ServerAction[] = [];
    if (flavor) steps.push({ kind: 'resize', flavorRef: flavor.id });
    if (a.confirm) steps.push({ kind: 'confirm-resize' });
    if (a.revert) steps.push({ kind: 'revert-resize' });
    return runActions(ctx, a, () => steps, 'resize');
  },
);

export const do_rebuild = command(
  {
    help: 'Rebuild servers from an image (their own by default)',
    description: actionHelp(
      'rebuild',
      'ncli server rebuild vm1 --wait\nncli server rebuild vm1 --image devcloud-image-2',
      'ACTIVE (SHUTOFF for a server that was SHUTOFF); IMAGE is a name or ID from Glance, by default the image the server was booted from',
    ),
    args: [SERVERS, arg('--image <image>', 'Image to rebuild from (name or ID)', { complete: 'image' }), ...BULK],
  },
  async (ctx, a) => {
    const image = a.image ? await ctx.image(a.image) : undefined;
    return runActions(
      ctx,
      a,
      (s) => {
        const imageRef = image?.id ?? imageIdOf(s);
        if (!imageRef) {
          throw new UsageError(
            `Server ${s.name} was booted from a volume: give the image to rebuild from with --image IMAGE.`,
          );
        }
        return [{ kind: 'rebuild', imageRef }];
      },
      'rebuild',
    );
  },
);

export const do_migrate = command(
  {
    help: 'Migrate servers to another host: cold (the default) or --live-migration',
    description: [
      'Cold:  POST /servers/{id}/action {"migrate": null} ({"migrate": {"host": H}} with --host, compute API 2.56).',
      '       --wait: until VERIFY_RESIZE on another host; then `server migration confirm|revert SERVER`',
      '       (or --confirm here: confirmed once it gets there).',
      'Live:  {"os-migrateLive": {"host": H|null, "block_migration": "auto"}} (--host from 2.30; "auto" from 2.25,',
      '       before it --block-migration / --shared-migration, default shared).',
      '       --wait: until the server has its old status (ACTIVE or PAUSED) on another host, no task running.',
      'A migration Nova rolls back (the server stays on its host) ends the wait with the failed event of the',
      'action. Admin only by default policy. Each server gets one line; exit status 0 only when all moved.',
      'Also: `ncli server migrate confirm|revert SERVER…` (as openstackclient).',
      'Examples:',
      '  ncli server migrate vm1 --live-migration --wait',
      '  ncli server migrate vm1 vm2 --host compute-2 --confirm --wait',
      '  ncli server migration list --server vm1',
    ].join('\n'),
    subwords: MIGRATION_SUBWORDS,
    args: [
      SERVERS,
      arg('--live-migration', 'Live migrate (the server keeps running)'),
      arg('--host <host>', 'Target host (live: 2.30; cold: 2.56); default: the scheduler picks', { since: '2.30' }),
      arg('--block-migration', 'Live: copy the disks too (before 2.25; from 2.25 Nova decides: "auto")', {
        conflicts: ['sharedMigration'],
      }),
      arg('--shared-migration', 'Live: disks on shared storage (before 2.25)', { conflicts: ['blockMigration'] }),
      arg('--confirm', 'Cold: confirm each migration once it reaches VERIFY_RESIZE (implies --wait)', {
        conflicts: ['liveMigration'],
      }),
      ...BULK,
    ],
  },
  async (ctx, a) => {
    if (!a.liveMigration && (a.blockMigration || a.sharedMigration)) {
      throw new UsageError('--block-migration and --shared-migration go with --live-migration.');
    }
    if (a.liveMigration) {
      const compute = await ctx.compute();
      const auto = await hasMicroversion(compute, '2.25');
      const blockMigration = auto && !a.blockMigration && !a.sharedMigration ? 'auto' : !!a.blockMigration;
      return runActions(ctx, a, () => [{ kind: 'live-migrate', host: a.host, blockMigration }], 'migrate');
    }
    const steps: ServerAction[] = [{ kind: 'migrate', host: a.host }];
    if (a.confirm) steps.push({ kind: 'confirm-resize' });
    return runActions(ctx, { ...a, wait: !!a.wait || !!a.confirm }, () => steps, 'migrate');
  },
);

export const do_evacuate = command(
  {
    help: 'Evacuate servers off a failed host (rebuilt on another host)',
    description: actionHelp(
      'evacuate',
      'ncli compute service set compute-1 nova-compute --down\nncli server evacuate vm1 vm2 --wait',
      "ACTIVE (SHUTOFF for a stopped server) on another host. Nova refuses while the host's nova-compute\nservice is up: force it down first (`ncli compute service set HOST nova-compute --down`)",
    ),
    args: [SERVERS, arg('--host <host>', 'Target host (default: the scheduler picks; 2.29 checks it)'), ...BULK],
  },
  (ctx, a) => runActions(ctx, a, () => [{ kind: 'evacuate', host: a.host }], 'evacuate'),
);

// set, unset, rescue, unrescue: src/commands/server/props.ts (no `do_` exports there: no group of its own)
export {
  rescueServer as do_rescue,
  setServer as do_set,
  unrescueServer as do_unrescue,
  unsetServer as do_unset,
} from './server/props.js';
export { sshServer as do_ssh } from './server/ssh.js';

// ---------------------------------------------------------------------------------------------
// create
// ---------------------------------------------------------------------------------------------

export const do_create = command(
  {
    help: 'Create (boot) a server',
    description: [
      'POST /servers with the image (a name or ID from Glance) and flavor (name or ID); prints the new server as',
      'server show does. Networks: --network auto|none|NETWORK, --port PORT, --nic net-id=…,v4-fixed-ip=…,port-id=…,tag=…',
      '(names or IDs through Neutron; repeat for several); without any, "auto" from compute API 2.37 (where Nova',
      'needs one), as openstackclient does. --security-group SG (name or ID, repeatable); --boot-from-volume SIZE',
      'boots from a new SIZE GB volume of the image (kept when the server is deleted). --min/--max boot several',
      '(Nova names them NAME-1, NAME-2, …; one line each). With --wait, polls until ACTIVE; an ERROR status',
      "ends the wait with the server's fault. The create is sent once: if its answer is lost, ncli looks",
      'the server up by name and creation time instead of sending it again.',
      'Examples:',
      '  ncli server create web-3 --image devcloud-image --flavor m1.tiny --network none --wait',
      '  ncli server create batch --image devcloud-image --flavor m1.small --min 3 --max 3 --wait',
      '  ncli server create web-4 --image devcloud-image --flavor m1.tiny --network private --security-group web',
      '  ncli server create app --image IMAGE --flavor m1.small --network NET_ID --key-name ops \\',
      '      --user-data cloud-init.yaml --property role=app --property owner=ops',
    ].join('\n'),
    output: 'show',
    args: [
      arg('<name>', 'Name of the new server'),
      arg('--image <image>', 'Image to boot from (name or ID; required)', { complete: 'image' }),
      arg('--flavor <flavor>', 'Flavor (name or ID; required)', { complete: 'flavor' }),
      arg('--network <network>', 'auto, none, or a network name or ID (repeat for several)', {
        repeatable: true,
        complete: 'network',
      }),
      arg('--port <port>', 'A port to connect the server to (name or ID; repeat for several)', {
        repeatable: true,
        complete: 'port',
      }),
      arg(
        '--nic <net-id=NET,port-id=PORT,v4-fixed-ip=IP,v6-fixed-ip=IP,tag=TAG|auto|none>',
        'A NIC (repeat for several)',
        {
          repeatable: true,
        },
      ),
      arg('--security-group <security-group>', 'Security group (name or ID; repeat for several)', {
        repeatable: true,
        complete: 'security-group',
      }),
      arg('--boot-from-volume <volume-size>', 'Boot from a new volume of this size (GB) made from --image', {
        integer: true,
      }),
      arg('--key-name <name>', 'Keypair to inject'),
      arg('--user-data <file>', 'User data file (cloud-init), at most 64 KiB base64-encoded', { complete: 'file' }),
      arg('--property <key=value>', 'Metadata (repeat for several)', { repeatable: true }),
      arg('--min <n>', 'Boot at least this many servers (default 1)', { integer: true }),
      arg('--max <n>', 'Boot at most this many servers (default: --min)', { integer: true }),
      arg('--availability-zone <zone>', 'Availability zone: AZ, AZ:HOST or AZ:HOST:NODE (a host or node: admin)', {
        complete: 'availability-zone',
      }),
      arg('--description <description>', 'Description of the server', { since: '2.19' }),
      arg('--tag <tag>', 'Tag for the server (repeat for several)', { repeatable: true, since: '2.52' }),
      arg('--config-drive <true|false>', 'Attach a config drive (metadata as a disk)'),
      arg('--hint <key=value>', 'Scheduler hint (repeat for several; group=SERVER_GROUP takes a name or ID)', {
        repeatable: true,
      }),
      WAIT,
      WAIT_TIMEOUT,
    ],
  },
  async (ctx, a) => {
    if (!a.image) throw new UsageError('server create needs --image IMAGE (a name or ID).');
    if (!a.flavor) throw new UsageError('server create needs --flavor FLAVOR (a name or ID).');
    const min = a.min ?? 1;
    const max = a.max ?? Math.max(min, 1);
    if (min < 1 || max < min) throw new UsageError(`--min and --max take 1 ≤ min ≤ max, not ${min} and ${max}.`);
    if (max > 1 && ctx.output.format === 'shell') {
      throw new UsageError(`-f shell shows one server; --max ${max} may make several (use -f json, yaml or value).`);
    }
    const settings = bulkSettings({ wait: a.wait, waitTimeout: a.waitTimeout });
    const nics = parseNics(a.network, a.port, a.nic);
    const bdm = a.bootFromVolume !== undefined ? bootFromVolume('', a.bootFromVolume) : undefined;
    const metadata = parseProperties(a.property);
    const userData = await readUserData(a.userData);
    const compute = await ctx.compute();
    if (nics === 'auto' || nics === 'none') await requireMicroversion(compute, '2.37', `--network ${nics}`);
    if (Array.isArray(nics) && nics.some((n) => n.tag)) await requireMicroversion(compute, '2.42', '--nic tag=');
    const [image, flavor, networks, securityGroups] = await Promise.all([
      ctx.image(a.image),
      ctx.flavor(a.flavor),
      Array.isArray(nics) ? resolveNics(ctx, nics) : nics,
      resolveSecurityGroups(ctx, a.securityGroup),
    ]);
    const schedulerHints = parseHints(a.hint);
    const group = schedulerHints?.group;
    if (schedulerHints && group !== undefined) {
      const id = async (ref: string) => (await ctx.find(SERVER_GROUP, ref)).id;
      schedulerHints.group = Array.isArray(group) ? await Promise.all(group.map(id)) : await id(group);
    }
    const multi = max > 1;
    const { servers, requestId, recovered } = await createOnce(
      compute,
      a.name,
      () =>
        createServer(compute, {
          name: a.name,
          imageRef: bdm ? '' : image.id,
          flavorRef: flavor.id,
          networks,
          securityGroups,
          blockDeviceMappingV2: bdm?.map((b) => ({ ...b, uuid: image.id })),
          keyName: a.keyName,
          userData,
          metadata,
          ...(multi || a.min !== undefined ? { minCount: min, maxCount: max } : {}),
          availabilityZone: a.availabilityZone,
          description: a.description,
          tags: a.tag,
          configDrive: parseBool('--config-drive', a.configDrive),
          schedulerHints,
        }),
      multi,
    );
    if (recovered) ctx.warn(`ncli: ${recovered}`);
    await ctx.rememberNames('server', servers, { complete: false });
    const known = {
      images: new Map(image.name ? [[image.id, image.name]] : []),
      flavors: new Map([[flavor.id, flavor.name]]),
    };
    if (!settings.wait && !multi && servers.length === 1) {
      await ctx.show((await serverDetails(ctx, servers, known))[0]);
      return 0;
    }
    // several servers: one line each on a table; the servers themselves for -f json|yaml|value
    const lines = (ctx.output.format ?? 'table') === 'table';
    const finals = new Map<string, Server>();
    const jobs: BulkJob[] = servers.map((s) => ({
      name: s.name,
      run: async (tools) => {
        if (!settings.wait) return lines ? `${s.name} (${s.id}): ${s.status}${req(requestId)}.` : '';
        const started = Date.now();
        const final = await waitOne(compute, s, CREATED, {
          label: s.name,
          words: 'create',
          requestId,
          timeout: settings.timeout,
          tools,
          started,
        });
        if (final) finals.set(s.id, final);
        return servers.length === 1 || !lines
          ? ''
          : `${s.name} (${s.id}): ${reached(CREATED, final, started)}${req(requestId)}.`;
      },
    }));
    const code = await runBulk(ctx, jobs, { parallel: DEFAULT_PARALLEL, verb: 'build', wait: settings.wait });
    if (servers.length === 1 && finals.size === 1) {
      await ctx.show((await serverDetails(ctx, [...finals.values()], known))[0]);
    } else if (!lines) {
      await ctx.showMany(
        await serverDetails(
          ctx,
          servers.map((s) => finals.get(s.id) ?? s),
          known,
        ),
      );
    }
    return code;
  },
);
