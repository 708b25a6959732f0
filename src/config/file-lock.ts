/**
 * A lock file between ncli processes (one login for N concurrent cold runs): `open(2)` with
 * `O_CREAT|O_EXCL` (Node's `wx`) makes it, 0600, in a 0700 folder; its holder refreshes its
 * modification time while it holds it, so a lock whose time stopped moving (a holder killed with
 * SIGKILL, a crashed machine) is stale after `staleMs`, and one whose holder on this machine no
 * longer exists is stale at once. As npm's `proper-lockfile` (mtime refresh, stale threshold),
 * without its dependency tree; a lock that cannot be made (read-only folder) is simply not taken.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  linkSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { ensurePrivateDir } from './cache-dir.js';

/** Options of {@link acquireLock}; times in milliseconds. */
export interface LockOptions {
  /** A lock whose modification time is older than this is stale (its holder is gone). Default 10 000. */
  staleMs?: number;
  /** How often a waiter looks again. Default 50. */
  pollMs?: number;
  /** Longest wait for another holder; past it the caller goes on without the lock. Default 120 000. */
  maxWaitMs?: number;
  /** `--debug` sink. */
  debug?: (line: string) => void;
}

/** A lock held by this process. */
export interface HeldLock {
  /** Whether another process held it first (what it was doing may now be done: look again). */
  waited: boolean;
  /** Removes the lock file (when it is still this holder's) and stops refreshing it. Never throws. */
  release(): void;
}

interface Owner {
  pid: number;
  host: string;
  id: string;
}

/** Whether the process `pid` of this machine exists (EPERM: it exists, owned by someone else). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(path: string): { text: string; owner?: Owner } | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const o = JSON.parse(text) as Owner;
    return typeof o.pid === 'number' && typeof o.host === 'string' ? { text, owner: o } : { text };
  } catch {
    return { text }; // being written, or garbage: judged by its age only
  }
}

/** Why the lock at `path` is stale, or undefined when its holder may still be at work. */
function staleness(path: string, staleMs: number): string | undefined {
  let mtimeMs: number;
  try {
    mtimeMs = statSync(path).mtimeMs;
  } catch {
    return undefined; // gone: the next try takes it
  }
  const age = Date.now() - mtimeMs;
  if (age > staleMs) return `not refreshed for ${Math.round(age)} ms`;
  const o = readOwner(path)?.owner;
  if (o && o.host === hostname() && o.pid !== process.pid && !alive(o.pid)) return `process ${o.pid} is gone`;
  return undefined;
}

/**
 * Removes a stale lock without removing a fresh one another waiter made meanwhile: it is moved
 * aside (atomic), and put back when what was moved is not the lock judged stale.
 */
function breakLock(path: string, staleText: string | undefined): void {
  const aside = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.stale`;
  try {
    renameSync(path, aside);
  } catch {
    return;
  }
  const moved = readOwner(aside)?.text;
  if (staleText !== undefined && moved !== staleText) {
    try {
      linkSync(aside, path); // fails when yet another lock exists: then that one stands
    } catch {
      /* another holder */
    }
  }
  rmSync(aside, { force: true });
}

function tryCreate(path: string, owner: Owner): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    writeSync(fd, JSON.stringify(owner));
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Takes the lock file `path` (its folder is made 0700 when missing), waiting while another live
 * process holds it. While held, its modification time is refreshed every `staleMs / 4`.
 *
 * @param path the lock file, e.g. `<cache dir>/tokens/<key>.lock`
 * @returns the held lock; undefined when no lock can be made there (the folder cannot be made or
 *   written: the caller goes on without one) or when `maxWaitMs` passed while another holder kept
 *   it fresh
 */
export async function acquireLock(path: string, opts: LockOptions = {}): Promise<HeldLock | undefined> {
  const staleMs = opts.staleMs ?? 10_000;
  const pollMs = opts.pollMs ?? 50;
  const maxWaitMs = opts.maxWaitMs ?? 120_000;
  const owner: Owner = { pid: process.pid, host: hostname(), id: randomBytes(8).toString('hex') };
  const ownText = JSON.stringify(owner);
  const started = Date.now();
  let waited = false;
  try {
    ensurePrivateDir(dirname(path));
  } catch (e) {
    opts.debug?.(`lock: cannot make the folder of ${path} (${(e as Error).message}); going on without a lock`);
    return undefined;
  }
  for (;;) {
    try {
      if (tryCreate(path, owner)) break;
    } catch (e) {
      opts.debug?.(`lock: cannot create ${path} (${(e as Error).message}); going on without a lock`);
      return undefined;
    }
    const seen = readOwner(path)?.text;
    const stale = staleness(path, staleMs);
    if (stale) {
      opts.debug?.(`lock: ${path} is stale (${stale}); taking it over`);
      breakLock(path, seen);
      continue;
    }
    if (!waited) opts.debug?.(`lock: another ncli process holds ${path}; waiting for it`);
    waited = true;
    if (Date.now() - started > maxWaitMs) {
      opts.debug?.(`lock: still held after ${maxWaitMs} ms; going on without it`);
      return undefined;
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  const refresh = setInterval(
    () => {
      try {
        const now = new Date();
        utimesSync(path, now, now);
      } catch {
        /* removed by someone: nothing to refresh */
      }
    },
    Math.max(10, Math.floor(staleMs / 4)),
  );
  refresh.unref();
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    clearInterval(refresh);
    process.removeListener('exit', release);
    try {
      if (readFileSync(path, 'utf8') === ownText) rmSync(path, { force: true });
    } catch {
      /* already gone */
    }
  };
  // an exit while holding it (an error, Ctrl-C at a passcode prompt) leaves no lock behind
  process.once('exit', release);
  return { waited, release };
}
