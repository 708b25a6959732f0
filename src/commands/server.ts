/**
 * `ncli server …`: list, show and create servers, and the daily lifecycle actions on one or
 * several of them (Nova "Servers" and "Servers - run an action" APIs). Command words and flags
 * follow python-openstackclient (openstackclient/compute/v2/server.py): `server stop vm1 vm2`,
 * `server reboot --hard`, `server lock --reason`, `server resize --flavor`, `server create
 * --image --flavor --network`. The API calls live in src/compute/ (servers, actions, wait,
 * images, events); several servers run through src/cli/bulk.ts.
 */
import { readFile } from 'node:fs/promises';
import { runBulk, DEFAULT_PARALLEL, type BulkJob, type JobTools } from '../cli/bulk.js';
import type { Context } from '../cli/context.js';
import { progressText } from '../cli/progress.js';
import { command, arg } from '../cli/spec.js';
import { actionWords, performAction, type ServerAction } from '../compute/actions.js';
import type { ComputeClient } from '../compute/client.js';
import { actionFailures } from '../compute/events.js';
import {
  createServer,
  findCreatedServers,
  getServer,
  listServers,
  requireMicroversion,
  serverOrNull,
  type CreatedServer,
  type SortKey,
} from '../compute/servers.js';
import type { Server } from '../compute/types.js';
import { FIRST_POLL_MS, targetOf, waitForServer, type WaitKind } from '../compute/wait.js';
import { NcliError, UsageError } from '../errors.js';
import { NetworkError, TimeoutError } from '../http/errors.js';

export const help = 'Servers (instances)';

const COLUMNS = ['ID', 'Name', 'Status', 'Networks', 'Image', 'Flavor'];
const LONG_COLUMNS = [
  'ID',
  'Name',
  'Status',
  'Task State',
  'Power State',
  'Networks',
  'Image',
  'Image ID',
  'Flavor',
  'Flavor ID',
  'Availability Zone',
  'Host',
  'Project ID',
  'Created',
];

/** What openstackclient shows for a server booted from a volume (openstackclient `IMAGE_STRING_FOR_BFV`). */
export const BOOTED_FROM_VOLUME = 'N/A (booted from volume)';

/** Default of `--wait-timeout`, seconds. */
export const DEFAULT_WAIT_TIMEOUT = 600;

/** Human name of `OS-EXT-STS:power_state` (nova/compute/power_state.py), as openstackclient shows it. */
export function powerStateName(s: number | null | undefined): string {
  const names: Record<number, string> = {
    0: 'NOSTATE',
    1: 'Running',
    3: 'Paused',
    4: 'Shutdown',
    6: 'Crashed',
    7: 'Suspended',
  };
  return s === undefined || s === null ? '' : (names[s] ?? String(s));
}

/** `addresses` as openstackclient prints it: `net1=10.0.0.5, fd00::5; net2=…`. */
export function formatNetworks(addresses: Server['addresses']): string {
  return Object.entries(addresses ?? {})
    .map(([net, addrs]) => `${net}=${addrs.map((a) => a.addr).join(', ')}`)
    .join('; ');
}

/** The server's image ID, or undefined for a server booted from a volume (`image` is ""). */
function imageIdOf(s: Server): string | undefined {
  return s.image && typeof s.image === 'object' && s.image.id ? s.image.id : undefined;
}

function row(s: Server, imageNames: Map<string, string>): Record<string, unknown> {
  const imageId = imageIdOf(s);
  return {
    ID: s.id,
    Name: s.name,
    Status: s.status,
    Networks: formatNetworks(s.addresses),
    Image: imageId ? (imageNames.get(imageId) ?? imageId) : BOOTED_FROM_VOLUME,
    'Image ID': imageId ?? BOOTED_FROM_VOLUME,
    Flavor: s.flavor?.original_name ?? s.flavor?.id ?? '',
    'Flavor ID': s.flavor?.id ?? '',
    'Task State': s['OS-EXT-STS:task_state'] ?? '',
    'Power State': powerStateName(s['OS-EXT-STS:power_state']),
    'Availability Zone': s['OS-EXT-AZ:availability_zone'] ?? '',
    Host: s['OS-EXT-SRV-ATTR:host'] ?? '',
    'Project ID': s.tenant_id ?? '',
    Created: s.created ?? '',
  };
}

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

