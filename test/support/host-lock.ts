/**
 * One test file at a time may move servers between the cloud's compute hosts or change a compute
 * service's state (disable, force down): vitest runs files in parallel workers, and a host forced
 * down under another file's migration fails it. `withHostLock` serialises such sections across
 * workers and processes with a lock file (created exclusively; a holder that died more than
 * `STALE_MS` ago is taken over).
 */
import { closeSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

const LOCK = join(process.env.NCLI_CLOUD_DIR ?? tmpdir(), 'test-hosts.lock');
/** A lock older than this is a dead holder's (10 minutes: longer than any locked section). */
const STALE_MS = 10 * 60_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Runs `fn` holding the compute-hosts lock; waits (polling every 250 ms) for it up to `waitMs`. */
export async function withHostLock<T>(fn: () => Promise<T>, waitMs = 15 * 60_000): Promise<T> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const fd = openSync(LOCK, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch {
      try {
        const pid = Number(readFileSync(LOCK, 'utf8'));
        if ((pid && !alive(pid)) || Date.now() - statSync(LOCK).mtimeMs > STALE_MS) rmSync(LOCK, { force: true });
      } catch {
        // gone meanwhile: try again
      }
      if (Date.now() > deadline) throw new Error(`the compute-hosts test lock ${LOCK} was held for too long`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(LOCK, { force: true });
  }
}
