/**
 * The keypair resource (api-ref compute "Keypairs (keypairs)": `GET /os-keypairs`, items wrapped
 * as `{"keypair": {…}}`, paged from 2.35 with `keypairs_links`; `GET /os-keypairs/{name}`; `type`
 * from 2.2, another user's with `user_id` from 2.10). A keypair's name is its ID. Columns as
 * `openstack keypair list` (openstackclient/compute/v2/keypair.py): Name, Fingerprint, Type.
 */
import * as v from 'valibot';
import { column, defineResource } from '../resource.js';

const optionalString = v.optional(v.nullable(v.string()));

export const KeypairSchema = v.looseObject({
  name: v.string(),
  fingerprint: optionalString,
  public_key: optionalString,
  /** `ssh` or `x509` (2.2). */
  type: optionalString,
  user_id: optionalString,
  created_at: optionalString,
  deleted: v.optional(v.nullable(v.boolean())),
  id: v.optional(v.nullable(v.union([v.number(), v.string()]))),
});
export type Keypair = v.InferOutput<typeof KeypairSchema>;

export const KEYPAIR = defineResource<Keypair>({
  kind: 'keypair',
  path: '/os-keypairs',
  key: 'keypairs',
  unwrap: 'keypair',
  item: KeypairSchema,
  paging: 'links',
  show: { path: (name) => `/os-keypairs/${encodeURIComponent(name)}`, key: 'keypair' },
  idOf: (k) => k.name,
  nameOf: (k) => k.name,
  columns: [
    column('Name', (k) => k.name),
    column('Fingerprint', (k) => k.fingerprint ?? ''),
    column('Type', (k) => k.type ?? 'ssh'),
  ],
});

/**
 * A keypair as `openstack keypair show|create -f json` prints it (openstacksdk's Keypair
 * attributes: `deleted` is `is_deleted`; no public or private key).
 */
export function keypairFields(k: Keypair): Record<string, unknown> {
  return {
    created_at: k.created_at ?? null,
    fingerprint: k.fingerprint ?? null,
    id: k.name,
    is_deleted: k.deleted ?? false,
    name: k.name,
    type: k.type ?? 'ssh',
    user_id: k.user_id ?? null,
  };
}
