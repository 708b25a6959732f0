/**
 * Importing an extension module (src/cli/extensions.ts), the only place ncli imports code that is
 * not its own. Before the first import, a module resolution hook maps the bare specifier
 * `ncli/extension` to this ncli's own dist/extension.js, so that an extension file anywhere
 * (`~/.config/ncli/extensions/`, a folder of `NCLI_EXTENSIONS_PATH`) imports the API of the ncli
 * that runs it, with the same classes (an `NcliError` it throws is ncli's), without an
 * `npm install ncli` of its own. Node >= 22.15 runs the hook in the thread
 * (`module.registerHooks`); Node 20 in its hooks thread (`module.register`).
 *
 * The single executable (scripts/build-sea.mjs) replaces this module: it cannot import files.
 */
import module from 'node:module';
import { pathToFileURL } from 'node:url';

let hooked = false;

/** Registers the `ncli/extension` → dist/extension.js resolution (once per process). */
function hook(): void {
  if (hooked) return;
  hooked = true;
  const target = new URL('../extension.js', import.meta.url).href;
  const sync = (module as { registerHooks?: (hooks: object) => unknown }).registerHooks;
  if (sync) {
    sync({
      resolve: (specifier: string, context: unknown, next: (s: string, c: unknown) => unknown) =>
        specifier === 'ncli/extension' ? { url: target, shortCircuit: true } : next(specifier, context),
    });
    return;
  }
  const code = `const target = ${JSON.stringify(target)};
export async function resolve(specifier, context, next) {
  return specifier === 'ncli/extension' ? { url: target, shortCircuit: true } : next(specifier, context);
}`;
  module.register('data:text/javascript,' + encodeURIComponent(code));
}

/**
 * Imports an extension module and returns its exports.
 * @param file the module's absolute path
 * @param version its mtime and size: a changed file is imported again within one process (tests)
 * @throws whatever loading it throws (a SyntaxError, its top level's error, ERR_MODULE_NOT_FOUND)
 */
export async function importExtension(file: string, version: string): Promise<Record<string, unknown>> {
  hook();
  const url = pathToFileURL(file);
  url.search = `?v=${encodeURIComponent(version)}`;
  return (await import(url.href)) as Record<string, unknown>;
}

/**
 * Imports an extension module to run one of its commands.
 * @throws ConfigError naming the file and the cause when it no longer loads
 */
export async function loadForRun(file: string): Promise<Record<string, unknown>> {
  const [{ statSync }, { ConfigError }, { loadErrorText }] = await Promise.all([
    import('node:fs'),
    import('../errors.js'),
    import('./extensions.js'),
  ]);
  try {
    const st = statSync(file);
    return await importExtension(file, `${st.mtimeMs}-${st.size}`);
  } catch (e) {
    throw new ConfigError(`extension ${file} could not be loaded: ${loadErrorText(e)}`, { cause: e });
  }
}
