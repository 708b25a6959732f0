/**
 * `ncli host drain` and `ncli host evacuate`: every server off one compute host in one command,
 * which no other client does (python-novaclient's `host-evacuate-live` and `host-servers-migrate`
 * fire one request per server and leave the polling to the operator).
 *
 * Drain: disable the host's nova-compute with a reason first (nothing new is scheduled there),
 * list every server on it in every project, move them `--parallel` at a time (live where they
 * run, cold where stopped; `--cold` for all), confirm the cold migrations, one live line per
 * server on a terminal (status, task state, progress %, destination), one outcome line per
 * server, a summary, and with `--wait` a last listing of the host: exit 0 only when it is empty.
 * Evacuate: the same for a dead host, once its nova-compute is down (or forced down).
 *
 * Moves come from the action table (src/compute/action-table.ts: `live-migrate`, `migrate`,
 * `confirm-resize`, `evacuate`), are sent once each (src/compute/actions.ts `performAction`: a
 * lost answer is looked up in the instance actions, never re-sent) and followed by the one wait
 * after a server action (src/cli/server-actions.ts `waitOne`, the policy of src/compute/wait.ts).
 * Ctrl-C stops starting new moves and waits for none (what was started goes on in Nova); a second
 * run lists the host again and moves what is left, following live migrations a first run started.
 */
import { settleLimited } from './bulk.js';
import type { Context } from './context.js';
import { messageFor } from './errors.js';
import { interrupts } from './process.js';
import { ProgressBoard } from './progress.js';
import { reached, req, waitOne } from './server-actions.js';
import { ACTIONS, actionWords, targetOf, type ServerAction } from '../compute/action-table.js';
import { ActionRefusedError, performAction } from '../compute/actions.js';
import type { ComputeClient } from '../compute/client.js';
import { adminRefusal } from '../compute/policy.js';
import { liveProgress, planMoves, serversOnHost, type LiveProgress, type Move } from '../compute/host-moves.js';
import { serverOrNull } from '../compute/servers.js';
import { findService, NOVA_COMPUTE, updateService } from '../compute/services.js';
import type { ComputeService } from '../compute/resources/compute-service.js';
import type { Server } from '../compute/types.js';
import { isNcliError, NcliError } from '../errors.js';

/** Default of `--parallel` for host moves: migrations are heavy on both hosts and the network. */
export const HOST_PARALLEL = 4;

/** The disabled reason a drain sets when `--disable-reason` is not given. */
export const DEFAULT_DRAIN_REASON = 'ncli host drain';

/** What a drain or an evacuation was asked for. */
export interface HostMoveOptions {
  /** Moves at once (≥ 1). */
  parallel: number;
  /** Follow each move to its end, confirm cold migrations, check the host is empty at the end. */
  wait: boolean;
  /** The longest wait for one server's move, seconds. */
  timeout: number;
  /** Print what would move; change nothing. */
  dryRun?: boolean;
}

/** Servers in messages: the name, or `name (ID)` when several listed servers share it. */
function labeller(servers: readonly Server[]): (s: Server) => string {
  const count = new Map<string, number>();
  for (const s of servers) count.set(s.name, (count.get(s.name) ?? 0) + 1);
  return (s) => (!s.name ? s.id : (count.get(s.name) ?? 0) > 1 ? `${s.name} (${s.id})` : s.name);
}

/** The servers on a host, a 403 worded as needing an admin role. */
async function listHost(compute: ComputeClient, host: string): Promise<Server[]> {
  try {
    return await serversOnHost(compute, host);
  } catch (e) {
    throw adminRefusal(e, `Listing the servers of host ${host}`);
  }
}

/** Nova's refusal or failure of one move, worded for the summary (NoValidHost, policy). */
function failureWords(e: unknown, label: string, words: string): string {
  if (e instanceof ActionRefusedError && e.status === 403) {
    const refusal = adminRefusal(e.cause, `The ${words} of server ${label}`);
    if (refusal !== e.cause) return messageFor(refusal);
  }
  const text = messageFor(e);
  if (/no valid host/i.test(text) && !/NoValidHost/.test(text))
    return `No other host can take server ${label} (NoValidHost): ${text}`;
  return text;
}

