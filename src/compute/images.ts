/**
 * Images from Glance, the `image` service of the catalog, through the same authenticated session
 * as Nova (Glance API v2, api-ref image "Images": `GET /v2/images/{id}`, `GET /v2/images` with
 * `name=`, `id=in:a,b`, and its `next` link for pagination). Only what servers need: an image by
 * name or ID (create, rebuild, `server list --image`) and the names of the images servers use
 * (the Image column of `server list`, as openstackclient's `image_client.images(id='in:…')`),
 * and the wait for a snapshot or backup to become `active` ({@link waitForImage}, as
 * openstackclient's `utils.wait_for_status(image_client.get_image, …)`), and the image as
 * `openstack server image create` prints it ({@link formatImage}).
 */
import { NcliError, NotFoundError } from '../errors.js';
import { exactlyOne } from './by-name.js';
import { ApiError } from '../http/errors.js';
import type { Session } from '../http/session.js';
import * as v from 'valibot';
import { checkShape } from '../http/shape.js';
import { parseJson } from '../http/transport.js';

/** An image as Glance v2 lists it: the fields ncli reads. */
export const ImageSchema = v.looseObject({
  id: v.string(),
  name: v.optional(v.nullable(v.string())),
  status: v.optional(v.string()),
  visibility: v.optional(v.string()),
});
export type Image = v.InferOutput<typeof ImageSchema>;

const ImagePageSchema = v.looseObject({ images: v.array(ImageSchema), next: v.optional(v.nullable(v.string())) });

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** How many IDs go in one `id=in:…` query (a URL stays well under 4 KiB). */
export const IDS_PER_QUERY = 40;

/** Glance v2 over an authenticated session. */
export class ImageClient {
  private readonly base: string;

  /**
   * @param session the authenticated session (the same as Nova's)
   * @param endpoint the image endpoint from the catalog (`http://host:9292`, with or without `/v2`)
   */
  constructor(
    private readonly session: Session,
    endpoint: string,
  ) {
    const trimmed = endpoint.replace(/\/+$/, '');
    this.base = /\/v2(\.\d+)?$/.test(trimmed) ? trimmed.replace(/\/v2\.\d+$/, '/v2') : `${trimmed}/v2`;
  }

  private async get<S extends v.GenericSchema>(url: string, schema: S, expected: string): Promise<v.InferOutput<S>> {
    const res = await this.session.request({ method: 'GET', url, service: 'image' });
    return checkShape(schema, parseJson(res, 'GET', url, 'image'), { method: 'GET', url, service: 'image', expected });
  }

  /** Every image of a query, following Glance's `next` links (relative to the endpoint's origin). */
  private async list(query: Record<string, string>): Promise<Image[]> {
    const u = new URL(`${this.base}/images`);
    for (const [k, val] of Object.entries(query)) u.searchParams.set(k, val);
    const out: Image[] = [];
    let url: string | undefined = u.toString();
    for (let n = 0; url && n < 1000; n++) {
      const page: v.InferOutput<typeof ImagePageSchema> = await this.get(url, ImagePageSchema, 'a list of images');
      out.push(...page.images);
      if (!page.next || page.images.length === 0) break;
      // `next` is `/v2/images?marker=…` from the host's root (glance/api/v2/images.py), which
      // misses any path prefix the endpoint has: keep only its query
      url = `${this.base}/images${new URL(page.next, this.base).search}`;
    }
    return out;
  }

  /** One image by ID. @throws ApiError (404 when absent), NetworkError, NcliError `BAD_RESPONSE` */
  getImage(id: string): Promise<Image> {
    return this.get(`${this.base}/images/${encodeURIComponent(id)}`, ImageSchema, 'an image');
  }

  /**
   * An image by ID (tried first when the value looks like one) or exact name, as openstacksdk's
   * `find_image`.
   * @throws NotFoundError "No image with a name or ID of 'x' exists." / `AMBIGUOUS` with the IDs;
   *   ApiError, NetworkError
   */
  async findImage(ref: string): Promise<Image> {
    if (!ref) throw new NotFoundError('An image name or ID is required.');
    if (UUID.test(ref)) {
      try {
        return await this.getImage(ref);
      } catch (e) {
        if (!(e instanceof ApiError && (e.status === 404 || e.status === 400))) throw e;
      }
    }
    const one = exactlyOne('image', ref, await this.list({ name: ref }));
    if (one instanceof NotFoundError) throw one;
    return one;
  }

  /**
   * The images with these IDs that Glance shows this project (`id=in:…`, a few dozen IDs per
   * request); IDs it does not know (deleted, or private to another project) are simply absent.
   * @throws ApiError, NetworkError, NcliError `BAD_RESPONSE`
   */
  async imagesById(ids: readonly string[]): Promise<Image[]> {
    const unique = [...new Set(ids)].filter((id) => id && !id.includes(','));
    const out: Image[] = [];
    for (let i = 0; i < unique.length; i += IDS_PER_QUERY) {
      out.push(...(await this.list({ id: `in:${unique.slice(i, i + IDS_PER_QUERY).join(',')}` })));
    }
    return out;
  }
}

/** Image statuses that end a wait as a failure (Glance v2 image statuses; `deleted` as a 404 too). */
export const IMAGE_FAILED = ['killed', 'error', 'deleted', 'deactivated'] as const;

