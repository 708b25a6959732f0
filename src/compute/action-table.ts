/**
 * One description per server action: Nova's instance-action name (nova/compute/instance_actions.py),
 * the request (`POST /servers/{id}/action` body, or `DELETE /servers/{id}`; api-ref compute
 * "Servers - run an action", request samples in Nova's doc/api_samples/servers/server-action-*.json
 * and os-migrate-server/, os-evacuate/, os-admin-actions/), the microversion it or one of its
 * parameters needs, and where a `--wait` ends — required for every action, so a new action
 * cannot silently poll for the wrong state. `--help` shows `help`, the body as sent.
 *
 * Wait targets (api-guide `server_concepts.rst`; a server is there once its status is a target
 * status and its task state is empty): stop → SHUTOFF; start, reboot, unpause, resume, unshelve,
 * restore, unrescue → ACTIVE; pause → PAUSED; suspend → SUSPENDED; shelve → SHELVED or
 * SHELVED_OFFLOADED; resize → VERIFY_RESIZE; cold migrate → VERIFY_RESIZE on another host (or
 * ACTIVE/SHUTOFF there, when the cloud confirms resizes itself); confirm/revert → ACTIVE or
 * SHUTOFF; live migrate → the status it had, on another host; evacuate → ACTIVE (SHUTOFF for a
 * stopped server) on another host; rebuild → ACTIVE, or SHUTOFF for a server that was SHUTOFF;
 * rescue → RESCUE; reset-state → the state set; delete, force delete → gone; lock/unlock →
 * `locked` true/false.
 */
import type { Server } from './types.js';
import { statuses, type WaitTarget } from './wait.js';

/** A microversion an action (or one of its parameters) needs. */
export interface VersionNeed {
  /** `2.N`. */
  readonly version: string;
  /** What needs it, as a sentence subject: `A lock reason`, `Cold migration to a chosen host`. */
  readonly feature: string;
}

/** The request an action sends. */
export type ActionRequest =
  { readonly method: 'POST'; readonly body: Record<string, unknown> } | { readonly method: 'DELETE' };

/** One server action with parameters `P`. */
export interface ActionDef<P> {
  /** Nova's name of it in the server's instance actions (`live-migration`, `confirmResize`). */
  readonly instanceAction: string;
  /** The action in words, for messages: `stop`, `hard reboot`, `live migration`. */
  readonly words: (p: P) => string;
  /** What is sent. */
  readonly request: (p: P) => ActionRequest;
  /** The request as `--help` shows it: `{"os-stop": null}`. */
  readonly help: string;
  /** The microversion the action with these parameters needs, if any (checked before sending). */
  readonly needs?: (p: P) => VersionNeed | undefined;
  /** Where `--wait` ends, from the server as it was before the action. */
  readonly target: (before: Server, p: P) => WaitTarget;
  /** Done when Nova answers (lock, reset-state): the first poll comes at once. */
  readonly immediate?: boolean;
}

/** Declares an action, keeping its parameter type. */
function action<P = Record<never, never>>(def: ActionDef<P>): ActionDef<P> {
  return def;
}

function post(body: Record<string, unknown>): ActionRequest {
  return { method: 'POST', body };
}

/** The host a server runs on (admins see it), or undefined. */
export function hostOf(s: Pick<Server, 'OS-EXT-SRV-ATTR:host'>): string | undefined {
  return s['OS-EXT-SRV-ATTR:host'] ?? undefined;
}

/** `statuses` on another host than `before`'s (when the host is visible). */
function elsewhere(before: Server, ...s: string[]): WaitTarget {
  const host = hostOf(before);
  const t = statuses(...s);
  return host ? { ...t, hostNot: host, label: `${t.label} on another host` } : t;
}

/** `ACTIVE`, or `SHUTOFF` for a server that was stopped. */
function sameRunState(before: Server): string {
  return before.status === 'SHUTOFF' ? 'SHUTOFF' : 'ACTIVE';
}

