/**
 * One description per Nova resource (the role of cliff's Lister/ShowOne and python-novaclient's
 * `base.Manager` subclasses): where its collection lives, the key of the answer, the schema of
 * one item, how the collection pages, how a name resolves to one item, the names-cache kind for
 * completion, and the columns a list prints. Every list and show command, and `ctx.find`, works
 * from such a description; a new resource is one {@link defineResource} call in
 * src/compute/resources/ and a short handler.
 *
 * Paging styles (api-guide `paginated_collections.rst` and the api-ref of each resource):
 * - `links`: `limit` + `marker`, with a `rel=next` link in `<key>_links` (servers, flavors,
 *   hypervisors from 2.33, keypairs from 2.35, os-migrations from 2.59, usage from 2.40 as
 *   `tenant_usages_links`, instance actions from 2.58 as `links`);
 * - `offset`: `limit` + `offset`, no links (os-server-groups): a page shorter than an earlier one
 *   is the last (Nova caps `limit` at `[api] max_limit`, so a first short page may not be);
 * - `none`: one answer holds everything (aggregates, services, availability zones).
 */
import * as v from 'valibot';
import { NotFoundError } from '../errors.js';
import { ApiError } from '../http/errors.js';
import type { NameKind } from '../name-kinds.js';
import { exactlyOne } from './by-name.js';
import { nextMarker, type ComputeClient, type Query } from './client.js';
import { LinkSchema, type Link } from './types.js';

/**
 * One column of a list: its name as python-openstackclient prints it (the `-f json` key and the
 * `-c` name), the value of an item, and whether only `--long` shows it. The value function is
 * typed against the item, so a field that does not exist is a compile error, and a row is built
 * from the columns themselves (no name is written twice).
 */
export interface Column<T> {
  readonly name: string;
  /** The cell: from the item, and names looked up for it (e.g. image names for `server list`). */
  readonly value: (item: T, names: NameLookup) => unknown;
  /** Shown only with `--long`. */
  readonly long?: boolean;
}

/** The name of a resource of another kind by its ID, when the command looked it up; else undefined. */
export type NameLookup = (kind: NameKind, id: string) => string | undefined;

/** A lookup that knows no names. */
export const NO_NAMES: NameLookup = () => undefined;

/** Shorthand for a {@link Column}. */
export function column<T>(
  name: string,
  value: (item: T, names: NameLookup) => unknown,
  opts: { long?: boolean } = {},
): Column<T> {
  return { name, value, ...opts };
}

/** How a collection pages (see the module comment). */
export type Paging = 'links' | 'offset' | 'none';

/** A Nova resource. `T` is the item type (inferred from `item`). */
export interface Resource<T> {
  /** The kind: the word of messages and the names-cache kind (`hypervisor`). */
  readonly kind: NameKind;
  /** The resource in messages when it differs from the kind (`compute service`). */
  readonly noun?: string;
  /** The path of the (detailed) listing, e.g. `/os-hypervisors/detail`. */
  readonly path: string;
  /** The key of the list in the answer: `hypervisors`. */
  readonly key: string;
  /** The key of the paging links; default `<key>_links`. */
  readonly linksKey?: string;
  /** The schema of one item as the API returns it (after {@link unwrap}). */
  readonly item: v.GenericSchema<unknown, T>;
  /** Items come wrapped one level deeper: `{"keypair": {…}}` (os-keypairs). */
  readonly unwrap?: string;
  readonly paging: Paging;
  /** The path of one item by ID, and the key of the answer: `{path: id => '/os-hypervisors/' + id, key: 'hypervisor'}`. */
  readonly show?: { readonly path: (id: string) => string; readonly key: string };
  /** The ID of an item (default: its `id`, as a string). */
  readonly idOf?: (item: T) => string;
  /** The name of an item (default: its `name`). Undefined: the resource has no names. */
  readonly nameOf?: (item: T) => string | undefined | null;
  /**
   * How a name is looked up: a query that narrows the listing server-side (Nova's regex `name`
   * for servers, `hypervisor_hostname_pattern` for hypervisors); the answer is still matched
   * exactly here. Default: the whole listing.
   */
  readonly nameQuery?: (name: string) => Query;
  /**
   * Which refs are tried as IDs first (`GET show.path(ref)`); default: every ref (flavor IDs and
   * aggregate IDs need not be UUIDs). A ref that is not tried as an ID is looked up by name only.
   */
  readonly idPattern?: RegExp;
  /** The columns of `list`, in order (`--long` adds those marked long). */
  readonly columns: readonly Column<T>[];
}

