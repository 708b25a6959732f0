/**
 * Cinder, the `block-storage` (or `volumev3`, `volume`) service of the catalog (Block Storage API
 * v3, api-ref block-storage "Volumes"), through the same authenticated session as Nova: a volume
 * by name or ID, as openstacksdk's `find_volume` (`GET /volumes/{id}`, then
 * `GET /volumes/detail?name=<name>` matched exactly), and the wait for a volume to reach a status
 * (`in-use` after an attach, `available` after a detach), as openstackclient's
 * `utils.wait_for_status(volume_client.volumes.get, …)`.
 */
import * as v from 'valibot';
import { LimitsSchema, type Limits } from '../compute/quotas.js';
import { NcliError, NotFoundError } from '../errors.js';
import { ApiError } from '../http/errors.js';
import { ServiceClient } from '../http/service-client.js';
import type { Session } from '../http/session.js';
import { UUID } from '../ids.js';

const optionalString = v.optional(v.nullable(v.string()));

/** A volume (`GET /volumes/{id}`): the fields ncli reads; the rest is kept. */
export const VolumeSchema = v.looseObject({
  id: v.string(),
  name: optionalString,
  status: v.string(),
  size: v.optional(v.nullable(v.number())),
  availability_zone: optionalString,
  multiattach: v.optional(v.nullable(v.boolean())),
  attachments: v.optional(
    v.array(v.looseObject({ server_id: optionalString, device: optionalString, attachment_id: optionalString })),
  ),
});
export type Volume = v.InferOutput<typeof VolumeSchema>;

/** A volume availability zone (`GET /os-availability-zone`, cinder/api/views/availability_zones.py). */
export const VolumeZoneSchema = v.looseObject({
  zoneName: v.string(),
  zoneState: v.looseObject({ available: v.boolean() }),
});
export type VolumeZone = v.InferOutput<typeof VolumeZoneSchema>;

/** Volume statuses that end a wait as a failure (Cinder's `error*` statuses). */
export const VOLUME_FAILED = ['error', 'error_attaching', 'error_detaching', 'error_deleting', 'error_extending'];

/** Cinder v3 over an authenticated session. */
export class VolumeClient {
  private readonly api: ServiceClient;

  /**
   * @param session the authenticated session (the same as Nova's)
   * @param endpoint the endpoint from the catalog: `http://host:8776/v3/<project>` (Keystone fills
   *   in `%(project_id)s`), or `http://host:8776/v3`
   */
  constructor(session: Session, endpoint: string) {
    this.api = new ServiceClient(session, endpoint.replace(/\/+$/, ''), 'volume');
  }

  /** One volume by ID. @throws ApiError (404 when absent), NetworkError, NcliError `BAD_RESPONSE` */
  async getVolume(id: string): Promise<Volume> {
    const body = await this.api.read(
      'GET',
      `/volumes/${encodeURIComponent(id)}`,
      v.looseObject({ volume: VolumeSchema }),
      'a volume',
    );
    return body.volume;
  }

  /**
   * The block-storage limits of this project, or of `projectId`: `GET /limits?project_id=…` at
   * volume microversion 3.39 (cinder/api/v3/limits.py; Cinder takes the filter from an admin only
   * and silently answers the caller's own limits to anyone else). Nova's shape
   * (cinder/api/views/limits.py follows Nova's): `absolute` (`maxTotalVolumes`,
   * `maxTotalVolumeGigabytes`…, `totalVolumesUsed`…) and `rate` (empty without a rate-limit middleware).
   * @throws ApiError (406: a Cinder older than 3.39), NetworkError, NcliError `BAD_RESPONSE`
   */
  async getLimits(projectId?: string): Promise<Limits> {
    const opts = projectId
      ? { query: { project_id: projectId }, headers: { 'OpenStack-API-Version': 'volume 3.39' } }
      : {};
    return (await this.api.read('GET', '/limits', v.looseObject({ limits: LimitsSchema }), 'limits', opts)).limits;
  }

