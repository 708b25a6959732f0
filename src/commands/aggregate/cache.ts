/**
 * `ncli aggregate cache image AGGREGATE IMAGE…`: asks Nova to pre-cache images on the hosts of an
 * aggregate (compute API 2.81, POST /os-aggregates/{id}/images), as `openstack aggregate cache
 * image` (openstackclient/compute/v2/aggregate.py `CacheImageForAggregate`): images by name or ID
 * through Glance, nothing on standard output.
 */
import { arg, command } from '../../cli/spec.js';
import { aggregateLabel, cacheAggregateImages, findAggregate } from '../../compute/aggregates.js';

export const help = 'Pre-cache images on the hosts of an aggregate';

export const do_image = command(
  {
    help: 'Ask the hosts of an aggregate to fetch images into their image cache',
    description: [
      'POST /os-aggregates/{id}/images {"cache": [{"id": IMAGE_ID}, …]} (compute API 2.81; admin). Nova answers',
      'at once and the hosts fetch in the background; nova-conductor logs the outcome per image (cached,',
      'existing, errors, unsupported: a virt driver without an image cache). Nothing goes to standard output;',
      'one line on standard error gives the request ID, to find those log lines.',
      'Examples:',
      '  ncli aggregate cache image ssd-hosts ubuntu-24.04',
      '  ncli aggregate cache image 4 ubuntu-24.04 debian-12',
    ].join('\n'),
    since: '2.81',
    args: [
      arg('<aggregate>', 'Aggregate name or ID', { complete: 'aggregate' }),
      arg('<image...>', 'Images to cache: names or IDs (Glance)', { complete: 'image' }),
    ],
  },
  async (ctx, a) => {
    const compute = await ctx.compute();
    const agg = await findAggregate(compute, a.aggregate);
    const ids: string[] = [];
    for (const ref of a.image) ids.push((await ctx.image(ref)).id);
    const unique = [...new Set(ids)];
    const req = await cacheAggregateImages(compute, agg, unique);
    const hosts = agg.hosts?.length ?? 0;
    ctx.warn(
      `Aggregate ${aggregateLabel(agg)}: Nova will cache ${unique.length} image${unique.length === 1 ? '' : 's'} ` +
        `on its ${hosts} host${hosts === 1 ? '' : 's'}${req ? ` (request ${req})` : ''}.`,
    );
  },
);
