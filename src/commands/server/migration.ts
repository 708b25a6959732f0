/**
 * `ncli server migration list|show|abort|confirm|revert` and `server migration force complete`:
 * the cloud's migrations and a server's running live migration (Nova "Migrations
 * (os-migrations)" and "Server migrations"; src/compute/migrations.ts). Words, flags and columns
 * as `openstack server migration …` (openstackclient/compute/v2/server_migration.py).
 */
import { isoTime } from '../../cli/parse.js';
import { ALL_PROJECTS, BULK, SERVERS, actionHelp, runActions } from '../../cli/server-actions.js';
import { arg, command } from '../../cli/spec.js';
import { abortMigration, getServerMigration, listMigrations } from '../../compute/migrations.js';
import { MIGRATION, serverMigrationFields } from '../../compute/resources/migration.js';

export const help = 'Migrations: list the cloud’s, show, abort or force a running live migration, confirm or revert';

const SERVER = arg('<server>', 'Server name or ID', { complete: 'server' });
const MIGRATION_REF = arg('<migration>', 'Migration: its ID, or its UUID (2.59)');

export const do_list = command(
  {
    help: 'List migrations (cold and live migrations, resizes, evacuations; admin)',
    fanout: true,
    description: [
      'GET /os-migrations with the filters given, every page (paged from compute API 2.59), newest first.',
      'Examples:',
      '  ncli server migration list --host compute-1 --status running',
      '  ncli server migration list --server vm1 --type live-migration -f json',
    ].join('\n'),
    output: 'list',
    args: [
      arg('--server <server>', 'Only migrations of this server (name or ID)', { complete: 'server' }),
      arg('--host <host>', 'Only migrations from or to this compute host'),
      arg('--status <status>', 'Only migrations in this status (migrating, running, completed, error, …)'),
      arg('--type <type>', 'Only migrations of this type', {
        choices: ['live-migration', 'migration', 'cold-migration', 'resize', 'evacuation'] as const,
        since: '2.23',
      }),
      arg('--changes-since <time>', 'Only migrations changed at or after this ISO 8601 time', { since: '2.59' }),
      arg('--changes-before <time>', 'Only migrations changed at or before this ISO 8601 time', { since: '2.66' }),
      arg('--project <project-id>', 'Only migrations of this project (ID)', { since: '2.80' }),
      arg('--user <user-id>', 'Only migrations of this user (ID)', { since: '2.80' }),
      arg('--limit <n>', 'At most this many migrations (-1: all)', { integer: true, min: -1, since: '2.59' }),
      arg('--marker <uuid>', 'Start after the migration with this UUID', { since: '2.59' }),
      arg('--long', 'Also the Project and User columns'),
      ALL_PROJECTS,
    ],
  },
  async (ctx, a) => {
    const changesSince = isoTime('--changes-since', a.changesSince);
    const changesBefore = isoTime('--changes-before', a.changesBefore);
    const server = a.server ? await ctx.server(a.server, { allProjects: a.allProjects }) : undefined;
    const migrations = await listMigrations(await ctx.compute(), {
      serverId: server?.id,
      host: a.host,
      status: a.status,
      type: a.type,
      changesSince,
      changesBefore,
      projectId: a.project,
      userId: a.user,
      limit: a.limit,
      marker: a.marker,
    });
    await ctx.listOf(MIGRATION, migrations, { long: a.long || !!a.project || !!a.user });
  },
);

export const do_show = command(
  {
    help: 'Show a running live migration of a server (memory and disk progress)',
    description: [
      'GET /servers/{id}/migrations/{migration} (compute API 2.23; by UUID from 2.59). Nova shows only live',
      'migrations that are still running; `server migration list --server SERVER` has the others.',
      'Example:',
      '  ncli server migration show vm1 42',
    ].join('\n'),
    output: 'show',
    since: '2.23',
    args: [SERVER, MIGRATION_REF, ALL_PROJECTS],
  },
  async (ctx, a) => {
    const server = await ctx.server(a.server, { allProjects: a.allProjects });
    const m = await getServerMigration(await ctx.compute(), server.id, a.migration, server.name || server.id);
    await ctx.show(serverMigrationFields(m));
  },
);

export const do_abort = command(
  {
    help: 'Abort a running live migration (the server stays on its source host)',
    description: [
      'DELETE /servers/{id}/migrations/{migration} (compute API 2.24; by UUID from 2.59). Nova rolls the server',
      'back to its source host; `server migration list --server SERVER` then shows the migration cancelled.',
      'Example:',
      '  ncli server migration abort vm1 42',
    ].join('\n'),
    since: '2.24',
    args: [SERVER, MIGRATION_REF, ALL_PROJECTS],
  },
  async (ctx, a) => {
    const server = await ctx.server(a.server, { allProjects: a.allProjects });
    const label = server.name || server.id;
    await abortMigration(await ctx.compute(), server.id, a.migration, label);
    ctx.write(`Migration ${a.migration} of server ${label}: abort accepted.\n`);
  },
);

export const do_confirm = command(
  {
    help: 'Confirm a cold migration or resize (the server in VERIFY_RESIZE)',
    description: actionHelp('confirm-resize', 'ncli server migration confirm vm1 --wait'),
    args: [SERVERS, ...BULK],
  },
  (ctx, a) => runActions(ctx, a, () => [{ kind: 'confirm-resize' }], 'confirm'),
);

export const do_revert = command(
  {
    help: 'Revert a cold migration or resize (back to the source host and old flavor)',
    description: actionHelp('revert-resize', 'ncli server migration revert vm1 --wait'),
    args: [SERVERS, ...BULK],
  },
  (ctx, a) => runActions(ctx, a, () => [{ kind: 'revert-resize' }], 'revert'),
);
