/**
 * The hypervisor resource (api-ref compute "Hypervisors": `GET /os-hypervisors/detail`,
 * `GET /os-hypervisors/{id}`; nova/api/openstack/compute/hypervisors.py), with the columns of
 * `openstack hypervisor list` (openstackclient/compute/v2/hypervisor.py `ListHypervisor`: ID,
 * Hypervisor Hostname, Hypervisor Type, Host IP, State; `--long` adds vCPUs Used, vCPUs, Memory MB
 * Used, Memory MB).
 *
 * What changes with the microversion: IDs (and `service.id`) are integers before 2.53 and UUIDs
 * from it; the listing pages (`limit`, `marker`, `hypervisors_links`) from 2.33; `cpu_info` is a
 * JSON string before 2.28 and an object from it; from 2.88 the resource counters (`vcpus`,
 * `memory_mb`, `local_gb`, their `_used`, `free_*`, `current_workload`, `running_vms`,
 * `disk_available_least`) and `cpu_info` are gone and `uptime` is part of the item.
 */
import * as v from 'valibot';
import { UUID } from '../../ids.js';
import { column, defineResource } from '../resource.js';

const id = v.union([v.string(), v.number()]);
const count = v.optional(v.nullable(v.number()));

/** One hypervisor (compute node) as Nova shows it: the fields ncli reads; everything else is kept. */
export const HypervisorSchema = v.looseObject({
  /** An integer before 2.53, a UUID from 2.53. */
  id,
  hypervisor_hostname: v.string(),
  /** `up` / `down` (the service's liveness). */
  state: v.optional(v.string()),
  /** `enabled` / `disabled` (the service's status). */
  status: v.optional(v.string()),
  hypervisor_type: v.optional(v.nullable(v.string())),
  hypervisor_version: v.optional(v.nullable(v.number())),
  host_ip: v.optional(v.nullable(v.string())),
  /** The nova-compute service of the node (`host` may be `cell@host` in a multi-cell listing). */
  service: v.optional(
    v.looseObject({ id: v.optional(id), host: v.string(), disabled_reason: v.optional(v.nullable(v.string())) }),
  ),
  vcpus: count,
  vcpus_used: count,
  memory_mb: count,
  memory_mb_used: count,
  local_gb: count,
  local_gb_used: count,
  /** A JSON string before 2.28, an object from 2.28, absent from 2.88. */
  cpu_info: v.optional(v.unknown()),
  /** From 2.88: the driver's `uptime` line (null when the driver has none, e.g. the fake driver). */
  uptime: v.optional(v.nullable(v.string())),
});
export type Hypervisor = v.InferOutput<typeof HypervisorSchema>;

/** Hypervisor IDs as refs: an integer (before 2.53) or a UUID (from 2.53); anything else is a name. */
const HYPERVISOR_ID = new RegExp(`^\\d+$|${UUID.source}`, 'i');

/** A counter of `--long`, or '' when the cloud no longer shows it (2.88+), as openstackclient prints it. */
const counter = (n: number | null | undefined): number | string => n ?? '';

export const HYPERVISOR = defineResource<Hypervisor>({
  kind: 'hypervisor',
  path: '/os-hypervisors/detail',
  key: 'hypervisors',
  item: HypervisorSchema,
  paging: 'links',
  show: { path: (ref) => `/os-hypervisors/${encodeURIComponent(ref)}`, key: 'hypervisor' },
  idPattern: HYPERVISOR_ID,
  nameOf: (h) => h.hypervisor_hostname,
  // 2.53+: a substring match (SQL LIKE), matched exactly afterwards; older clouds ignore it and
  // list everything. A pattern that matches nothing answers 404.
  nameQuery: (name) => ({ hypervisor_hostname_pattern: name }),
  columns: [
    column('ID', (h) => h.id),
    column('Hypervisor Hostname', (h) => h.hypervisor_hostname),
    column('Hypervisor Type', (h) => h.hypervisor_type ?? ''),
    column('Host IP', (h) => h.host_ip ?? ''),
    column('State', (h) => h.state ?? ''),
    column('vCPUs Used', (h) => counter(h.vcpus_used), { long: true }),
    column('vCPUs', (h) => counter(h.vcpus), { long: true }),
    column('Memory MB Used', (h) => counter(h.memory_mb_used), { long: true }),
    column('Memory MB', (h) => counter(h.memory_mb), { long: true }),
  ],
});
