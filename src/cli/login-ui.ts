/**
 * How a federated login talks to the person at the terminal (see src/identity/browser-login.ts):
 * lines on stderr, the browser opened with the `open` package (or `$BROWSER`, a command given the
 * URL), and the wait for the browser (`NCLI_LOGIN_TIMEOUT` seconds, default 300).
 */
import type { LoginUi } from '../identity/browser-login.js';
import type { Context } from './context.js';

/** How long to wait for the opener to fail before assuming it worked, milliseconds. */
const OPENER_GRACE_MS = 1_500;

/** The {@link LoginUi} of this run. */
export function loginUi(ctx: Context): LoginUi {
  const env = ctx.io.env;
  const seconds = Number(env.NCLI_LOGIN_TIMEOUT);
  return {
    say: (line) => ctx.warn(line),
    open: async (url) => {
      const browser = env.BROWSER;
      if (process.platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY && !browser) {
        ctx.debug('no browser opened: no graphical session (DISPLAY is not set) and no $BROWSER');
        return false;
      }
      try {
        const { default: open } = await import('open');
        const child = await open(url, browser ? { app: { name: browser } } : {});
        const code = await new Promise<number | null | undefined>((resolve) => {
          if (child.exitCode !== null) return resolve(child.exitCode);
          const timer = setTimeout(() => resolve(undefined), OPENER_GRACE_MS);
          child.once('exit', (c) => {
            clearTimeout(timer);
            resolve(c);
          });
          child.once('error', () => {
            clearTimeout(timer);
            resolve(-1);
          });
        });
        return code === undefined || code === 0;
      } catch (e) {
        ctx.debug(`no browser opened: ${(e as Error).message.split('\n')[0]}`);
        return false;
      }
    },
    ...(seconds > 0 ? { timeoutMs: seconds * 1000 } : {}),
  };
}
