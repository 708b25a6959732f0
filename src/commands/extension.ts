/**
 * `ncli extension list`: the extensions found at run time (src/cli/extensions.ts), where each was
 * found, its commands and its state: `ok`, `failed: <cause>`, `shadowed: <command>` (a built-in
 * has that name and wins), `conflict: <command> (also in <file>)` (two extensions have it and
 * neither is used).
 */
import { arg, command } from '../cli/spec.js';
import { readManifest } from '../cli/manifest.js';
import { withExtensions, type ExtensionRecord } from '../cli/extensions.js';

export const help = 'Extensions: extra commands found at run time (see the README, Extensions)';

const ORIGIN = { path: 'NCLI_EXTENSIONS_PATH', config: 'config folder', package: 'package' } as const;

/** The State cell of an extension. */
function stateOf(r: ExtensionRecord): string {
  if (r.state !== 'ok') return `${r.state}: ${r.cause ?? ''}`;
  const parts = r.commands
    .filter((c) => c.state !== 'ok')
    .map((c) =>
      c.state === 'shadowed' ? `shadowed: ${c.name} (built in)` : `conflict: ${c.name} (also in ${c.other})`,
    );
  return parts.length ? parts.join('; ') : 'ok';
}

export const do_list = command(
  {
    help: 'List the extensions found, their source, commands and state',
    description:
      'Looks in NCLI_EXTENSIONS_PATH, $XDG_CONFIG_HOME/ncli/extensions and ncli-ext-* packages next to ncli;\n' +
      'rebuilds the manifest of any extension that changed.\nExample:\n  ncli extension list -f json',
    output: 'list',
    args: [arg('--long', 'Also the manifest group and the module file of packages')],
  },
  async (ctx, a) => {
    const { importExtension } = await import('../cli/extensions-load.js');
    const { records } = await withExtensions(readManifest(), ctx.io.env, { importer: importExtension });
    const columns = ['Extension', 'Source', 'Commands', 'State', ...(a.long ? ['Group', 'File'] : [])];
    const rows = records.map((r) => ({
      Extension: r.source.origin === 'package' ? r.source.label.replace(/ \(.*$/, '') : r.source.file,
      Source:
        r.source.origin === 'package'
          ? `package ${r.source.label.replace(/^.* \((.*)\)$/, '$1')}`
          : ORIGIN[r.source.origin],
      Commands: (r.state === 'ok' ? r.manifest!.commands.map((c) => `${r.manifest!.group} ${c.name}`) : []).join(', '),
      State: stateOf(r),
      Group: r.manifest?.group ?? r.source.declaredGroup ?? r.source.nameGroup,
      File: r.source.file,
    }));
    await ctx.list(columns, rows);
  },
);