/** An ISO 8601 time for `--changes-since` / `--changes-before`. @throws UsageError */
function isoTime(flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?)?$/.test(value) || isNaN(Date.parse(value))) {
    throw new UsageError(`${flag} takes an ISO 8601 time such as 2026-03-04T06:27:59Z, not '${value}'.`);
  }
  return value;
}

/** Comma-separated or repeated tags → one list. */
function tagList(values: readonly string[] | undefined): string[] | undefined {
  const tags = (values ?? []).flatMap((v) => v.split(',')).filter((t) => t);
  return tags.length ? tags : undefined;
}

export const do_list = command(
  {
    help: 'List servers',
    description: [
      'Follows pagination to the end unless --limit is given. The Image column names the image (a',
      'Glance lookup of the images the servers use, kept a day in the names cache); --no-name-lookup',
      'keeps IDs.',
      'Examples:',
      '  ncli server list',
      '  ncli server list --status active --name "^web" -f json',
      '  ncli server list --image devcloud-image --flavor m1.tiny --sort display_name:asc',
      '  ncli server list --locked --tags prod,db --sort-column Name --sort-descending',
      '  ncli server list --all-projects --host compute-3 --long --fit-width',
    ].join('\n'),
    output: 'list',
    args: [
      arg('--long', 'Show more columns'),
      arg('--name <regex>', 'Only servers whose name matches this regular expression (as Nova matches it)'),
      arg('--status <status>', 'Only servers in this status (ACTIVE, SHUTOFF, ERROR, BUILD, …)'),
      arg('--flavor <flavor>', 'Only servers of this flavor (name or ID)', { complete: 'flavor' }),
      arg('--image <image>', 'Only servers booted from this image (name or ID)', { complete: 'image' }),
      arg('--host <host>', 'Only servers on this compute host (admin)'),
      arg(
        '--ip <address>',
        'Only servers with an IPv4 address matching this: a part of the address where Neutron has ip-substring-filtering (most clouds), else a regular expression',
      ),
      arg('--changes-since <time>', 'Only servers changed at or after this ISO 8601 time (deleted ones too)'),
      arg('--changes-before <time>', 'Only servers changed at or before this ISO 8601 time (2.66)'),
      arg('--locked', 'Only locked servers (2.73)', { conflicts: ['unlocked'] }),
      arg('--unlocked', 'Only unlocked servers (2.73)', { conflicts: ['locked'] }),
      arg('--tags <tag>', 'Only servers with all these tags (comma-separated or repeated; 2.26)', {
        repeatable: true,
      }),
      arg('--not-tags <tag>', 'Only servers without all these tags (comma-separated or repeated; 2.26)', {
        repeatable: true,
      }),
      arg('--deleted', 'Only deleted servers (admin)'),
      arg('--sort <key[:dir]>', 'Server-side order: a Nova sort key with asc or desc (comma-separated or repeated)', {
        repeatable: true,
      }),
      arg('--all-projects', 'Servers of every project (admin)'),
      arg('--limit <n>', 'At most this many servers (-1: all)', { integer: true }),
      arg('--marker <id>', 'Start after the server with this ID'),
      arg('--no-name-lookup', 'Show image IDs, not names (no Glance request)'),
    ],
  },
  async (ctx, a) => {
    // the values ncli checks itself, before any request
    const sort = parseSort(a.sort);
    const changesSince = isoTime('--changes-since', a.changesSince);
    const changesBefore = isoTime('--changes-before', a.changesBefore);
    const compute = await ctx.compute();
    const [flavor, image] = await Promise.all([
      a.flavor ? ctx.flavor(a.flavor) : undefined,
      a.image ? ctx.image(a.image) : undefined,
    ]);
    const servers = await listServers(compute, {
      name: a.name,
      status: a.status,
      allProjects: a.allProjects,
      limit: a.limit,
      marker: a.marker,
      flavor: flavor?.id,
      image: image?.id,
      host: a.host,
      ip: a.ip,
      changesSince,
      changesBefore,
      locked: a.locked ? true : a.unlocked ? false : undefined,
      tags: tagList(a.tags),
      notTags: tagList(a.notTags),
      deleted: a.deleted,
      sort,
    });
    if (!a.allProjects && !a.deleted) {
      // an unfiltered listing of the whole project replaces the completion names; any other merges
      const filtered = [a.name, a.status, a.marker, a.flavor, a.image, a.host, a.ip, a.changesSince, a.changesBefore];
      const complete =
        filtered.every((f) => f === undefined) &&
        !a.locked &&
        !a.unlocked &&
        !a.tags &&
        !a.notTags &&
        (a.limit === undefined || a.limit < 0);
      await ctx.rememberNames('server', servers, { complete });
    }
    const ids = servers.map(imageIdOf).filter((id): id is string => !!id);
    const names = a.nameLookup ? await ctx.imageNames(ids) : new Map<string, string>();
    await ctx.list(
      a.long ? LONG_COLUMNS : COLUMNS,
      servers.map((s) => row(s, names)),
    );
  },
);

