/** `ncli flavor …`: list and show flavors (Nova "Flavors" API; columns in src/compute/resources/flavor.ts). */
import { command, arg } from '../cli/spec.js';
import { listFlavors } from '../compute/flavors.js';
import { FLAVOR } from '../compute/resources/flavor.js';

export const help = 'Flavors (sizes of servers)';

export const do_list = command(
  {
    help: 'List flavors',
    fanout: true,
    description: 'Examples:\n  ncli flavor list\n  ncli flavor list --all -f csv\n  ncli flavor list --long',
    output: 'list',
    args: [
      arg('--all', 'Include private flavors (admin)'),
      arg('--long', 'Also Swap, RXTX Factor and Properties (extra specs, 2.61)'),
    ],
  },
  async (ctx, a) => {
    const flavors = await listFlavors(await ctx.compute(), a.all);
    await ctx.rememberAll(FLAVOR, flavors, true);
    await ctx.listOf(FLAVOR, flavors, { long: a.long });
  },
);

export const do_show = command(
  {
    help: 'Show every field of one flavor',
    description:
      'FLAVOR is an ID (tried first: flavor IDs need not be UUIDs) or an exact name.\nExample:\n  ncli flavor show m1.tiny',
    output: 'show',
    args: [arg('<flavor>', 'Flavor name or ID', { complete: 'flavor' })],
  },
  async (ctx, a) => {
    await ctx.show(await ctx.flavor(a.flavor));
  },
);
