/**
 * Server actions on one or several servers, from the action table (src/compute/action-table.ts):
 * the options every action takes (`SERVER…`, `--all-projects`, `--wait`, `--wait-timeout`,
 * `--parallel`), the help text built from the table, and the engine that resolves the names in
 * few requests, sends each server its action(s) once, and with `--wait` polls each one to the
 * action's target, through src/cli/bulk.ts (bounded concurrency, live lines, one outcome line per
 * server, "N of M servers failed to …").
 */
import { runBulk, DEFAULT_PARALLEL, type BulkJob, type JobTools } from './bulk.js';
import type { Context } from './context.js';
import { progressText } from './progress.js';
import { arg, command } from './spec.js';
import { ACTIONS, actionWords, targetOf, type ActionKind, type ServerAction } from '../compute/action-table.js';
import { performAction } from '../compute/actions.js';
import type { ComputeClient } from '../compute/client.js';
import { actionFailures } from '../compute/events.js';
import { serverOrNull } from '../compute/servers.js';
import type { Server } from '../compute/types.js';
import { FIRST_POLL_MS, waitForServer, type WaitTarget } from '../compute/wait.js';
import { UsageError } from '../errors.js';

/** Default of `--wait-timeout`, seconds. */
export const DEFAULT_WAIT_TIMEOUT = 600;

export const SERVERS = arg('<server...>', 'Servers: names or IDs (several run in parallel)', { complete: 'server' });
export const ALL_PROJECTS = arg('--all-projects', 'Look names up in every project (admin)');
export const WAIT = arg('--wait', 'Wait until each server is where the action takes it (see below)');
export const WAIT_TIMEOUT = arg(
  '--wait-timeout <seconds>',
  `With --wait: give up after this long (default ${DEFAULT_WAIT_TIMEOUT}; implies --wait)`,
  { integer: true },
);
export const PARALLEL = arg('--parallel <n>', `Servers acted on at once (default ${DEFAULT_PARALLEL})`, {
  integer: true,
});
/** The options every action takes after its servers. */
export const BULK = [ALL_PROJECTS, WAIT, WAIT_TIMEOUT, PARALLEL] as const;

/** The arguments every action takes. */
export interface BulkArgs {
  server: string[];
  allProjects?: boolean;
  wait?: boolean;
  waitTimeout?: number;
  parallel?: number;
}

/** A stand-in server for help texts: where an action's wait ends for a running server. */
const RUNNING = { id: '', name: '', status: 'ACTIVE' } as Server;

/**
 * What an action's `--help` says: the request from the table, where `--wait` ends, and an example.
 * @param waits overrides the table's target in words (for targets that depend on the server)
 */
export function actionHelp(kind: ActionKind, example: string, waits?: string): string {
  const def = ACTIONS[kind];
  const target = waits ?? (def.target as (s: Server, p: unknown) => WaitTarget)(RUNNING, {}).label;
  const request = def.help.startsWith('DELETE') ? def.help : `POST /servers/{id}/action ${def.help}`;
  return [
    `Sends ${request} to each server (names resolve as in server show). With --wait, polls each one until`,
    `it is ${target} (an ERROR status, or a failed event of the action, stops the wait with Nova's reason).`,
    'Each server gets one line: its outcome and the request ID, for `ncli server event show SERVER REQ`.',
    'Exit status 0 only when every server succeeded.',
    'Examples:',
    ...example.split('\n').map((e) => `  ${e}`),
  ].join('\n');
}

/** `vm1`, or `vm1 (UUID)` when the user gave the ID. */
function labelOf(ref: string, s: Server): string {
  if (!s.name) return s.id;
  return ref === s.name ? s.name : `${s.name} (${s.id})`;
}

/** ` (request req-…)` or ''. */
export function req(id: string | undefined): string {
  return id ? ` (request ${id})` : '';
}

/** What {@link bulkSettings} checked. */
export interface BulkSettings {
  parallel: number;
  wait: boolean;
  /** Seconds. */
  timeout: number;
}

/** `--parallel`, `--wait-timeout` checked; whether to wait. @throws UsageError */
export function bulkSettings(a: Omit<BulkArgs, 'server'>, defaultParallel = DEFAULT_PARALLEL): BulkSettings {
  if (a.parallel !== undefined && a.parallel < 1)
    throw new UsageError(`--parallel takes 1 or more, not ${a.parallel}.`);
  if (a.waitTimeout !== undefined && a.waitTimeout < 1) {
    throw new UsageError(`--wait-timeout takes a positive number of seconds, not ${a.waitTimeout}.`);
  }
  return {
    parallel: a.parallel ?? defaultParallel,
    wait: !!a.wait || a.waitTimeout !== undefined,
    timeout: a.waitTimeout ?? DEFAULT_WAIT_TIMEOUT,
  };
}

/**
 * Waits for one server to reach `target` (src/compute/wait.ts), drawing its live line: the one
 * wait after a server action, for server commands and host drain/evacuate alike.
 * @param o.poll the server now, drawing its own live line (host drain adds a live migration's
 *   progress); default: GET the server and draw {@link progressText}
 * @returns the server at the target, or null once deleted
 * @throws like `waitForServer`
 */