/** `vm1  ACTIVE  migrating  45%  → compute-2  3 s`. */
function liveLine(label: string, s: Server | null, p: LiveProgress | undefined, started: number): string {
  const parts = [label, s ? s.status : 'gone'];
  const task = s?.['OS-EXT-STS:task_state'];
  if (task) parts.push(task);
  const pct = p?.percent ?? (s?.progress || undefined);
  if (pct !== undefined) parts.push(`${pct}%`);
  if (p?.dest) parts.push(`→ ${p.dest}`);
  parts.push(`${Math.round((Date.now() - started) / 1000)} s`);
  return parts.join('  ');
}

/** How one move ended. */
type Outcome =
  | { kind: 'moved' | 'started'; line: string }
  | { kind: 'failed'; line: string }
  | { kind: 'interrupted'; line: string }
  | { kind: 'not-started' };

/**
 * Follows one server through its steps: sends each action once, waits (with --wait, and always
 * between a cold migration and its confirmation), draws the live line.
 */
async function moveOne(
  compute: ComputeClient,
  move: Extract<Move, { steps: readonly ServerAction[] }>,
  label: string,
  opts: HostMoveOptions,
  tools: { progress(text: string): void; note(line: string): void; signal: AbortSignal },
): Promise<Outcome> {
  const server = move.server;
  const started = Date.now();
  const steps: readonly ServerAction[] = move.follow ? [{ kind: move.kind }] : move.steps;
  let current: Server = server;
  const done: string[] = [];
  for (const [i, step] of steps.entries()) {
    const words = actionWords(step);
    if (step.kind === 'confirm-resize' && current.status !== 'VERIFY_RESIZE') break; // the cloud confirmed it
    const target = targetOf(step, current);
    let requestId: string | undefined;
    if (move.follow) {
      tools.progress(`${label}  ${current.status}  already moving`);
    } else {
      tools.progress(`${label}  ${current.status}  sending ${words}`);
      let accepted;
      try {
        accepted = await performAction(compute, server.id, step, { label });
      } catch (e) {
        return { kind: 'failed', line: failureWords(e, label, words) };
      }
      if (accepted.recovered) tools.note(accepted.recovered);
      requestId = accepted.requestId;
      const last = i === steps.length - 1;
      if (!opts.wait && (last || step.kind === 'migrate')) {
        const confirm = step.kind === 'migrate' ? '; confirm it once VERIFY_RESIZE (server resize --confirm)' : '';
        return { kind: 'started', line: `${label}: ${words} started${req(requestId)}${confirm}.` };
      }
    }
    const live = step.kind === 'live-migrate';
    try {
      const s = await waitOne(compute, server, target, {
        label,
        words,
        requestId,
        timeout: opts.timeout,
        tools,
        started,
        immediate: ACTIONS[step.kind].immediate,
        poll: async () => {
          const now = await serverOrNull(compute, server.id);
          const p = live && now?.['OS-EXT-STS:task_state'] ? await liveProgress(compute, server.id) : undefined;
          tools.progress(liveLine(label, now, p, started));
          return now;
        },
      });
      if (!s) return { kind: 'failed', line: `Server ${label} was deleted during its ${words}.` };
      current = s;
      done.push(`${words}: ${reached(target, s, started)}${req(requestId)}`);
    } catch (e) {
      if (isNcliError(e, 'INTERRUPTED')) return { kind: 'interrupted', line: messageFor(e) };
      return { kind: 'failed', line: failureWords(e, label, words) };
    }
  }
  return { kind: 'moved', line: `${label}: ${done.join('; ')}.` };
}

