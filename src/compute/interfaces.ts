/**
 * A server's network interfaces and security groups (api-ref compute "Port interfaces
 * (servers, os-interface)" and "Servers - run an action" `addSecurityGroup`/`removeSecurityGroup`),
 * as `openstack server add|remove port|network|fixed ip|security group` uses them
 * (openstackclient/compute/v2/server.py `AddPort`, `AddNetwork`, `AddFixedIP`, `RemovePort`,
 * `RemoveNetwork`, `AddServerSecurityGroup`, `RemoveServerSecurityGroup`):
 * - `GET /servers/{id}/os-interface` → `{"interfaceAttachments": […]}`;
 * - `POST /servers/{id}/os-interface` `{"interfaceAttachment": {"port_id" | "net_id", "fixed_ips",
 *   "tag" (2.49)}}`: Nova binds the port before it answers (a synchronous call to nova-compute);
 * - `DELETE /servers/{id}/os-interface/{port_id}` (202): the detach goes on after the answer;
 * - `POST /servers/{id}/action` `{"addSecurityGroup": {"name": …}}` (a name or, with Neutron, an ID).
 * Nova's refusals become one line naming the server and what was asked ({@link InterfaceRefusedError}).
 */
import * as v from 'valibot';
import { NcliError } from '../errors.js';
import { ApiError } from '../http/errors.js';
import type { ComputeClient } from './client.js';
import { requireMicroversion } from './versions.js';

/** Nova refused an interface or security group change (`REFUSED`). */
export class InterfaceRefusedError extends NcliError {
  override readonly name = 'InterfaceRefusedError';
  constructor(
    message: string,
    /** Nova's HTTP status. */
    readonly status: number,
  ) {
    super('REFUSED', message);
  }
}

/** A port interface as Nova shows it (nova/api/openstack/compute/attach_interfaces.py `_translate_interface_attachment_view`). */
export const InterfaceSchema = v.looseObject({
  port_id: v.string(),
  net_id: v.optional(v.nullable(v.string())),
  mac_addr: v.optional(v.nullable(v.string())),
  port_state: v.optional(v.nullable(v.string())),
  fixed_ips: v.optional(
    v.nullable(v.array(v.looseObject({ ip_address: v.string(), subnet_id: v.optional(v.nullable(v.string())) }))),
  ),
  tag: v.optional(v.nullable(v.string())),
});
export type Interface = v.InferOutput<typeof InterfaceSchema>;

const path = (serverId: string) => `/servers/${encodeURIComponent(serverId)}/os-interface`;

/** A server's interfaces. @throws ApiError, NetworkError */
export async function listInterfaces(client: ComputeClient, serverId: string): Promise<Interface[]> {
  const body = await client.read(
    'GET',
    path(serverId),
    v.looseObject({ interfaceAttachments: v.array(InterfaceSchema) }),
    'the interfaces of a server',
  );
  return body.interfaceAttachments;
}

/** What to attach: a port, or a new port on a network (with a fixed IP). */
export type InterfaceRequest = { portId: string } | { netId: string; fixedIp?: string };

/**
 * Attaches an interface (`POST /servers/{id}/os-interface`), sent once.
 * @param what the port or network in messages (`port p1 (ID)`)
 * @param label the server in messages
 * @returns the interface Nova made
 * @throws ConfigError `MICROVERSION` (a tag before 2.49), InterfaceRefusedError (400/403/409: a port
 *   in use, a server in the wrong state, no free IP), ApiError, NetworkError
 */
export async function attachInterface(
  client: ComputeClient,
  serverId: string,
  req: InterfaceRequest & { tag?: string },
  what: string,
  label: string,
): Promise<Interface> {
  if (req.tag) await requireMicroversion(client, '2.49', '--tag');
  const body: Record<string, unknown> =
    'portId' in req
      ? { port_id: req.portId }
      : { net_id: req.netId, ...(req.fixedIp ? { fixed_ips: [{ ip_address: req.fixedIp }] } : {}) };
  if (req.tag) body.tag = req.tag;
  try {
    const answer = await client.read(
      'POST',
      path(serverId),
      v.looseObject({ interfaceAttachment: InterfaceSchema }),
      'an interface',
      { body: { interfaceAttachment: body } },
    );
    return answer.interfaceAttachment;
  } catch (e) {
    throw refused(e, `add ${what} to server ${label}`);
  }
}

