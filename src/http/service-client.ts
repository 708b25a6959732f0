/**
 * A plain JSON client of one catalog service other than Nova (Neutron, Cinder): requests through
 * the authenticated {@link Session} that Nova's client uses (one token, one re-authentication for
 * all), answers checked against a valibot schema. No microversion negotiation: Neutron has none,
 * and of Cinder ncli asks one call for a microversion it names (`headers`), else its base version.
 */
import * as v from 'valibot';
import type { Session } from './session.js';
import { checkShape } from './shape.js';
import { parseJson, type HttpResponse } from './transport.js';

/** Query parameters; undefined values are left out, an array repeats the parameter. */
export type ServiceQuery = Record<string, string | number | boolean | readonly string[] | undefined>;

/** Options of one request; `headers` e.g. `OpenStack-API-Version: volume 3.39`. */
export interface ServiceCallOptions {
  query?: ServiceQuery;
  body?: unknown;
  headers?: Record<string, string>;
}

/** One service (`network`, `volume`) at a base URL (its versioned root, no trailing slash). */
export class ServiceClient {
  /**
   * @param session the authenticated session (the same as Nova's)
   * @param base the versioned root: `http://host:9696/v2.0`, `http://host:8776/v3/<project>`
   * @param service the service's word in messages (`network`, `volume`)
   */
  constructor(
    private readonly session: Session,
    readonly base: string,
    readonly service: string,
  ) {}

  /** The URL of `path` (from the base) with `query`. */
  url(path: string, query?: ServiceQuery): string {
    const u = new URL(this.base + path);
    for (const [k, val] of Object.entries(query ?? {})) {
      if (Array.isArray(val)) for (const item of val as readonly string[]) u.searchParams.append(k, item);
      else if (val !== undefined) u.searchParams.set(k, String(val));
    }
    return u.toString();
  }

  /** Sends a request; the raw answer (status < 400). @throws ApiError, NetworkError, TimeoutError */
  send(method: string, path: string, opts: ServiceCallOptions = {}): Promise<HttpResponse> {
    const url = this.url(path, opts.query);
    return this.session.request({ method, url, json: opts.body, service: this.service, headers: opts.headers });
  }

  /**
   * Sends a request and checks its JSON answer against `schema`.
   * @param expected what the answer is, for the message when it is not (`a port`)
   * @throws ApiError, NetworkError, TimeoutError, NcliError `BAD_RESPONSE`
   */
  async read<S extends v.GenericSchema>(
    method: string,
    path: string,
    schema: S,
    expected: string,
    opts: ServiceCallOptions = {},
  ): Promise<v.InferOutput<S>> {
    const res = await this.send(method, path, opts);
    const url = this.url(path, opts.query);
    return checkShape(schema, parseJson(res, method, url, this.service), {
      method,
      url,
      service: this.service,
      expected,
    });
  }
}
