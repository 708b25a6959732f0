// An ncli extension (README "Extensions"): `ncli server where SERVER…` shows where each server
// runs: its compute host, hypervisor hostname and availability zone (admin: Nova shows hosts to
// admins only). Uses the public API `ncli/extension` alone.
//
// Install: copy or link it into ~/.config/ncli/extensions/ (or a folder of NCLI_EXTENSIONS_PATH);
// the file's name says its group: server-where.mjs adds `where` to `ncli server`.
import { apiVersion, arg, command, UsageError } from 'ncli/extension';

if (apiVersion.split('.')[0] !== '1') {
  throw new Error(`server-where.mjs needs the ncli extension API 1.x (this ncli has ${apiVersion})`);
}

/** The help line of a group this module would create (here `server` exists: unused). */
export const help = 'Servers';

export const do_where = command(
  {
    help: 'Show where servers run: compute host, hypervisor hostname, availability zone (admin)',
    description: 'Examples:\n  ncli server where vm1 vm2\n  ncli server where --all-projects vm1 -f json',
    output: 'list',
    args: [
      arg('<server...>', 'Servers: names or IDs', { complete: 'server' }),
      arg('--all-projects', 'Look names up in every project (admin)'),
    ],
  },
  async (ctx, a) => {
    if (a.server.length === 0) throw new UsageError('Give at least one server.');
    const found = await ctx.servers(a.server, { allProjects: a.allProjects });
    const rows = [];
    let failed = 0;
    for (const ref of new Set(a.server)) {
      const s = found.get(ref);
      if (!s || s instanceof Error) {
        ctx.warn(`ncli: ${s ? s.message : `No server with a name or ID of '${ref}' exists.`}`);
        failed++;
        continue;
      }
      rows.push({
        ID: s.id,
        Name: s.name,
        Host: s['OS-EXT-SRV-ATTR:host'] ?? '',
        'Hypervisor Hostname': s['OS-EXT-SRV-ATTR:hypervisor_hostname'] ?? '',
        'Availability Zone': s['OS-EXT-AZ:availability_zone'] ?? '',
      });
    }
    await ctx.list(['ID', 'Name', 'Host', 'Hypervisor Hostname', 'Availability Zone'], rows);
    return failed ? 1 : 0;
  },
);