/**
 * Runs the moves `--parallel` at a time and prints the outcome (see the module comment).
 * @param verb `drain` or `evacuation`, for the summary
 * @returns the exit code: 0 when (with --wait) the host ended empty or (without) every move
 *   started; 130 after Ctrl-C; else 1
 */
async function runMoves(
  ctx: Context,
  compute: ComputeClient,
  host: string,
  moves: readonly Move[],
  opts: HostMoveOptions,
  rerun: string,
): Promise<number> {
  const label = labeller(moves.map((m) => m.server));
  const board = new ProgressBoard(ctx.io.err, opts.wait);
  const stop = interrupts(ctx.debug);
  const notes: string[] = [];
  const movable = moves.filter((m): m is Extract<Move, { steps: readonly ServerAction[] }> => !('cannot' in m));
  let results: PromiseSettledResult<Outcome>[];
  try {
    results = await settleLimited(
      movable.map((m, i) => async (): Promise<Outcome> => {
        if (stop.signal.aborted) return { kind: 'not-started' };
        return moveOne(compute, m, label(m.server), opts, {
          progress: (text) => board.set(String(i), text),
          note: (line) => notes.push(line),
          signal: stop.signal,
        });
      }),
      opts.parallel,
    );
  } finally {
    stop.dispose();
    board.clear();
  }
  for (const n of notes) ctx.warn(`ncli: ${n}`);
  const count = { moved: 0, started: 0, failed: 0, interrupted: 0, notStarted: 0 };
  for (const r of results) {
    const o: Outcome = r.status === 'fulfilled' ? r.value : { kind: 'failed', line: messageFor(r.reason) };
    if (o.kind === 'moved' || o.kind === 'started') {
      count[o.kind]++;
      ctx.write(o.line + '\n');
    } else if (o.kind === 'not-started') count.notStarted++;
    else {
      count[o.kind === 'failed' ? 'failed' : 'interrupted']++;
      ctx.warn(`ncli: ${o.line}`);
    }
  }
  const cannot = moves.filter((m): m is Extract<Move, { cannot: string }> => 'cannot' in m);
  for (const m of cannot) ctx.warn(`ncli: Server ${label(m.server)} cannot move: ${m.cannot}.`);
  const failed = count.failed + cannot.length;
  if (stop.signal.aborted) {
    ctx.warn(
      `ncli: Stopped (Ctrl-C): ${count.moved} moved, ${count.interrupted} still moving in Nova, ${count.notStarted} not started, ${failed} failed; run \`${rerun}\` again to move the rest.`,
    );
    return 130;
  }
  if (!opts.wait) {
    const line = `${host}: ${count.started + count.moved} moves started, ${failed} failed; add --wait to follow them until the host is empty.`;
    if (failed) ctx.warn(`ncli: ${line}`);
    else ctx.write(line + '\n');
    return failed ? 1 : 0;
  }
  const left = await listHost(compute, host);
  const summary = `${host}: ${count.moved} moved, ${failed} failed`;
  if (left.length === 0) {
    ctx.write(`${summary}; the host is empty.\n`);
    return 0;
  }
  const names = labeller(left);
  const shown = left.slice(0, 10).map(names).join(', ') + (left.length > 10 ? ', …' : '');
  ctx.warn(
    `ncli: ${summary}; ${left.length} server${left.length === 1 ? ' is' : 's are'} still on the host: ${shown}.`,
  );
  return 1;
}

/** Prints what a run would move (`--dry-run`). */
function printPlan(ctx: Context, moves: readonly Move[], first: string): void {
  const label = labeller(moves.map((m) => m.server));
  const lines = [first];
  for (const m of moves) {
    const who = `${label(m.server)} (${m.server.status}, project ${m.server.tenant_id ?? '?'})`;
    if ('cannot' in m) lines.push(`  ${who}: cannot move: ${m.cannot}`);
    else if (m.follow) lines.push(`  ${who}: already moving; would be followed`);
    else lines.push(`  ${who}: ${m.steps.map(actionWords).join(', then ')}`);
  }
  if (!moves.length) lines.push('  (no server is on the host)');
  ctx.write(lines.join('\n') + '\n');
}

