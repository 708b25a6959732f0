/**
 * Migrations (api-ref compute "Migrations (os-migrations)", "Server migrations (servers,
 * migrations)"): the cloud's migration records, a server's in-progress live migrations, and the
 * two things an operator does to a running one: abort it (`DELETE
 * /servers/{id}/migrations/{mid}`, 2.24; Nova then rolls the server back to its source host) and
 * force it to complete (`POST …/migrations/{mid}/action {"force_complete": null}`, 2.22; the
 * hypervisor pauses the server to finish the memory copy). Nova answers 400 for a migration that
 * is not running, 404 for an unknown one, 409 for a server in the wrong state.
 */
import * as v from 'valibot';
import { NcliError, NotFoundError } from '../errors.js';
import { ApiError } from '../http/errors.js';
import type { ComputeClient, Query } from './client.js';
import { adminRefusal } from './policy.js';
import { listResource } from './resource.js';
import { MIGRATION, ServerMigrationSchema, type Migration, type ServerMigration } from './resources/migration.js';
import { hasMicroversion, requireMicroversion } from './versions.js';

/** The filters of `GET /os-migrations` (api-ref "List Migrations", query parameters). */
export interface MigrationFilters {
  /** The server's UUID (`instance_uuid`). */
  serverId?: string;
  /** Source or destination compute host. */
  host?: string;
  /** `migrating`, `running`, `completed`, `error`, `cancelled`, `finished`, `confirmed`, … */
  status?: string;
  /** `live-migration`, `migration` (cold; `cold-migration` is taken too), `resize`, `evacuation` (2.23). */
  type?: string;
  /** ISO 8601 (2.59). */
  changesSince?: string;
  /** ISO 8601 (2.66). */
  changesBefore?: string;
  /** Project / user IDs (2.80). */
  projectId?: string;
  userId?: string;
  /** At most this many (2.59); all when undefined or negative. */
  limit?: number;
  /** Start after the migration with this UUID (2.59). */
  marker?: string;
}

/**
 * The cloud's migrations (admin), newest first as Nova lists them, every page from 2.59.
 * @throws ConfigError `MICROVERSION` (paging and changes-since need 2.59, changes-before 2.66,
 *   project/user 2.80, type 2.23), ApiError (403 for a non-admin), NetworkError
 */
export async function listMigrations(client: ComputeClient, f: MigrationFilters = {}): Promise<Migration[]> {
  if (f.limit !== undefined || f.marker || f.changesSince)
    await requireMicroversion(client, '2.59', 'Paging migrations');
  if (f.changesBefore) await requireMicroversion(client, '2.66', 'Filtering migrations by changes-before');
  if (f.projectId || f.userId) await requireMicroversion(client, '2.80', 'Filtering migrations by project or user');
  if (f.type) await requireMicroversion(client, '2.23', 'Filtering migrations by type');
  const query: Query = {
    instance_uuid: f.serverId,
    host: f.host,
    status: f.status,
    migration_type: f.type === 'cold-migration' ? 'migration' : f.type,
    'changes-since': f.changesSince,
    'changes-before': f.changesBefore,
    project_id: f.projectId,
    user_id: f.userId,
  };
  return listResource(client, MIGRATION, {
    query,
    limit: f.limit,
    marker: f.marker,
    paged: await hasMicroversion(client, '2.59'),
  });
}

function serverPath(serverId: string, migrationId?: number | string): string {
  const base = `/servers/${encodeURIComponent(serverId)}/migrations`;
  return migrationId === undefined ? base : `${base}/${encodeURIComponent(String(migrationId))}`;
}

/**
 * A server's in-progress live migrations (`GET /servers/{id}/migrations`, 2.23): Nova shows only
 * those still running (status queued, preparing, running; not cold migrations).
 * @throws ConfigError `MICROVERSION`, ApiError, NetworkError
 */
export async function serverMigrations(client: ComputeClient, serverId: string): Promise<ServerMigration[]> {
  await requireMicroversion(client, '2.23', 'Listing the migrations of a server');
  const body = await client.read(
    'GET',
    serverPath(serverId),
    v.looseObject({ migrations: v.array(ServerMigrationSchema) }),
    'a list of server migrations',
  );
  return body.migrations;
}

