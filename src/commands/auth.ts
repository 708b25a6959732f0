/** `ncli auth …`: the token cache. */
import { command, arg } from '../cli/spec.js';

export const help = 'Authentication and the token cache';

export const do_login = command(
  {
    help: 'Log in anew and cache the token (federated clouds: in the browser, or with a device code)',
    description:
      'Federated clouds (auth_type v3oidcauthcode or v3websso) open the browser at the identity provider and\n' +
      'wait on 127.0.0.1 for it to come back; v3oidcdeviceauthz prints a URL and a code to confirm anywhere.\n' +
      'The wait is NCLI_LOGIN_TIMEOUT seconds (default 300).\n\n' +
      'Examples:\n  ncli --os-cloud mycloud auth login\n  ncli --os-cloud mycloud auth login --no-browser',
    args: [arg('--no-browser', 'Print the URL to open instead of opening a browser (for a remote shell)')],
  },
  async (ctx, a) => {
    const auth = await ctx.authenticator();
    if (!a.browser && auth.loginUi) auth.loginUi.noBrowser = true;
    const st = await auth.login();
    const until = new Date(st.expiresAt).toISOString();
    ctx.warn(
      `Logged in${st.projectName ? ` to project ${st.projectName}` : ''}; ` +
        ((await ctx.tokenStore())
          ? `the token is cached until ${until}.`
          : `the token (not cached: --no-cache) expires ${until}.`),
    );
  },
);

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
