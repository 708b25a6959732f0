/**
 * `ncli console url show SERVER [--novnc|--xvpvnc|--spice|--rdp|--serial|--mks]`: a console URL
 * with openstackclient's words and output (openstackclient/compute/v2/console.py
 * `ShowConsoleURL`: fields `protocol`, `type`, `url`; noVNC unless a type flag says otherwise), so
 * scripts written against `openstack console url show` keep working. ncli's own
 * `console get-vnc|get-spice|get-serial|…` ask Nova the same way (src/compute/consoles.ts).
 */
import { arg, command } from '../../cli/spec.js';
import { getConsoleUrl, type ConsoleType } from '../../compute/consoles.js';
import { UsageError } from '../../errors.js';

export const help = 'Console URLs, with openstackclient words';

/** openstackclient's type flags and the console type each one asks for. */
const TYPE_FLAGS = [
  ['novnc', 'novnc', 'noVNC console URL (default)'],
  ['xvpvnc', 'xvpvnc', 'XVP VNC console URL (old clouds)'],
  ['spice', 'spice-html5', 'SPICE HTML5 console URL'],
  ['rdp', 'rdp-html5', 'RDP console URL (old clouds)'],
  ['serial', 'serial', 'serial console URL (a ws:// URL for `ncli console tunnel`)'],
  ['mks', 'webmks', 'WebMKS console URL (VMware, 2.8+)'],
] as const satisfies readonly (readonly [string, ConsoleType, string])[];

export const do_show = command(
  {
    help: "Show a server's remote console URL",
    description: [
      'Asks Nova for a console (POST /servers/{id}/remote-consoles) and prints its protocol, type and',
      'URL, as `openstack console url show`. The URL carries a console token that expires',
      '([consoleauth] token_ttl). At most one type flag; noVNC without one.',
      'Examples:',
      '  ncli console url show vm1',
      '  ncli console url show vm1 --serial -f value -c url',
    ].join('\n'),
    output: 'show',
    args: [
      arg('<server>', 'Server name or ID', { complete: 'server' }),
      ...TYPE_FLAGS.map(([flag, , text]) => arg(`--${flag}`, `Show the ${text}`)),
    ],
  },
  async (ctx, a) => {
    const given = TYPE_FLAGS.filter(([flag]) => (a as Record<string, unknown>)[flag]);
    if (given.length > 1) {
      throw new UsageError(`Give at most one console type, not ${given.map(([f]) => `--${f}`).join(' and ')}.`);
    }
    const type: ConsoleType = given[0]?.[1] ?? 'novnc';
    const server = await ctx.server(a.server);
    const c = await getConsoleUrl(await ctx.compute(), server.id, type, { serverLabel: server.name });
    await ctx.show({ protocol: c.protocol, type: c.type, url: c.url });
  },
);
