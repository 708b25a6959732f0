/**
 * `ncli flavor …`: list, show, create, set, unset and delete flavors (Nova "Flavors" API; columns
 * and fields in src/compute/resources/flavor.ts; words and flags of openstackclient's
 * compute/v2/flavor.py).
 */
import type { Context } from '../cli/context.js';
import { parseProperties } from '../cli/parse.js';
import { command, arg } from '../cli/spec.js';
import {
  createFlavorWith,
  deleteFlavor,
  flavorExtras,
  listFlavors,
  reduceFlavor,
  updateFlavor,
} from '../compute/flavors.js';
import { FLAVOR, flavorDetail } from '../compute/resources/flavor.js';
import { NcliError, UsageError } from '../errors.js';

export const help = 'Flavors (sizes of servers)';

const FLAVOR_ARG = arg('<flavor>', 'Flavor name or ID', { complete: 'flavor' });

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
    description: [
      'FLAVOR is an ID (tried first: flavor IDs need not be UUIDs) or an exact name. The fields are',
      "openstackclient's: extra specs as `properties`, the projects of a private flavor as `access_project_ids`.",
      'Example:',
      '  ncli flavor show m1.tiny',
    ].join('\n'),
    output: 'show',
    args: [FLAVOR_ARG],
  },
  async (ctx, a) => {
    const flavor = await ctx.flavor(a.flavor);
    await ctx.show(flavorDetail(flavor, await flavorExtras(await ctx.compute(), flavor)));
  },
);

/** A number option of openstackclient's parser that may have a fraction (`--rxtx-factor`). */
function numberOf(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw new UsageError(`${flag} takes a number above 0, not '${value}'.`);
  }
  return n;
}

/** `--project`: a Keystone project's ID from its name or ID, as openstackclient's `find_project`. */
async function projectId(ctx: Context, ref: string | undefined): Promise<string | undefined> {
  return ref === undefined ? undefined : (await (await ctx.projects()).find(ref)).id;
}

export const do_create = command(
  {
    help: 'Create a flavor (admin)',
    description: [
      "POST /flavors, then extra specs (--property) and project access (--project); openstackclient's defaults:",
      '256 MB RAM, 1 VCPU, no disk, no ephemeral disk, no swap, RX/TX factor 1.0, public.',
      'A flavor ID or name that exists already is refused (409).',
      'Examples:',
      '  ncli flavor create m1.web --ram 2048 --disk 20 --vcpus 2',
      '  ncli flavor create gpu.large --id gpu-l --ram 65536 --vcpus 16 --private --project PROJECT \\',
      '      --property resources:VGPU=1 --description "one vGPU"',
    ].join('\n'),
    output: 'show',
    args: [
      arg('<flavor-name>', 'New flavor name'),
      arg('--id <id>', 'Unique flavor ID (default: a UUID Nova makes)'),
      arg('--ram <size-mb>', 'Memory size in MB (default 256)', { integer: true, min: 1 }),
      arg('--disk <size-gb>', 'Disk size in GB (default 0: the image size)', { integer: true, min: 0 }),
      arg('--ephemeral <size-gb>', 'Ephemeral disk size in GB (default 0)', { integer: true, min: 0 }),
      arg('--swap <size-mb>', 'Swap space size in MB (default 0)', { integer: true, min: 0 }),
      arg('--vcpus <vcpus>', 'Number of VCPUs (default 1)', { integer: true, min: 1 }),
      arg('--rxtx-factor <factor>', 'RX/TX factor (default 1.0)'),
      arg('--public', 'Available to every project (the default)', { conflicts: ['private'] }),
      arg('--private', 'Available only to the projects given access (--project)', { conflicts: ['public'] }),
      arg('--property <key=value>', 'Extra spec to set (repeat for several)', { repeatable: true }),
      arg('--project <project>', 'Give this project (name or ID) access to the private flavor (with --private)'),
      arg('--description <description>', 'Description of the flavor', { since: '2.55' }),
    ],
  },
  async (ctx, a) => {
    if (a.project && !a.private) throw new UsageError('--project is only allowed with --private.');
    const properties = parseProperties(a.property);
    const flavor = await createFlavorWith(
      await ctx.compute(),
      {
        name: a.flavorName,
        id: a.id,
        ram: a.ram ?? 256,
        disk: a.disk ?? 0,
        ephemeral: a.ephemeral ?? 0,
        swap: a.swap ?? 0,
        vcpus: a.vcpus ?? 1,
        rxtxFactor: numberOf('--rxtx-factor', a.rxtxFactor, 1.0),
        isPublic: !a.private,
        description: a.description,
      },
      { properties, project: await projectId(ctx, a.project) },
    );
    await ctx.rememberNames('flavor', [flavor], { complete: false });
    await ctx.show(flavorDetail(flavor));
  },
);