export const do_show = command(
  {
    help: 'Show every field of one server',
    description:
      'SERVER is an ID or an exact name.\nExamples:\n  ncli server show vm1\n  ncli server show vm1 -f json -c status -c addresses\n  eval "$(ncli server show vm1 -f shell -c status -c name)"; echo "$name is $status"',
    output: 'show',
    args: [
      arg('<server>', 'Server name or ID', { complete: 'server' }),
      arg('--all-projects', 'Look the name up in every project (admin)'),
    ],
  },
  async (ctx, a) => {
    await ctx.show(await ctx.server(a.server, { allProjects: a.allProjects, refetch: true }));
  },
);

// ---------------------------------------------------------------------------------------------
// actions on one or several servers
// ---------------------------------------------------------------------------------------------

const SERVERS = arg('<server...>', 'Servers: names or IDs (several run in parallel)', { complete: 'server' });
const ALL_PROJECTS = arg('--all-projects', 'Look names up in every project (admin)');
const WAIT = arg('--wait', 'Wait until each server is where the action takes it (see below)');
const WAIT_TIMEOUT = arg(
  '--wait-timeout <seconds>',
  `With --wait: give up after this long (default ${DEFAULT_WAIT_TIMEOUT}; implies --wait)`,
  {
    integer: true,
  },
);
const PARALLEL = arg('--parallel <n>', `Servers acted on at once (default ${DEFAULT_PARALLEL})`, { integer: true });
const BULK = [ALL_PROJECTS, WAIT, WAIT_TIMEOUT, PARALLEL] as const;

/** The arguments every action takes. */
interface BulkArgs {
  server: string[];
  allProjects?: boolean;
  wait?: boolean;
  waitTimeout?: number;
  parallel?: number;
}

/** What each action's `--help` says about its wait and its outcome. */
function actionHelp(kind: WaitKind, body: string, example: string): string {
  const target = targetOf(kind);
  return [
    `Sends ${body} to each server (names resolve as in server show). With --wait, polls each one until it is`,
    `${target.label} (an ERROR status, or a failed event of the action, stops the wait with Nova's reason).`,
    'Each server gets one line: its outcome and the request ID, for `ncli server event show SERVER REQ`.',
    'Exit status 0 only when every server succeeded.',
    'Examples:',
    `  ${example}`,
  ].join('\n');
}

/** `vm1`, or `vm1 (UUID)` when the user gave the ID. */
function labelOf(ref: string, s: Server): string {
  if (!s.name) return s.id;
  return ref === s.name ? s.name : `${s.name} (${s.id})`;
}

