/**
 * `ncli quota show|set|list`: compute quotas of projects and quota classes (Nova "Quota sets",
 * "Quota class sets"; src/compute/quotas.ts), as `openstack quota …`
 * (openstackclient/common/quota.py) for its compute part: `-f json` keys `cores`, `instances`,
 * `key-pairs`, `properties`, `ram`, `server-groups`… with `project` and `project_name`; flags
 * `--cores`, `--key-pairs`, `--properties`… Projects by name or ID through Keystone.
 */
import type { Context } from '../cli/context.js';
import { arg, command } from '../cli/spec.js';
import { getQuotaClass, getQuotaSet, quotaFields, setQuotas } from '../compute/quotas.js';
import { UsageError } from '../errors.js';

export const help = 'Compute quotas of projects and quota classes';

/** The project of a command: PROJECT by name or ID, else the token's own. */
async function projectOf(ctx: Context, ref: string | undefined): Promise<{ id: string; name?: string | null }> {
  if (ref) return (await ctx.projects()).find(ref);
  const p = await ctx.currentProject();
  if (!p.id) throw new UsageError('This token is not scoped to a project: name one (PROJECT).');
  return { id: p.id, name: p.name };
}

export const do_show = command(
  {
    help: 'Show the compute quotas of a project (default: this one), its defaults, or a quota class',
    description: [
      'GET /os-quota-sets/{project} (--default: …/defaults), or GET /os-quota-class-sets/{class} with --class.',
      'Keys as openstackclient names them (properties = metadata_items, key-pairs = key_pairs…); which keys',
      'Nova answers depends on the compute API version (no network quotas from 2.36, no injected files from 2.57).',
      'Examples:',
      '  ncli quota show',
      '  ncli quota show demo -f json',
      '  ncli quota show --class default',
    ].join('\n'),
    output: 'show',
    args: [
      arg('[project]', 'Project (name or ID), or with --class the class name', { complete: 'project' }),
      arg('--class', 'Show the quotas of a quota class (default: "default")', { conflicts: ['default'] }),
      arg('--default', 'Show the default quotas of the project', { conflicts: ['class'] }),
    ],
  },
  async (ctx, a) => {
    const compute = await ctx.compute();
    if (a.class) {
      await ctx.show(quotaFields(await getQuotaClass(compute, a.project ?? 'default')));
      return;
    }
    const project = await projectOf(ctx, a.project);
    const q = await getQuotaSet(compute, project.id, a.default ? 'defaults' : 'quotas');
    await ctx.show(quotaFields({ ...q, id: project.id }, project.name ?? null));
  },
);

/** `quota set` flags: openstackclient's names → Nova's keys. */
const SET_FLAGS = [
  ['--cores <n>', 'cores', 'Limit of virtual CPUs'],
  ['--ram <mb>', 'ram', 'Limit of RAM in MiB'],
  ['--instances <n>', 'instances', 'Limit of servers'],
  ['--key-pairs <n>', 'key_pairs', 'Limit of keypairs per user'],
  ['--server-groups <n>', 'server_groups', 'Limit of server groups'],
  ['--server-group-members <n>', 'server_group_members', 'Limit of servers per server group'],
  ['--properties <n>', 'metadata_items', 'Limit of metadata items per server (metadata_items)'],
  ['--metadata-items <n>', 'metadata_items', 'The same as --properties (novaclient’s word)'],
  ['--injected-files <n>', 'injected_files', 'Limit of injected files (before compute API 2.57)'],
  ['--injected-file-size <bytes>', 'injected_file_content_bytes', 'Limit of bytes per injected file (before 2.57)'],
  ['--injected-path-size <bytes>', 'injected_file_path_bytes', 'Limit of bytes per injected file path (before 2.57)'],
] as const;

const SET_ARGS = SET_FLAGS.map(([flags, , what]) => arg(flags, `${what}; -1: unlimited`, { integer: true, min: -1 }));