/** The nova-compute service of a host; a host without one is named with the hosts that have one. */
function computeService(compute: ComputeClient, host: string): Promise<ComputeService> {
  return findService(compute, host, NOVA_COMPUTE);
}

/**
 * `ncli host drain HOST`: see the module comment.
 * @param mode `live` (live where running, cold where stopped) or `cold`
 * @param reason the disabled reason (default {@link DEFAULT_DRAIN_REASON})
 * @returns the exit code
 * @throws NotFoundError (no nova-compute on the host), NcliError `API` (403: admin role needed),
 *   NcliError `REFUSED` (the host's nova-compute is down), ApiError, NetworkError
 */
export async function drainHost(
  ctx: Context,
  host: string,
  mode: 'live' | 'cold',
  reason: string | undefined,
  opts: HostMoveOptions,
): Promise<number> {
  const compute = await ctx.compute();
  const service = await computeService(compute, host);
  if (service.state === 'down' || service.forced_down) {
    throw new NcliError(
      'REFUSED',
      `nova-compute on ${host} is down, and a migration needs its source host up: for a dead host, run \`ncli host evacuate ${host}\`.`,
    );
  }
  const why = reason ?? service.disabled_reason ?? DEFAULT_DRAIN_REASON;
  if (opts.dryRun) {
    const moves = await planMoves(compute, await listHost(compute, host), mode);
    const disable =
      service.status === 'disabled' ? 'nova-compute is disabled already' : `would disable nova-compute ("${why}")`;
    printPlan(
      ctx,
      moves,
      `${host}: ${disable}; would move ${moves.filter((m) => !('cannot' in m)).length} of ${moves.length} servers, ${opts.parallel} at a time:`,
    );
    return 0;
  }
  if (service.status !== 'disabled' || service.disabled_reason !== why) {
    await updateService(compute, service, { enabled: false, reason: why });
    ctx.write(`${host}: nova-compute disabled ("${why}"): nothing new is scheduled there.\n`);
  }
  const moves = await planMoves(compute, await listHost(compute, host), mode);
  return runMoves(ctx, compute, host, moves, opts, `ncli host drain ${host}`);
}

/**
 * `ncli host evacuate HOST`: refuses in one line while the host's nova-compute is up, unless
 * `forceDown` (then forces it down, 2.11), and evacuates every server on it.
 * @returns the exit code
 * @throws NcliError `REFUSED` (the service is up), NotFoundError, NcliError `API` (403),
 *   ConfigError `MICROVERSION` (forcing down before 2.11), ApiError, NetworkError
 */
export async function evacuateHost(
  ctx: Context,
  host: string,
  forceDown: boolean,
  opts: HostMoveOptions,
): Promise<number> {
  const compute = await ctx.compute();
  const service = await computeService(compute, host);
  const down = service.state === 'down' || service.forced_down === true;
  if (!down && !forceDown) {
    throw new NcliError(
      'REFUSED',
      `Nova evacuates only a host whose nova-compute is down, and nova-compute on ${host} is up: run \`ncli compute service set ${host} nova-compute --down\` first (once the host is fenced), or add --force-down here.`,
    );
  }
  if (opts.dryRun) {
    const moves = await planMoves(compute, await listHost(compute, host), 'evacuate');
    printPlan(
      ctx,
      moves,
      `${host}: ${down ? '' : 'would force nova-compute down; '}would evacuate ${moves.filter((m) => !('cannot' in m)).length} of ${moves.length} servers, ${opts.parallel} at a time:`,
    );
    return 0;
  }
  if (!down) {
    await updateService(compute, service, { forcedDown: true });
    ctx.write(`${host}: nova-compute forced down.\n`);
  }
  const moves = await planMoves(compute, await listHost(compute, host), 'evacuate');
  return runMoves(ctx, compute, host, moves, opts, `ncli host evacuate ${host}`);
}
