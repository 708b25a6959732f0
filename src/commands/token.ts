/** `ncli token …`: Keystone tokens for scripts. */
import { command } from '../cli/spec.js';

export const help = 'Keystone tokens';

export const do_issue = command(
  {
    help: 'Print a token (from the cache when still valid)',
    description: 'Examples:\n  ncli token issue\n  TOKEN=$(ncli token issue -f value -c id)',
    output: 'show',
    args: [],
  },
  async (ctx) => {
    const auth = await ctx.authenticator();
    const st = await auth.state();
    await ctx.show({
      expires: new Date(st.expiresAt).toISOString(),
      id: st.token,
      project_id: st.projectId ?? '',
      user_id: st.userId ?? '',
    });
  },
);
