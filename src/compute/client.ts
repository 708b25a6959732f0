/**
 * The compute client: JSON requests to Nova through the authenticated session, at the negotiated
 * microversion, and the walk of paginated collections. Version discovery is the unauthenticated
 * `GET {endpoint}/` (api-ref compute "API Versions"), kept for a day by a {@link VersionCache} the
 * caller supplies; the endpoint itself comes from the service catalog before the client is built.
 */
import { NcliError } from '../errors.js';
import { ApiError } from '../http/errors.js';
import type { HttpResponse } from '../http/transport.js';
import type { Session } from '../http/session.js';
import * as v from 'valibot';
import { checkShape } from '../http/shape.js';
import { parseJson } from '../http/transport.js';
import { microversionHeaders, negotiate, type VersionRange } from './microversion.js';
import type { Link } from './types.js';

/** Where version documents are kept between runs (a day); see src/config/cache-files.ts `versionCache`. */
export interface VersionCache {
  /** The range cached for this endpoint URL, if still fresh. */
  read(endpoint: string): VersionRange | undefined;
  /** Remembers the range of this endpoint URL. Never throws. */
  write(endpoint: string, range: VersionRange): void;
}

export interface ComputeClientOptions {
  /** `--os-compute-api-version` (2.N | latest) or undefined (the newest both sides know). */
  requestedVersion?: string;
  /** Version documents between runs; none when undefined. */
  versions?: VersionCache;
}

/** Query parameters; undefined values are left out, an array is the parameter repeated (`sort_key=a&sort_key=b`). */
export type Query = Record<string, string | number | boolean | readonly string[] | undefined>;

const VersionSchema = v.looseObject({
  id: v.optional(v.string()),
  status: v.optional(v.string()),
  version: v.optional(v.string()),
  min_version: v.optional(v.string()),
});
/** Nova's version document: `{"version": {…}}` at `/v2.1/`, `{"versions": […]}` at the root. */
const VersionDocSchema = v.looseObject({
  version: v.optional(VersionSchema),
  versions: v.optional(v.array(VersionSchema)),
});

/** Options of one request. */
export interface CallOptions {
  query?: Query;
  body?: unknown;
  /** `undefined` = the negotiated microversion, `null` = no microversion header (legacy actions). */
  microversion?: string | null;
}

/** Nova over an authenticated {@link Session}. */
export class ComputeClient {
  private negotiated?: Promise<string | undefined>;
  private range?: Promise<VersionRange>;

  /**
   * @param session the authenticated session
   * @param endpoint the compute endpoint URL from the catalog (no trailing slash)
   */
  constructor(
    private readonly session: Session,
    readonly endpoint: string,
    private readonly opts: ComputeClientOptions = {},
  ) {}

  /** The server's microversion range (cached a day). @throws ApiError, NetworkError, NcliError `BAD_RESPONSE` */
  versionRange(): Promise<VersionRange> {
    this.range ??= (async () => {
      const hit = this.opts.versions?.read(this.endpoint);
      if (hit) return hit;
      const range = await this.discover(this.endpoint);
      this.opts.versions?.write(this.endpoint, range);
      return range;
    })();
    return this.range;
  }

  private async discover(base: string): Promise<VersionRange> {
    // The catalog URL may carry the project ID (…/v2.1/<project>): python-novaclient retries one level up.
    const candidates = [base];
    const up = base.replace(/\/[^/]+$/, '');
    if (!/\/v2(\.\d+)?$/.test(base) && up !== base) candidates.push(up);
    let last: unknown;
    for (const url of candidates) {
      try {
        const res = await this.session.anonymous({ method: 'GET', url: url + '/', service: 'compute' });
        const doc = checkShape(VersionDocSchema, parseJson(res, 'GET', url + '/', 'compute'), {
          method: 'GET',
          url: url + '/',
          service: 'compute',
          expected: "Nova's version document",
        });
        const v = doc.version ?? doc.versions?.find((x) => x.status === 'CURRENT') ?? doc.versions?.[0];
        if (v) return { min: v.min_version ?? '', max: v.version ?? '' };
      } catch (e) {
        last = e;
        if (!(e instanceof ApiError && e.status === 404)) throw e;
      }
    }
    if (last instanceof Error) throw last;
    throw new NcliError(
      'BAD_RESPONSE',
      `The compute endpoint ${base} has no version document (GET ${base}/ answered without one); check the compute endpoint in the service catalog or --os-endpoint-override.`,
    );
  }

  /** The microversion this run uses (negotiated once). @throws ConfigError `MICROVERSION` */
  microversion(): Promise<string | undefined> {
    this.negotiated ??= this.versionRange().then((r) => negotiate(this.opts.requestedVersion, r));
    return this.negotiated;
  }

  private url(path: string, query?: Query): string {
    const u = new URL(this.endpoint + path);
    for (const [k, v] of Object.entries(query ?? {})) {
      if (Array.isArray(v)) for (const item of v as readonly string[]) u.searchParams.append(k, item);
      else if (v !== undefined) u.searchParams.set(k, String(v));
    }
    return u.toString();
  }

  /**
   * Sends a request; the raw response (status < 400).
   * @throws ApiError, NetworkError, TimeoutError
   */
  async send(method: string, path: string, opts: CallOptions = {}): Promise<HttpResponse> {
    const mv = opts.microversion === null ? undefined : (opts.microversion ?? (await this.microversion()));
    return this.session.request({
      method,
      url: this.url(path, opts.query),
      json: opts.body,
      headers: microversionHeaders(mv),
      service: 'compute',
    });
  }

  /**
   * Sends a request and checks its JSON answer against `schema`.
   * @param expected what the answer is, for the message when it is not (`a server`)
   * @throws ApiError, NetworkError, TimeoutError, NcliError `BAD_RESPONSE` (not JSON, empty, wrong shape)
   */
  async read<S extends v.GenericSchema>(
    method: string,
    path: string,
    schema: S,
    expected: string,
    opts: CallOptions = {},
  ): Promise<v.InferOutput<S>> {
    const res = await this.send(method, path, opts);
    const url = this.url(path, opts.query);
    const body: unknown = res.text ? parseJson(res, method, url, 'compute') : undefined;
    return checkShape(schema, body, { method, url, service: 'compute', expected });
  }
}

/** The `marker` of a collection's `rel=next` link, or undefined at the end. */
export function nextMarker(links: Link[] | undefined): string | undefined {
  const next = links?.find((l) => l.rel === 'next');
  if (!next) return undefined;
  try {
    return new URL(next.href).searchParams.get('marker') ?? undefined;
  } catch {
    return undefined;
  }
}
