/**
 * The scope index of the names cache (issue 21): which scope key a configuration's inputs led to,
 * so that a TAB completing a server or flavor name reads its names file without parsing
 * clouds.yaml (the yaml parser, compiled and run cold: ~25 ms of CPU on Node 20) or loading
 * node:crypto for the scope key's hash (~5 ms): about half of such a TAB. A run that writes names
 * (src/config/names-cache.ts `rememberNames`) records the inputs it resolved and the key they
 * gave; a TAB with the very same inputs takes that key, and with anything else resolves the
 * configuration as before (src/cli/complete.ts).
 *
 * The inputs, none of them a secret: the text-valued global options given (flags; a secret one —
 * password, token, secrets, passcode, access token — is left out), the environment variables ncli
 * reads for the other options (`OS_AUTH_URL`, `OS_CLOUD`, …; not the secret ones, and no other
 * `OS_*` variable), and the clouds.yaml and secure.yaml that the search of src/config/clouds.ts
 * finds (`configFiles`: the first of the candidate folders, or `OS_CLIENT_CONFIG_FILE` /
 * `OS_CLIENT_SECURE_FILE`), each with its path, size, modification time and inode: an edited,
 * added or removed file is another input, while another working folder or home that holds none of them
 * leads to the same files and so is not (a TAB in any folder finds its scope). A token login (`OS_TOKEN`,
 * `--os-token`) puts the token's hash in its scope key: it has no index entry.
 *
 * File: `<cache dir>/names/scopes.json` (0600 in 0700 folders, written atomically), at most
 * {@link MAX_ENTRIES} entries, the least recently recorded dropped. Never throws on reading: a
 * missing or damaged file is a miss.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from './cache-dir.js';
import { writePrivateFile } from './cache-files.js';
import { attributeName } from '../arg-spec.js';
import { configFiles } from './clouds.js';
import { GLOBAL_OPTIONS, takesValue } from './global-options.js';

/** At most this many sets of inputs are kept (one per cloud, project and shell setup in practice). */
export const MAX_ENTRIES = 64;

interface IndexFile {
  version: 1;
  /** inputs → [scope key, epoch milliseconds recorded] */
  entries: Record<string, [string, number]>;
}

/**
 * What of the global options the inputs may hold: the attributes of the secret ones (left out),
 * the variables ncli reads for the others (only those: an `OS_*` variable ncli does not read
 * changes nothing, and might hold a secret of another tool), and the token's attribute and
 * variables. From the option table, once.
 */
const NAMES = (() => {
  const secretAttrs = new Set<string>();
  const vars = new Set<string>(['OS_CLIENT_CONFIG_FILE', 'OS_CLIENT_SECURE_FILE']);
  const token = { attr: '', vars: [] as readonly string[] };
  for (const o of GLOBAL_OPTIONS) {
    const env: readonly string[] = 'env' in o ? o.env : [];
    const attr = attributeName(o.flags);
    if (attr === 'osToken') Object.assign(token, { attr, vars: env });
    if ('secret' in o && o.secret) secretAttrs.add(attr);
    else for (const e of env) vars.add(e);
  }
  return { secretAttrs, vars, token };
})();

/** `[path, size, mtimeMs, inode]` of a file, undefined when it is gone. */
function stamp(path: string): (string | number)[] | undefined {
  try {
    const s = statSync(path);
    return [path, s.size, s.mtimeMs, s.ino];
  } catch {
    return undefined;
  }
}

/**
 * The inputs of a configuration as one string (the index's key), or undefined when they cannot
 * stand for the scope (a token login).
 * @param flags the global options given, by attribute (`osCloud: 'devcloud'`); other values are ignored
 */
export function scopeInputs(
  flags: Readonly<Record<string, unknown>>,
  env: NodeJS.ProcessEnv,
  cwd?: string,
): string | undefined {
  if (flags[NAMES.token.attr] || NAMES.token.vars.some((v) => env[v])) return undefined;
  const given: [string, string][] = [];
  for (const o of GLOBAL_OPTIONS) {
    if (!takesValue(o)) continue; // switches (--insecure, --no-cache) do not change the scope
    const attr = attributeName(o.flags);
    const v = flags[attr];
    if (!NAMES.secretAttrs.has(attr) && (typeof v === 'string' || typeof v === 'number')) given.push([attr, String(v)]);
  }
  const vars = Object.keys(env)
    .filter((k) => NAMES.vars.has(k))
    .sort()
    .map((k) => [k, env[k] ?? '']);
  // the files clouds.yaml's search finds (src/config/clouds.ts), as a run reads them
  const files = configFiles(env, cwd)
    .map(stamp)
    .filter((f) => f !== undefined);
  return JSON.stringify([given, vars, files]);
}

function indexPath(env: NodeJS.ProcessEnv): string {
  return join(cacheDir(env), 'names', 'scopes.json');
}

function readIndex(env: NodeJS.ProcessEnv): IndexFile | undefined {
  try {
    const f = JSON.parse(readFileSync(indexPath(env), 'utf8')) as IndexFile;
    return f && f.version === 1 && typeof f.entries === 'object' && f.entries ? f : undefined;
  } catch {
    return undefined;
  }
}

/** The scope key recorded for `inputs`, or undefined. Never throws. */
export function indexedScope(env: NodeJS.ProcessEnv, inputs: string): string | undefined {
  const e = readIndex(env)?.entries[inputs];
  return Array.isArray(e) && typeof e[0] === 'string' && /^[0-9a-f]{64}$/.test(e[0]) ? e[0] : undefined;
}

/**
 * Records that `inputs` gave scope `key`; writes only when that is news.
 * @throws on a file system error (callers ignore it: the index is a convenience)
 */
export function recordScope(env: NodeJS.ProcessEnv, inputs: string, key: string, now = Date.now()): void {
  const f = readIndex(env) ?? { version: 1, entries: {} };
  if (f.entries[inputs]?.[0] === key) return;
  f.entries[inputs] = [key, now];
  const keep = Object.entries(f.entries)
    .sort((a, b) => b[1][1] - a[1][1])
    .slice(0, MAX_ENTRIES);
  writePrivateFile(indexPath(env), JSON.stringify({ version: 1, entries: Object.fromEntries(keep) }));
}