export const do_set = command(
  {
    help: 'Set the properties, description or project access of a flavor (admin)',
    description: [
      '--property: POST /flavors/{id}/os-extra_specs; --no-property removes every property first (with',
      '--property: replaces them); --description: PUT /flavors/{id} (2.55); --project: addTenantAccess (private flavors).',
      'Examples:',
      '  ncli flavor set m1.web --property hw:cpu_policy=dedicated',
      '  ncli flavor set m1.web --no-property --property hw:mem_page_size=large',
      '  ncli flavor set gpu.large --project PROJECT --description "one vGPU"',
    ].join('\n'),
    args: [
      FLAVOR_ARG,
      arg('--property <key=value>', 'Extra spec to add or change (repeat for several)', { repeatable: true }),
      arg('--no-property', 'Remove every property; with --property: replace them'),
      arg('--project <project>', 'Give this project (name or ID) access to the private flavor'),
      arg('--description <description>', 'New description', { since: '2.55' }),
    ],
  },
  async (ctx, a) => {
    // --property and --no-property share one attribute (src/cli/main.ts `repeated`)
    const given = a.property as unknown as (string[] & { reset?: boolean }) | false | undefined;
    const properties = parseProperties(given || undefined);
    const clear = given === false || given?.reset === true;
    if (!properties && !clear && a.project === undefined && a.description === undefined) {
      throw new UsageError('Give --property, --no-property, --project or --description.');
    }
    const flavor = await ctx.flavor(a.flavor);
    await updateFlavor(await ctx.compute(), flavor, {
      description: a.description,
      clear,
      properties,
      project: await projectId(ctx, a.project),
    });
  },
);

export const do_unset = command(
  {
    help: 'Remove properties or project access from a flavor (admin)',
    description: [
      'DELETE /flavors/{id}/os-extra_specs/{key} per --property; --project: removeTenantAccess.',
      'Example:',
      '  ncli flavor unset m1.web --property hw:cpu_policy',
    ].join('\n'),
    args: [
      FLAVOR_ARG,
      arg('--property <key>', 'Extra spec to remove (repeat for several)', { repeatable: true }),
      arg('--project <project>', "Remove this project's (name or ID) access to the private flavor"),
    ],
  },
  async (ctx, a) => {
    if (!a.property?.length && a.project === undefined) throw new UsageError('Give --property KEY or --project.');
    const flavor = await ctx.flavor(a.flavor);
    await reduceFlavor(await ctx.compute(), flavor, {
      properties: a.property,
      project: await projectId(ctx, a.project),
    });
  },
);

export const do_delete = command(
  {
    help: 'Delete flavors (admin)',
    description:
      'Servers of a deleted flavor keep running (they embed its sizes).\nExample:\n  ncli flavor delete m1.old m1.older',
    args: [arg('<flavor...>', 'Flavor names or IDs', { complete: 'flavor' })],
  },
  async (ctx, a) => {
    const compute = await ctx.compute();
    let failed = 0;
    const gone: string[] = [];
    for (const ref of a.flavor) {
      try {
        const flavor = await ctx.flavor(ref);
        await deleteFlavor(compute, flavor.id);
        gone.push(flavor.id);
      } catch (e) {
        if (!(e instanceof NcliError) || a.flavor.length === 1) throw e;
        failed++;
        ctx.warn(`ncli: ${e.message}`);
      }
    }
    await ctx.rememberNames('flavor', [], { complete: false, forget: gone });
    if (failed) throw new NcliError('FAILED', `${failed} of ${a.flavor.length} flavors failed to delete.`);
  },
);