/** Declares a resource, inferring the item type from its schema. */
export function defineResource<T>(r: Resource<T>): Resource<T> {
  return r;
}

/** The ID of an item of `r`. */
export function idOf<T>(r: Resource<T>, item: T): string {
  return r.idOf ? r.idOf(item) : String((item as { id?: unknown }).id);
}

/** The name of an item of `r`, or undefined. */
export function nameOf<T>(r: Resource<T>, item: T): string | undefined {
  const n = r.nameOf ? r.nameOf(item) : (item as { name?: unknown }).name;
  return typeof n === 'string' && n ? n : undefined;
}

/** The word for `r` in messages: `compute service`, `hypervisor`. */
export function nounOf(r: Pick<Resource<unknown>, 'kind' | 'noun'>): string {
  return r.noun ?? r.kind.replace(/-/g, ' ');
}

/** The columns of `r` a list shows: the default ones, or all with `long`. */
export function columnsOf<T>(r: Pick<Resource<T>, 'columns'>, long = false): readonly Column<T>[] {
  return long ? r.columns : r.columns.filter((c) => !c.long);
}

/** The rows of `items` for `columns`: `{ [column name]: value }`. */
export function rowsOf<T>(
  columns: readonly Column<T>[],
  items: readonly T[],
  names: NameLookup = NO_NAMES,
): Record<string, unknown>[] {
  return items.map((it) => Object.fromEntries(columns.map((c) => [c.name, c.value(it, names)])));
}

/** Paging and filtering of {@link listResource}. */
export interface ListOptions {
  /** Query parameters (filters); `undefined` values are left out. */
  query?: Query;
  /** At most this many items; all when undefined or negative. */
  limit?: number;
  /** Start after this item (`links` paging: its ID; `offset` paging: a number of items to skip). */
  marker?: string;
  /**
   * Whether the cloud pages this collection at the run's microversion (e.g. hypervisors from
   * 2.33); default true. When false, `limit`/`marker` are not sent and `limit` is applied here.
   */
  paged?: boolean;
  /** A different path than `r.path` (e.g. a sub-collection). */
  path?: string;
}

/**
 * The page size of `offset` paging: Nova's default `[api] max_limit` (a cloud that lowers it
 * answers shorter pages, which read as the last one).
 */
export const OFFSET_PAGE = 1000;

/** The most pages read from one collection (a loop guard against a server that never ends). */
export const MAX_PAGES = 100_000;

/**
 * Lists a resource, following its paging to the end or `limit` items (see the module comment).
 * Every page is asked of the catalog endpoint: the host and scheme of Nova's next links are not
 * used (behind a TLS terminator Nova writes `http://` links).
 * @returns the items, unwrapped and checked against `r.item`
 * @throws ApiError, NetworkError, TimeoutError, NcliError `BAD_RESPONSE` (an answer of the wrong shape)
 */
