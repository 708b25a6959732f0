/**
 * clouds.yaml and secure.yaml, found and merged the way openstacksdk does
 * (openstack/config/loader.py): the current folder, then `~/.config/openstack`
 * (`$XDG_CONFIG_HOME/openstack`), then `/etc/openstack`; `OS_CLIENT_CONFIG_FILE` and
 * `OS_CLIENT_SECURE_FILE` name the files directly. The first file found wins; secure.yaml is
 * merged over it key by key (for passwords kept apart).
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import { fileErrorReason } from '../fs-reasons.js';

/** One cloud's entry, as written in clouds.yaml (snake_case keys, `auth:` nested). */
export interface CloudEntry {
  auth?: Record<string, string | undefined>;
  auth_type?: string;
  region_name?: string;
  interface?: string;
  cacert?: string;
  verify?: boolean;
  identity_api_version?: string | number;
  compute_api_version?: string | number;
  [key: string]: unknown;
}

/** The clouds found, and the files they came from. */
export interface CloudsFile {
  clouds: Record<string, CloudEntry>;
  /** Paths read, for error messages. */
  files: string[];
  /** Paths searched (whether present or not). */
  searched: string[];
}

/** Candidate folders in openstacksdk's order. */
export function configDirs(env: NodeJS.ProcessEnv, cwd = process.cwd()): string[] {
  const xdg = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return [cwd, join(xdg, 'openstack'), '/etc/openstack'];
}

function findFile(
  env: NodeJS.ProcessEnv,
  override: string | undefined,
  base: string,
  cwd?: string,
): { path?: string; searched: string[] } {
  if (override) return { path: existsSync(override) ? override : undefined, searched: [override] };
  const searched: string[] = [];
  for (const dir of configDirs(env, cwd)) {
    for (const ext of ['yaml', 'yml']) {
      const p = join(dir, `${base}.${ext}`);
      searched.push(p);
      if (existsSync(p)) return { path: p, searched };
    }
  }
  return { searched };
}

/**
 * The clouds.yaml and secure.yaml that {@link loadClouds} reads, in that order (either may be
 * absent): the files only, without reading them.
 */
export function configFiles(env: NodeJS.ProcessEnv, cwd?: string): string[] {
  return [
    findFile(env, env.OS_CLIENT_CONFIG_FILE, 'clouds', cwd).path,
    findFile(env, env.OS_CLIENT_SECURE_FILE, 'secure', cwd).path,
  ].filter((p): p is string => !!p);
}

function isMap(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Whether a parsed YAML value contains itself (an alias inside its own anchor: `c: &a {auth: *a}`). */
function isCyclic(v: unknown, within: Set<object> = new Set()): boolean {
  if (typeof v !== 'object' || v === null) return false;
  if (within.has(v)) return true;
  within.add(v);
  for (const child of Object.values(v)) if (isCyclic(child, within)) return true;
  within.delete(v);
  return false;
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && cur && typeof cur === 'object' && !Array.isArray(cur)
        ? deepMerge(cur as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

/**
 * Reads clouds.yaml (+ secure.yaml). Missing files give an empty result.
 * @throws ConfigError `CLOUDS_YAML` naming the file (and the line) when it cannot be read, does not
 *   parse, or its `clouds` (or a cloud, or a cloud's `auth`) is not a map
 */
export async function loadClouds(env: NodeJS.ProcessEnv, cwd?: string): Promise<CloudsFile> {
  const main = findFile(env, env.OS_CLIENT_CONFIG_FILE, 'clouds', cwd);
  const files: string[] = [];
  let clouds: Record<string, unknown> = {};
  const paths = configFiles(env, cwd);
  if (paths.length === 0) return { clouds: {}, files, searched: main.searched };
  const { parse } = await import('yaml');
  for (const path of paths) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new ConfigError(`Cannot read ${path}: ${fileErrorReason(e, path)}.`, {
        code: 'CLOUDS_YAML',
        cause: e,
      });
    }
    let doc: unknown;
    try {
      doc = parse(text);
    } catch (e) {
      const pos = (e as { linePos?: { line: number; col: number }[] }).linePos?.[0];
      const what = (e as Error).message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
      throw new ConfigError(
        `${path} is not valid YAML${pos ? ` (line ${pos.line}, column ${pos.col})` : ''}: ${what.replace(/\.$/, '')}.`,
        { code: 'CLOUDS_YAML', cause: e },
      );
    }
    if (isCyclic(doc)) {
      throw new ConfigError(`${path} holds a YAML alias inside its own anchor (*a within &a); write that part out.`, {
        code: 'CLOUDS_YAML',
      });
    }
    files.push(path);
    if (doc === null || doc === undefined) continue;
    const c = isMap(doc) ? doc.clouds : undefined;
    if (!isMap(doc) || (c !== undefined && c !== null && !isMap(c))) {
      throw new ConfigError(`${path} should hold a map with a 'clouds:' map of clouds; it does not.`, {
        code: 'CLOUDS_YAML',
      });
    }
    for (const [name, entry] of Object.entries(c ?? {})) {
      if (!isMap(entry) || (entry.auth !== undefined && entry.auth !== null && !isMap(entry.auth))) {
        throw new ConfigError(`Cloud '${name}' in ${path} should be a map of settings (with 'auth:' a map too).`, {
          code: 'CLOUDS_YAML',
        });
      }
    }
    if (c) clouds = deepMerge(clouds, c);
  }
  return { clouds: clouds as Record<string, CloudEntry>, files, searched: main.searched };
}

/**
 * Cloud names from clouds.yaml without a YAML parser (for shell completion, which must stay
 * fast): top-level keys indented under `clouds:`.
 */
export function cloudNamesQuick(env: NodeJS.ProcessEnv, cwd?: string): string[] {
  const { path } = findFile(env, env.OS_CLIENT_CONFIG_FILE, 'clouds', cwd);
  if (!path) return [];
  const names: string[] = [];
  let indent = -1;
  let inClouds = false;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (/^\s*(#|$)/.test(line)) continue;
    const m = /^(\s*)(["']?)([^"':#]+)\2\s*:/.exec(line);
    if (!m) continue;
    const ind = m[1].length;
    if (ind === 0) {
      inClouds = m[3] === 'clouds';
      indent = -1;
      continue;
    }
    if (!inClouds) continue;
    if (indent < 0) indent = ind;
    if (ind === indent) names.push(m[3].trim());
  }
  return names;
}
