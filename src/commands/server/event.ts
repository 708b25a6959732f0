/**
 * `ncli server event list|show`: a server's instance actions and their events, the record of
 * what was asked of it and how each step went (Nova "Servers actions (servers,
 * os-instance-actions)"; src/compute/events.ts). Columns as `openstack server event list`
 * (openstackclient/compute/v2/server_event.py): Request ID, Server ID, Action, Start Time.
 */
import type { Context } from '../../cli/context.js';
import { arg, command } from '../../cli/spec.js';
import { getInstanceAction, listInstanceActions } from '../../compute/events.js';
import type { InstanceActionEvent } from '../../compute/types.js';
import { isNcliError } from '../../errors.js';

export const help = 'Server events: the actions done to a server, newest first, and their steps';

const COLUMNS = ['Request ID', 'Server ID', 'Action', 'Start Time'];
// openstackclient 6's --long columns; Updated At (2.58) when -c names it
const LONG_COLUMNS = [...COLUMNS, 'Message', 'Project ID', 'User ID'];
const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/**
 * The server's ID and label: by name or ID as `server show` resolves it, or, for an ID Nova no
 * longer lists (a deleted server), the ID itself (its actions stay readable from 2.21).
 */
async function serverRef(ctx: Context, ref: string, allProjects?: boolean): Promise<{ id: string; label: string }> {
  try {
    const s = await ctx.server(ref, { allProjects });
    return { id: s.id, label: s.name || s.id };
  } catch (e) {
    if (UUID.test(ref) && isNcliError(e, 'NOT_FOUND')) return { id: ref, label: ref };
    throw e;
  }
}

export const do_list = command(
  {
    help: 'List the actions done to a server (instance actions), newest first',
    description: [
      'GET /servers/{id}/os-instance-actions, every page (paged from compute API 2.58). A deleted server',
      'can be given by ID. Each action has a request ID: `server event show SERVER REQUEST_ID` shows its steps.',
      'Examples:',
      '  ncli server event list vm1',
      '  ncli server event list vm1 --long --changes-since 2026-12-01T00:00:00Z',
    ].join('\n'),
    output: 'list',
    args: [
      arg('<server>', 'Server name or ID', { complete: 'server' }),
      arg('--long', 'Also Message, Project ID and User ID (-c "Updated At" adds Updated At)'),
      arg('--limit <n>', 'At most this many actions (2.58)', { integer: true, min: -1 }),
      arg('--marker <request-id>', 'Start after the action with this request ID (2.58)'),
      arg('--changes-since <time>', 'Only actions updated at or after this ISO 8601 time (2.58)'),
      arg('--changes-before <time>', 'Only actions updated at or before this ISO 8601 time (2.66)'),
      arg('--all-projects', 'Look the server name up in every project (admin)'),
    ],
  },
  async (ctx, a) => {
    const server = await serverRef(ctx, a.server, a.allProjects);
    const actions = await listInstanceActions(await ctx.compute(), server.id, {
      limit: a.limit,
      marker: a.marker,
      changesSince: a.changesSince,
      changesBefore: a.changesBefore,
      serverLabel: server.label,
    });
    const updated = ctx.output.columns?.some((c) => c.toLowerCase() === 'updated at') ? ['Updated At'] : [];
    await ctx.list(
      [...(a.long ? LONG_COLUMNS : COLUMNS), ...updated],
      actions.map((x) => ({
        'Request ID': x.request_id,
        'Server ID': x.instance_uuid ?? server.id,
        Action: x.action,
        'Start Time': x.start_time ?? '',
        Message: x.message ?? null,
        'Project ID': x.project_id ?? '',
        'User ID': x.user_id ?? '',
        'Updated At': x.updated_at ?? '',
      })),
    );
  },
);

/** One event as a line: `compute_stop_instance  Error  T1 → T2  on host: why it failed`. */
export function eventLine(e: InstanceActionEvent): string {
  const span = [e.start_time ?? '', e.finish_time ? `→ ${e.finish_time}` : '(running)'].join(' ');
  const why = e.details?.trim() || e.traceback?.trim().split('\n').filter(Boolean).pop()?.trim();
  const line = [e.event, e.result ?? 'running', span, e.host ? `on ${e.host}` : ''].filter(Boolean).join('  ');
  return why ? `${line}: ${why}` : line;
}

export const do_show = command(
  {
    help: 'Show one action of a server and its events (steps)',
    description: [
      'GET /servers/{id}/os-instance-actions/{request_id}. Events (their steps in nova-compute, with result,',
      'times, host from 2.62, and why a step failed from 2.84) are one per line in a table (and -f value),',
      'a list in JSON/YAML. REQUEST_ID is what `server event list` and every action of ncli print.',
      'Examples:',
      '  ncli server event show vm1 req-5f2c0f3e-1a2b-4c3d-8e9f-0a1b2c3d4e5f',
      '  ncli server event show vm1 req-… -f json -c events',
    ].join('\n'),
    output: 'show',
    args: [
      arg('<server>', 'Server name or ID', { complete: 'server' }),
      arg('<request-id>', 'Request ID of the action (req-…)'),
      arg('--all-projects', 'Look the server name up in every project (admin)'),
    ],
  },
  async (ctx, a) => {
    const server = await serverRef(ctx, a.server, a.allProjects);
    const action = await getInstanceAction(await ctx.compute(), server.id, a.requestId, {
      serverLabel: server.label,
    });
    // JSON and YAML keep Nova's list; the text formats get one line per event
    const structured = ctx.output.format === 'json' || ctx.output.format === 'yaml';
    const events = action.events ?? [];
    await ctx.show({ ...action, events: structured ? events : events.map(eventLine).join('\n') });
  },
);