/**
 * Detaches the interface of port `portId` (`DELETE /servers/{id}/os-interface/{port_id}`); Nova
 * goes on after the 202 (see {@link waitForDetach}).
 * @throws InterfaceRefusedError (404: the server has no such port; 409: wrong state), ApiError
 */
export async function detachInterface(
  client: ComputeClient,
  serverId: string,
  portId: string,
  what: string,
  label: string,
): Promise<void> {
  try {
    await client.send('DELETE', `${path(serverId)}/${encodeURIComponent(portId)}`);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      throw new InterfaceRefusedError(`Server ${label} has no interface on ${what}; nothing removed.`, 404);
    }
    throw refused(e, `remove ${what} from server ${label}`);
  }
}

/**
 * Polls the server's interfaces until none of `portIds` is left (a detach is asynchronous).
 * @param timeoutSeconds the longest wait
 * @throws NcliError `WAIT_TIMEOUT` (hint `wait-timeout`), ApiError
 */
export async function waitForDetach(
  client: ComputeClient,
  serverId: string,
  portIds: readonly string[],
  label: string,
  timeoutSeconds: number,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<void> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (let attempt = 1; ; attempt++) {
    const left = (await listInterfaces(client, serverId)).filter((i) => portIds.includes(i.port_id));
    if (!left.length) return;
    if (Date.now() >= deadline) {
      throw new NcliError(
        'WAIT_TIMEOUT',
        `Server ${label} still has port ${left.map((i) => i.port_id).join(', ')} after ${timeoutSeconds} s.`,
        { hint: 'wait-timeout' },
      );
    }
    await sleep(attempt < 4 ? 500 : 2000);
  }
}

/**
 * Adds (`add`) or removes a security group (`{"addSecurityGroup": {"name": group}}`; Nova takes a
 * name or, with Neutron, an ID), sent once without a microversion header, as python-novaclient does.
 * @param group the group's ID (or name)
 * @param what the group in messages (`security group web (ID)`)
 * @throws InterfaceRefusedError (404: not on the server; 400/409: wrong state, already there), ApiError
 */
export async function changeSecurityGroup(
  client: ComputeClient,
  serverId: string,
  add: boolean,
  group: string,
  what: string,
  label: string,
): Promise<void> {
  const action = add ? 'addSecurityGroup' : 'removeSecurityGroup';
  try {
    await client.send('POST', `/servers/${encodeURIComponent(serverId)}/action`, {
      body: { [action]: { name: group } },
    });
  } catch (e) {
    if (!add && e instanceof ApiError && e.status === 404 && /not associated/i.test(e.serverMessage)) {
      throw new InterfaceRefusedError(`Server ${label} does not have ${what}; nothing removed.`, 404);
    }
    if (add && e instanceof ApiError && e.status === 400 && /duplicate/i.test(e.serverMessage)) {
      throw new InterfaceRefusedError(`Server ${label} already has ${what}; nothing added.`, 400);
    }
    throw refused(e, add ? `add ${what} to server ${label}` : `remove ${what} from server ${label}`);
  }
}

/** Nova's 400/403/409 (and 404 of a request that names something else) as one line; other errors unchanged. */
function refused(e: unknown, doing: string): unknown {
  if (!(e instanceof ApiError) || ![400, 403, 404, 409].includes(e.status)) return e;
  const why = e.serverMessage.replace(/\.$/, '');
  let fix = '';
  if (/is still in use|PortInUse|already (bound|in use)/i.test(why)) fix = '; remove it from where it is bound first';
  else if (/on any ports/i.test(why))
    fix = '; the server has no port: add one first (ncli server add network SERVER NETWORK)';
  else if (/task_state|vm_state|in state|while it is in/i.test(why))
    fix = '; wait for the server to settle (ncli server show)';
  return new InterfaceRefusedError(
    `Nova refused to ${doing}: ${why} (HTTP ${e.status}${e.requestId ? `, request ${e.requestId}` : ''})${fix}.`,
    e.status,
  );
}
