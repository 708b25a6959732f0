/**
 * The compute client: the Nova endpoint from the catalog, version discovery (cached for a day in
 * the cache folder, the document is unauthenticated: api-ref compute "API Versions"), microversion
 * negotiation, and JSON requests through the authenticated session.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { readJsonFile, writePrivateFile } from '../config/cache-files.js';
import { ApiError } from '../http/errors.js';
import type { Session } from '../http/session.js';
import { parseJson } from '../http/transport.js';
import { microversionHeaders, negotiate, type VersionRange } from './microversion.js';

/** How long a version document stays fresh, milliseconds (one day). */
export const DISCOVERY_TTL_MS = 24 * 3600 * 1000;

export interface ComputeClientOptions {
  /** `--os-compute-api-version` (2.N | latest) or undefined. */
  requestedVersion?: string;
  /** Folder for the discovery cache; no caching when undefined. */
  discoveryDir?: string;
  now?: () => number;
}

export type Query = Record<string, string | number | boolean | undefined>;

interface VersionDoc {
  version?: { id?: string; version?: string; min_version?: string };
  versions?: { id?: string; status?: string; version?: string; min_version?: string }[];
}

/** Nova over an authenticated {@link Session}. */
export class ComputeClient {
  private endpointUrl?: string;
  private negotiated?: Promise<string | undefined>;

  constructor(
    private readonly session: Session,
    private readonly endpoint: () => Promise<string>,
    private readonly opts: ComputeClientOptions = {},
  ) {}

  /** The compute endpoint URL (no trailing slash). @throws EndpointNotFoundError */
  async baseUrl(): Promise<string> {
    this.endpointUrl ??= await this.endpoint();
    return this.endpointUrl;
  }

  /** The server's microversion range (cached a day). @throws ApiError, NetworkError */
  async versionRange(): Promise<VersionRange> {
    const base = await this.baseUrl();
    const now = (this.opts.now ?? Date.now)();
    const file = this.opts.discoveryDir
      ? join(this.opts.discoveryDir, createHash('sha256').update(base).digest('hex').slice(0, 32) + '.json')
      : undefined;
    if (file) {
      const hit = readJsonFile<VersionRange & { fetchedAt: number }>(file);
      if (hit && typeof hit.fetchedAt === 'number' && now - hit.fetchedAt < DISCOVERY_TTL_MS && now >= hit.fetchedAt) {
        return { min: hit.min, max: hit.max };
      }
    }
    const range = await this.discover(base);
    if (file) {
      try {
        writePrivateFile(file, JSON.stringify({ ...range, fetchedAt: now }));
      } catch {
        /* a cache that cannot be written is only slower */
      }
    }
    return range;
  }

  private async discover(base: string): Promise<VersionRange> {
    // The catalog URL may carry the project ID (…/v2.1/<project>): python-novaclient retries one level up.
    const candidates = [base];
    const up = base.replace(/\/[^/]+$/, '');
    if (!/\/v2(\.\d+)?$/.test(base) && up !== base) candidates.push(up);
    let last: unknown;
    for (const url of candidates) {
      try {
        const res = await this.session.transport.request({ method: 'GET', url: url + '/', service: 'compute' });
        const doc = parseJson<VersionDoc>(res, 'GET', url + '/', 'compute');
        const v = doc.version ?? doc.versions?.find((x) => x.status === 'CURRENT') ?? doc.versions?.[0];
        if (v) return { min: v.min_version ?? '', max: v.version ?? '' };
      } catch (e) {
        last = e;
        if (!(e instanceof ApiError && e.status === 404)) throw e;
      }
    }
    throw last instanceof Error ? last : new Error(`No version document at ${base}`);
  }

  /** The microversion this run uses (negotiated once). @throws MicroversionError */
  async microversion(): Promise<string | undefined> {
    this.negotiated ??= this.versionRange().then((r) => negotiate(this.opts.requestedVersion, r));
    return this.negotiated;
  }

  private async url(path: string, query?: Query): Promise<string> {
    const u = new URL((await this.baseUrl()) + path);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, String(v));
    return u.toString();
  }

  /**
   * Sends a request and parses the JSON answer.
   * @param microversion `undefined` = the negotiated one, `null` = no microversion header (legacy actions)
   * @throws ApiError, NetworkError, TimeoutError
   */
  async call<T>(
    method: string,
    path: string,
    opts: { query?: Query; body?: unknown; microversion?: string | null } = {},
  ): Promise<T> {
    const mv = opts.microversion === null ? undefined : (opts.microversion ?? (await this.microversion()));
    const url = await this.url(path, opts.query);
    const res = await this.session.request({
      method,
      url,
      json: opts.body,
      headers: microversionHeaders(mv),
      service: 'compute',
    });
    if (!res.text) return undefined as T;
    return parseJson<T>(res, method, url, 'compute');
  }

  get<T>(path: string, query?: Query, microversion?: string | null): Promise<T> {
    return this.call<T>('GET', path, { query, microversion });
  }

  post<T>(path: string, body: unknown, microversion?: string | null): Promise<T> {
    return this.call<T>('POST', path, { body, microversion });
  }
}