export async function listResource<T>(client: ComputeClient, r: Resource<T>, opts: ListOptions = {}): Promise<T[]> {
  const itemSchema = r.unwrap ? v.looseObject({ [r.unwrap]: r.item }) : r.item;
  const linksKey = r.linksKey ?? `${r.key}_links`;
  const page = v.looseObject({ [r.key]: v.array(itemSchema), [linksKey]: v.optional(v.array(LinkSchema)) });
  const expected = `a list of ${nounOf(r)}s`;
  const path = opts.path ?? r.path;
  const want = opts.limit !== undefined && opts.limit >= 0 ? opts.limit : undefined;
  const paged = r.paging !== 'none' && opts.paged !== false;
  const out: T[] = [];
  let marker = opts.marker;
  let offset = r.paging === 'offset' && marker ? Number(marker) : 0;
  let biggest = 0;
  for (let n = 0; n < MAX_PAGES; n++) {
    const q: Query = { ...opts.query };
    if (paged && r.paging === 'links') {
      q.marker = marker;
      if (want !== undefined) q.limit = want - out.length;
    } else if (paged && r.paging === 'offset') {
      if (offset) q.offset = offset;
      q.limit = want !== undefined ? Math.min(want - out.length, OFFSET_PAGE) : OFFSET_PAGE;
    }
    const body = (await client.read('GET', path, page, expected, { query: q })) as Record<string, unknown>;
    const raw = body[r.key] as unknown[];
    const items = (r.unwrap ? raw.map((x) => (x as Record<string, unknown>)[r.unwrap!]) : raw) as T[];
    out.push(...items);
    if (want !== undefined && out.length >= want) return out.slice(0, want);
    if (!paged || items.length === 0) return out;
    if (r.paging === 'offset') {
      // no links: a page shorter than asked is the last, once a longer page showed the cloud's
      // page size (a cloud with a lower `[api] max_limit` answers every page short): a first short
      // page costs one more request
      const last = items.length < (q.limit as number) && biggest > items.length;
      biggest = Math.max(biggest, items.length);
      if (last) return out;
      offset += items.length;
      continue;
    }
    const m = nextMarker(body[linksKey] as Link[] | undefined);
    if (!m || m === marker) return out;
    marker = m;
  }
  return out;
}

/**
 * One item by ID (`GET show.path(id)`).
 * @throws ApiError (404 when absent), NcliError `BAD_RESPONSE`, and Error when `r` has no `show`
 *   (a programming error)
 */
export async function getResource<T>(client: ComputeClient, r: Resource<T>, id: string): Promise<T> {
  if (!r.show) throw new Error(`resource ${r.kind} has no show path`);
  const schema = v.looseObject({ [r.show.key]: r.item });
  const body = (await client.read('GET', r.show.path(id), schema, `a ${nounOf(r)}`)) as Record<string, unknown>;
  return body[r.show.key] as T;
}

function isNotFound(e: unknown): boolean {
  return e instanceof ApiError && (e.status === 404 || e.status === 400);
}

/**
 * An item by ID or exact name, as python-novaclient's `utils.find_resource` and openstacksdk's
 * `Resource.find` do: the ref is tried as an ID first (when `r.show` exists and the ref matches
 * `r.idPattern`), then the listing (narrowed by `r.nameQuery`) is matched exactly by name.
 * @param opts.query extra query parameters of the name search (e.g. `all_tenants`)
 * @throws NotFoundError (`NOT_FOUND`: "No hypervisor with a name or ID of 'x' exists.";
 *   `AMBIGUOUS` with the IDs), ApiError, NetworkError
 */
export async function findResource<T>(
  client: ComputeClient,
  r: Resource<T>,
  ref: string,
  opts: { query?: Query } = {},
): Promise<T> {
  const noun = nounOf(r);
  if (!ref) throw new NotFoundError(`A ${noun} name or ID is required.`);
  if (r.show && (!r.idPattern || r.idPattern.test(ref))) {
    try {
      return await getResource(client, r, ref);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
  let found: T[] = [];
  try {
    found = await listResource(client, r, { query: { ...opts.query, ...r.nameQuery?.(ref) } });
  } catch (e) {
    // a narrowed listing that matches nothing may answer 404 (hypervisor_hostname_pattern)
    if (!(r.nameQuery && e instanceof ApiError && e.status === 404)) throw e;
  }
  const named = found.map((item) => ({ id: idOf(r, item), name: nameOf(r, item), item }));
  // an ID that only the listing shows (no show path, or IDs the show path does not take)
  const byId = named.filter((x) => x.id === ref);
  if (byId.length === 1) return byId[0].item;
  const one = exactlyOne(noun, ref, named);
  if (one instanceof NotFoundError) throw one;
  return one.item;
}
