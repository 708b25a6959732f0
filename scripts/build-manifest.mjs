// Writes dist/manifest.json from the compiled command modules: each dist/commands/<group>.js is
// a group, each exported `do_<verb>` handler (with its `.spec`) a command `<group> <verb>`
// (underscores become hyphens, as python-novaclient's `_find_actions` does); a module in a folder,
// dist/commands/<group>/<sub>.js, is the nested group `<group> <sub>` (`server event list`).
// Groups are listed parents first; a folder without a module (`compute` of `compute service list`)
// is a group without commands of its own, described by its nested groups' help.
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
  const name = file.replace(/\.js$/, '').replace(/_/g, '-').split('/').join(' ');
  // a folder without a module of its own (`compute` of `compute service`) is a group without commands
  for (let i = 1; i < name.split(' ').length; i++) {
    const parent = name.split(' ').slice(0, i).join(' ');
    if (!groups.some((g) => g.name === parent)) groups.push({ name: parent, help: '', module: '', commands: [] });
  }
  if (commands.length === 0) continue;
  groups.push({ name, help: mod.help ?? '', module: `commands/${file}`, commands });
}
for (const g of groups.filter((x) => !x.module)) {
  const subs = groups.filter(
    (s) => s.name.startsWith(`${g.name} `) && s.name.split(' ').length === g.name.split(' ').length + 1,
  );
  g.help = subs.map((s) => `${s.name}: ${s.help}`).join('; ');
}
writeFileSync(join(root, 'dist', 'manifest.json'), JSON.stringify({ version: pkg.version, groups }, null, 1) + '\n');
console.log(`manifest: ${groups.length} groups, ${groups.reduce((n, g) => n + g.commands.length, 0)} commands`);