export function waitOne(
  compute: ComputeClient,
  server: Server,
  target: WaitTarget,
  o: {
    label: string;
    words: string;
    requestId?: string;
    timeout: number;
    tools: JobTools;
    started: number;
    immediate?: boolean;
    poll?: () => Promise<Server | null>;
  },
): Promise<Server | null> {
  return waitForServer(o.poll ?? (() => serverOrNull(compute, server.id)), target, {
    timeoutSeconds: o.timeout,
    label: o.label,
    action: o.words,
    signal: o.tools.signal,
    onPoll: o.poll ? undefined : (s) => o.tools.progress(progressText(o.label, s, (Date.now() - o.started) / 1000)),
    failures: () => actionFailures(compute, server.id, o.requestId),
    // lock, unlock, reset-state are done when Nova answers; the others run in nova-compute
    initialDelayMs: o.immediate ? 0 : FIRST_POLL_MS,
  });
}

/** `SHUTOFF after 2.1 s`, `ACTIVE on compute-2 after 8.0 s`, `deleted after 1.0 s`, `locked`. */
export function reached(target: WaitTarget, s: Server | null, started: number): string {
  const secs = `${((Date.now() - started) / 1000).toFixed(1)} s`;
  if (target.locked !== undefined) return target.label;
  // a deleted server is a 404, or, for a moment (or for an admin), a server in status DELETED
  if (!s || target.gone) return `deleted after ${secs}`;
  const host = target.hostNot ? s['OS-EXT-SRV-ATTR:host'] : undefined;
  return `${s.status}${host ? ` on ${host}` : ''} after ${secs}`;
}

/**
 * Runs `plan` on every server named in `a.server` (see src/cli/bulk.ts): resolves each name,
 * sends the action(s) it returns, in order, and with --wait waits after each (always after every
 * step but the last, which the next one needs).
 * @param plan the actions for one server, e.g. `[{kind: 'stop'}]`, or resize then confirm
 * @param verb for "N of M servers failed to <verb>."
 * @param onDone told of each server whose last action Nova accepted (the names cache)
 * @param resolve `softDeleted`: how names are looked up among soft-deleted servers (src/compute/find.ts)
 * @returns the exit code
 */
export async function runActions(
  ctx: Context,
  a: BulkArgs,
  plan: (s: Server) => ServerAction[],
  verb: string,
  onDone?: (s: Server) => void,
  resolve: { softDeleted?: 'only' | 'also' } = {},
): Promise<number> {
  const settings = bulkSettings(a);
  const compute = await ctx.compute();
  const refs = [...new Set(a.server)];
  // every name resolved in few requests (a name that does not resolve fails only its own job)
  const resolved = await ctx.servers(refs, { allProjects: a.allProjects, ...resolve });
  const seen = new Map<string, string>();
  const jobs: BulkJob[] = refs.map((ref) => ({
    name: ref,
    run: async (tools) => {
      const server = resolved.get(ref);
      if (!server || server instanceof Error) throw server ?? new Error(`'${ref}' was not resolved`);
      const label = labelOf(ref, server);
      const first = seen.get(server.id);
      if (first !== undefined) return `${label}: the same server as '${first}'; acted on once.`;
      seen.set(server.id, ref);
      const steps = plan(server);
      const outcomes: string[] = [];
      let current: Server | null = server;
      for (const [i, step] of steps.entries()) {
        const words = actionWords(step);
        const last = i === steps.length - 1;
        tools.progress(`${label}  ${current?.status ?? ''}  sending ${words}`);
        const started = Date.now();
        const target = targetOf(step, current ?? server);
        const accepted = await performAction(compute, server.id, step, { label });
        if (accepted.recovered) tools.note(accepted.recovered);
        if (accepted.alreadyGone) {
          outcomes.push(`${label}: already deleted.`);
          break;
        }
        if (!settings.wait && last) {
          outcomes.push(`${label}: ${words} accepted${req(accepted.requestId)}.`);
          break;
        }
        current = await waitOne(compute, current ?? server, target, {
          label,
          words,
          requestId: accepted.requestId,
          timeout: settings.timeout,
          tools,
          started,
          immediate: ACTIONS[step.kind].immediate,
        });
        if (settings.wait)
          outcomes.push(`${label}: ${words}: ${reached(target, current, started)}${req(accepted.requestId)}.`);
      }
      onDone?.(server);
      return outcomes.join('\n');
    },
  }));
  return runBulk(ctx, jobs, { parallel: settings.parallel, verb, wait: settings.wait });
}

/** The actions without parameters of their own. */
type PlainKind = { [K in ActionKind]: { kind: K } extends ServerAction ? K : never }[ActionKind];

/**
 * Declares an action command without options of its own (`server pause vm1 vm2`): its help and
 * request come from the action table.
 * @param verb for "N of M servers failed to <verb>." (default: the kind)
 */
export function plainAction(
  kind: PlainKind,
  help: string,
  opts: { example?: string; verb?: string; softDeleted?: 'only' | 'also' } = {},
) {
  return command(
    {
      help,
      description: actionHelp(kind, opts.example ?? `ncli server ${kind} vm1 web.1 --wait`),
      args: [SERVERS, ...BULK],
    },
    (ctx, a) => runActions(ctx, a, () => [{ kind }], opts.verb ?? kind, undefined, { softDeleted: opts.softDeleted }),
  );
}
