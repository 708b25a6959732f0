/**
 * `ncli aggregate list|show|create|set|unset|delete` (and `aggregate add|remove host`, in
 * aggregate/): host aggregates as `openstack aggregate …` (openstackclient/compute/v2/aggregate.py;
 * Nova "Host Aggregates", src/compute/aggregates.ts; columns in src/compute/resources/aggregate.ts).
 * Admin only.
 */
import { messageFor } from '../cli/errors.js';
import { parseProperties } from '../cli/parse.js';
import { arg, command } from '../cli/spec.js';
import {
  createAggregate,
  deleteAggregate,
  findAggregate,
  listAggregates,
  setAggregateMetadata,
  updateAggregate,
} from '../compute/aggregates.js';
import { AGGREGATE, aggregateFields } from '../compute/resources/aggregate.js';
import { NcliError, UsageError } from '../errors.js';

export const help = 'Host aggregates: groups of compute hosts with properties and a zone (admin)';

const AGG = arg('<aggregate>', 'Aggregate name or ID', { complete: 'aggregate' });

export const do_list = command(
  {
    help: 'List aggregates',
    fanout: true,
    description: 'Examples:\n  ncli aggregate list\n  ncli aggregate list --long -f json',
    output: 'list',
    args: [arg('--long', 'Also Properties and Hosts')],
  },
  async (ctx, a) => {
    const all = await listAggregates(await ctx.compute());
    await ctx.rememberAll(AGGREGATE, all, true);
    await ctx.listOf(AGGREGATE, all, { long: a.long });
  },
);

export const do_show = command(
  {
    help: 'Show one aggregate: zone, hosts, properties',
    description: 'AGGREGATE is an ID (digits) or an exact name.\nExample:\n  ncli aggregate show ssd-hosts',
    output: 'show',
    args: [AGG],
  },
  async (ctx, a) => {
    const agg = await findAggregate(await ctx.compute(), a.aggregate);
    await ctx.rememberAll(AGGREGATE, [agg], false);
    await ctx.show(aggregateFields(agg));
  },
);

export const do_create = command(
  {
    help: 'Create an aggregate',
    description: [
      'POST /os-aggregates, then with --property POST /os-aggregates/{id}/action {"set_metadata": …}.',
      'A --zone makes the aggregate an availability zone of that name.',
      'Examples:',
      '  ncli aggregate create ssd-hosts --property ssd=true',
      '  ncli aggregate create rack-1 --zone zone-a',
    ].join('\n'),
    output: 'show',
    args: [
      arg('<name>', 'New aggregate name'),
      arg('--zone <availability-zone>', 'Availability zone name', { complete: 'availability-zone' }),
      arg('--property <key=value>', 'Property to add (repeat for several)', { repeatable: true }),
    ],
  },
  async (ctx, a) => {
    const properties = parseProperties(a.property);
    const agg = await createAggregate(await ctx.compute(), a.name, { zone: a.zone, properties });
    await ctx.rememberAll(AGGREGATE, [agg], false);
    await ctx.show(aggregateFields(agg));
  },
);

export const do_set = command(
  {
    help: 'Set the name, zone or properties of an aggregate',
    description: [
      'PUT /os-aggregates/{id} for --name/--zone; POST …/action {"set_metadata": …} for properties.',
      '--no-property removes every property (the zone stays); --no-property --property K=V replaces them.',
      'Examples:',
      '  ncli aggregate set ssd-hosts --property ssd=true --property tier=gold',
      '  ncli aggregate set ssd-hosts --name fast-hosts --zone zone-b',
      '  ncli aggregate set ssd-hosts --no-property --property ssd=true',
    ].join('\n'),
    args: [
      AGG,
      arg('--name <name>', 'New aggregate name'),
      arg('--zone <availability-zone>', 'New availability zone name', { complete: 'availability-zone' }),
      arg('--property <key=value>', 'Property to set (repeat for several)', { repeatable: true }),
      arg('--no-property', 'Remove every property (the zone stays); given before --property: replace them'),
    ],
  },
  async (ctx, a) => {
    // --property and --no-property share one attribute (src/cli/main.ts `repeated`): false for
    // --no-property alone or last, values marked `reset` when given after --no-property
    const given = a.property as unknown as (string[] & { reset?: boolean }) | false | undefined;
    const properties = parseProperties(given || undefined);
    const clear = given === false || given?.reset === true;
    const compute = await ctx.compute();
    const agg = await findAggregate(compute, a.aggregate);
    if (a.name !== undefined || a.zone !== undefined)
      await updateAggregate(compute, agg, { name: a.name, zone: a.zone });
    const metadata: Record<string, string | null> = {};
    if (clear) for (const k of Object.keys(agg.metadata ?? {})) if (k !== 'availability_zone') metadata[k] = null;
    Object.assign(metadata, properties);
    if (Object.keys(metadata).length) await setAggregateMetadata(compute, agg, metadata);
  },
);

export const do_unset = command(
  {
    help: 'Remove properties from an aggregate',
    description:
      'POST /os-aggregates/{id}/action {"set_metadata": {KEY: null, …}}.\nExample:\n  ncli aggregate unset ssd-hosts --property tier',
    args: [AGG, arg('--property <key>', 'Property to remove (repeat for several)', { repeatable: true })],
  },
  async (ctx, a) => {
    if (!a.property?.length) throw new UsageError('Give at least one --property KEY to remove.');
    const compute = await ctx.compute();
    const agg = await findAggregate(compute, a.aggregate);
    await setAggregateMetadata(compute, agg, Object.fromEntries(a.property.map((k) => [k, null])));
  },
);

export const do_delete = command(
  {
    help: 'Delete aggregates',
    description: [
      'DELETE /os-aggregates/{id} for each; Nova refuses an aggregate that still has hosts. One line per',
      'failure, then "N of M aggregates failed to delete." (exit 1).',
      'Example:',
      '  ncli aggregate delete ssd-hosts rack-1',
    ].join('\n'),
    args: [arg('<aggregate...>', 'Aggregates to delete: names or IDs', { complete: 'aggregate' })],
  },
  async (ctx, a) => {
    const compute = await ctx.compute();
    let failed = 0;
    for (const ref of a.aggregate) {
      try {
        await deleteAggregate(compute, await findAggregate(compute, ref));
      } catch (e) {
        if (!(e instanceof NcliError)) throw e;
        failed++;
        ctx.warn(`ncli: ${messageFor(e)}`);
      }
    }
    if (failed && a.aggregate.length > 1)
      ctx.warn(`ncli: ${failed} of ${a.aggregate.length} aggregates failed to delete.`);
    return failed ? 1 : 0;
  },
);
