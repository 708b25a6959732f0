// Writes completions/ncli.bash and completions/_ncli from the compiled
// dist/completion/scripts.js: the same text `ncli completion bash|zsh` prints (a test checks
// that the committed files still match).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { bashScript, zshScript } = await import(pathToFileURL(join(root, 'dist', 'completion', 'scripts.js')).href);
const dir = join(root, 'completions');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'ncli.bash'), bashScript());
writeFileSync(join(dir, '_ncli'), zshScript());
console.log('completions: completions/ncli.bash, completions/_ncli');