/** ` (request req-…)` or ''. */
function req(id: string | undefined): string {
  return id ? ` (request ${id})` : '';
}

/** `--parallel`, `--wait-timeout` checked; whether to wait. @throws UsageError */
function bulkSettings(a: BulkArgs): { parallel: number; wait: boolean; timeout: number } {
  if (a.parallel !== undefined && a.parallel < 1)
    throw new UsageError(`--parallel takes 1 or more, not ${a.parallel}.`);
  if (a.waitTimeout !== undefined && a.waitTimeout < 1) {
    throw new UsageError(`--wait-timeout takes a positive number of seconds, not ${a.waitTimeout}.`);
  }
  return {
    parallel: a.parallel ?? DEFAULT_PARALLEL,
    wait: !!a.wait || a.waitTimeout !== undefined,
    timeout: a.waitTimeout ?? DEFAULT_WAIT_TIMEOUT,
  };
}

/**
 * Waits for one server after an action (src/compute/wait.ts), drawing its live line.
 * @returns the server at the target, or null once deleted
 * @throws like `waitForServer`
 */
async function waitOne(
  compute: ComputeClient,
  server: Server,
  kind: WaitKind,
  o: { label: string; words: string; requestId?: string; timeout: number; tools: JobTools; started: number },
): Promise<Server | null> {
  return waitForServer(() => serverOrNull(compute, server.id), targetOf(kind, server), {
    timeoutSeconds: o.timeout,
    label: o.label,
    action: o.words,
    signal: o.tools.signal,
    onPoll: (s) => o.tools.progress(progressText(o.label, s, (Date.now() - o.started) / 1000)),
    failures: () => actionFailures(compute, server.id, o.requestId),
    // lock and unlock are done when Nova answers; the others run in nova-compute
    initialDelayMs: kind === 'lock' || kind === 'unlock' ? 0 : FIRST_POLL_MS,
  });
}

/** `SHUTOFF after 2.1 s`, `deleted after 1.0 s`, `locked`. */
function reached(kind: WaitKind, s: Server | null, started: number): string {
  const secs = `${((Date.now() - started) / 1000).toFixed(1)} s`;
  if (kind === 'lock' || kind === 'unlock') return `${kind}ed`;
  // a deleted server is a 404, or, for a moment (or for an admin), a server in status DELETED
  return s && kind !== 'delete' ? `${s.status} after ${secs}` : `deleted after ${secs}`;
}

/**
 * Runs `plan` on every server named in `a.server` (see src/cli/bulk.ts): resolves each name,
 * sends the action(s) it returns, in order, and with --wait waits after each (always after every
 * step but the last, which the next one needs).
 * @param plan the actions for one server, e.g. `[{kind: 'stop'}]`, or resize then confirm
 * @param verb for "N of M servers failed to <verb>."
 * @param onDone told of each server whose last action Nova accepted (the names cache)
 * @returns the exit code
 */
