/**
 * Neutron's floating IPs and a server's ports, as `openstack server add|remove floating ip` and
 * `server remove fixed ip` use them (openstackclient/compute/v2/server.py `AddFloatingIP`,
 * `RemoveFloatingIP` through openstacksdk's `find_ip`, `ports(device_id=…)`, `update_ip`; Nova's
 * `removeFixedIp`, nova/network/neutron.py `remove_fixed_ip_from_instance`, for the port's
 * `fixed_ips`). api-ref network "Floating IPs (floatingips)" and "Ports":
 * - `GET /v2.0/floatingips/{id}`, `GET /v2.0/floatingips?floating_ip_address=A`;
 * - `PUT /v2.0/floatingips/{id}` `{"floatingip": {"port_id": P|null, "fixed_ip_address": A}}`:
 *   Neutron (the L3 router plugin, neutron/db/l3_db.py `_update_fip_assoc`) answers 404
 *   `ExternalGatewayForFloatingIPNotFound` when no router joins the port's subnet to the floating
 *   IP's network, 400 for a port without a usable fixed IP, 409 when that fixed IP already has
 *   another floating IP;
 * - `GET /v2.0/ports?device_id=S`; `PUT /v2.0/ports/{id}` `{"port": {"fixed_ips": […]}}`.
 * Neutron's refusals become one line with the fix ({@link FloatingIpRefusedError}).
 */
import * as v from 'valibot';
import { NcliError, NotFoundError } from '../errors.js';
import { ApiError } from '../http/errors.js';
import { UUID } from '../ids.js';
import { PortSchema, type NetworkClient, type Port } from './client.js';

const optionalString = v.optional(v.nullable(v.string()));

/** A floating IP (`GET /v2.0/floatingips/{id}`): the fields ncli reads; the rest is kept. */
export const FloatingIpSchema = v.looseObject({
  id: v.string(),
  floating_ip_address: v.string(),
  floating_network_id: optionalString,
  /** The port it is associated with; null when free. */
  port_id: optionalString,
  fixed_ip_address: optionalString,
  router_id: optionalString,
  status: optionalString,
  project_id: optionalString,
  description: optionalString,
});
export type FloatingIp = v.InferOutput<typeof FloatingIpSchema>;

/** Neutron refused a floating or fixed IP change, or ncli saw it would (`REFUSED`). */
export class FloatingIpRefusedError extends NcliError {
  override readonly name = 'FloatingIpRefusedError';
  constructor(
    message: string,
    /** Neutron's HTTP status; 0 when ncli refused before asking. */
    readonly status: number,
  ) {
    super('REFUSED', message);
  }
}

/**
 * A floating IP by ID (tried first when the value looks like a UUID) or address, as openstacksdk's
 * `find_ip`.
 * @throws NotFoundError (`NOT_FOUND`: "No floating IP with an address or ID of 'x' exists."), ApiError
 */
export async function findFloatingIp(net: NetworkClient, ref: string): Promise<FloatingIp> {
  if (!ref) throw new NotFoundError('A floating IP address or ID is required.');
  if (UUID.test(ref)) {
    try {
      const body = await net.api.read(
        'GET',
        `/floatingips/${encodeURIComponent(ref)}`,
        v.looseObject({ floatingip: FloatingIpSchema }),
        'a floating IP',
      );
      return body.floatingip;
    } catch (e) {
      if (!(e instanceof ApiError && (e.status === 404 || e.status === 400))) throw e;
    }
  }
  const body = await net.api.read(
    'GET',
    '/floatingips',
    v.looseObject({ floatingips: v.array(FloatingIpSchema) }),
    'a list of floating IPs',
    { query: { floating_ip_address: ref } },
  );
  const found = body.floatingips.filter((f) => f.floating_ip_address === ref);
  if (found.length === 1) return found[0];
  if (found.length > 1) {
    const ids = found.map((f) => f.id);
    throw new NotFoundError(
      `More than one floating IP has the address '${ref}' (${ids.join(', ')}); use an ID to be more specific.`,
      { ids },
    );
  }
  throw new NotFoundError(
    `No floating IP with an address or ID of '${ref}' exists; create one first (openstack floating ip create NETWORK).`,
  );
}

