/** `ncli flavor …`: list and show flavors (Nova "Flavors" API). */
import { command, arg } from '../cli/spec.js';
import { listFlavors } from '../compute/flavors.js';

export const help = 'Flavors (sizes of servers)';

const COLUMNS = ['ID', 'Name', 'RAM', 'Disk', 'Ephemeral', 'VCPUs', 'Is Public'];

export const do_list = command(
  {
    help: 'List flavors',
    description: 'Examples:\n  ncli flavor list\n  ncli flavor list --all -f csv',
    output: 'list',
    args: [arg('--all', 'Include private flavors (admin)')],
  },
  async (ctx, a) => {
    const flavors = await listFlavors(await ctx.compute(), a.all);
    await ctx.rememberNames('flavor', flavors, { complete: true });
    await ctx.list(
      COLUMNS,
      flavors.map((f) => ({
        ID: f.id,
        Name: f.name,
        RAM: f.ram,
        Disk: f.disk,
        Ephemeral: f['OS-FLV-EXT-DATA:ephemeral'] ?? 0,
        VCPUs: f.vcpus,
        'Is Public': f['os-flavor-access:is_public'] ?? true,
      })),
    );
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
