/**
 * Images from Glance, the `image` service of the catalog, through the same authenticated session
 * as Nova (Glance API v2, api-ref image "Images": `GET /v2/images/{id}`, `GET /v2/images` with
 * `name=`, `id=in:a,b`, and its `next` link for pagination). Only what servers need: an image by
 * name or ID (create, rebuild, `server list --image`) and the names of the images servers use
 * (the Image column of `server list`, as openstackclient's `image_client.images(id='in:…')`).
 */
import { NotFoundError } from '../errors.js';
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