export const do_set = command(
  {
    help: 'Set compute quotas of a project or a quota class (admin)',
    description: [
      'PUT /os-quota-sets/{project} (with --force also below what is in use), or PUT /os-quota-class-sets/{class}',
      'with --class. Prints nothing, as openstackclient; check with quota show.',
      'Examples:',
      '  ncli quota set demo --instances 20 --cores 40 --ram 81920',
      '  ncli quota set --class default --server-groups 20',
    ].join('\n'),
    args: [
      arg('<project>', 'Project (name or ID), or with --class the class name', { complete: 'project' }),
      arg('--class', 'Set the quotas of a quota class'),
      ...SET_ARGS,
      arg('--force', 'Set a limit even below what the project uses'),
    ],
  },
  async (ctx, a) => {
    const given = a as unknown as Record<string, number | undefined>;
    const values: Record<string, number> = {};
    for (const [flags, key] of SET_FLAGS) {
      const attr = flags.replace(/^--([\w-]+).*$/, '$1').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
      const n = given[attr];
      if (n !== undefined) {
        if (key in values && values[key] !== n) throw new UsageError('--properties and --metadata-items disagree.');
        values[key] = n;
      }
    }
    if (!Object.keys(values).length)
      throw new UsageError('quota set needs at least one quota to set (e.g. --instances N).');
    const compute = await ctx.compute();
    if (a.class) {
      if (a.force) throw new UsageError('--force is for a project, not a quota class.');
      await setQuotas(compute, { className: a.project }, values);
      return;
    }
    const project = await projectOf(ctx, a.project);
    await setQuotas(compute, { projectId: project.id }, values, a.force);
  },
);

/** The columns of `quota list --compute` and Nova's keys (openstackclient's `ListQuota`). */
const LIST_COLUMNS = [
  ['Cores', 'cores'],
  ['Fixed IPs', 'fixed_ips'],
  ['Injected Files', 'injected_files'],
  ['Injected File Content Bytes', 'injected_file_content_bytes'],
  ['Injected File Path Bytes', 'injected_file_path_bytes'],
  ['Instances', 'instances'],
  ['Key Pairs', 'key_pairs'],
  ['Metadata Items', 'metadata_items'],
  ['Ram', 'ram'],
  ['Server Groups', 'server_groups'],
  ['Server Group Members', 'server_group_members'],
] as const;

export const do_list = command(
  {
    help: 'List the compute quotas of every project whose quotas differ from the defaults (admin)',
    description: [
      'Lists the projects in Keystone (or the one of --project), then GET /os-quota-sets/{id} and …/defaults for',
      'each: a project appears when a quota differs from its default, as openstackclient. With --detail: this',
      'project (or --project) per resource, with In Use and Reserved (GET /os-quota-sets/{id}/detail).',
      'A quota Nova no longer answers at this compute API version (Fixed IPs, Injected …) is null.',
      'Examples:',
      '  ncli quota list --compute',
      '  ncli quota list --compute --detail --project demo',
    ].join('\n'),
    output: 'list',
    args: [
      arg('--compute', 'Compute quotas (the only kind ncli lists; required, as openstackclient)'),
      arg('--project <project>', 'Only this project (name or ID)', { complete: 'project' }),
      arg('--detail', 'Per resource: In Use, Reserved and Limit of one project'),
    ],
  },
  async (ctx, a) => {
    if (!a.compute) throw new UsageError('quota list needs --compute (ncli lists compute quotas only).');
    const compute = await ctx.compute();
    if (a.detail) {
      const project = await projectOf(ctx, a.project);
      const q = await getQuotaSet(compute, project.id, 'detail');
      const rows = Object.entries(q)
        .filter(([, x]) => typeof x === 'object' && x !== null)
        .map(([k, x]) => {
          const d = x as Record<string, unknown>;
          return { Resource: k, 'In Use': d.in_use ?? null, Reserved: d.reserved ?? null, Limit: d.limit ?? null };
        });
      await ctx.list(['Resource', 'In Use', 'Reserved', 'Limit'], rows);
      return;
    }
    const projects = a.project ? [await (await ctx.projects()).find(a.project)] : await (await ctx.projects()).list();
    const rows: Record<string, unknown>[] = [];
    const pick = (q: Record<string, unknown>) => LIST_COLUMNS.map(([, k]) => q[k] ?? null);
    // a few projects at a time: two requests each
    for (let i = 0; i < projects.length; i += 8) {
      const batch = await Promise.all(
        projects.slice(i, i + 8).map(async (p) => {
          const [q, d] = await Promise.all([getQuotaSet(compute, p.id), getQuotaSet(compute, p.id, 'defaults')]);
          return JSON.stringify(pick(q)) === JSON.stringify(pick(d)) ? undefined : { id: p.id, q };
        }),
      );
      for (const b of batch) {
        if (b)
          rows.push({ 'Project ID': b.id, ...Object.fromEntries(LIST_COLUMNS.map(([c, k]) => [c, b.q[k] ?? null])) });
      }
    }
    await ctx.list(['Project ID', ...LIST_COLUMNS.map(([c]) => c)], rows);
  },
);