async function act(
  ctx: Context,
  a: BulkArgs,
  plan: (s: Server) => ServerAction[],
  verb: string,
  onDone?: (s: Server) => void,
): Promise<number> {
  const settings = bulkSettings(a);
  const compute = await ctx.compute();
  const refs = [...new Set(a.server)];
  // every name resolved in one request (a name that does not resolve fails only its own job)
  const resolved = await ctx.servers(refs, { allProjects: a.allProjects });
  const seen = new Map<string, string>();
  const jobs: BulkJob[] = refs.map((ref) => ({
    name: ref,
    run: async (tools) => {
      const server = resolved.get(ref);
      if (!server || server instanceof Error) throw server ?? new Error(`'${ref}' was not resolved`);
      const label = labelOf(ref, server);
      const first = seen.get(server.id);
      if (first !== undefined) return `${label}: the same server as '${first}'; acted on once.`;
      seen.set(server.id, ref);
      const steps = plan(server);
      const outcomes: string[] = [];
      let current: Server | null = server;
      for (const [i, step] of steps.entries()) {
        const words = actionWords(step);
        const last = i === steps.length - 1;
        tools.progress(`${label}  ${current?.status ?? ''}  sending ${words}`);
        const started = Date.now();
        const accepted = await performAction(compute, server.id, step, { label });
        if (accepted.recovered) tools.note(accepted.recovered);
        if (accepted.alreadyGone) {
          outcomes.push(`${label}: already deleted.`);
          break;
        }
        if (!settings.wait && last) {
          outcomes.push(`${label}: ${words} accepted${req(accepted.requestId)}.`);
          break;
        }
        current = await waitOne(compute, current ?? server, step.kind, {
          label,
          words,
          requestId: accepted.requestId,
          timeout: settings.timeout,
          tools,
          started,
        });
        if (settings.wait)
          outcomes.push(`${label}: ${words}: ${reached(step.kind, current, started)}${req(accepted.requestId)}.`);
      }
      onDone?.(server);
      return outcomes.join('\n');
    },
  }));
  return runBulk(ctx, jobs, { parallel: settings.parallel, verb, wait: settings.wait });
}

/** Declares an action without arguments of its own (`server pause vm1 vm2`). */
function simpleAction(
  kind: Exclude<ServerAction['kind'], 'reboot' | 'lock' | 'resize' | 'rebuild'>,
  help: string,
  body: string,
) {
  return command(
    {
      help,
      description: actionHelp(kind, body, `ncli server ${kind} vm1 web.1 --wait`),
      args: [SERVERS, ...BULK],
    },
    (ctx, a) => act(ctx, a, () => [{ kind }], kind),
  );
}

export const do_start = simpleAction('start', 'Start servers (SHUTOFF → ACTIVE)', '{"os-start": null}');
export const do_stop = simpleAction('stop', 'Stop servers (→ SHUTOFF)', '{"os-stop": null}');
export const do_pause = simpleAction('pause', 'Pause servers (→ PAUSED, kept in memory)', '{"pause": null}');
export const do_unpause = simpleAction('unpause', 'Unpause servers (PAUSED → ACTIVE)', '{"unpause": null}');
export const do_suspend = simpleAction(
  'suspend',
  'Suspend servers (→ SUSPENDED, memory saved to disk)',
  '{"suspend": null}',
);
export const do_resume = simpleAction('resume', 'Resume servers (SUSPENDED → ACTIVE)', '{"resume": null}');
export const do_shelve = simpleAction(
  'shelve',
  'Shelve servers (→ SHELVED or SHELVED_OFFLOADED, off their host)',
  '{"shelve": null}',
);
export const do_unshelve = simpleAction('unshelve', 'Unshelve servers (→ ACTIVE)', '{"unshelve": null}');
export const do_unlock = simpleAction('unlock', 'Unlock servers', '{"unlock": null}');

export const do_reboot = command(
  {
    help: 'Reboot servers (soft, or --hard)',
    description: actionHelp(
      'reboot',
      '{"reboot": {"type": "SOFT"}} (HARD with --hard)',
      'ncli server reboot --hard vm1 --wait',
    ),
    args: [
      SERVERS,
      arg('--hard', 'Hard reboot (power cycle)', { conflicts: ['soft'] }),
      arg('--soft', 'Soft reboot (the default)', { conflicts: ['hard'] }),
      ...BULK,
    ],
  },
  (ctx, a) => act(ctx, a, () => [{ kind: 'reboot', hard: !!a.hard }], 'reboot'),
);

