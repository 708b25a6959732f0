/**
 * Keystone projects, the one module for them (identity API v3 "Projects": `GET /v3/projects[?name=]`,
 * `GET /v3/projects/{id}`), for the commands that take a project by name or ID (`quota show|set`,
 * `limits show --project`, `usage show --project`) and for `quota list` (every project). Asked of
 * the auth URL's v3 API through the run's authenticated session, as openstackclient's
 * `utils.find_resource(identity_client.projects, ref)` does: an ID first, then an exact name.
 * Also the project a token names (`token.project`, read by src/identity/keystone.ts) and the
 * projects a token may be scoped to (`GET /v3/auth/projects`, for a federated login's scope).
 */
import * as v from 'valibot';
import { NcliError, NotFoundError } from '../errors.js';
import { ApiError } from '../http/errors.js';
import type { Session } from '../http/session.js';
import { checkShape } from '../http/shape.js';
import { parseJson, type Transport } from '../http/transport.js';

export const ProjectSchema = v.looseObject({
  id: v.string(),
  name: v.string(),
  domain_id: v.optional(v.nullable(v.string())),
});
export type Project = v.InferOutput<typeof ProjectSchema>;

/** The project a token is scoped to, as Keystone's token body names it (`token.project`). */
export const TokenProjectSchema = v.looseObject({ id: v.optional(v.string()), name: v.optional(v.string()) });

/**
 * The projects a token may be scoped to (identity API v3 "Get available project scopes":
 * `GET /v3/auth/projects`), for any token, an unscoped one too (a federated login choosing its
 * scope, src/identity/oidc.ts).
 * @param authUrl the identity v3 URL (`http://host:5000/v3`)
 * @throws ApiError, NetworkError, NcliError `BAD_RESPONSE` (no `projects` with an `id` and `name` each)
 */
export async function projectsOfToken(transport: Transport, authUrl: string, token: string): Promise<Project[]> {
  const url = `${authUrl}/auth/projects`;
  const res = await transport.request({ method: 'GET', url, headers: { 'X-Auth-Token': token }, service: 'identity' });
  return checkShape(v.looseObject({ projects: v.array(ProjectSchema) }), parseJson(res, 'GET', url, 'identity'), {
    method: 'GET',
    url,
    service: 'identity',
    expected: 'a list of projects',
  }).projects;
}

/** Keystone's projects through an authenticated session. */
export class ProjectClient {
  private readonly base: string;

  /**
   * @param session the run's authenticated session
   * @param authUrl the identity URL (`http://host:5000/v3`, with or without `/v3`)
   */
  constructor(
    private readonly session: Session,
    authUrl: string,
    /** The token's own project: found by its name or ID without asking Keystone (a member may not list projects). */
    private readonly own: { id?: string; name?: string } = {},
  ) {
    const trimmed = authUrl.replace(/\/+$/, '');
    this.base = /\/v3$/.test(trimmed) ? trimmed : `${trimmed}/v3`;
  }

  private async get<S extends v.GenericSchema>(path: string, schema: S, expected: string): Promise<v.InferOutput<S>> {
    const url = this.base + path;
    let res;
    try {
      res = await this.session.request({ method: 'GET', url, service: 'identity' });
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 403) || !/^\/projects(\?|$)/.test(path)) throw e;
      throw new NcliError(
        'REFUSED',
        `Listing projects needs an admin role: Keystone's policy refused it (${e.serverMessage.replace(/\.$/, '')}) (HTTP 403${e.requestId ? `, request ${e.requestId}` : ''}); give your own project, or use the credentials of a user with the admin role.`,
        { cause: e },
      );
    }
    return checkShape(schema, parseJson(res, 'GET', url, 'identity'), {
      method: 'GET',
      url,
      service: 'identity',
      expected,
    });
  }

  /** Every project (admin). @throws NcliError `REFUSED` (403: not an admin), ApiError, NetworkError */
  async list(query = ''): Promise<Project[]> {
    return (
      await this.get(`/projects${query}`, v.looseObject({ projects: v.array(ProjectSchema) }), 'a list of projects')
    ).projects;
  }

  /**
   * A project by ID, else by exact name (the token's own without a request).
   * @throws NcliError `REFUSED` (a user without the admin role may not list projects), NotFoundError (`NOT_FOUND`; `AMBIGUOUS` for a name in several domains), ApiError, NetworkError
   */
  async find(ref: string): Promise<Project> {
    if (this.own.id && (ref === this.own.id || ref === this.own.name)) {
      return { id: this.own.id, name: this.own.name ?? ref };
    }
    try {
      return (
        await this.get(`/projects/${encodeURIComponent(ref)}`, v.looseObject({ project: ProjectSchema }), 'a project')
      ).project;
    } catch (e) {
      if (!(e instanceof ApiError && (e.status === 404 || e.status === 403))) throw e;
    }
    const named = await this.list(`?name=${encodeURIComponent(ref)}`);
    if (named.length === 1) return named[0];
    if (named.length > 1) {
      throw new NotFoundError(
        `More than one project is named '${ref}' (${named.map((p) => p.id).join(', ')}); give its ID.`,
        { ids: named.map((p) => p.id) },
      );
    }
    throw new NotFoundError(`No project with a name or ID of '${ref}' exists.`);
  }
}
