/**
 * `ncli limits show --absolute|--rate`: the compute limits of a project and what it uses (Nova
 * "Limits", `GET /limits`; src/compute/quotas.ts), as `openstack limits show`
 * (openstackclient/common/limits.py; its compute part: Name and Value for --absolute; Verb, URI,
 * Value, Remain, Unit, Next Available for --rate).
 */
import { arg, command } from '../cli/spec.js';
import { getLimits } from '../compute/quotas.js';
import { UsageError } from '../errors.js';

export const help = 'Compute limits of a project and its use';

export const do_show = command(
  {
    help: 'Show compute limits (--absolute: limits and use; --rate: rate limits)',
    description: [
      'GET /limits (?tenant_id=PROJECT with --project, an admin call; ?reserved=1 with --reserved).',
      'Absolute limits are maxTotalInstances, maxTotalCores, maxTotalRAMSize… and the use totalInstancesUsed…',
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
    if (a.absolute) {
      await ctx.list(
        ['Name', 'Value'],
        Object.entries(limits.absolute).map(([Name, Value]) => ({ Name, Value })),
      );
      return;
    }
    const rows = (limits.rate ?? []).flatMap((r) =>
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