/** A snapshot or backup image that did not become active (`FAILED`): its status, and why when known. */
export class ImageFailedError extends NcliError {
  override readonly name = 'ImageFailedError';
  constructor(
    message: string,
    /** The image's last status (`killed`, `error`, `deleted`), or `gone` after a 404. */
    readonly status: string,
  ) {
    super('FAILED', message);
  }
}

/** Options of {@link waitForImage}. */
export interface ImageWaitOptions {
  /** The longest wait, seconds. */
  timeoutSeconds: number;
  /** How the image is named in messages (`snapshot vm1-snap (ID)`). */
  label: string;
  /** Why it failed, when it did (e.g. the failed events of the server's createImage action). */
  whyFailed?: () => Promise<string | undefined>;
  /** Told of each poll (the progress line). */
  onPoll?: (image: Image | null) => void;
  /** Stops the wait (`INTERRUPTED`): Ctrl-C. */
  signal?: AbortSignal;
  /** Time, for tests: now (ms) and sleep. */
  clock?: { now(): number; sleep(ms: number, signal?: AbortSignal): Promise<void> };
}

/** Delay between two polls of an image (ms): 1 s, then 2 s (openstackclient polls every 5 s). */
export function imagePollDelay(attempt: number): number {
  return attempt < 3 ? 1000 : 2000;
}

/**
 * Polls Glance until image `id` is `active`. Nova deletes the image of a snapshot that failed in
 * nova-compute, so a 404 (or `deleted`) is a failure too, as are `killed` and `error`.
 * @returns the active image
 * @throws ImageFailedError (one line: the status and, when `whyFailed` knows, Nova's reason),
 *   NcliError `WAIT_TIMEOUT` (hint `wait-timeout`) or `INTERRUPTED`, ApiError, NetworkError
 */
export async function waitForImage(images: ImageClient, id: string, opts: ImageWaitOptions): Promise<Image> {
  const clock = opts.clock ?? {
    now: () => Date.now(),
    sleep: (ms: number, signal?: AbortSignal) =>
      new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(new Error('aborted'));
        const t = setTimeout(() => {
          signal?.removeEventListener('abort', abort);
          resolve();
        }, ms);
        const abort = () => {
          clearTimeout(t);
          reject(new Error('aborted'));
        };
        signal?.addEventListener('abort', abort, { once: true });
      }),
  };
  const deadline = clock.now() + opts.timeoutSeconds * 1000;
  for (let attempt = 1; ; attempt++) {
    let image: Image | null;
    try {
      image = await images.getImage(id);
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 404)) throw e;
      image = null;
    }
    opts.onPoll?.(image);
    const status = image?.status ?? 'gone';
    if (status === 'active' && image) return image;
    if ((IMAGE_FAILED as readonly string[]).includes(status) || !image) {
      const why = await opts.whyFailed?.().catch(() => undefined);
      const what = image ? `it is ${status} in Glance` : 'Glance no longer has it (Nova deletes a failed snapshot)';
      throw new ImageFailedError(
        `The ${opts.label} failed: ${what}${why ? `; ${why}` : ''}.`.replace(/\.\.$/, '.'),
        status,
      );
    }
    const now = clock.now();
    if (now >= deadline) {
      throw new NcliError(
        'WAIT_TIMEOUT',
        `The ${opts.label} is ${status} after ${opts.timeoutSeconds} s, not yet active.`,
        { hint: 'wait-timeout' },
      );
    }
    try {
      await clock.sleep(Math.min(imagePollDelay(attempt), deadline - now), opts.signal);
    } catch {
      throw new NcliError('INTERRUPTED', `Stopped waiting for the ${opts.label} (${status}); Nova goes on with it.`);
    }
  }
}

/** The image fields `openstack image show` lists at the top level (openstackclient/image/v2/image.py `_format_image`). */
const IMAGE_FIELDS = new Set([
  'status',
  'name',
  'container_format',
  'created_at',
  'size',
  'disk_format',
  'updated_at',
  'visibility',
  'min_disk',
  'protected',
  'id',
  'file',
  'checksum',
  'owner',
  'virtual_size',
  'min_ram',
  'schema',
]);

/**
 * An image as `openstack server image create|backup create` prints it (openstackclient
 * `_format_image` over openstacksdk's image): the usual fields at the top level, `tags` as a
 * list, every other field (Glance's extra properties: `image_type`, `instance_uuid`,
 * `backup_type`, `os_hash_value`, …) in one `properties` object; keys sorted. Fields Glance
 * answers `null` are left out, as openstacksdk's `to_dict(ignore_none=True)` does.
 */
export function formatImage(image: Image): Record<string, unknown> {
  const info: Record<string, unknown> = {};
  const properties: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(image)) {
    if (val === null || val === undefined) continue;
    if (IMAGE_FIELDS.has(k)) info[k] = val;
    else if (k === 'tags' || k === 'locations' || k === 'location' || k === 'self') continue;
    else properties[k] = val;
  }
  info.tags = (image as { tags?: unknown }).tags ?? [];
  if (Object.keys(properties).length) info.properties = properties;
  return Object.fromEntries(Object.entries(info).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
