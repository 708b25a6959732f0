/**
 * Opening a URL with the desktop's handler (a browser for a console page, a VNC viewer for
 * `vnc://`), through the `open` package, imported only when asked for. For `--open` and `--viewer`.
 */
import type { ChildProcess } from 'node:child_process';
import { redactUrl } from '../redact.js';
import type { Context } from './context.js';

/** How long to wait for the opener to fail before assuming it worked, milliseconds. */
const OPENER_GRACE_MS = 1_500;

/** The child's exit code if it exits within `ms` milliseconds, else undefined. */
function exitCodeWithin(child: ChildProcess, ms: number): Promise<number | null | undefined> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(undefined);
    }, ms);
    const onExit = (code: number | null): void => {
      clearTimeout(timer);
      resolve(code);
    };
    child.once('exit', onExit);
  });
}

/**
 * Opens `target` with the desktop's handler (the `open` package, imported only here). Never
 * fails the command: when there is no graphical session (SSH) or the opener fails, it warns on
 * stderr. The warning never contains `target` (it may hold a console token).
 */
export async function openExternal(ctx: Context, target: string, what: string, fallback: string): Promise<void> {
  const env = ctx.io.env;
  if (process.platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY && !env.BROWSER) {
    ctx.warn(
      `Warning: cannot open ${what}: no graphical session here (DISPLAY is not set, e.g. over SSH); ${fallback}.`,
    );
    return;
  }
  try {
    const { default: open } = await import('open');
    const child = await open(target);
    const code = await exitCodeWithin(child, OPENER_GRACE_MS);
    if (typeof code === 'number' && code !== 0) {
      ctx.warn(`Warning: cannot open ${what}: the desktop opener exited with code ${code}; ${fallback}.`);
    } else {
      ctx.debug(`opened ${redactUrl(target)}`);
    }
  } catch (e) {
    ctx.warn(`Warning: cannot open ${what} (${redactUrl((e as Error).message)}); ${fallback}.`);
  }
}
