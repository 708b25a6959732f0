/**
 * `ncli server group list|show|create|delete`: server groups, which tell the scheduler to put
 * servers on the same host (affinity) or on different hosts (anti-affinity); a server joins one at
 * create (`server create --hint group=GROUP`). Nova "Server groups" (src/compute/server-groups.ts);
 * words, flags, columns and `-f json` keys as `openstack server group …`
 * (openstackclient/compute/v2/server_group.py).
 */
import { parseProperties } from '../../cli/parse.js';
import { arg, command } from '../../cli/spec.js';
import {
  SERVER_GROUP_POLICIES,
  createServerGroup,
  deleteServerGroup,
  findServerGroup,
  hasPolicyField,
  listServerGroups,
} from '../../compute/server-groups.js';
import { SERVER_GROUP, serverGroupColumns, serverGroupFields } from '../../compute/resources/server-group.js';
import { NcliError } from '../../errors.js';

export const help = 'Server groups: affinity and anti-affinity policies for servers';

const GROUP = arg('<server-group>', 'Server group name or ID', { complete: 'server-group' });

export const do_list = command(
  {
    help: 'List server groups',
    description: [
      'GET /os-server-groups, every page (Nova pages server groups by --limit and --offset).',
      'The policy column is Policy from compute API 2.64, Policies before (as openstackclient).',
      'Examples:',
      '  ncli server group list',
      '  ncli server group list --all-projects --long -f json',
    ].join('\n'),
    output: 'list',
    args: [
      arg('--all-projects', 'Server groups of every project (admin)'),
      arg('--long', 'Also Members, Project Id and User Id'),
      arg('--limit <n>', 'At most this many server groups (-1: all)', { integer: true, min: -1 }),
      arg('--offset <n>', 'Skip this many server groups first', { integer: true, min: 0 }),
    ],
  },
  async (ctx, a) => {
    const compute = await ctx.compute();
    const groups = await listServerGroups(compute, { allProjects: a.allProjects, limit: a.limit, offset: a.offset });
    if (!a.allProjects) await ctx.rememberAll(SERVER_GROUP, groups, a.limit === undefined && !a.offset);
    await ctx.listOf({ columns: serverGroupColumns(await hasPolicyField(compute)) }, groups, { long: a.long });
  },
);

export const do_show = command(
  {
    help: 'Show one server group: policy, rules and members',
    description: 'SERVER-GROUP is an ID or an exact name.\nExample:\n  ncli server group show web-spread -f json',
    output: 'show',
    args: [GROUP],
  },
  async (ctx, a) => {
    const group = await ctx.find(SERVER_GROUP, a.serverGroup);
    await ctx.show(serverGroupFields(group, await hasPolicyField(await ctx.compute())));
  },
);

export const do_create = command(
  {
    help: 'Create a server group',
    description: [
      'POST /os-server-groups with one policy (default affinity): {"policy", "rules"} from compute API 2.64,',
      '{"policies": [POLICY]} before; soft-affinity and soft-anti-affinity need 2.15. The only rule Nova',
      'knows is max_server_per_host=N, for anti-affinity (2.64).',
      'Examples:',
      '  ncli server group create web-spread --policy anti-affinity',
      '  ncli server group create db-pairs --policy anti-affinity --rule max_server_per_host=2',
    ].join('\n'),
    output: 'show',
    args: [
      arg('<name>', 'Name of the new server group'),
      arg('--policy <policy>', 'affinity (default), anti-affinity, soft-affinity or soft-anti-affinity', {
        choices: SERVER_GROUP_POLICIES,
      }),
      arg('--rule <key=value>', 'A rule of the policy: max_server_per_host=N (anti-affinity; 2.64)', {
        repeatable: true,
        since: '2.64',
      }),
    ],
  },
  async (ctx, a) => {
    const rules = parseProperties(a.rule, '--rule');
    const compute = await ctx.compute();
    const group = await createServerGroup(compute, { name: a.name, policy: a.policy ?? 'affinity', rules });
    await ctx.rememberAll(SERVER_GROUP, [group], false);
    await ctx.show(serverGroupFields(group, await hasPolicyField(compute)));
  },
);

export const do_delete = command(
  {
    help: 'Delete server groups',
    description:
      'Each SERVER-GROUP (name or ID) is looked up and deleted; the others go on when one fails.\nExample:\n  ncli server group delete web-spread db-pairs',
    args: [arg('<server-group...>', 'Server group names or IDs', { complete: 'server-group' })],
  },
  async (ctx, a) => {
    const compute = await ctx.compute();
    const refs = a.serverGroup;
    let failed = 0;
    const gone: string[] = [];
    for (const ref of refs) {
      try {
        const group = await findServerGroup(compute, ref);
        await deleteServerGroup(compute, group);
        gone.push(group.id);
      } catch (e) {
        if (!(e instanceof NcliError) || refs.length === 1) throw e;
        failed++;
        ctx.warn(`ncli: ${e.message}`);
      }
    }
    await ctx.rememberNames('server-group', [], { complete: false, forget: gone });
    if (failed) throw new NcliError('FAILED', `${failed} of ${refs.length} server groups failed to delete.`);
  },
);