export const ACTIONS = {
  start: action({
    instanceAction: 'start',
    words: () => 'start',
    help: '{"os-start": null}',
    request: () => post({ 'os-start': null }),
    target: () => statuses('ACTIVE'),
  }),
  stop: action({
    instanceAction: 'stop',
    words: () => 'stop',
    help: '{"os-stop": null}',
    request: () => post({ 'os-stop': null }),
    target: () => statuses('SHUTOFF'),
  }),
  reboot: action<{ hard?: boolean }>({
    instanceAction: 'reboot',
    words: (p) => (p.hard ? 'hard reboot' : 'reboot'),
    help: '{"reboot": {"type": "SOFT"}} (HARD with --hard)',
    request: (p) => post({ reboot: { type: p.hard ? 'HARD' : 'SOFT' } }),
    target: () => statuses('ACTIVE'),
  }),
  pause: action({
    instanceAction: 'pause',
    words: () => 'pause',
    help: '{"pause": null}',
    request: () => post({ pause: null }),
    target: () => statuses('PAUSED'),
  }),
  unpause: action({
    instanceAction: 'unpause',
    words: () => 'unpause',
    help: '{"unpause": null}',
    request: () => post({ unpause: null }),
    target: () => statuses('ACTIVE'),
  }),
  suspend: action({
    instanceAction: 'suspend',
    words: () => 'suspend',
    help: '{"suspend": null}',
    request: () => post({ suspend: null }),
    target: () => statuses('SUSPENDED'),
  }),
  resume: action({
    instanceAction: 'resume',
    words: () => 'resume',
    help: '{"resume": null}',
    request: () => post({ resume: null }),
    target: () => statuses('ACTIVE'),
  }),
  lock: action<{ reason?: string }>({
    instanceAction: 'lock',
    words: () => 'lock',
    help: '{"lock": null} ({"lock": {"locked_reason": "…"}} with --reason, 2.73)',
    request: (p) => post({ lock: p.reason === undefined ? null : { locked_reason: p.reason } }),
    needs: (p) => (p.reason === undefined ? undefined : { version: '2.73', feature: 'A lock reason' }),
    target: () => ({ locked: true, label: 'locked' }),
    immediate: true,
  }),
  unlock: action({
    instanceAction: 'unlock',
    words: () => 'unlock',
    help: '{"unlock": null}',
    request: () => post({ unlock: null }),
    target: () => ({ locked: false, label: 'unlocked' }),
    immediate: true,
  }),
  shelve: action({
    instanceAction: 'shelve',
    words: () => 'shelve',
    help: '{"shelve": null}',
    request: () => post({ shelve: null }),
    target: () => statuses('SHELVED', 'SHELVED_OFFLOADED'),
  }),
  'shelve-offload': action({
    instanceAction: 'shelveOffload',
    words: () => 'shelve offload',
    help: '{"shelveOffload": null}',
    request: () => post({ shelveOffload: null }),
    target: () => statuses('SHELVED_OFFLOADED'),
  }),
  unshelve: action({
    instanceAction: 'unshelve',
    words: () => 'unshelve',
    help: '{"unshelve": null}',
    request: () => post({ unshelve: null }),
    target: () => statuses('ACTIVE'),
  }),
  resize: action<{ flavorRef: string }>({
    instanceAction: 'resize',
    words: () => 'resize',
    help: '{"resize": {"flavorRef": "…"}}',
    request: (p) => post({ resize: { flavorRef: p.flavorRef } }),
    target: () => statuses('VERIFY_RESIZE'),
  }),
  'confirm-resize': action({
    instanceAction: 'confirmResize',
    words: () => 'resize confirmation',
    help: '{"confirmResize": null}',
    request: () => post({ confirmResize: null }),
    target: () => statuses('ACTIVE', 'SHUTOFF'),
  }),
  'revert-resize': action({
    instanceAction: 'revertResize',
    words: () => 'resize revert',
    help: '{"revertResize": null}',
    request: () => post({ revertResize: null }),
    target: () => statuses('ACTIVE', 'SHUTOFF'),
  }),
  rebuild: action<{ imageRef: string }>({
    instanceAction: 'rebuild',
    words: () => 'rebuild',
    help: '{"rebuild": {"imageRef": "…"}}',
    request: (p) => post({ rebuild: { imageRef: p.imageRef } }),
    target: (before) => statuses(sameRunState(before)),
  }),
  migrate: action<{ host?: string }>({
    instanceAction: 'migrate',
    words: () => 'cold migration',
    help: '{"migrate": null} ({"migrate": {"host": "…"}} with --host, 2.56)',
    request: (p) => post({ migrate: p.host === undefined ? null : { host: p.host } }),
    needs: (p) => (p.host === undefined ? undefined : { version: '2.56', feature: 'Cold migration to a chosen host' }),
    // VERIFY_RESIZE, or already confirmed by the cloud ([DEFAULT] resize_confirm_window)
    target: (before) => elsewhere(before, 'VERIFY_RESIZE', 'ACTIVE', 'SHUTOFF'),
  }),
  'live-migrate': action<{ host?: string; blockMigration?: boolean | 'auto' }>({
    instanceAction: 'live-migration',
    words: () => 'live migration',
    help: '{"os-migrateLive": {"host": null, "block_migration": "auto"}} (before 2.25: true/false and disk_over_commit)',
    request: (p) =>
      post({
        'os-migrateLive':
          p.blockMigration === 'auto'
            ? { host: p.host ?? null, block_migration: 'auto' }
            : { host: p.host ?? null, block_migration: p.blockMigration ?? false, disk_over_commit: false },
      }),
    // a live migration keeps the server's status (ACTIVE or PAUSED) and moves its host
    target: (before) => elsewhere(before, before.status === 'PAUSED' ? 'PAUSED' : 'ACTIVE'),
  }),
  evacuate: action<{ host?: string }>({
    instanceAction: 'evacuate',
    words: () => 'evacuation',
    help: '{"evacuate": {}} ({"evacuate": {"host": "…"}} with --host)',
    request: (p) => post({ evacuate: p.host === undefined ? {} : { host: p.host } }),
    target: (before) => elsewhere(before, sameRunState(before)),
  }),
  'reset-state': action<{ state: 'active' | 'error' }>({
    instanceAction: 'resetState',
    words: (p) => `reset to ${p.state}`,
    help: '{"os-resetState": {"state": "active"}} (or "error")',
    request: (p) => post({ 'os-resetState': { state: p.state } }),
    target: (_before, p) => statuses(p.state.toUpperCase()),
    immediate: true,
  }),
  restore: action({
    instanceAction: 'restore',
    words: () => 'restore',
    help: '{"restore": null}',
    request: () => post({ restore: null }),
    target: () => statuses('ACTIVE'),
  }),
  rescue: action<{ imageRef?: string; adminPass?: string }>({
    instanceAction: 'rescue',
    words: () => 'rescue',
    help: '{"rescue": null} ({"rescue": {"rescue_image_ref": "…", "adminPass": "…"}} with --image, --password)',
    // python-novaclient's `servers.rescue`: null without parameters; the adminPass is never logged
    request: (p) => {
      const body: Record<string, string> = {};
      if (p.adminPass !== undefined) body.adminPass = p.adminPass;
      if (p.imageRef !== undefined) body.rescue_image_ref = p.imageRef;
      return post({ rescue: Object.keys(body).length ? body : null });
    },
    target: () => statuses('RESCUE'),
  }),
  unrescue: action({
    instanceAction: 'unrescue',
    words: () => 'unrescue',
    help: '{"unrescue": null}',
    request: () => post({ unrescue: null }),
    target: () => statuses('ACTIVE'),
  }),
  'trigger-crash-dump': action({
    instanceAction: 'trigger_crash_dump',
    words: () => 'crash dump',
    help: '{"trigger_crash_dump": null}',
    request: () => post({ trigger_crash_dump: null }),
    needs: () => ({ version: '2.17', feature: 'A crash dump' }),
    // Nova changes neither status nor task state (nova/compute/manager.py trigger_crash_dump)
    target: (before) => statuses(before.status),
    immediate: true,
  }),
  delete: action({
    instanceAction: 'delete',
    words: () => 'delete',
    help: 'DELETE /servers/{id}',
    request: () => ({ method: 'DELETE' }),
    target: () => ({ gone: true, label: 'deleted' }),
  }),
  'force-delete': action({
    instanceAction: 'forceDelete',
    words: () => 'force delete',
    help: '{"forceDelete": null}',
    request: () => post({ forceDelete: null }),
    target: () => ({ gone: true, label: 'deleted' }),
  }),
} as const;

/** The actions, by the name the code uses (`confirm-resize` is `server resize --confirm`). */
export type ActionKind = keyof typeof ACTIONS;

/** The parameters of action `K`. */
export type ActionParams<K extends ActionKind> = (typeof ACTIONS)[K] extends ActionDef<infer P> ? P : never;

/** One action and its parameters: `{kind: 'reboot', hard: true}`. */
export type ServerAction = { [K in ActionKind]: { kind: K } & ActionParams<K> }[ActionKind];

/** The description of an action (typed loosely: callers pass a matching {@link ServerAction}). */
export function definitionOf(a: ServerAction): ActionDef<ServerAction> {
  return ACTIONS[a.kind] as unknown as ActionDef<ServerAction>;
}

/** The action in words, for messages: `stop`, `hard reboot`, `resize confirmation`. */
export function actionWords(a: ServerAction): string {
  return definitionOf(a).words(a);
}

/** Where `--wait` ends for this action on this server. */
export function targetOf(a: ServerAction, before: Server): WaitTarget {
  return definitionOf(a).target(before, a);
}
