/** `ncli server migration force complete SERVER MIGRATION` (src/compute/migrations.ts). */
import { ALL_PROJECTS } from '../../../cli/server-actions.js';
import { arg, command } from '../../../cli/spec.js';
import { forceCompleteMigration } from '../../../compute/migrations.js';

export const help = 'Force a running live migration to complete';

export const do_complete = command(
  {
    help: 'Force a running live migration to complete (the hypervisor pauses the server to finish the copy)',
    description: [
      'POST /servers/{id}/migrations/{migration}/action {"force_complete": null} (compute API 2.22; by UUID',
      'from 2.59). Nova refuses (400) a migration that is not running.',
      'Example:',
      '  ncli server migration force complete vm1 42',
    ].join('\n'),
    since: '2.22',
    args: [
      arg('<server>', 'Server name or ID', { complete: 'server' }),
      arg('<migration>', 'Migration: its ID, or its UUID (2.59)'),
      ALL_PROJECTS,
    ],
  },
  async (ctx, a) => {
    const server = await ctx.server(a.server, { allProjects: a.allProjects });
    const label = server.name || server.id;
    await forceCompleteMigration(await ctx.compute(), server.id, a.migration, label);
    ctx.write(`Migration ${a.migration} of server ${label}: force complete accepted.\n`);
  },
);
