/**
 * Usage of servers per project (api-ref compute "Usage reports (os-simple-tenant-usage)";
 * nova/api/openstack/compute/simple_tenant_usage.py): `GET /os-simple-tenant-usage?detailed=1`
 * (every project, admin) and `GET /os-simple-tenant-usage/{project}`, between `start` and `end`.
 * From compute API 2.40 both page by `limit` + `marker` (a server ID) with `tenant_usages_links` /
 * `tenant_usage_links`: one project's usage may be split over several pages, and is merged back
 * here (server lists joined, totals added), as openstackclient's `_merge_usage` does.
 */
import * as v from 'valibot';
import type { ComputeClient } from './client.js';
import { nextMarker } from './client.js';
import { asAdmin } from './policy.js';
import { defineResource, listResource } from './resource.js';
import { LinkSchema } from './types.js';
import { hasMicroversion } from './versions.js';

export const UsageSchema = v.looseObject({
  tenant_id: v.optional(v.string()),
  /** One entry per server: `instance_id`, `name`, `hours`, `flavor`, `state`, `started_at`… */
  server_usages: v.optional(v.array(v.looseObject({ instance_id: v.optional(v.string()) }))),
  total_hours: v.optional(v.number()),
  total_memory_mb_usage: v.optional(v.number()),
  total_vcpus_usage: v.optional(v.number()),
  total_local_gb_usage: v.optional(v.number()),
  start: v.optional(v.string()),
  stop: v.optional(v.string()),
});
export type Usage = v.InferOutput<typeof UsageSchema>;

/** The usage of every project (admin), paged from 2.40 (links key `tenant_usages_links`). */
export const USAGE = defineResource<Usage>({
  kind: 'project',
  noun: 'project usage',
  path: '/os-simple-tenant-usage',
  key: 'tenant_usages',
  linksKey: 'tenant_usages_links',
  item: UsageSchema,
  paging: 'links',
  idOf: (u) => u.tenant_id ?? '',
  columns: [],
});

/** A period: ISO 8601 times without a zone, as Nova reads them (UTC). */
export interface Period {
  start: string;
  end: string;
}

const TOTALS = ['total_hours', 'total_memory_mb_usage', 'total_vcpus_usage', 'total_local_gb_usage'] as const;

/** `a` with the servers and totals of `b` (another page of the same project) added. */
function merge(a: Usage, b: Usage): Usage {
  const out: Usage = { ...a, server_usages: [...(a.server_usages ?? []), ...(b.server_usages ?? [])] };
  for (const k of TOTALS) out[k] = (a[k] ?? 0) + (b[k] ?? 0);
  return out;
}

/**
 * The usage of every project with servers in the period (admin by default policy), all pages.
 * @throws AdminRequiredError (403 for a non-admin), ApiError, NetworkError
 */
export async function listUsage(client: ComputeClient, period: Period): Promise<Usage[]> {
  const paged = await hasMicroversion(client, '2.40');
  const pages = await asAdmin('Listing the usage of every project', () =>
    listResource(client, USAGE, { query: { detailed: 1, start: period.start, end: period.end }, paged }),
  );
  const byProject = new Map<string, Usage>();
  for (const u of pages) {
    const id = u.tenant_id ?? '';
    const had = byProject.get(id);
    byProject.set(id, had ? merge(had, u) : { ...u, server_usages: [...(u.server_usages ?? [])] });
  }
  return [...byProject.values()];
}

/**
 * The usage of one project in the period, all pages (from 2.40, following `tenant_usage_links`).
 * A project without servers then answers an empty object: totals are 0 and no servers.
 * @throws ApiError (403 for another project without the admin role), NetworkError
 */
export async function getUsage(client: ComputeClient, projectId: string, period: Period): Promise<Usage> {
  const page = v.looseObject({ tenant_usage: UsageSchema, tenant_usage_links: v.optional(v.array(LinkSchema)) });
  const paged = await hasMicroversion(client, '2.40');
  let usage: Usage | undefined;
  let marker: string | undefined;
  for (let n = 0; n < 100_000; n++) {
    const body = await client.read(
      'GET',
      `/os-simple-tenant-usage/${encodeURIComponent(projectId)}`,
      page,
      'the usage of a project',
      { query: { start: period.start, end: period.end, marker } },
    );
    usage = usage ? merge(usage, body.tenant_usage) : body.tenant_usage;
    const next = paged ? nextMarker(body.tenant_usage_links) : undefined;
    if (!next || next === marker || !body.tenant_usage.server_usages?.length) break;
    marker = next;
  }
  const u = usage ?? {};
  return {
    ...u,
    tenant_id: u.tenant_id ?? projectId,
    server_usages: u.server_usages ?? [],
    total_memory_mb_usage: u.total_memory_mb_usage ?? 0,
    total_vcpus_usage: u.total_vcpus_usage ?? 0,
    total_local_gb_usage: u.total_local_gb_usage ?? 0,
  };
}
