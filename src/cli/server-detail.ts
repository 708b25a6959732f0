/**
 * Servers shaped for `server show` and `server create` as openstackclient shows them
 * (src/compute/resources/server.ts `serverDetail`, after openstackclient's
 * `_prep_server_detail`), with the names it looks up: the image's from Glance (through the names
 * cache, {@link Context.imageNames}) and, before compute API 2.47 (where the server embeds no
 * flavor), the flavor's from Nova.
 */
import { getFlavor } from '../compute/flavors.js';
import { imageIdOf, serverDetail } from '../compute/resources/server.js';
import type { Server } from '../compute/types.js';
import type { Context } from './context.js';
import type { Row } from './output.js';

/**
 * The servers' fields as `openstack server show -f json` prints them.
 * @param known names the caller has already (the image and flavor `server create` resolved)
 * Never throws for a name it cannot look up: that field keeps the ID, as openstackclient does.
 */
export async function serverDetails(
  ctx: Context,
  servers: readonly Server[],
  known: { images?: Map<string, string>; flavors?: Map<string, string> } = {},
): Promise<Row[]> {
  const imageIds = servers.map(imageIdOf).filter((id): id is string => !!id && !known.images?.has(id));
  const images = new Map([...(known.images ?? []), ...(await ctx.imageNames(imageIds))]);
  const flavors = new Map(known.flavors ?? []);
  const flavorIds = [
    ...new Set(servers.map((s) => s.flavor?.id).filter((id): id is string => !!id && !flavors.has(id))),
  ];
  if (flavorIds.length) {
    const compute = await ctx.compute();
    await Promise.all(
      flavorIds.map(async (id) => {
        try {
          flavors.set(id, (await getFlavor(compute, id)).name);
        } catch (e) {
          ctx.debug(`flavor ${id} not named: ${(e as Error).message}`);
        }
      }),
    );
  }
  return servers.map((s) => {
    const imageId = imageIdOf(s);
    return serverDetail(s, {
      image: imageId ? images.get(imageId) : undefined,
      flavor: s.flavor?.id ? flavors.get(s.flavor.id) : undefined,
    });
  });
}
