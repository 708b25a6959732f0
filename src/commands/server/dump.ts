/**
 * `ncli server dump create SERVER…`: trigger a crash dump in servers (the guest's kdump or
 * equivalent writes its memory and the guest crashes), as `openstack server dump create`
 * (openstackclient/compute/v2/server.py `CreateServerDump`; compute API 2.17). The request comes
 * from the action table (src/compute/action-table.ts `trigger-crash-dump`).
 */
import { ALL_PROJECTS, PARALLEL, SERVERS, runActions } from '../../cli/server-actions.js';
import { command } from '../../cli/spec.js';

export const help = 'Server dumps: crash dumps triggered in servers';

export const do_create = command(
  {
    help: 'Create a dump file in servers (trigger a crash dump; the guest crashes)',
    since: '2.17',
    description: [
      'Sends POST /servers/{id}/action {"trigger_crash_dump": null} to each server (names resolve as in',
      'server show): the hypervisor injects an NMI, and a guest set up for it (kdump) writes a dump file',
      'and crashes. Nova changes neither the status nor the task state, so there is nothing to wait for;',
      '`ncli server event show SERVER REQ` shows how it went. Each server gets one line; exit status 0',
      'only when every server accepted it.',
      'Examples:',
      '  ncli server dump create vm1',
      '  ncli server dump create web.1 web.2',
    ].join('\n'),
    args: [SERVERS, ALL_PROJECTS, PARALLEL],
  },
  (ctx, a) => runActions(ctx, a, () => [{ kind: 'trigger-crash-dump' }], 'dump'),
);
