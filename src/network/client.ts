/**
 * Neutron, the `network` service of the catalog (Networking API v2.0, api-ref network "Networks",
 * "Ports", "Security groups"), through the same authenticated session as Nova: only what servers
 * need — a network, port or security group by name or ID, as openstacksdk's `find_network`,
 * `find_port`, `find_security_group` (`GET /v2.0/<collection>/<id>`, then
 * `GET /v2.0/<collection>?name=<name>` matched exactly), and a port by ID.
 */
import * as v from 'valibot';
import { NotFoundError } from '../errors.js';
import { ApiError } from '../http/errors.js';
import { ServiceClient } from '../http/service-client.js';
import type { Session } from '../http/session.js';
import { UUID } from '../ids.js';

const optionalString = v.optional(v.nullable(v.string()));

/** A network (`GET /v2.0/networks/{id}`): the fields ncli reads; the rest is kept. */
export const NetworkSchema = v.looseObject({
  id: v.string(),
  name: optionalString,
  project_id: optionalString,
  status: optionalString,
});
export type Network = v.InferOutput<typeof NetworkSchema>;

/** A port: `device_id` is the server (or router, DHCP agent) it is bound to, `''` when free. */
export const PortSchema = v.looseObject({
  id: v.string(),
  name: optionalString,
  network_id: v.string(),
  project_id: optionalString,
  device_id: optionalString,
  device_owner: optionalString,
  status: optionalString,
  fixed_ips: v.optional(v.array(v.looseObject({ ip_address: v.string(), subnet_id: optionalString }))),
});
export type Port = v.InferOutput<typeof PortSchema>;

/** A security group. */
export const SecurityGroupSchema = v.looseObject({
  id: v.string(),
  name: optionalString,
  project_id: optionalString,
});
export type SecurityGroup = v.InferOutput<typeof SecurityGroupSchema>;

/** One kind of Neutron resource: its collection, the keys of its answers, its word in messages. */
interface Kind<T> {
  collection: string;
  one: string;
  many: string;
  noun: string;
  schema: v.GenericSchema<unknown, T>;
}

const NETWORKS: Kind<Network> = {
  collection: 'networks',
  one: 'network',
  many: 'networks',
  noun: 'network',
  schema: NetworkSchema,
};
const PORTS: Kind<Port> = { collection: 'ports', one: 'port', many: 'ports', noun: 'port', schema: PortSchema };
const SECURITY_GROUPS: Kind<SecurityGroup> = {
  collection: 'security-groups',
  one: 'security_group',
  many: 'security_groups',
  noun: 'security group',
  schema: SecurityGroupSchema,
};

/** Neutron v2.0 over an authenticated session. */
export class NetworkClient {
  /** Neutron's v2.0 root: the modules of other Neutron resources (floating-ips.ts) call it too. */
  readonly api: ServiceClient;

  /**
   * @param session the authenticated session (the same as Nova's)
   * @param endpoint the network endpoint from the catalog (`http://host:9696`, with or without `/v2.0`)
   * @param projectId the token's project: a name several projects' resources share (`default`
   *   security groups, seen by an admin) resolves to this project's one, as Nova resolves it
   */
  constructor(
    session: Session,
    endpoint: string,
    private readonly projectId?: string,
  ) {
    const trimmed = endpoint.replace(/\/+$/, '');
    this.api = new ServiceClient(session, /\/v2\.0$/.test(trimmed) ? trimmed : `${trimmed}/v2.0`, 'network');
  }

  private async get<T>(k: Kind<T>, id: string): Promise<T> {
    const body = await this.api.read(
      'GET',
      `/${k.collection}/${encodeURIComponent(id)}`,
      v.looseObject({ [k.one]: k.schema }),
      `a ${k.noun}`,
    );
    return body[k.one];
  }

  /**
   * A resource by ID (tried first when the value looks like a UUID) or exact name; when several
   * share the name, the one of the token's project if exactly one is.
   * @throws NotFoundError (`NOT_FOUND` "No network with a name or ID of 'x' exists.", `AMBIGUOUS`
   *   with the IDs), ApiError, NetworkError
   */
  private async find<T extends { id: string; name?: string | null; project_id?: string | null }>(
    k: Kind<T>,
    ref: string,
  ): Promise<T> {
    if (!ref) throw new NotFoundError(`A ${k.noun} name or ID is required.`);
    if (UUID.test(ref)) {
      try {
        return await this.get(k, ref);
      } catch (e) {
        if (!(e instanceof ApiError && (e.status === 404 || e.status === 400))) throw e;
      }
    }
    const body = await this.api.read(
      'GET',
      `/${k.collection}`,
      v.looseObject({ [k.many]: v.array(k.schema) }),
      `a list of ${k.noun}s`,
      { query: { name: ref } },
    );
    const named = body[k.many].filter((x) => x.name === ref);
    if (named.length === 1) return named[0];
    if (named.length > 1) {
      const own = named.filter((x) => this.projectId && x.project_id === this.projectId);
      if (own.length === 1) return own[0];
      const ids = named.map((x) => x.id);
      throw new NotFoundError(
        `More than one ${k.noun} is named '${ref}' (${ids.join(', ')}); use an ID to be more specific.`,
        { ids },
      );
    }
    throw new NotFoundError(`No ${k.noun} with a name or ID of '${ref}' exists.`);
  }

  /** A network by name or ID. @throws NotFoundError (`NOT_FOUND`, `AMBIGUOUS`), ApiError */
  findNetwork(ref: string): Promise<Network> {
    return this.find(NETWORKS, ref);
  }

  /** A port by name or ID. @throws NotFoundError (`NOT_FOUND`, `AMBIGUOUS`), ApiError */
  findPort(ref: string): Promise<Port> {
    return this.find(PORTS, ref);
  }

  /** A security group by name or ID. @throws NotFoundError (`NOT_FOUND`, `AMBIGUOUS`), ApiError */
  findSecurityGroup(ref: string): Promise<SecurityGroup> {
    return this.find(SECURITY_GROUPS, ref);
  }

  /** A port by ID. @throws ApiError (404 when absent), NetworkError */
  getPort(id: string): Promise<Port> {
    return this.get(PORTS, id);
  }
}

/**
 * Whether a port is bound to something other than `serverId`: a server (`device_owner`
 * `compute:*`), a router or a DHCP agent; the words for it, or undefined when it is free.
 */
export function portBoundElsewhere(port: Port, serverId: string): string | undefined {
  if (!port.device_id || port.device_id === serverId) return undefined;
  const owner = port.device_owner ?? '';
  if (owner.startsWith('compute:')) return `server ${port.device_id}`;
  return `${owner || 'device'} ${port.device_id}`;
}