export const do_lock = command(
  {
    help: 'Lock servers (non-admins can then not act on them)',
    description: actionHelp(
      'lock',
      '{"lock": null} ({"lock": {"locked_reason": "…"}} with --reason, 2.73)',
      'ncli server lock vm1 --reason "maintenance until 18:00"',
    ),
    args: [SERVERS, arg('--reason <text>', 'Why (shown as locked_reason; compute API 2.73)'), ...BULK],
  },
  async (ctx, a) => {
    // checked once, not once per server
    if (a.reason !== undefined) await requireMicroversion(await ctx.compute(), '2.73', 'A lock reason');
    return act(ctx, a, () => [{ kind: 'lock', reason: a.reason }], 'lock');
  },
);

export const do_delete = command(
  {
    help: 'Delete servers',
    description: [
      'Sends DELETE /servers/{id} for each server (names resolve as in server show). With --wait, polls each one',
      'until Nova answers 404. Each server gets one line; when some fail, "N of M servers failed to delete."',
      'Exit status 0 only when every server was deleted.',
      'Examples:',
      '  ncli server delete act-1 act-2 act-3 --wait',
    ].join('\n'),
    args: [SERVERS, ...BULK],
  },
  async (ctx, a) => {
    const deleted: string[] = [];
    const code = await act(
      ctx,
      a,
      () => [{ kind: 'delete' }],
      'delete',
      (s) => deleted.push(s.id),
    );
    if (deleted.length) await ctx.rememberNames('server', [], { complete: false, forget: deleted });
    return code;
  },
);

export const do_resize = command(
  {
    help: 'Resize servers to another flavor; confirm or revert a resize',
    description: [
      'server resize SERVER... --flavor FLAVOR      {"resize": {"flavorRef": …}}; --wait: until VERIFY_RESIZE',
      'server resize SERVER... --confirm            {"confirmResize": null}; --wait: until ACTIVE (or SHUTOFF)',
      'server resize SERVER... --revert             {"revertResize": null}; --wait: until ACTIVE (or SHUTOFF)',
      'server resize SERVER... --flavor F --confirm both: resize, wait for VERIFY_RESIZE, confirm.',
      'FLAVOR is a name or ID. Each server gets one line; exit status 0 only when every server succeeded.',
      'Examples:',
      '  ncli server resize vm1 --flavor m1.small --wait',
      '  ncli server resize vm1 --confirm',
      '  ncli server resize web.1 web.2 --flavor m1.small --confirm --wait',
    ].join('\n'),
    args: [
      SERVERS,
      arg('--flavor <flavor>', 'The new flavor (name or ID)', { complete: 'flavor', conflicts: ['revert'] }),
      arg('--confirm', 'Confirm the resize (after --flavor: once it is in VERIFY_RESIZE)', { conflicts: ['revert'] }),
      arg('--revert', 'Revert the resize: back to the old flavor', { conflicts: ['confirm', 'flavor'] }),
      ...BULK,
    ],
  },
  async (ctx, a) => {
    if (!a.flavor && !a.confirm && !a.revert) {
      throw new UsageError('server resize needs --flavor FLAVOR, --confirm or --revert.');
    }
    const flavor = a.flavor ? await ctx.flavor(a.flavor) : undefined;
    const steps: ServerAction[] = [];
    if (flavor) steps.push({ kind: 'resize', flavorRef: flavor.id });
    if (a.confirm) steps.push({ kind: 'confirm-resize' });
    if (a.revert) steps.push({ kind: 'revert-resize' });
    return act(ctx, a, () => steps, 'resize');
  },
);

export const do_rebuild = command(
  {
    help: 'Rebuild servers from an image (their own by default)',
    description: [
      'Sends {"rebuild": {"imageRef": …}} to each server: IMAGE (a name or ID from Glance), or the image the',
      'server was booted from. With --wait, polls until ACTIVE (SHUTOFF for a server that was SHUTOFF).',
      'Examples:',
      '  ncli server rebuild vm1 --wait',
      '  ncli server rebuild vm1 --image devcloud-image-2',
    ].join('\n'),
    args: [SERVERS, arg('--image <image>', 'Image to rebuild from (name or ID)', { complete: 'image' }), ...BULK],
  },
  async (ctx, a) => {
    const image = a.image ? await ctx.image(a.image) : undefined;
    return act(
      ctx,
      a,
      (s) => {
        const imageRef = image?.id ?? imageIdOf(s);
        if (!imageRef) {
          throw new UsageError(
            `Server ${s.name} was booted from a volume: give the image to rebuild from with --image IMAGE.`,
          );
        }
        return [{ kind: 'rebuild', imageRef }];
      },
      'rebuild',
    );
  },
);

