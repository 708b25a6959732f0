/**
 * Migrations (src/compute/migrations.ts, src/commands/server/migration.ts) and the generic
 * resource listing (src/compute/resource.ts) they stand on, against a mocked Nova shaped by the
 * real cloud's answers: paging by links from 2.59 and none before it, offset paging, a running
 * live migration by UUID, Nova's refusals as one line.
 */
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import {
  abortMigration,
  forceCompleteMigration,
  getServerMigration,
  listMigrations,
} from '../../src/compute/migrations.js';
import { defineResource, listResource } from '../../src/compute/resource.js';
import { SERVER_GROUP } from '../../src/compute/resources/server-group.js';
import { mockCloud, mockNova } from '../support/mock-nova.js';
import { answerGroupPages, runOnMock } from '../support/mock-setup.js';

const SRV = '9a6e1d2c-1111-4222-8333-944455556666';
const MIG_UUID = '12345678-aaaa-4bbb-8ccc-ddddeeeeffff';

function migration(id: number, extra: Record<string, unknown> = {}) {
  return {
    id,
    uuid: `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`,
    source_compute: 'compute-1',
    dest_compute: 'compute-2',
    source_node: 'compute-1',
    dest_node: 'compute-2',
    dest_host: '127.0.0.1',
    status: 'completed',
    instance_uuid: SRV,
    old_instance_type_id: 1,
    new_instance_type_id: 1,
    migration_type: 'live-migration',
    created_at: '2026-12-06T17:00:00.000000',
    updated_at: '2026-12-06T17:00:05.000000',
    ...extra,
  };
}

describe('listing resources', () => {
  it('follows migrations_links from 2.59, asking every page of the catalog endpoint', async () => {
    const nova = mockNova();
    nova.answer('GET', /^\/v2\.1\/os-migrations\?host=compute-1$/, 200, {
      migrations: [migration(3), migration(2)],
      migrations_links: [{ rel: 'next', href: `http://elsewhere:8774/v2.1/os-migrations?marker=m2&host=compute-1` }],
    });
    nova.answer('GET', /^\/v2\.1\/os-migrations\?host=compute-1&marker=m2$/, 200, { migrations: [migration(1)] });
    const all = await listMigrations(nova.client, { host: 'compute-1' });
    expect(all.map((m) => m.id)).toEqual([3, 2, 1]);
  });

  it('sends no paging before 2.59, and refuses --limit there before any request', async () => {
    const nova = mockNova({ max: '2.58' });
    nova.answer('GET', /^\/v2\.1\/os-migrations\?instance_uuid=/, 200, { migrations: [migration(1)] });
    expect((await listMigrations(nova.client, { serverId: SRV })).length).toBe(1);
    await expect(listMigrations(nova.client, { limit: 5 })).rejects.toThrow(
      'Paging migrations needs compute API version 2.59; this cloud supports at most 2.58.',
    );
  });

  it('pages by offset where the API has no links (os-server-groups), stopping at a short page', async () => {
    const nova = mockNova();
    answerGroupPages(nova, [1000, 3]);
    const all = await listResource(nova.client, SERVER_GROUP);
    expect(all.length).toBe(1003);
    expect(all[1002].name).toBe('group-1002');
  });

  it('unwraps items one level deeper (os-keypairs: {"keypair": {…}})', async () => {
    const nova = mockNova();
    const KEYPAIR = defineResource({
      kind: 'keypair',
      path: '/os-keypairs',
      key: 'keypairs',
      unwrap: 'keypair',
      item: v.looseObject({ name: v.string(), fingerprint: v.string() }),
      paging: 'links',
      idOf: (k) => k.name,
      columns: [],
    });
    nova.answer('GET', '/v2.1/os-keypairs', 200, { keypairs: [{ keypair: { name: 'ops', fingerprint: 'ab:cd' } }] });
    expect(await listResource(nova.client, KEYPAIR)).toEqual([{ name: 'ops', fingerprint: 'ab:cd' }]);
  });
});

describe('a running live migration', () => {
  it('is found by UUID in the server’s list (2.59), as openstackclient does', async () => {
    const nova = mockNova();
    nova.answer('GET', `/v2.1/servers/${SRV}/migrations`, 200, {
      migrations: [{ id: 42, uuid: MIG_UUID, server_uuid: SRV, status: 'running', memory_total_bytes: 1024 }],
    });
    expect((await getServerMigration(nova.client, SRV, MIG_UUID)).id).toBe(42);
  });

  it('a migration that is not running is one line pointing at the list', async () => {
    const nova = mockNova();
    nova.answer('GET', `/v2.1/servers/${SRV}/migrations/7`, 404, {
      itemNotFound: { code: 404, message: 'In-progress live migration 7 is not found for server.' },
    });
    await expect(getServerMigration(nova.client, SRV, '7', 'vm1')).rejects.toThrow(
      'Server vm1 has no in-progress live migration 7 (Nova shows only running live migrations; see `ncli server migration list --server vm1` for the others).',
    );
  });

  it('abort by UUID: looked up, then DELETE by its integer ID', async () => {
    const nova = mockNova();
    nova.answer('GET', `/v2.1/servers/${SRV}/migrations`, 200, {
      migrations: [{ id: 42, uuid: MIG_UUID, server_uuid: SRV, status: 'running' }],
    });
    nova.answer('DELETE', `/v2.1/servers/${SRV}/migrations/42`, 202, '');
    await abortMigration(nova.client, SRV, MIG_UUID);
    expect(nova.seen.map((s) => `${s.method} ${s.path}`)).toEqual([
      `GET /v2.1/servers/${SRV}/migrations`,
      `DELETE /v2.1/servers/${SRV}/migrations/42`,
    ]);
  });

  it('force complete sends {"force_complete": null} once; Nova’s 400 is one line', async () => {
    const nova = mockNova();
    nova.answer('POST', `/v2.1/servers/${SRV}/migrations/42/action`, 400, {
      badRequest: {
        code: 400,
        message:
          'Migration 42 state of instance is completed. Cannot force_complete while the migration is in this state.',
      },
    });
    await expect(forceCompleteMigration(nova.client, SRV, '42', 'vm1')).rejects.toThrow(
      'Nova refused to force-complete migration 42 of server vm1: Migration 42 state of instance is completed. Cannot force_complete while the migration is in this state.',
    );
    expect(nova.seen).toHaveLength(1);
    expect(nova.seen[0].body).toEqual({ force_complete: null });
    expect(nova.seen[0].headers['x-openstack-nova-api-version']).toBe('2.93');
  });

  it('server migration abort on a cloud older than 2.24 is refused before any request', async () => {
    const c = mockCloud({ max: '2.23' });
    const r = await runOnMock(c, ['server', 'migration', 'abort', 'vm1', '42']);
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: 'ncli: `ncli server migration abort` needs compute API version 2.24; this cloud supports at most 2.23.\n',
    });
  });
});
