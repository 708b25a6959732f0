/**
 * `ncli __complete [--] WORDS…`: what can follow the words typed after `ncli` (the last word is
 * the one being completed, '' after a space), one candidate per line. The shell scripts in
 * completions/ (src/completion/scripts.ts) call it at every TAB, as npm's completion.sh calls
 * `npm completion -- WORDS…`.
 *
 * This is the path a TAB runs, so it stays small: the manifest (JSON), the global options as
 * data and the modules in src/completion/; for names, the names cache, with its scope from the
 * scope index (src/config/names-index.ts), else from clouds.yaml (`cloudNamesQuick`, or
 * `resolveConfig` with the `yaml` parser). Never the
 * HTTP stack, the keychain library, cli-table3 or a command handler, never the network, never a prompt.
 * Any error gives no output and exit status 0.
 *
 * `NCLI_COMP_SHELL` says who is asking:
 * - unset: words as given, candidates as plain text (for tests and other tools);
 * - `bash`: words as bash has them (quotes included), then a first line `:words`, `:nospace` (no
 *   space after the one reply) or `:files` (complete file names instead), then the replies
 *   quoted for bash to insert (src/completion/shell-words.ts `bashReply`);
 * - `zsh`: words already unquoted (`${(Q)…}`), plain candidates (compadd quotes them), after the
 *   same first line.
 */
import type { IO } from './io.js';
import { readCompletionModel, readManifest } from './manifest.js';
import { discoverExtensions, withExtensions } from './extensions.js';
import type { Manifest } from './spec.js';
import { GLOBAL_OPTIONS, flagsFromWords } from '../config/global-options.js';
import { LIST_FORMATS, SHOW_FORMATS } from './output.js';
import {
  analyze,
  buildModel,
  candidates,
  nameCandidates,
  type Analysis,
  type CompletionModel,
} from '../completion/engine.js';
import { bashReply, unquoteBash } from '../completion/shell-words.js';
import { isNameKind } from '../name-kinds.js';

/**
 * The names to offer for the analysed line's source: cloud names from clouds.yaml, or the cached
 * servers/flavors/images of the cloud and project the line would use (global `--os-*` options typed,
 * then the environment, then clouds.yaml). [] when none apply or anything fails.
 */
export async function lookupNames(a: Analysis, env: NodeJS.ProcessEnv): Promise<string[]> {
  const source = a.want.source;
  try {
    if (source === 'cloud') {
      const { cloudNamesQuick } = await import('../config/clouds.js');
      // `--os-cloud a,b,<TAB>` (several clouds, src/cli/fanout.ts): the next name after the ones typed
      const typed = a.want.current.split(',');
      const head = typed.slice(0, -1).join(',');
      const names = cloudNamesQuick(env).filter((n) => !typed.slice(0, -1).includes(n));
      return head ? names.map((n) => `${head},${n}`) : names;
    }
    if (source && isNameKind(source)) {
      const flags = flagsFromWords(a.globals);
      // the scope key a run recorded for these very inputs (src/config/names-index.ts), else
      // resolve the configuration (clouds.yaml, the key's hash) as a run would
      const [{ scopeInputs, indexedScope }, { namesScopeKey, readNames }] = await Promise.all([
        import('../config/names-index.js'),
        import('../config/names-cache.js'),
      ]);
      const inputs = scopeInputs(flags, env);
      let key = inputs === undefined ? undefined : indexedScope(env, inputs);
      if (!key) {
        const { resolveConfig } = await import('../config/options.js');
        key = namesScopeKey(await resolveConfig(flags, env));
      }
      return nameCandidates(readNames(env, key, source), a.want.current);
    }
  } catch {
    // no clouds.yaml, an incomplete configuration, no cache: nothing to offer
  }
  return [];
}

/**
 * The completion grammar of a manifest: its commands, the global options, the output options. The
 * build writes the one of ncli's own manifest to dist/completion.json (scripts/build-manifest.mjs),
 * which a TAB reads when no extension is installed, instead of the manifest and this work
 * (a third of a TAB's CPU: issue 21).
 */
export function completionModel(manifest: Manifest): CompletionModel {
  return buildModel(manifest, GLOBAL_OPTIONS, { list: LIST_FORMATS, show: SHOW_FORMATS });
}

/**
 * Prints the completions of `words` (see the module comment for the protocol). Always returns
 * 0; prints nothing at all on any error.
 */
export async function complete(words: string[], io: IO): Promise<number> {
  try {
    const shell = io.env.NCLI_COMP_SHELL;
    const given = words[0] === '--' ? words.slice(1) : words;
    const raw = given.length ? given : [''];
    const plain = shell === 'bash' ? raw.map((w) => unquoteBash(w).value) : raw;
    // with extensions, their commands from their manifests (never importing one)
    const model = discoverExtensions(io.env).length
      ? completionModel((await withExtensions(readManifest(), io.env)).manifest)
      : readCompletionModel();
    const a = analyze(model, plain);
    if (a.want.source === 'file') {
      if (shell === 'bash' || shell === 'zsh') io.out.write(':files\n');
      return 0;
    }
    const found = candidates(a.want, a.want.source ? await lookupNames(a, io.env) : []).filter(
      (c) => !/[\n\r\0]/.test(c),
    );
    let text: string;
    if (shell === 'bash') {
      const reply = bashReply(raw[raw.length - 1], found);
      text = reply.directive + '\n' + reply.lines.map((l) => l + '\n').join('');
    } else if (shell === 'zsh') {
      text = ':words\n' + found.map((c) => c + '\n').join('');
    } else {
      text = found.map((c) => c + '\n').join('');
    }
    io.out.write(text);
  } catch {
    // never fail loudly at TAB
  }
  return 0;
}
