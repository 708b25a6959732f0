// Writes dist/manifest.json from the compiled command modules: each dist/commands/<group>.js is
// a group, each exported `do_<verb>` handler (with its `.spec`) a command `<group> <verb>`
// (underscores become hyphens, as python-novaclient's `_find_actions` does); a module in a folder,
// dist/commands/<group>/<sub>.js, is the nested group `<group> <sub>` (`server event list`).
// Groups are listed parents first.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = join(root, 'dist', 'commands');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const groups = [];
const files = readdirSync(dir, { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.js'))
  .sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b));
for (const file of files) {
  const mod = await import(pathToFileURL(join(dir, file)).href);
  const commands = Object.keys(mod)
    .filter((k) => k.startsWith('do_') && typeof mod[k] === 'function' && mod[k].spec)
    .sort()
    .map((k) => ({ name: k.slice(3).replace(/_/g, '-'), export: k, spec: mod[k].spec }));
  if (commands.length === 0) continue;
  groups.push({
    name: file.replace(/\.js$/, '').replace(/_/g, '-').split('/').join(' '),
    help: mod.help ?? '',
    module: `commands/${file}`,
    commands,
  });
}
writeFileSync(join(root, 'dist', 'manifest.json'), JSON.stringify({ version: pkg.version, groups }, null, 1) + '\n');
console.log(`manifest: ${groups.length} groups, ${groups.reduce((n, g) => n + g.commands.length, 0)} commands`);