// ---------------------------------------------------------------------------------------------
// create
// ---------------------------------------------------------------------------------------------

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** `--network` values → `auto`, `none` or network IDs. @throws UsageError */
export function parseNetworks(values: readonly string[] | undefined): 'auto' | 'none' | string[] | undefined {
  if (!values?.length) return undefined;
  const special = values.filter((v) => v === 'auto' || v === 'none');
  if (special.length) {
    if (values.length > 1)
      throw new UsageError(`--network ${special[0]} cannot be combined with other --network values.`);
    return special[0];
  }
  for (const v of values) {
    if (!UUID.test(v)) throw new UsageError(`--network takes auto, none or a network ID (a UUID), not '${v}'.`);
  }
  return [...values];
}

/** `--property K=V` (repeatable) → metadata. @throws UsageError */
export function parseProperties(values: readonly string[] | undefined): Record<string, string> | undefined {
  if (!values?.length) return undefined;
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq < 1) throw new UsageError(`--property takes KEY=VALUE, not '${v}'.`);
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

/** Nova's limit on `user_data`, base64-encoded (api-ref "Create Server": 65535 bytes). */
export const MAX_USER_DATA = 65535;

async function readUserData(file: string | undefined): Promise<Buffer | undefined> {
  if (file === undefined) return undefined;
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (e) {
    throw new UsageError(
      `Cannot read the --user-data file ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}.`,
    );
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
 * The servers a create made: the answer's server, or the reservation's servers; after a lost
 * answer, the ones found by name and creation time (never a second POST).
 */
async function createdServers(
  ctx: Context,
  compute: ComputeClient,
  name: string,
  send: () => Promise<CreatedServer>,
  multi: boolean,
): Promise<{ servers: Server[]; requestId?: string }> {
  const sentAt = new Date();
  let created: CreatedServer;
  try {
    created = await send();
  } catch (e) {
    if (!(e instanceof NetworkError || e instanceof TimeoutError)) throw e;
    const found = await findCreatedServers(compute, name, sentAt, { multi });
    const why = e.message.replace(/\.$/, '');
    if (!found.length) {
      throw new NcliError(
        e.code,
        `The answer to the create of server ${name} was lost (${why}) and no server named ${name} has appeared since; ncli does not send a create twice: check with \`ncli server list --name '^${name}'\` and run it again if none is there.`,
        { cause: e },
      );
    }
    ctx.warn(
      `ncli: the answer to the create of server ${name} was lost (${why}); found ${found.map((s) => `${s.name} (${s.id})`).join(', ')} by name and creation time: not created again.`,
    );
    return { servers: found };
  }
  if (created.id) return { servers: [await getServer(compute, created.id)], requestId: created.requestId };
  const servers = await listServers(compute, { reservationId: created.reservationId });
  // NAME-1, NAME-2, … in order (Nova lists the newest first)
  servers.sort((x, y) => x.name.localeCompare(y.name, undefined, { numeric: true }));
  return { servers, requestId: created.requestId };
}

export const do_create = command(
  {
    help: 'Create (boot) a server',
    description: [
      'POST /servers with the image (a name or ID from Glance) and flavor (name or ID); prints the new server as',
      'server show does. Networks: --network auto|none|NETWORK_ID (repeat for several IDs); without it, "auto"',
      'from compute API 2.37 (where Nova needs one), as openstackclient does. --min/--max boot several',
      '(Nova names them NAME-1, NAME-2, …; one line each). With --wait, polls until ACTIVE; an ERROR status',
      "ends the wait with the server's fault. The create is sent once: if its answer is lost, ncli looks",
      'the server up by name and creation time instead of sending it again.',
      'Examples:',
      '  ncli server create web-3 --image devcloud-image --flavor m1.tiny --network none --wait',
      '  ncli server create batch --image devcloud-image --flavor m1.small --min 3 --max 3 --wait',
      '  ncli server create app --image IMAGE --flavor m1.small --network NET_ID --key-name ops \\',
      '      --user-data cloud-init.yaml --property role=app --property owner=ops',
    ].join('\n'),
    output: 'show',
    args: [
      arg('<name>', 'Name of the new server'),
      arg('--image <image>', 'Image to boot from (name or ID; required)', { complete: 'image' }),
      arg('--flavor <flavor>', 'Flavor (name or ID; required)', { complete: 'flavor' }),
      arg('--network <network>', 'auto, none, or a network ID (repeat for several IDs)', { repeatable: true }),
      arg('--key-name <name>', 'Keypair to inject'),
      arg('--user-data <file>', 'User data file (cloud-init), at most 64 KiB base64-encoded', { complete: 'file' }),
      arg('--property <key=value>', 'Metadata (repeat for several)', { repeatable: true }),
      arg('--min <n>', 'Boot at least this many servers (default 1)', { integer: true }),
      arg('--max <n>', 'Boot at most this many servers (default: --min)', { integer: true }),
      WAIT,
      WAIT_TIMEOUT,
    ],
  },
  async (ctx, a) => {
    if (!a.image) throw new UsageError('server create needs --image IMAGE (a name or ID).');
    if (!a.flavor) throw new UsageError('server create needs --flavor FLAVOR (a name or ID).');
    const min = a.min ?? 1;
    const max = a.max ?? Math.max(min, 1);
    if (min < 1 || max < min) throw new UsageError(`--min and --max take 1 ≤ min ≤ max, not ${min} and ${max}.`);
    const settings = bulkSettings({ server: [], wait: a.wait, waitTimeout: a.waitTimeout });
    const networks = parseNetworks(a.network);
    const metadata = parseProperties(a.property);
    const userData = await readUserData(a.userData);
    const compute = await ctx.compute();
    if (networks === 'auto' || networks === 'none') {
      await requireMicroversion(compute, '2.37', `--network ${networks}`);
    }
    const [image, flavor] = await Promise.all([ctx.image(a.image), ctx.flavor(a.flavor)]);
    const multi = max > 1;
    const { servers, requestId } = await createdServers(
      ctx,
      compute,
      a.name,
      () =>
        createServer(compute, {
          name: a.name,
          imageRef: image.id,
          flavorRef: flavor.id,
          networks,
          keyName: a.keyName,
          userData,
          metadata,
          ...(multi || a.min !== undefined ? { minCount: min, maxCount: max } : {}),
        }),
      multi,
    );
    await ctx.rememberNames('server', servers, { complete: false });
    if (!settings.wait && !multi && servers.length === 1) {
      await ctx.show(servers[0]);
      return 0;
    }
    const finals = new Map<string, Server>();
    const jobs: BulkJob[] = servers.map((s) => ({
      name: s.name,
      run: async (tools) => {
        if (!settings.wait) return `${s.name} (${s.id}): ${s.status}${req(requestId)}.`;
        const started = Date.now();
        const final = await waitOne(compute, s, 'create', {
          label: s.name,
          words: 'create',
          requestId,
          timeout: settings.timeout,
          tools,
          started,
        });
        if (final) finals.set(s.id, final);
        return servers.length === 1
          ? ''
          : `${s.name} (${s.id}): ${reached('create', final, started)}${req(requestId)}.`;
      },
    }));
    const code = await runBulk(ctx, jobs, { parallel: DEFAULT_PARALLEL, verb: 'build', wait: settings.wait });
    if (servers.length === 1 && finals.size === 1) await ctx.show([...finals.values()][0]);
    return code;
  },
);
