/**
 * Compute API microversions (Nova api-guide `microversions.rst`): `2.x` strings, compared
 * numerically; negotiation of what the user asked for against the server's range; the request
 * headers for a version (`X-OpenStack-Nova-API-Version` always, `OpenStack-API-Version:
 * compute 2.x` from 2.27, as python-novaclient's `api_versions.update_headers` does).
 */
import { ConfigError } from '../errors.js';

/** The newest microversion whose responses ncli has been written against. */
export const CLIENT_MAX_MICROVERSION = '2.96';

/** A requested version that cannot be used (`MICROVERSION`); the message names the range. */
function versionError(message: string): ConfigError {
  return new ConfigError(message, { code: 'MICROVERSION', hint: 'compute-api-version' });
}

/** `2.93` → [2, 93]. @throws ConfigError `MICROVERSION` on anything else */
export function parseVersion(v: string): [number, number] {
  const m = /^(\d+)\.(\d+)$/.exec(v.trim());
  if (!m) throw versionError(`'${v}' is not a compute API version: use 2.N (e.g. 2.79) or latest.`);
  return [Number(m[1]), Number(m[2])];
}

/** Negative, zero or positive as `a` is older than, equal to or newer than `b`. */
export function compareVersions(a: string, b: string): number {
  const [a1, a2] = parseVersion(a);
  const [b1, b2] = parseVersion(b);
  return a1 - b1 || a2 - b2;
}

/** The server's range from version discovery; empty strings mean "no microversions" (2.0). */
export interface VersionRange {
  min: string;
  max: string;
}

/**
 * The microversion to use.
 * @param requested `--os-compute-api-version`: `2.N`, `latest`, or undefined (= the newest both know)
 * @returns `2.N`, or undefined when the server has no microversions
 * @throws ConfigError `MICROVERSION` when `requested` is malformed or outside the server's range
 */
export function negotiate(requested: string | undefined, range: VersionRange): string | undefined {
  if (!range.max) {
    if (requested && requested !== 'latest' && requested !== '2.0' && requested !== '2') {
      throw versionError(`This cloud's compute API has no microversions; version ${requested} cannot be used.`);
    }
    return undefined;
  }
  if (!requested || requested === 'latest' || requested === '2.latest') {
    return compareVersions(range.max, CLIENT_MAX_MICROVERSION) < 0 ? range.max : CLIENT_MAX_MICROVERSION;
  }
  const want = requested === '2' ? '2.1' : requested;
  parseVersion(want);
  if (compareVersions(want, range.min) < 0 || compareVersions(want, range.max) > 0) {
    throw versionError(
      `Compute API version ${requested} is not supported by this cloud: it supports ${range.min} to ${range.max}.`,
    );
  }
  return want;
}

/** Request headers that select `version` (none for undefined). */
export function microversionHeaders(version: string | undefined): Record<string, string> {
  if (!version) return {};
  const h: Record<string, string> = { 'X-OpenStack-Nova-API-Version': version };
  if (compareVersions(version, '2.27') >= 0) h['OpenStack-API-Version'] = `compute ${version}`;
  return h;
}
