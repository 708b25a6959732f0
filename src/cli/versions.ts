/**
 * The microversions a command and its options declare (`since`/`until` in their specs,
 * src/cli/spec.ts), checked once before the handler runs, as python-novaclient drops an argument
 * outside its range (`utils.arg(start_version=…, end_version=…)`) and refuses a command outside
 * `api_versions.wraps(…)`: an option the cloud (or the run's `--os-compute-api-version`) is too
 * old for is refused in one line naming the version, before any request but version discovery
 * (cached a day). A command without such declarations costs nothing here.
 */
import type { Context } from './context.js';
import { attributeName, type ArgSpec, type CommandSpec } from './spec.js';

/** Whether an option was given: a value other than undefined, false or an empty list. */
function given(v: unknown, a: ArgSpec): boolean {
  if (v === undefined || v === false) return false;
  if (Array.isArray(v) && v.length === 0) return false;
  return a.default === undefined || v !== a.default;
}

/** `--host` of `--host <host>`, or the positional's name. */
function flagName(a: ArgSpec): string {
  return /--[\w-]+/.exec(a.flags)?.[0] ?? a.flags;
}

/**
 * Refuses the command when the run's microversion is outside what the command or a given option
 * declares.
 * @param words the command's words, for messages (`hypervisor stats show`)
 * @throws ConfigError `MICROVERSION` ("--reason needs compute API version 2.73; this cloud
 *   supports at most 2.60.")
 */
export async function checkVersions(
  ctx: Context,
  spec: CommandSpec,
  args: Record<string, unknown>,
  words: string,
): Promise<void> {
  const needs: { since?: string; until?: string; feature: string }[] = [];
  if (spec.since || spec.until) needs.push({ since: spec.since, until: spec.until, feature: `\`ncli ${words}\`` });
  for (const a of spec.args) {
    if ((a.since || a.until) && given(args[attributeName(a.flags)], a)) {
      needs.push({ since: a.since, until: a.until, feature: flagName(a) });
    }
  }
  if (!needs.length) return;
  const [compute, versions, cfg] = await Promise.all([ctx.compute(), import('../compute/versions.js'), ctx.config()]);
  for (const n of needs) {
    if (n.since) await versions.requireMicroversion(compute, n.since, n.feature);
    if (n.until) await versions.requireAtMost(compute, n.until, n.feature, cfg.computeApiVersion);
  }
}