/** Whether a migration ref is Nova's integer ID (else it is taken as a UUID, 2.59). */
function isIntegerId(ref: string): boolean {
  return /^\d+$/.test(ref);
}

/**
 * One in-progress live migration of a server, by integer ID (`GET …/migrations/{id}`) or by UUID
 * (2.59; found in the server's list, as openstackclient does: Nova has no lookup by UUID).
 * @throws NotFoundError (not running, or no such migration), ConfigError `MICROVERSION`, ApiError
 */
export async function getServerMigration(
  client: ComputeClient,
  serverId: string,
  ref: string,
  serverLabel = serverId,
): Promise<ServerMigration> {
  await requireMicroversion(client, '2.23', 'Showing a migration of a server');
  const notRunning = () =>
    new NotFoundError(
      `Server ${serverLabel} has no in-progress live migration ${ref} (Nova shows only running live migrations; see \`ncli server migration list --server ${serverLabel}\` for the others).`,
    );
  if (!isIntegerId(ref)) {
    await requireMicroversion(client, '2.59', 'A migration given by UUID');
    const found = (await serverMigrations(client, serverId)).find((m) => m.uuid === ref);
    if (!found) throw notRunning();
    return found;
  }
  try {
    const body = await client.read(
      'GET',
      serverPath(serverId, ref),
      v.looseObject({ migration: ServerMigrationSchema }),
      'a server migration',
    );
    return body.migration;
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) throw notRunning();
    throw e;
  }
}

/** The integer ID of a migration ref (a UUID is looked up among the server's running ones). */
async function integerId(client: ComputeClient, serverId: string, ref: string, label: string): Promise<number> {
  if (isIntegerId(ref)) return Number(ref);
  return (await getServerMigration(client, serverId, ref, label)).id;
}

/** Nova's refusal of an abort or force-complete, in one line. */
function refused(e: unknown, what: string, label: string, ref: string): unknown {
  if (!(e instanceof ApiError)) return e;
  const reason = e.serverMessage.replace(/\.$/, '');
  if (e.status === 404) {
    return new NotFoundError(`Server ${label} has no migration ${ref} that can be ${what}: ${reason}.`, { cause: e });
  }
  if (e.status === 400 || e.status === 409) {
    return new NcliError(
      'REFUSED',
      `Nova refused to ${what === 'aborted' ? 'abort' : 'force-complete'} migration ${ref} of server ${label}: ${reason}.`,
      {
        cause: e,
      },
    );
  }
  if (e.status === 403) {
    return adminRefusal(
      e,
      `${what === 'aborted' ? 'Aborting' : 'Forcing to complete'} migration ${ref} of server ${label}`,
    );
  }
  return e;
}

/**
 * Aborts a running live migration (`DELETE /servers/{id}/migrations/{mid}`, 2.24; Nova answers
 * 202 and rolls the server back to its source host). Idempotent.
 * @throws NotFoundError, NcliError `REFUSED` (400/409: not running, or not abortable in its state;
 *   403: policy), ConfigError `MICROVERSION`, ApiError
 */
export async function abortMigration(
  client: ComputeClient,
  serverId: string,
  ref: string,
  label = serverId,
): Promise<void> {
  await requireMicroversion(client, '2.24', 'Aborting a live migration');
  const id = await integerId(client, serverId, ref, label);
  try {
    await client.send('DELETE', serverPath(serverId, id));
  } catch (e) {
    throw refused(e, 'aborted', label, ref);
  }
}

/**
 * Forces a running live migration to complete (`POST /servers/{id}/migrations/{mid}/action
 * {"force_complete": null}`, 2.22; 202).
 * @throws NotFoundError, NcliError `REFUSED`, ConfigError `MICROVERSION`, ApiError
 */
export async function forceCompleteMigration(
  client: ComputeClient,
  serverId: string,
  ref: string,
  label = serverId,
): Promise<void> {
  await requireMicroversion(client, '2.22', 'Forcing a live migration to complete');
  const id = await integerId(client, serverId, ref, label);
  try {
    await client.send('POST', `${serverPath(serverId, id)}/action`, { body: { force_complete: null } });
  } catch (e) {
    throw refused(e, 'forced to complete', label, ref);
  }
}
