/**
 * One test file at a time changes the compute hosts of the shared cloud: draining, disabling or
 * forcing down a host would break another file's migration running at the same moment (vitest
 * runs two files at once). A lock folder under the cloud's state folder, made with `mkdir`
 * (atomic), holding the owner's PID: a lock whose owner is dead is taken over.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLOUD_DIR } from './cloud.js';

/** The lock of the compute hosts (take it around anything that moves servers between hosts or changes a service). */
export const HOSTS_LOCK = join(CLOUD_DIR, 'test-locks', 'compute-hosts');

function ownerAlive(dir: string): boolean {
  try {
    const pid = Number(readFileSync(join(dir, 'pid'), 'utf8'));
    if (!pid) return false;
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the lock (waiting up to `timeoutMs`, default 10 min); returns its release.
 * @throws Error when another live process held it all that time
 */
export async function lockHosts(timeoutMs = 600_000, dir = HOSTS_LOCK): Promise<() => void> {
  mkdirSync(join(dir, '..'), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(join(dir, 'pid'), String(process.pid));
      return () => rmSync(dir, { recursive: true, force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      // a lock left by a dead process (or one being made right now: give it a moment)
      if (!ownerAlive(dir)) {
        await new Promise((r) => setTimeout(r, 500));
        if (!ownerAlive(dir)) rmSync(dir, { recursive: true, force: true });
        continue;
      }
    }
    if (Date.now() > deadline) throw new Error(`${dir} still held by another test process after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}