  /**
   * The volume availability zones (`GET /os-availability-zone`, Cinder's api-ref "Availability
   * zones"): the shape of Nova's plain listing, without hosts.
   * @throws ApiError, NetworkError, NcliError `BAD_RESPONSE`
   */
  async listAvailabilityZones(): Promise<VolumeZone[]> {
    const schema = v.looseObject({ availabilityZoneInfo: v.array(VolumeZoneSchema) });
    return (await this.api.read('GET', '/os-availability-zone', schema, 'a list of availability zones'))
      .availabilityZoneInfo;
  }

  /**
   * A volume by ID (tried first when it looks like one) or exact name.
   * @throws NotFoundError (`NOT_FOUND` "No volume with a name or ID of 'x' exists.", `AMBIGUOUS`
   *   with the IDs), ApiError, NetworkError
   */
  async findVolume(ref: string): Promise<Volume> {
    if (!ref) throw new NotFoundError('A volume name or ID is required.');
    if (UUID.test(ref)) {
      try {
        return await this.getVolume(ref);
      } catch (e) {
        if (!(e instanceof ApiError && (e.status === 404 || e.status === 400))) throw e;
      }
    }
    const body = await this.api.read(
      'GET',
      '/volumes/detail',
      v.looseObject({ volumes: v.array(VolumeSchema) }),
      'a list of volumes',
      { query: { name: ref } },
    );
    const named = body.volumes.filter((x) => x.name === ref);
    if (named.length === 1) return named[0];
    if (named.length > 1) {
      const ids = named.map((x) => x.id);
      throw new NotFoundError(
        `More than one volume is named '${ref}' (${ids.join(', ')}); use an ID to be more specific.`,
        { ids },
      );
    }
    throw new NotFoundError(`No volume with a name or ID of '${ref}' exists.`);
  }
}

/** Options of {@link waitForVolume}. */
export interface VolumeWaitOptions {
  /** The longest wait, seconds. */
  timeoutSeconds: number;
  /** How the volume is named in messages (`vol1 (ID)`). */
  label: string;
  /** Stops the wait (`INTERRUPTED`): Ctrl-C. */
  signal?: AbortSignal;
  /** Time, for tests: now (ms) and sleep (ms). */
  clock?: { now(): number; sleep(ms: number): Promise<void> };
}

/** Delay between two polls of a volume (ms): 0.5 s, then 1 s, then 2 s. */
export function volumePollDelay(attempt: number): number {
  return attempt < 3 ? 500 : attempt < 6 ? 1000 : 2000;
}

/**
 * Polls Cinder until volume `id` is in status `want` (`in-use`, `available`).
 * @returns the volume in that status
 * @throws NcliError `FAILED` (an `error*` status), `WAIT_TIMEOUT` (hint `wait-timeout`),
 *   `INTERRUPTED`; ApiError (404: the volume went away), NetworkError
 */
export async function waitForVolume(
  volumes: VolumeClient,
  id: string,
  want: string,
  opts: VolumeWaitOptions,
): Promise<Volume> {
  const clock = opts.clock ?? {
    now: () => Date.now(),
    sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
  };
  const deadline = clock.now() + opts.timeoutSeconds * 1000;
  for (let attempt = 1; ; attempt++) {
    const vol = await volumes.getVolume(id);
    if (vol.status === want) return vol;
    if (VOLUME_FAILED.includes(vol.status)) {
      throw new NcliError('FAILED', `Volume ${opts.label} went to ${vol.status} in Cinder instead of ${want}.`);
    }
    if (opts.signal?.aborted) {
      throw new NcliError('INTERRUPTED', `Stopped waiting for volume ${opts.label} (${vol.status}); Nova goes on.`);
    }
    const now = clock.now();
    if (now >= deadline) {
      throw new NcliError(
        'WAIT_TIMEOUT',
        `Volume ${opts.label} is ${vol.status} after ${opts.timeoutSeconds} s, not yet ${want}.`,
        { hint: 'wait-timeout' },
      );
    }
    await clock.sleep(Math.min(volumePollDelay(attempt), deadline - now));
  }
}
