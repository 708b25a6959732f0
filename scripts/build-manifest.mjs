// Writes dist/manifest.json (and dist/top-help.json and dist/completion.json, at the end) from
// the compiled command modules: each dist/commands/<group>.js is a group, each exported
// `do_<verb>` handler (with its `.spec`) a command `<group> <verb>` (underscores become hyphens,
// as python-novaclient's `_find_actions` does); a module in a folder, dist/commands/<group>/<sub>.js,
// is the nested group `<group> <sub>` (`server event list`).
// Groups are listed parents first; a parent without a module is listed as a group without commands.
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
// A nested group whose parent has no module of its own (`availability zone`): the parent is a
// group without commands, whose help is its sub-groups' (so help and completion list it too).
for (const g of [...groups]) {
  const words = g.name.split(' ');
  for (let n = 1; n < words.length; n++) {
    const name = words.slice(0, n).join(' ');
    if (groups.some((x) => x.name === name)) continue;
    const subs = groups.filter((x) => x.name.startsWith(`${name} `) && x.name.split(' ').length === n + 1);
    groups.push({ name, help: subs.map((x) => x.help).join('; '), module: '', commands: [] });
  }
}
groups.sort((a, b) => a.name.split(' ').length - b.name.split(' ').length || a.name.localeCompare(b.name));
const manifest = { version: pkg.version, groups };
writeFileSync(join(root, 'dist', 'manifest.json'), JSON.stringify(manifest, null, 1) + '\n');
// The version and top-level help as data (src/cli/top-help.ts), taken from the parser itself:
// what `ncli --version` and `ncli --help` print without building it (src/cli/quick.ts).
const { topHelp } = await import(pathToFileURL(join(root, 'dist', 'cli', 'main.js')).href);
const io = { out: process.stdout, err: process.stderr, env: {} };
writeFileSync(join(root, 'dist', 'top-help.json'), JSON.stringify(topHelp(manifest, io), null, 1) + '\n');
// The completion grammar of these commands (src/cli/complete.ts), which a TAB reads without the
// manifest when no extension is installed. Compact: it is read at every TAB.
const { completionModel } = await import(pathToFileURL(join(root, 'dist', 'cli', 'complete.js')).href);
writeFileSync(join(root, 'dist', 'completion.json'), JSON.stringify(completionModel(manifest)) + '\n');
console.log(`manifest: ${groups.length} groups, ${groups.reduce((n, g) => n + g.commands.length, 0)} commands`);
