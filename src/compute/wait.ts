/**
 * `--wait`: polling a server until an action has taken it where it goes (or it failed, or time ran
 * out). Split in two, so that tests need no real time: the policy is pure ({@link targetOf}, what
 * each action waits for; {@link observe}, where a server stands against it; {@link pollDelay}, the
 * backoff), and {@link waitForServer} is the loop, with the clock and sleep injected.
 *
 * Statuses and task states are Nova's (api-guide `server_concepts.rst` "Server status";
 * nova/api/openstack/common.py `_STATE_MAP`): a server is where an action takes it once its status
 * is the target and its task state is empty again. An action that fails inside nova-compute
 * either puts the server in ERROR (with a `fault`), or leaves it where it was with the task state
 * cleared (`@reverts_task_state`) and a failed event in the action's record: both end the wait as
 * a failure, with the fault's message and the failed events' details.
 */
import { NcliError, type NcliErrorOptions } from '../errors.js';
import type { ActionFailure } from './events.js';
import type { Server, ServerFault } from './types.js';

/** Where a wait ends. Exactly one of `statuses`, `gone`, `locked` is set. */
export interface WaitTarget {
  /** Statuses that end the wait once the task state is empty. */
  statuses?: readonly string[];
  /** With `statuses`: the server must also be on another host than this one (migrations, evacuation). */
  hostNot?: string;
  /** The server must be gone (404, or DELETED / SOFT_DELETED). */
  gone?: boolean;
  /** The `locked` value that ends the wait (2.9+; a server without the field counts as there). */
  locked?: boolean;
  /** The target in words, for messages: `SHUTOFF`, `SHELVED or SHELVED_OFFLOADED`, `deleted`, `locked`. */
  label: string;
}

/** The target "one of these statuses, no task running". */
export function statuses(...s: string[]): WaitTarget {
  return { statuses: s, label: s.join(' or ') };
}

/** Where a new server's wait ends: ACTIVE. */
export const CREATED: WaitTarget = statuses('ACTIVE');

/**
 * Where a server stands against a target:
 * - `done`: it is there;
 * - `error`: status ERROR with no task running (the action failed; see the server's `fault`);
 * - `vanished`: gone (`null`: Nova answered 404) although the target is not deletion;
 * - `settled`: no task running, but not at the target: the action failed inside nova-compute
 *   and was rolled back, or has not begun (ask the action's events);
 * - `pending`: a task is running.
 * A target with `hostNot` is reached only on another host: a migration Nova rolled back leaves
 * the server where it was, which reads as `settled`.
 * @param server the server as Nova shows it now, or null after a 404
 */
export function observe(
  server: Server | null,
  target: WaitTarget,
): 'done' | 'error' | 'vanished' | 'settled' | 'pending' {
  if (!server) return target.gone ? 'done' : 'vanished';
  const task = server['OS-EXT-STS:task_state'];
  if (target.gone) {
    if (server.status === 'DELETED' || server.status === 'SOFT_DELETED') return 'done';
    return !task && server.status === 'ERROR' ? 'error' : 'pending';
  }
  if (target.locked !== undefined) {
    return server.locked === undefined || server.locked === null || server.locked === target.locked
      ? 'done'
      : 'pending';
  }
  if (task) return 'pending';
  if (target.statuses?.includes(server.status)) {
    const host = server['OS-EXT-SRV-ATTR:host'];
    if (!target.hostNot || !host || host !== target.hostNot) return 'done';
  }
  return server.status === 'ERROR' ? 'error' : 'settled';
}

/** First poll delay, milliseconds. */
export const FIRST_POLL_MS = 500;
/** Longest delay between two polls of one server, milliseconds. */
export const MAX_POLL_MS = 5000;

/**
 * The delay before poll number `attempt` (1 = the first after the action), milliseconds:
 * 500 ms × 1.5^(attempt − 1), capped at 5 s, ±10 % jitter (so that many servers waited on at
 * once do not poll in lockstep).
 * @param random jitter source in [0, 1)
 */
export function pollDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(MAX_POLL_MS, FIRST_POLL_MS * 1.5 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.9 + 0.2 * random()));
}

/** Time for the wait loop (tests pass a fake one). */
export interface WaitClock {
  /** Now, epoch milliseconds. */
  now(): number;
  /** Resolves after `ms` milliseconds; rejects when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The real clock: `Date.now` and `setTimeout`. */
export const realClock: WaitClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(new Error('aborted'));
      const t = setTimeout(done, ms);
      signal?.addEventListener('abort', abort, { once: true });
      function done(): void {
        signal?.removeEventListener('abort', abort);
        resolve();
      }
      function abort(): void {
        clearTimeout(t);
        reject(new Error('aborted'));
      }
    }),
};

/** The server went to ERROR, vanished, or an event of the action failed (`FAILED`). */
export class ActionFailedError extends NcliError {
  override readonly name = 'ActionFailedError';
  /** The server's `fault`, when it had one. */
  readonly fault?: ServerFault;
  /** The failed events of the action. */
  readonly failures: ActionFailure[];
  constructor(message: string, options: NcliErrorOptions & { fault?: ServerFault; failures?: ActionFailure[] } = {}) {
    super('FAILED', message, options);
    if (options.fault) this.fault = options.fault;
    this.failures = options.failures ?? [];
  }
}

