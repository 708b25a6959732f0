/**
 * `ncli usage list|show`: server usage per project over a period (Nova "Usage reports",
 * os-simple-tenant-usage; src/compute/usage.ts), as `openstack usage list|show`
 * (openstackclient/compute/v2/usage.py): columns Project, Servers, RAM MB-Hours, CPU Hours, Disk
 * GB-Hours. In a table, Project is the project's name, Servers a count and the hours have two
 * decimals; in `-f json|yaml|value|csv` Project is the ID, Servers the list of server usages and
 * the hours unrounded (openstackclient's machine-readable values).
 */
import type { Context } from '../cli/context.js';
import { arg, command } from '../cli/spec.js';
import { getUsage, listUsage, type Period, type Usage } from '../compute/usage.js';
import { UsageError } from '../errors.js';

export const help = 'Server usage (hours of RAM, CPU and disk) per project';

const COLUMNS = ['Project', 'Servers', 'RAM MB-Hours', 'CPU Hours', 'Disk GB-Hours'];
const DAY_MS = 86_400_000;

/** `--start`/`--end` as `YYYY-MM-DD` (UTC midnight); defaults 4 weeks ago and tomorrow, as openstackclient. */
function periodOf(start: string | undefined, end: string | undefined, now = Date.now()): Period {
  const day = (flag: string, s: string) => {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
    const t = m ? Date.UTC(+m[1], +m[2] - 1, +m[3]) : NaN;
    if (Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== s) {
      throw new UsageError(`${flag} takes a date YYYY-MM-DD, not '${s}'.`);
    }
    return t;
  };
  const iso = (t: number) => new Date(t).toISOString().replace(/Z$/, '');
  return {
    start: iso(start ? day('--start', start) : now - 28 * DAY_MS),
    end: iso(end ? day('--end', end) : now + DAY_MS),
  };
}

/** One row: human cells in a table, openstackclient's machine-readable values otherwise. */
function row(u: Usage, table: boolean, names: Map<string, string>): Record<string, unknown> {
  const round = (n: number | undefined) => Number((n ?? 0).toFixed(2));
  const id = u.tenant_id ?? '';
  return table
    ? {
        Project: names.get(id) ?? id,
        Servers: (u.server_usages ?? []).length,
        'RAM MB-Hours': round(u.total_memory_mb_usage),
        'CPU Hours': round(u.total_vcpus_usage),
        'Disk GB-Hours': round(u.total_local_gb_usage),
      }
    : {
        Project: id,
        Servers: u.server_usages ?? [],
        'RAM MB-Hours': u.total_memory_mb_usage ?? 0,
        'CPU Hours': u.total_vcpus_usage ?? 0,
        'Disk GB-Hours': u.total_local_gb_usage ?? 0,
      };
}

const isTable = (ctx: Context) => (ctx.output.format ?? 'table') === 'table';
const PERIOD_ARGS = [
  arg('--start <date>', 'Start of the period, YYYY-MM-DD (default: 4 weeks ago)'),
  arg('--end <date>', 'End of the period, YYYY-MM-DD (default: tomorrow)'),
] as const;

export const do_list = command(
  {
    help: 'List the usage of every project with servers in a period (admin)',
    description: [
      'GET /os-simple-tenant-usage?detailed=1&start=…&end=…, every page (paged from compute API 2.40; a',
      "project's servers split over pages are added up). Project names come from Keystone when it lists them.",
      'Examples:',
      '  ncli usage list',
      '  ncli usage list --start 2026-11-01 --end 2026-12-01 -f json',
    ].join('\n'),
    output: 'list',
    args: [...PERIOD_ARGS],
  },
  async (ctx, a) => {
    const period = periodOf(a.start, a.end);
    const usages = await listUsage(await ctx.compute(), period);
    const names = new Map<string, string>();
    if (isTable(ctx) && usages.length) {
      try {
        for (const p of await (await ctx.projects()).list()) names.set(p.id, p.name);
      } catch (e) {
        ctx.debug(`project names not looked up: ${(e as Error).message}`);
      }
      ctx.write(`Usage from ${period.start.slice(0, 10)} to ${period.end.slice(0, 10)}: \n`);
    }
    await ctx.list(
      COLUMNS,
      usages.map((u) => row(u, isTable(ctx), names)),
    );
  },
);

export const do_show = command(
  {
    help: 'Show the usage of one project (default: this one) in a period',
    description: [
      'GET /os-simple-tenant-usage/{project}?start=…&end=…, every page (paged from compute API 2.40).',
      'Examples:',
      '  ncli usage show',
      '  ncli usage show --project demo --start 2026-11-01 -f json',
    ].join('\n'),
    output: 'show',
    args: [
      arg('--project <project>', 'Project (name or ID; another one needs admin)', { complete: 'project' }),
      ...PERIOD_ARGS,
    ],
  },
  async (ctx, a) => {
    const period = periodOf(a.start, a.end);
    const project = a.project ? (await (await ctx.projects()).find(a.project)).id : (await ctx.currentProject()).id;
    if (!project) throw new UsageError('This token is not scoped to a project: give --project.');
    const usage = await getUsage(await ctx.compute(), project, period);
    if (isTable(ctx)) {
      ctx.write(`Usage from ${period.start.slice(0, 10)} to ${period.end.slice(0, 10)} on project ${project}: \n`);
    }
    await ctx.show(row(usage, isTable(ctx), new Map()));
  },
);
