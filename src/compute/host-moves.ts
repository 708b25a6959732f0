/**
 * What moving every server off a compute host takes, as data (`ncli host drain`,
 * `ncli host evacuate`; the process side is src/cli/host-ops.ts): the servers on a host in every
 * project (`GET /servers/detail?all_tenants=1&host=H`, admin), which action moves each one given
 * its state, and the progress of a running live migration (`GET /servers/{id}/migrations`, 2.23).
 *
 * Which states can move (nova/compute/api.py `check_instance_state` of each method; any task
 * running refuses with 409): a live migration takes ACTIVE and PAUSED servers, a cold migration
 * (`resize` without a flavor) ACTIVE and SHUTOFF (vm_state stopped), an evacuation ACTIVE,
 * SHUTOFF and ERROR. A drain live-migrates what runs and cold-migrates what is stopped (a stopped
 * server cannot live-migrate); `--cold` cold-migrates both. A cold migration ends in
 * VERIFY_RESIZE on the new host and is then confirmed (`confirmResize`).
 */
import * as v from 'valibot';
import type { ServerAction } from './action-table.js';
import type { ComputeClient } from './client.js';
import { listServers } from './servers.js';
import type { Server } from './types.js';
import { hasMicroversion } from './versions.js';

/** How servers leave the host: `live` (live where they run, cold where stopped), `cold`, `evacuate`. */
export type MoveMode = 'live' | 'cold' | 'evacuate';

/** One server's move: the actions in order, or why it cannot move now. */
export type Move =
  | { readonly server: Server; readonly steps: readonly ServerAction[]; readonly follow?: false }
  /** Already moving (a run before this one started it): only followed. */
  | {
      readonly server: Server;
      readonly steps: readonly [];
      readonly follow: true;
      readonly kind: 'live-migrate' | 'evacuate';
    }
  | { readonly server: Server; readonly cannot: string };

/**
 * The servers on `host` in every project (all pages), in Nova's order.
 * @throws ApiError (403 for a non-admin), NetworkError
 */
export function serversOnHost(client: ComputeClient, host: string): Promise<Server[]> {
  return listServers(client, { host, allProjects: true });
}

/**
 * The move of one server off its host (see the module comment).
 * @param blockAuto whether the cloud takes `block_migration: "auto"` (2.25+)
 */
export function planMove(server: Server, mode: MoveMode, blockAuto: boolean): Move {
  const task = server['OS-EXT-STS:task_state'];
  const status = server.status;
  if (task) {
    if (mode !== 'cold' && task === 'migrating') return { server, steps: [], follow: true, kind: 'live-migrate' };
    if (mode === 'evacuate' && task.startsWith('rebuild')) return { server, steps: [], follow: true, kind: 'evacuate' };
    return { server, cannot: `it is busy (${status}, task ${task}): run again once the task has ended` };
  }
  const cold: ServerAction[] = [{ kind: 'migrate' }, { kind: 'confirm-resize' }];
  if (mode === 'evacuate') {
    if (['ACTIVE', 'SHUTOFF', 'ERROR'].includes(status)) return { server, steps: [{ kind: 'evacuate' }] };
    return { server, cannot: `it is ${status}: Nova evacuates ACTIVE, SHUTOFF and ERROR servers only` };
  }
  if (status === 'SHUTOFF') return { server, steps: cold };
  if (mode === 'cold') {
    if (status === 'ACTIVE') return { server, steps: cold };
    return { server, cannot: `it is ${status}: a cold migration takes ACTIVE and SHUTOFF servers only` };
  }
  if (status === 'ACTIVE' || status === 'PAUSED') {
    return { server, steps: [{ kind: 'live-migrate', blockMigration: blockAuto ? 'auto' : false }] };
  }
  if (status === 'VERIFY_RESIZE') {
    return { server, cannot: 'it is VERIFY_RESIZE: confirm or revert its resize first (server resize --confirm)' };
  }
  return { server, cannot: `it is ${status}: only ACTIVE, PAUSED and SHUTOFF servers can move` };
}

/**
 * The moves of `servers` off a host.
 * @throws NetworkError (version discovery)
 */
export async function planMoves(client: ComputeClient, servers: readonly Server[], mode: MoveMode): Promise<Move[]> {
  const auto = mode === 'live' && (await hasMicroversion(client, '2.25'));
  return servers.map((s) => planMove(s, mode, auto));
}

const InProgressSchema = v.looseObject({
  migrations: v.array(
    v.looseObject({
      status: v.optional(v.nullable(v.string())),
      dest_compute: v.optional(v.nullable(v.string())),
      memory_total_bytes: v.optional(v.nullable(v.number())),
      memory_processed_bytes: v.optional(v.nullable(v.number())),
      disk_total_bytes: v.optional(v.nullable(v.number())),
      disk_processed_bytes: v.optional(v.nullable(v.number())),
    }),
  ),
});

/** Where a running live migration goes and how far it is. */
export interface LiveProgress {
  /** The destination host. */
  dest?: string;
  /** Bytes processed of memory and disk together, in percent (0–100), when Nova reports totals. */
  percent?: number;
}

/**
 * The server's running live migration, from `GET /servers/{id}/migrations` (2.23; Nova lists
 * only live migrations in progress). Undefined before 2.23, when none runs, or on any error (the
 * progress line is a convenience).
 */
export async function liveProgress(client: ComputeClient, serverId: string): Promise<LiveProgress | undefined> {
  try {
    if (!(await hasMicroversion(client, '2.23'))) return undefined;
    const body = await client.read(
      'GET',
      `/servers/${encodeURIComponent(serverId)}/migrations`,
      InProgressSchema,
      'a list of server migrations',
    );
    const m = body.migrations[0];
    if (!m) return undefined;
    const total = (m.memory_total_bytes ?? 0) + (m.disk_total_bytes ?? 0);
    const done = (m.memory_processed_bytes ?? 0) + (m.disk_processed_bytes ?? 0);
    return {
      dest: m.dest_compute ?? undefined,
      percent: total > 0 ? Math.min(100, Math.round((done / total) * 100)) : undefined,
    };
  } catch {
    return undefined;
  }
}
