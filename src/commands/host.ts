/**
 * `ncli host …`: move every server off a compute host in one command — drain one for
 * maintenance, evacuate a dead one (src/cli/host-ops.ts; no other client has these).
 */
import { drainHost, evacuateHost, DEFAULT_DRAIN_REASON, HOST_PARALLEL } from '../cli/host-ops.js';
import { DEFAULT_WAIT_TIMEOUT, bulkSettings } from '../cli/server-actions.js';
import { arg, command } from '../cli/spec.js';
import { ACTIONS } from '../compute/action-table.js';

export const help = 'Compute hosts: drain one for maintenance, evacuate a dead one';

const HOST = arg('<host>', 'Compute host (as compute service list shows it)');
const PARALLEL = arg('--parallel <n>', `Servers moved at once (default ${HOST_PARALLEL})`, { integer: true });
const WAIT = arg('--wait', 'Follow every move to its end, then check that the host is empty (exit 0 only then)');
const WAIT_TIMEOUT = arg(
  '--wait-timeout <seconds>',
  `With --wait: the longest wait for one server (default ${DEFAULT_WAIT_TIMEOUT}; implies --wait)`,
  { integer: true },
);
const DRY_RUN = arg('--dry-run', 'Print what would move; change nothing');

export const do_drain = command(
  {
    help: 'Disable a host and move every server off it (live, or cold where stopped)',
    description: [
      "1. Disables the host's nova-compute with the reason (nothing new is scheduled there);",
      '2. lists every server on the host in every project (admin);',
      '3. moves them --parallel at a time: a live migration for ACTIVE and PAUSED servers',
      `   (${ACTIONS['live-migrate'].help}),`,
      `   a cold migration for SHUTOFF ones (${ACTIONS.migrate.help}, then ${ACTIONS['confirm-resize'].help});`,
      '   --cold cold-migrates ACTIVE ones too.',
      'With --wait: one live line per server on a terminal (status, task state, progress, destination), one',
      'line per server at the end, a summary, and exit status 0 only when the host ends empty. A server in',
      'another state (SUSPENDED, ERROR, a task running) is named with the reason and stays. Ctrl-C starts no',
      'more moves and waits for none (started ones go on in Nova); run the command again for what is left.',
      'Examples:',
      '  ncli host drain compute-2 --dry-run',
      '  ncli host drain compute-2 --disable-reason "RAM swap, ticket 4711" --wait',
      '  ncli host drain compute-2 --cold --parallel 2 --wait --wait-timeout 1800',
      `Without --disable-reason the reason is "${DEFAULT_DRAIN_REASON}" (or the one the service has).`,
    ].join('\n'),
    args: [
      HOST,
      arg('--live', 'Live-migrate running servers (the default)', { conflicts: ['cold'] }),
      arg('--cold', 'Cold-migrate every server (it restarts on the new host)', { conflicts: ['live'] }),
      arg('--disable-reason <text>', 'Why the host is disabled (shown by compute service list --long)'),
      PARALLEL,
      WAIT,
      WAIT_TIMEOUT,
      DRY_RUN,
    ],
  },
  (ctx, a) =>
    drainHost(ctx, a.host, a.cold ? 'cold' : 'live', a.disableReason, {
      ...bulkSettings(a, HOST_PARALLEL),
      dryRun: a.dryRun,
    }),
);

export const do_evacuate = command(
  {
    help: 'Evacuate every server of a dead host (rebuilt on other hosts)',
    description: [
      'Nova evacuates only from a host whose nova-compute is down: while it is up, this refuses and names the',
      'fix (compute service set HOST nova-compute --down, or --force-down here: fence the host first, or the',
      `servers run twice). Then sends ${ACTIONS.evacuate.help.split(' (')[0]} to every server on the host (ACTIVE, SHUTOFF`,
      'and ERROR ones), --parallel at a time; with --wait follows each one until it runs on another host, prints a',
      'summary and exits 0 only when the host ends empty. After an evacuation Nova refuses --up until the',
      "host's nova-compute has restarted (it then removes the evacuated guests).",
      'Examples:',
      '  ncli host evacuate compute-2 --wait',
      '  ncli host evacuate compute-2 --force-down --parallel 8 --wait',
    ].join('\n'),
    args: [
      HOST,
      arg('--force-down', "Force the host's nova-compute down first", { since: '2.11' }),
      PARALLEL,
      WAIT,
      WAIT_TIMEOUT,
      DRY_RUN,
    ],
  },
  (ctx, a) => evacuateHost(ctx, a.host, !!a.forceDown, { ...bulkSettings(a, HOST_PARALLEL), dryRun: a.dryRun }),
);