/** The server was not at the target when the wait ran out (`WAIT_TIMEOUT`, hint `wait-timeout`). */
export class WaitTimeoutError extends NcliError {
  override readonly name = 'WaitTimeoutError';
  constructor(
    message: string,
    /** The server as last seen, or null when it was gone. */
    readonly last: Server | null,
  ) {
    super('WAIT_TIMEOUT', message, { hint: 'wait-timeout' });
  }
}

/** What {@link waitForServer} needs besides the target. */
export interface WaitOptions {
  /** The longest wait, seconds (`--wait-timeout`). */
  timeoutSeconds: number;
  /** How the server is named in messages (`vm1`). */
  label: string;
  /** The action, for messages: `stop`, `hard reboot`, `create`. */
  action: string;
  clock?: WaitClock;
  /** Stops the wait (`INTERRUPTED`) when it aborts: Ctrl-C. */
  signal?: AbortSignal;
  /** Told of every poll's answer (the TTY progress line). */
  onPoll?: (server: Server | null) => void;
  /**
   * The failed events of the action (src/compute/events.ts `actionFailures`), asked when the
   * server goes to ERROR or settles away from the target. Empty: none failed (yet).
   */
  failures?: () => Promise<ActionFailure[]>;
  /** Jitter source for {@link pollDelay}. */
  random?: () => number;
  /**
   * Milliseconds before the first poll (0: at once). An action Nova has just accepted is
   * rarely done yet, and every poll costs Nova a request: waits after actions that run in
   * nova-compute start at {@link FIRST_POLL_MS}.
   */
  initialDelayMs?: number;
}

/** `REBOOT (task rebooting, 40 %)`: a server's state in a few words. */
export function stateWords(s: Server | null): string {
  if (!s) return 'gone';
  const extra = [
    s['OS-EXT-STS:task_state'] ? `task ${s['OS-EXT-STS:task_state']}` : '',
    s.progress ? `${s.progress} %` : '',
  ].filter(Boolean);
  return extra.length ? `${s.status} (${extra.join(', ')})` : s.status;
}

/** The one line for a failure: the fault's message, then each failed event with its reason. */
function failureLine(
  opts: WaitOptions,
  what: string,
  fault: ServerFault | undefined,
  failures: ActionFailure[],
): string {
  const parts = [`The ${opts.action} of server ${opts.label} failed: ${what}`];
  const faultText = fault?.message?.trim();
  if (faultText) parts.push(`fault: ${faultText}`);
  for (const f of failures) {
    if (f.reason && faultText && faultText.includes(f.reason)) parts.push(`event ${f.event} failed`);
    else parts.push(`event ${f.event} failed${f.reason ? `: ${f.reason}` : ''}`);
  }
  return parts.join('; ').replace(/\.?$/, '.');
}

/**
 * Polls `fetch` until the server is at `target`: with {@link pollDelay} between polls, at most
 * `timeoutSeconds` in all (a last poll at the deadline).
 * @param fetch the server now, or null when Nova answers 404
 * @returns the server as last seen at the target (null for a deletion)
 * @throws ActionFailedError (ERROR, vanished, or a failed event of a settled action),
 *   WaitTimeoutError, NcliError `INTERRUPTED` (the signal aborted), and whatever `fetch` throws
 */
export async function waitForServer(
  fetch: () => Promise<Server | null>,
  target: WaitTarget,
  opts: WaitOptions,
): Promise<Server | null> {
  const clock = opts.clock ?? realClock;
  const deadline = clock.now() + opts.timeoutSeconds * 1000;
  const interrupted = (state: string): NcliError =>
    new NcliError(
      'INTERRUPTED',
      `Stopped waiting for server ${opts.label} (${state}); its ${opts.action} goes on in Nova.`,
    );
  if (opts.initialDelayMs) {
    try {
      await clock.sleep(Math.min(opts.initialDelayMs, opts.timeoutSeconds * 1000), opts.signal);
    } catch {
      throw interrupted('not polled yet');
    }
  }
  for (let attempt = 1; ; attempt++) {
    const server = await fetch();
    opts.onPoll?.(server);
    const where = observe(server, target);
    if (where === 'done') return server;
    if (where === 'vanished') {
      throw new ActionFailedError(`Server ${opts.label} was deleted while waiting for its ${opts.action}.`);
    }
    if (where === 'error' || where === 'settled') {
      const failures = (await opts.failures?.()) ?? [];
      if (where === 'error' || failures.length) {
        const host = server?.['OS-EXT-SRV-ATTR:host'];
        const stayed = !!target.hostNot && host === target.hostNot && !!target.statuses?.includes(server?.status ?? '');
        const what =
          where === 'error'
            ? 'it is in ERROR'
            : stayed
              ? `it is still ${stateWords(server)} on ${host}`
              : `it is ${stateWords(server)}, not ${target.label}`;
        const fault = server?.fault ?? undefined;
        throw new ActionFailedError(failureLine(opts, what, fault, failures), { fault, failures });
      }
    }
    const now = clock.now();
    if (now >= deadline) {
      throw new WaitTimeoutError(
        `Server ${opts.label} is ${stateWords(server)} after ${opts.timeoutSeconds} s, not yet ${target.label}.`,
        server,
      );
    }
    try {
      await clock.sleep(Math.min(pollDelay(attempt, opts.random), deadline - now), opts.signal);
    } catch {
      throw interrupted(stateWords(server));
    }
  }
}
