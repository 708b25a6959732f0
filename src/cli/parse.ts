/**
 * Parsers of option values that several commands share (`--sort`, `--changes-since`, `--tags`,
 * `--network`, `--property K=V`, `--user-data FILE`): each checks its value before any request
 * and throws a {@link UsageError} naming the flag and the form it takes.
 */
import { UsageError } from '../errors.js';
import { fileErrorReason } from '../fs-reasons.js';
import type { SortKey } from '../compute/servers.js';

/** `--sort name:asc,created_at` (repeatable) → Nova's sort keys. @throws UsageError */
export function parseSort(values: readonly string[] | undefined): SortKey[] | undefined {
  if (!values?.length) return undefined;
  return values
    .flatMap((v) => v.split(','))
    .filter((v) => v.trim())
    .map((v) => {
      const m = /^([A-Za-z0-9_.-]+)(?::(asc|desc))?$/.exec(v.trim());
      if (!m) throw new UsageError(`--sort takes KEY[:asc|desc] (e.g. display_name:asc), not '${v}'.`);
      return { key: m[1], dir: m[2] as 'asc' | 'desc' | undefined };
    });
}

/** An ISO 8601 time for `--changes-since` / `--changes-before` / `--start`. @throws UsageError */
export function isoTime(flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?)?$/.test(value) || isNaN(Date.parse(value))) {
    throw new UsageError(`${flag} takes an ISO 8601 time such as 2026-03-04T06:27:59Z, not '${value}'.`);
  }
  return value;
}

/** Comma-separated or repeated tags → one list (undefined when none). */
export function tagList(values: readonly string[] | undefined): string[] | undefined {
  const tags = (values ?? []).flatMap((v) => v.split(',')).filter((t) => t);
  return tags.length ? tags : undefined;
}

/**
 * `--property K=V` (repeatable) → key/value pairs (undefined when none).
 * @param flag the flag's name for the message (`--property`)
 * @throws UsageError for a value without `=` or with an empty key
 */
export function parseProperties(
  values: readonly string[] | undefined,
  flag = '--property',
): Record<string, string> | undefined {
  if (!values?.length) return undefined;
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq < 1) throw new UsageError(`${flag} takes KEY=VALUE, not '${v}'.`);
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

/** Nova's limit on `user_data`, base64-encoded (api-ref "Create Server": 65535 bytes). */
export const MAX_USER_DATA = 65535;

/**
 * The `--user-data` file, at most {@link MAX_USER_DATA} bytes once base64-encoded.
 * @returns its bytes, or undefined without the flag
 * @throws UsageError (unreadable, too large)
 */
export async function readUserData(file: string | undefined): Promise<Buffer | undefined> {
  if (file === undefined) return undefined;
  let data: Buffer;
  try {
    // (node:fs/promises loads 8 modules of Node: not at every start, for a flag seldom given)
    data = await (await import('node:fs/promises')).readFile(file);
  } catch (e) {
    throw new UsageError(`Cannot read the --user-data file ${file}: ${fileErrorReason(e, file)}.`);
  }
  const encoded = Math.ceil(data.length / 3) * 4;
  if (encoded > MAX_USER_DATA) {
    throw new UsageError(
      `The --user-data file ${file} is ${encoded} bytes base64-encoded; Nova takes at most ${MAX_USER_DATA}.`,
    );
  }
  return data;
}

/**
 * A boolean option value as oslo's `bool_from_string` reads it (true/false, yes/no, 1/0, on/off;
 * any case); undefined without the option.
 * @throws UsageError for anything else
 */
export function parseBool(flag: string, value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  const v = value.trim().toLowerCase();
  if (['true', 'yes', '1', 'on', 't', 'y'].includes(v)) return true;
  if (['false', 'no', '0', 'off', 'f', 'n'].includes(v)) return false;
  throw new UsageError(`${flag} takes true or false, not '${value}'.`);
}

/**
 * `--hint KEY=VALUE` (repeatable) → scheduler hints, as openstackclient's `server create --hint`
 * (`KeyValueAppendAction`): a key given once has a string value, a key given several times a list.
 * @throws UsageError for a value without `=` or with an empty key
 */
export function parseHints(values: readonly string[] | undefined): Record<string, string | string[]> | undefined {
  if (!values?.length) return undefined;
  const out: Record<string, string | string[]> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq < 1) throw new UsageError(`--hint takes KEY=VALUE, not '${v}'.`);
    const [k, val] = [v.slice(0, eq), v.slice(eq + 1)];
    const had = out[k];
    out[k] = had === undefined ? val : [...(Array.isArray(had) ? had : [had]), val];
  }
  return out;
}
