/** `ncli auth …`: the token cache. */
import { command, arg } from '../cli/spec.js';

export const help = 'Authentication and the token cache';

export const do_logout = command(
  {
    help: 'Drop the cached token of this cloud (--all: of every cloud)',
    description: 'Examples:\n  ncli --os-cloud prod auth logout\n  ncli auth logout --all',
    args: [arg('--all', 'Drop every cached token, for every cloud and user')],
  },
  async (ctx, a) => {
    if (a.all) {
      const { openTokenStore } = await import('../identity/token-cache.js');
      const n = await (await openTokenStore(ctx.io.env, ctx.debug)).clear();
      ctx.warn(`Dropped ${n} cached token${n === 1 ? '' : 's'}.`);
      return;
    }
    await (await ctx.authenticator()).forget();
    ctx.warn('Dropped the cached token for this cloud.');
  },
);
