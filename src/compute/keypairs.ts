/**
 * Keypairs (api-ref compute "Keypairs (keypairs)"): list, show, import (create with a public key)
 * and delete. Nova generates no key pairs from compute API 2.92: ncli makes them locally
 * (src/ssh-keys.ts) and imports the public half. Microversions: `type` 2.2, `user_id` 2.10,
 * paging 2.35.
 */
import * as v from 'valibot';
import { NcliError, NotFoundError } from '../errors.js';
import { ApiError } from '../http/errors.js';
import type { ComputeClient } from './client.js';
import { getResource, listResource } from './resource.js';
import { KEYPAIR, KeypairSchema, type Keypair } from './resources/keypair.js';
import { hasMicroversion, requireMicroversion } from './versions.js';

/** The keypairs of this user (or of `userId`, admin, 2.10), every page from 2.35. @throws ApiError */
export async function listKeypairs(
  client: ComputeClient,
  opts: { userId?: string; limit?: number; marker?: string } = {},
): Promise<Keypair[]> {
  if (opts.userId) await requireMicroversion(client, '2.10', "Another user's keypairs");
  if (opts.limit !== undefined || opts.marker) await requireMicroversion(client, '2.35', 'Paging keypairs');
  return listResource(client, KEYPAIR, {
    query: { user_id: opts.userId },
    limit: opts.limit,
    marker: opts.marker,
    paged: await hasMicroversion(client, '2.35'),
  });
}

function notFound(e: unknown, name: string): unknown {
  if (e instanceof ApiError && e.status === 404) {
    return new NotFoundError(`No keypair named '${name}' exists (keypairs belong to one user).`, { cause: e });
  }
  return e;
}

/** One keypair by name. @throws NotFoundError, ApiError */
export async function getKeypair(client: ComputeClient, name: string, userId?: string): Promise<Keypair> {
  if (userId) await requireMicroversion(client, '2.10', "Another user's keypair");
  try {
    return userId
      ? (
          await client.read('GET', KEYPAIR.show!.path(name), v.looseObject({ keypair: KeypairSchema }), 'a keypair', {
            query: { user_id: userId },
          })
        ).keypair
      : await getResource(client, KEYPAIR, name);
  } catch (e) {
    throw notFound(e, name);
  }
}

/** What {@link importKeypair} sends. */
export interface KeypairRequest {
  name: string;
  /** The OpenSSH public key line, or an X.509 PEM certificate. */
  publicKey: string;
  /** `ssh` or `x509` (2.2). */
  type?: 'ssh' | 'x509';
  /** Another user (admin, 2.10). */
  userId?: string;
}

/**
 * `POST /os-keypairs` with a public key (Nova computes the fingerprint). Sent once.
 * @throws NcliError `CONFLICT` (a keypair of that name exists), NcliError `REFUSED` (Nova finds
 *   the key invalid: 400; over the keypair quota: 403), ApiError
 */
export async function importKeypair(client: ComputeClient, req: KeypairRequest): Promise<Keypair> {
  if (req.type) await requireMicroversion(client, '2.2', 'A keypair type');
  if (req.userId) await requireMicroversion(client, '2.10', 'A keypair for another user');
  const keypair: Record<string, unknown> = { name: req.name, public_key: req.publicKey };
  if (req.type) keypair.type = req.type;
  if (req.userId) keypair.user_id = req.userId;
  try {
    const body = await client.read(
      'POST',
      '/os-keypairs',
      v.looseObject({ keypair: KeypairSchema }),
      'a created keypair',
      { body: { keypair } },
    );
    return body.keypair;
  } catch (e) {
    if (e instanceof ApiError && e.status === 409) {
      throw new NcliError(
        'CONFLICT',
        `A keypair named '${req.name}' already exists; choose another name or delete it first.`,
        {
          cause: e,
        },
      );
    }
    if (e instanceof ApiError && (e.status === 400 || e.status === 403)) {
      throw new NcliError('REFUSED', `Nova refused keypair '${req.name}': ${e.serverMessage.replace(/\.$/, '')}.`, {
        cause: e,
      });
    }
    throw e;
  }
}

/** `DELETE /os-keypairs/{name}` (idempotent). @throws NotFoundError, ApiError */
export async function deleteKeypair(client: ComputeClient, name: string, userId?: string): Promise<void> {
  if (userId) await requireMicroversion(client, '2.10', "Deleting another user's keypair");
  try {
    await client.send('DELETE', KEYPAIR.show!.path(name), { query: { user_id: userId } });
  } catch (e) {
    throw notFound(e, name);
  }
}
