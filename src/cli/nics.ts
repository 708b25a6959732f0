/**
 * The networking and block device options of `server create`, as openstackclient's
 * `CreateServer` reads them (openstackclient/compute/v2/server.py `NICAction`, `--network`,
 * `--port`, `--nic`, `--security-group`, `--boot-from-volume`):
 * - `--nic net-id=NET,port-id=PORT,v4-fixed-ip=IP,v6-fixed-ip=IP,tag=TAG | auto | none`;
 *   `--network NET` is `--nic net-id=NET`, `--port PORT` is `--nic port-id=PORT`; `auto`/`none`
 *   (2.37) alone only; networks and ports by name or ID through Neutron;
 * - `--security-group SG`: a name or ID through Neutron, sent as its ID (as openstackclient does,
 *   so that same-named groups of other projects do not matter);
 * - `--boot-from-volume SIZE`: a `block_device_mapping_v2` entry making a SIZE GB volume of the
 *   image the root disk (boot index 0, kept when the server is deleted), and no `imageRef`.
 * The order of the NICs is `--nic`, then `--network`, then `--port` values, each in command-line
 * order (commander keeps each option's values apart; openstackclient keeps them interleaved).
 */
import type { Context } from './context.js';
import { UsageError } from '../errors.js';

/** One `--nic` before its names are resolved. */
export interface NicSpec {
  net?: string;
  port?: string;
  v4FixedIp?: string;
  v6FixedIp?: string;
  tag?: string;
}

/** One entry of `networks` in `POST /servers` (api-ref "Create Server"). */
export interface NovaNic {
  uuid?: string;
  port?: string;
  fixed_ip?: string;
  tag?: string;
}

const NIC_KEYS: Record<string, keyof NicSpec> = {
  'net-id': 'net',
  'port-id': 'port',
  'v4-fixed-ip': 'v4FixedIp',
  'v6-fixed-ip': 'v6FixedIp',
  tag: 'tag',
};

const NIC_FORM = "'net-id=net-uuid,port-id=port-uuid,v4-fixed-ip=ip-addr,v6-fixed-ip=ip-addr,tag=tag'";

/** One `--nic` value. @throws UsageError (openstackclient's words) */
export function parseNic(value: string): NicSpec | 'auto' | 'none' {
  if (value === 'auto' || value === 'none') return value;
  const nic: NicSpec = {};
  for (const kv of value.split(',')) {
    const eq = kv.indexOf('=');
    const key = NIC_KEYS[eq < 0 ? kv : kv.slice(0, eq)];
    const val = eq < 0 ? '' : kv.slice(eq + 1);
    if (!key || !val) throw new UsageError(`Invalid --nic ${value}: it must be of the form ${NIC_FORM}, auto or none.`);
    nic[key] = val;
  }
  if (nic.net && nic.port) {
    throw new UsageError(`Invalid --nic ${value}: give either a network (net-id) or a port (port-id), not both.`);
  }
  if (nic.v4FixedIp && nic.v6FixedIp) {
    throw new UsageError(`Invalid --nic ${value}: give only one of v4-fixed-ip and v6-fixed-ip.`);
  }
  if (!nic.net && !nic.port) throw new UsageError(`Invalid --nic ${value}: it needs net-id or port-id.`);
  return nic;
}

/** One `--network` or `--port` value (no `,` or `=`). @throws UsageError */
function single(flag: string, value: string): NicSpec | 'auto' | 'none' {
  if (value === 'auto' || value === 'none') return value;
  if (/[,=]/.test(value)) {
    throw new UsageError(`Invalid ${flag} ${value}: the characters ',' and '=' are not allowed (use --nic for more).`);
  }
  return flag === '--port' ? { port: value } : { net: value };
}

/**
 * `--nic`, `--network` and `--port` values → `auto`, `none`, NICs, or undefined when none given.
 * @throws UsageError (a malformed --nic; auto/none with anything else)
 */
export function parseNics(
  networks: readonly string[] = [],
  ports: readonly string[] = [],
  nics: readonly string[] = [],
): 'auto' | 'none' | NicSpec[] | undefined {
  const all = [
    ...nics.map(parseNic),
    ...networks.map((n) => single('--network', n)),
    ...ports.map((p) => single('--port', p)),
  ];
  if (!all.length) return undefined;
  const special = all.find((n): n is 'auto' | 'none' => typeof n === 'string');
  if (special) {
    if (all.length > 1) {
      throw new UsageError(
        `--nic ${special} (or --network ${special}) cannot be used with any other --nic, --network or --port value.`,
      );
    }
    return special;
  }
  return all as NicSpec[];
}

/**
 * NICs with their networks and ports resolved by name or ID in Neutron (one lookup per distinct
 * name), as Nova's `networks` entries.
 * @throws NotFoundError (`NOT_FOUND`, `AMBIGUOUS`: "No network with a name or ID of 'x' exists."),
 *   ApiError, NcliError `ENDPOINT_NOT_FOUND` (no Neutron in the catalog)
 */
export async function resolveNics(ctx: Context, nics: readonly NicSpec[]): Promise<NovaNic[]> {
  if (!nics.length) return [];
  const network = await ctx.network();
  const nets = new Map<string, Promise<string>>();
  const ports = new Map<string, Promise<string>>();
  const netId = (ref: string) => {
    if (!nets.has(ref))
      nets.set(
        ref,
        network.findNetwork(ref).then((n) => n.id),
      );
    return nets.get(ref)!;
  };
  const portId = (ref: string) => {
    if (!ports.has(ref))
      ports.set(
        ref,
        network.findPort(ref).then((p) => p.id),
      );
    return ports.get(ref)!;
  };
  return Promise.all(
    nics.map(async (n) => {
      const out: NovaNic = {};
      if (n.net) out.uuid = await netId(n.net);
      if (n.port) out.port = await portId(n.port);
      const ip = n.v4FixedIp ?? n.v6FixedIp;
      if (ip) out.fixed_ip = ip;
      if (n.tag) out.tag = n.tag;
      return out;
    }),
  );
}

/**
 * `--security-group` values resolved by name or ID in Neutron: their IDs, in order, without repeats.
 * @throws NotFoundError (`NOT_FOUND`, `AMBIGUOUS`), ApiError, NcliError `ENDPOINT_NOT_FOUND`
 */
export async function resolveSecurityGroups(ctx: Context, refs: readonly string[] | undefined): Promise<string[]> {
  if (!refs?.length) return [];
  const network = await ctx.network();
  const ids = await Promise.all([...new Set(refs)].map(async (r) => (await network.findSecurityGroup(r)).id));
  return [...new Set(ids)];
}

/**
 * `--boot-from-volume SIZE` as openstackclient builds it: a volume of SIZE GB made from the image,
 * the root disk (boot index 0), not deleted with the server.
 * @throws UsageError for a size below 1
 */
export function bootFromVolume(imageId: string, sizeGb: number): Record<string, unknown>[] {
  if (!Number.isInteger(sizeGb) || sizeGb < 1) {
    throw new UsageError(`--boot-from-volume takes a size in GB of 1 or more, not ${sizeGb}.`);
  }
  return [
    {
      uuid: imageId,
      boot_index: '0',
      source_type: 'image',
      destination_type: 'volume',
      volume_size: sizeGb,
    },
  ];
}
