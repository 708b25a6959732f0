/**
 * Migrations (api-ref compute "Migrations (os-migrations)" and "Server migrations
 * (servers, migrations)"): every cold and live migration, resize and evacuation the cloud
 * recorded (`GET /os-migrations`, admin; paged from 2.59 with `migrations_links`, `uuid` from
 * 2.59, `migration_type` from 2.23, `project_id`/`user_id` from 2.80), and a server's in-progress
 * live migrations (`GET /servers/{id}/migrations`, 2.23) with their memory and disk progress.
 * Columns as `openstack server migration list|show` (openstackclient/compute/v2/server_migration.py).
 */
import * as v from 'valibot';
import { column, defineResource } from '../resource.js';

const optionalString = v.optional(v.nullable(v.string()));
const optionalNumber = v.optional(v.nullable(v.number()));

/** One migration of `GET /os-migrations`. */
export const MigrationSchema = v.looseObject({
  id: v.number(),
  uuid: optionalString,
  source_node: optionalString,
  dest_node: optionalString,
  source_compute: optionalString,
  dest_compute: optionalString,
  dest_host: optionalString,
  status: v.string(),
  instance_uuid: optionalString,
  old_instance_type_id: v.optional(v.nullable(v.union([v.number(), v.string()]))),
  new_instance_type_id: v.optional(v.nullable(v.union([v.number(), v.string()]))),
  /** `migration`, `live-migration`, `resize`, `evacuation` (2.23). */
  migration_type: optionalString,
  created_at: optionalString,
  updated_at: optionalString,
  project_id: optionalString,
  user_id: optionalString,
});
export type Migration = v.InferOutput<typeof MigrationSchema>;

export const MIGRATION = defineResource<Migration>({
  kind: 'migration',
  path: '/os-migrations',
  key: 'migrations',
  item: MigrationSchema,
  paging: 'links',
  idOf: (m) => String(m.id),
  nameOf: () => undefined,
  columns: [
    column('Id', (m) => m.id),
    column('UUID', (m) => m.uuid ?? null),
    column('Source Node', (m) => m.source_node ?? null),
    column('Dest Node', (m) => m.dest_node ?? null),
    column('Source Compute', (m) => m.source_compute ?? null),
    column('Dest Compute', (m) => m.dest_compute ?? null),
    column('Dest Host', (m) => m.dest_host ?? null),
    column('Status', (m) => m.status),
    column('Server UUID', (m) => m.instance_uuid ?? null),
    column('Old Flavor', (m) => m.old_instance_type_id ?? null),
    column('New Flavor', (m) => m.new_instance_type_id ?? null),
    column('Type', (m) => m.migration_type ?? null),
    column('Project', (m) => m.project_id ?? '', { long: true }),
    column('User', (m) => m.user_id ?? '', { long: true }),
    column('Created At', (m) => m.created_at ?? null),
    column('Updated At', (m) => m.updated_at ?? null),
  ],
});

/** One in-progress live migration of a server (`GET /servers/{id}/migrations[/{mid}]`, 2.23). */
export const ServerMigrationSchema = v.looseObject({
  id: v.number(),
  uuid: optionalString,
  server_uuid: optionalString,
  status: v.string(),
  source_compute: optionalString,
  source_node: optionalString,
  dest_compute: optionalString,
  dest_host: optionalString,
  dest_node: optionalString,
  memory_total_bytes: optionalNumber,
  memory_processed_bytes: optionalNumber,
  memory_remaining_bytes: optionalNumber,
  disk_total_bytes: optionalNumber,
  disk_processed_bytes: optionalNumber,
  disk_remaining_bytes: optionalNumber,
  created_at: optionalString,
  updated_at: optionalString,
  user_id: optionalString,
  project_id: optionalString,
});
export type ServerMigration = v.InferOutput<typeof ServerMigrationSchema>;

/**
 * A server's live migration as `openstack server migration show` prints it: openstackclient's
 * field names (also the `-f json` keys); `UUID` from 2.59, `User ID`/`Project ID` from 2.80.
 */
export function serverMigrationFields(m: ServerMigration): Record<string, unknown> {
  const out: Record<string, unknown> = {
    ID: m.id,
    'Server UUID': m.server_uuid ?? '',
    Status: m.status,
    'Source Compute': m.source_compute ?? '',
    'Source Node': m.source_node ?? '',
    'Dest Compute': m.dest_compute ?? '',
    'Dest Host': m.dest_host ?? '',
    'Dest Node': m.dest_node ?? '',
    'Memory Total Bytes': m.memory_total_bytes ?? null,
    'Memory Processed Bytes': m.memory_processed_bytes ?? null,
    'Memory Remaining Bytes': m.memory_remaining_bytes ?? null,
    'Disk Total Bytes': m.disk_total_bytes ?? null,
    'Disk Processed Bytes': m.disk_processed_bytes ?? null,
    'Disk Remaining Bytes': m.disk_remaining_bytes ?? null,
    'Created At': m.created_at ?? '',
    'Updated At': m.updated_at ?? '',
  };
  if (m.uuid !== undefined) out.UUID = m.uuid;
  if (m.user_id !== undefined) out['User ID'] = m.user_id;
  if (m.project_id !== undefined) out['Project ID'] = m.project_id;
  return out;
}