/** The ports bound to a device (a server's ID), in Neutron's order. @throws ApiError */
export async function listDevicePorts(net: NetworkClient, deviceId: string): Promise<Port[]> {
  const body = await net.api.read('GET', '/ports', v.looseObject({ ports: v.array(PortSchema) }), 'a list of ports', {
    query: { device_id: deviceId },
  });
  return body.ports;
}

/**
 * Associates a floating IP with a port (and one of its fixed IPs), or, with `portId` null,
 * dissociates it: `PUT /v2.0/floatingips/{id}` (idempotent).
 * @param what the floating IP in messages (`172.24.4.10`)
 * @param target the port in messages (`port ID (10.10.0.5) of server vm1`)
 * @throws FloatingIpRefusedError (400, 409; 404 `unreachable` when no router joins the port's
 *   subnet to the floating IP's network: see {@link isUnreachable}), ApiError
 */
export async function updateFloatingIp(
  net: NetworkClient,
  fip: FloatingIp,
  portId: string | null,
  fixedIp: string | undefined,
  what: string,
  target: string,
): Promise<FloatingIp> {
  const body: Record<string, unknown> = { port_id: portId };
  if (portId && fixedIp) body.fixed_ip_address = fixedIp;
  try {
    const answer = await net.api.read(
      'PUT',
      `/floatingips/${encodeURIComponent(fip.id)}`,
      v.looseObject({ floatingip: FloatingIpSchema }),
      'a floating IP',
      { body: { floatingip: body } },
    );
    return answer.floatingip;
  } catch (e) {
    throw refused(e, portId ? `associate floating IP ${what} with ${target}` : `dissociate floating IP ${what}`);
  }
}

/**
 * Whether an error of {@link updateFloatingIp} is Neutron's 404 `ExternalGatewayForFloatingIPNotFound`
 * ("External network … is not reachable from subnet …"): the port is on a subnet no router joins
 * to the floating IP's network.
 */
export function isUnreachable(e: unknown): e is FloatingIpRefusedError {
  return e instanceof FloatingIpRefusedError && e.status === 404 && /not reachable/i.test(e.message);
}

/**
 * Sets a port's fixed IPs (`PUT /v2.0/ports/{id}` `{"port": {"fixed_ips": […]}}`), as Nova's
 * `removeFixedIp` does with the IPs the port keeps.
 * @throws FloatingIpRefusedError (400/409), ApiError
 */
export async function setPortFixedIps(
  net: NetworkClient,
  portId: string,
  fixedIps: readonly { ip_address: string; subnet_id?: string | null }[],
  doing: string,
): Promise<Port> {
  try {
    const answer = await net.api.read(
      'PUT',
      `/ports/${encodeURIComponent(portId)}`,
      v.looseObject({ port: PortSchema }),
      'a port',
      {
        body: {
          port: {
            fixed_ips: fixedIps.map((ip) => ({
              ip_address: ip.ip_address,
              ...(ip.subnet_id ? { subnet_id: ip.subnet_id } : {}),
            })),
          },
        },
      },
    );
    return answer.port;
  } catch (e) {
    throw refused(e, doing);
  }
}

/** Neutron's 400/403/404/409 as one line with the fix it calls for; other errors unchanged. */
function refused(e: unknown, doing: string): unknown {
  if (!(e instanceof ApiError) || ![400, 403, 404, 409].includes(e.status)) return e;
  const why = e.serverMessage.replace(/\.$/, '');
  let fix = '';
  if (/not reachable/i.test(why)) {
    fix =
      '; give the server a port on a network a router connects to the floating IP network (ncli server add network SERVER NETWORK)';
  } else if (/already (has|associated)|FloatingIPPortAlreadyAssociated/i.test(why)) {
    fix = '; remove that floating IP from the server first (ncli server remove floating ip SERVER IP)';
  } else if (/fixed ip|fixed_ip/i.test(why)) {
    fix = '; choose a fixed IP of the server (ncli server show SERVER) with --fixed-ip-address';
  }
  return new FloatingIpRefusedError(
    `Neutron refused to ${doing}: ${why} (HTTP ${e.status}${e.requestId ? `, request ${e.requestId}` : ''})${fix}.`,
    e.status,
  );
}
