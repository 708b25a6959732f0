/**
 * Which address of a server `server ssh` connects to, as openstackclient's `_get_ip_address`
 * picks it (openstackclient/compute/v2/server.py): first a network named like the address type
 * (old-style `public`/`private` networks), then the first address whose `OS-EXT-IPS:type` is
 * `floating` (for `public`) or `fixed` (for `private`), or the type itself for any other word; in
 * each, only addresses of the allowed IP versions.
 */
import { NcliError } from '../errors.js';

/** One address of a server's `addresses` (api-ref "Show Server Details"). */
export interface ServerAddress {
  addr: string;
  version?: number;
  'OS-EXT-IPS:type'?: string;
}

/**
 * The address to connect to.
 * @param type `public` (floating addresses), `private` (fixed ones) or another `OS-EXT-IPS:type`
 * @param families the IP versions allowed: [4, 6], [4] (`-4`) or [6] (`-6`)
 * @throws NcliError `NOT_FOUND` when the server has no such address
 */
export function sshAddress(
  serverName: string,
  addresses: Record<string, readonly ServerAddress[]> | null | undefined,
  type: string,
  families: readonly number[],
): string {
  const nets = addresses ?? {};
  const ok = (a: ServerAddress) => families.includes(Number(a.version ?? (a.addr.includes(':') ? 6 : 4)));
  for (const a of nets[type] ?? []) if (ok(a)) return a.addr;
  const wanted = type === 'public' ? 'floating' : type === 'private' ? 'fixed' : type;
  for (const net of Object.keys(nets)) {
    for (const a of nets[net]) {
      if (a['OS-EXT-IPS:type'] === wanted && ok(a)) return a.addr;
    }
  }
  const fam = families.length === 1 ? `IPv${families[0]} ` : '';
  const hint =
    type === 'public'
      ? ' (it has no floating IP: try --private, or add a floating IP)'
      : Object.keys(nets).length
        ? ''
        : ' (it has no addresses)';
  throw new NcliError('NOT_FOUND', `Server '${serverName}' has no ${type} ${fam}address${hint}.`);
}

/**
 * The arguments of `ssh`, in openstackclient's order: the address, the arguments after `--`,
 * then `-p`, `-i`, `-o`, `-l` (the given login, else `defaultLogin` unless `-l` is among the ssh
 * arguments), `-v`.
 */
export function sshArgs(
  address: string,
  opts: {
    sshArgs?: readonly string[];
    port?: number;
    identity?: string;
    option?: string;
    login?: string;
    defaultLogin?: string;
    verbose?: boolean;
  },
): string[] {
  const args = [address, ...(opts.sshArgs ?? [])];
  if (opts.port !== undefined) args.push('-p', String(opts.port));
  if (opts.identity) args.push('-i', opts.identity);
  if (opts.option) args.push('-o', opts.option);
  if (opts.login) args.push('-l', opts.login);
  else if (opts.defaultLogin && !(opts.sshArgs ?? []).includes('-l')) args.push('-l', opts.defaultLogin);
  if (opts.verbose) args.push('-v');
  return args;
}
