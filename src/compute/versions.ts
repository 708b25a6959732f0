/**
 * The microversion checks a request makes before it is sent (python-novaclient's
 * `api_versions.wraps(start, end)` and `utils.arg(start_version=…, end_version=…)`): a feature the
 * run's microversion is too old for, or an API Nova no longer serves at it, is refused in one
 * line naming the version, before any request.
 */
import { ConfigError } from '../errors.js';
import type { ComputeClient } from './client.js';
import { compareVersions } from './microversion.js';

/**
 * Checks that this run's microversion is at least `min` before a request that needs it.
 * @param feature what needs it, as a sentence subject (`Filtering servers by lock state`)
 * @throws ConfigError `MICROVERSION`: "… needs compute API version 2.73; this cloud supports at
 *   most 2.60." (or, when the cloud has it but `--os-compute-api-version` asked for less, with the
 *   `compute-api-version` hint)
 */
export async function requireMicroversion(client: ComputeClient, min: string, feature: string): Promise<void> {
  const mv = await client.microversion();
  if (mv && compareVersions(mv, min) >= 0) return;
  const max = (await client.versionRange()).max || '2.0';
  if (compareVersions(max, min) >= 0) {
    throw new ConfigError(`${feature} needs compute API version ${min}; this run uses ${mv ?? '2.0'}.`, {
      code: 'MICROVERSION',
      hint: 'compute-api-version',
    });
  }
  throw new ConfigError(`${feature} needs compute API version ${min}; this cloud supports at most ${max}.`, {
    code: 'MICROVERSION',
  });
}

/** `true` when this run's microversion is at least `min`. */
export async function hasMicroversion(client: ComputeClient, min: string): Promise<boolean> {
  const mv = await client.microversion();
  return !!mv && compareVersions(mv, min) >= 0;
}

/**
 * Checks that the cloud still serves an API capped at `max` (Nova answers 404 above it: e.g.
 * `os-hypervisors/statistics` ≤ 2.87) at a version this run may use: the run must not have asked
 * for a newer one (`--os-compute-api-version`), and the cloud's oldest must be at most `max`.
 * Callers then send the request at {@link cappedVersion}.
 * @param instead what to use instead, as a sentence (`use hypervisor show for each hypervisor`)
 * @throws ConfigError `MICROVERSION`
 */
export async function requireAtMost(
  client: ComputeClient,
  max: string,
  feature: string,
  requested: string | undefined,
  instead?: string,
): Promise<void> {
  const range = await client.versionRange();
  const tail = instead ? `; ${instead}` : '';
  if (range.min && compareVersions(range.min, max) > 0) {
    throw new ConfigError(
      `${feature} was removed in compute API ${nextVersion(max)}, and this cloud serves ${range.min} and newer${tail}.`,
      {
        code: 'MICROVERSION',
      },
    );
  }
  if (requested && /^\d+\.\d+$/.test(requested) && compareVersions(requested, max) > 0) {
    throw new ConfigError(
      `${feature} was removed in compute API ${nextVersion(max)}; this run asked for ${requested}${tail}.`,
      {
        code: 'MICROVERSION',
        hint: 'compute-api-version',
      },
    );
  }
}

/** `2.87` → `2.88`. */
function nextVersion(v: string): string {
  const [a, b] = v.split('.').map(Number);
  return `${a}.${b + 1}`;
}

/**
 * The microversion to send a request capped at `max` with: the run's own when it is not newer,
 * else `max`.
 */
export async function cappedVersion(client: ComputeClient, max: string): Promise<string | undefined> {
  const mv = await client.microversion();
  return mv && compareVersions(mv, max) > 0 ? max : mv;
}
