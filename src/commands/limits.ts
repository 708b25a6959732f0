/**
 * `ncli limits show --absolute|--rate`: the compute and block-storage limits of a project and what
 * it uses (Nova "Limits", `GET /limits`, src/compute/quotas.ts; then Cinder's `GET /limits`,
 * src/volume/client.ts, when the catalog has a volume service), as `openstack limits show`
 * (openstackclient/common/limits.py: the compute rows, then the volume rows; Name and Value for
 * --absolute; Verb, URI, Value, Remain, Unit, Next Available for --rate). Unlike openstackclient
 * 6, `--project` applies to the volume rows too.
 */
import { arg, command } from '../cli/spec.js';
import { getLimits, type Limits } from '../compute/quotas.js';
import type { Context } from '../cli/context.js';
import { isNcliError, UsageError } from '../errors.js';

export const help = 'Compute and block-storage limits of a project and its use';

/** Cinder's limits, or undefined when the catalog has no volume service (as openstackclient). */
async function volumeLimits(ctx: Context, projectId: string | undefined): Promise<Limits | undefined> {
  let volumes;
  try {
    volumes = await ctx.volumes();
  } catch (e) {
    if (isNcliError(e) && e.code === 'ENDPOINT_NOT_FOUND') return undefined;
    throw e;
  }
  return volumes.getLimits(projectId);
}

export const do_show = command(
  {
    fanout: true,
    help: 'Show compute and block-storage limits (--absolute: limits and use; --rate: rate limits)',
    description: [
      'Nova: GET /limits (?tenant_id=PROJECT with --project, an admin call; ?reserved=1 with --reserved).',
      'Absolute limits are maxTotalInstances, maxTotalCores, maxTotalRAMSize… and the use totalInstancesUsed…',
      'Then, when the catalog has a volume service, Cinder: GET /limits (?project_id=PROJECT at volume API',
      '3.39 with --project): maxTotalVolumes, maxTotalVolumeGigabytes…, totalVolumesUsed… (rows after Nova’s).',
      'Examples:',
      '  ncli limits show --absolute',
      '  ncli limits show --absolute --project demo -f json',
    ].join('\n'),
    output: 'list',
    args: [
      arg('--absolute', 'Show absolute limits and use', { conflicts: ['rate'] }),
      arg('--rate', 'Show rate limits (Nova has none since Newton: an empty list)', { conflicts: ['absolute'] }),
      arg('--reserved', 'Count reserved resources as used'),
      arg('--project <project>', 'Another project (name or ID; admin)', { complete: 'project' }),
    ],
  },
  async (ctx, a) => {
    if (!a.absolute && !a.rate) throw new UsageError('limits show needs --absolute or --rate.');
    const projectId = a.project ? (await (await ctx.projects()).find(a.project)).id : undefined;
    const limits = await getLimits(await ctx.compute(), { projectId, reserved: a.reserved });
    const volume = await volumeLimits(ctx, projectId);
    const all = volume ? [limits, volume] : [limits];
    if (a.absolute) {
      await ctx.list(
        ['Name', 'Value'],
        all.flatMap((l) => Object.entries(l.absolute).map(([Name, Value]) => ({ Name, Value }))),
      );
      return;
    }
    const rows = all
      .flatMap((l) => l.rate ?? [])
      .flatMap((r) =>
        (r.limit ?? []).map((l) => ({
          Verb: l.verb ?? '',
          URI: r.uri ?? '',
          Value: l.value ?? '',
          Remain: l.remaining ?? '',
          Unit: l.unit ?? '',
          'Next Available': l['next-available'] ?? '',
        })),
      );
    await ctx.list(['Verb', 'URI', 'Value', 'Remain', 'Unit', 'Next Available'], rows);
  },
);
