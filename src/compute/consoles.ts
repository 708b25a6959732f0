/**
 * Remote consoles and the console log (API calls only, no printing).
 *
 * Follows the Nova api-ref sections "Server Remote Consoles" (`POST /servers/{id}/remote-consoles`,
 * microversion ≥ 2.6, nova/api/openstack/compute/remote_consoles.py `create`) and "Servers -
 * run an action" (`os-getVNCConsole`, `os-getSPICEConsole`, `os-getSerialConsole`,
 * `os-getRDPConsole`, max_version 2.5; `os-getConsoleOutput`), the way python-novaclient
 * (`novaclient/v2/servers.py` `get_*_console`) and openstacksdk
 * (`openstack/compute/v2/server_remote_console.py`) choose between them:
 *
 * - the server's maximum microversion is ≥ 2.6 → `remote-consoles` at the negotiated microversion,
 *   raised to the type's minimum (2.6; 2.8 for `webmks`; 2.99 for `spice-direct`);
 * - otherwise the legacy action, sent WITHOUT a microversion header (a legacy action called at
 *   ≥ 2.6 is a bare 404 by design);
 * - a type the cloud is too old for is refused before the console request, naming the
 *   microversion it needs.
 *
 * Nova's refusals (400/404/409/501, and the 500 the legacy VNC action gives for `xvpvnc`) become
 * a one-line {@link ConsoleError}.
 */
import { article, NcliError, type NcliErrorOptions } from '../errors.js';
import { ApiError } from '../http/errors.js';
import * as v from 'valibot';
import type { ComputeClient } from './client.js';
import { compareVersions } from './microversion.js';

/** The `protocol` of a remote console (`remote_console.protocol`). */
export type ConsoleProtocol = 'vnc' | 'spice' | 'serial' | 'rdp' | 'mks';

/** Every console `type` Nova's API knows (schemas/remote_consoles.py `create_v26/v28/v299`). */
export type ConsoleType = 'novnc' | 'xvpvnc' | 'spice-html5' | 'spice-direct' | 'serial' | 'rdp-html5' | 'webmks';

/** One row of {@link CONSOLE_TYPES}. */
export interface ConsoleTypeInfo {
  /** The protocol Nova pairs with this type. */
  protocol: ConsoleProtocol;
  /** Lowest microversion at which `remote-consoles` accepts the type (`2.N`). */
  minVersion: string;
  /** The pre-2.6 server action for this type, or undefined when there is none. */
  legacyAction?: 'os-getVNCConsole' | 'os-getSPICEConsole' | 'os-getSerialConsole' | 'os-getRDPConsole';
}

/**
 * Console type → protocol, minimum microversion and legacy action (Nova api-ref "Create Console":
 * 2.6 vnc/spice/serial/rdp, 2.8 adds mks/webmks, 2.99 adds spice-direct).
 */
export const CONSOLE_TYPES: Readonly<Record<ConsoleType, ConsoleTypeInfo>> = Object.freeze({
  novnc: { protocol: 'vnc', minVersion: '2.6', legacyAction: 'os-getVNCConsole' },
  xvpvnc: { protocol: 'vnc', minVersion: '2.6', legacyAction: 'os-getVNCConsole' },
  'spice-html5': { protocol: 'spice', minVersion: '2.6', legacyAction: 'os-getSPICEConsole' },
  'spice-direct': { protocol: 'spice', minVersion: '2.99' },
  serial: { protocol: 'serial', minVersion: '2.6', legacyAction: 'os-getSerialConsole' },
  'rdp-html5': { protocol: 'rdp', minVersion: '2.6', legacyAction: 'os-getRDPConsole' },
  webmks: { protocol: 'mks', minVersion: '2.8' },
});

/** The console types, in table order. */
export const CONSOLE_TYPE_NAMES = Object.keys(CONSOLE_TYPES) as ConsoleType[];

/** The microversion from which `POST /servers/{id}/remote-consoles` exists. */
export const REMOTE_CONSOLES_MIN_VERSION = '2.6';

/** A console URL as Nova handed it out (`remote_console` at ≥ 2.6; protocol filled in for the legacy `console`). */
export interface ConsoleUrl {
  protocol: ConsoleProtocol;
  type: ConsoleType;
  /** Page URL (`http://h:6080/vnc_auto.html?path=%3Ftoken%3D…`) or WebSocket URL (`ws://h:6083/?token=…`). Carries a secret token. */
  url: string;
}

/**
 * Nova would not hand out a console (or its log), or ncli knows it cannot. The message is one line
 * for a person (what, why, what to do), with Nova's own message and request id when there was one.
 */
export class ConsoleError extends NcliError {
  override readonly name = 'ConsoleError';
  /** The HTTP status Nova answered, when the refusal came from Nova. */
  readonly status?: number;
  /** @param message one human line */
  constructor(message: string, options: NcliErrorOptions & { status?: number } = {}) {
    super('CONSOLE', message, options);
    if (options.status !== undefined) this.status = options.status;
  }
}

/** `true` for a known console type name. */
export function isConsoleType(t: string): t is ConsoleType {
  return Object.prototype.hasOwnProperty.call(CONSOLE_TYPES, t);
}

/**
 * The console type's row.
 * @throws ConsoleError for an unknown type (the message lists the known ones)
 */
export function consoleTypeInfo(type: string): ConsoleTypeInfo {
  if (!isConsoleType(type)) {
    throw new ConsoleError(`Unknown console type '${type}'; choose from: ${CONSOLE_TYPE_NAMES.join(', ')}.`);
  }
  return CONSOLE_TYPES[type];
}

/** How a console request will be made: which endpoint and at which microversion. */
export type ConsoleRoute =
  | { kind: 'remote-consoles'; microversion: string }
  | { kind: 'action'; action: NonNullable<ConsoleTypeInfo['legacyAction']> };

function newer(a: string, b: string): string {
  return compareVersions(a, b) >= 0 ? a : b;
}

/**
 * Chooses the endpoint and microversion for a console type (pure; see the module comment).
 *
 * @param type console type
 * @param serverMax the cloud's maximum microversion (`''` when it has none, i.e. 2.0)
 * @param negotiated the microversion this run negotiated (undefined without microversions)
 * @throws ConsoleError when the cloud's maximum is below the type's minimum, naming both
 */
export function consoleRoute(type: ConsoleType, serverMax: string, negotiated: string | undefined): ConsoleRoute {
  const info = CONSOLE_TYPES[type];
  const max = serverMax || '2.0';
  if (compareVersions(max, info.minVersion) < 0) {
    if (!info.legacyAction) {
      throw new ConsoleError(
        `The ${type} console needs compute API microversion ${info.minVersion} or newer; this cloud supports up to ${serverMax || '2.0 (no microversions)'}.`,
      );
    }
    return { kind: 'action', action: info.legacyAction };
  }
  const base = negotiated ?? REMOTE_CONSOLES_MIN_VERSION;
  if (compareVersions(base, REMOTE_CONSOLES_MIN_VERSION) < 0 && info.legacyAction) {
    // --os-compute-api-version pinned below 2.6: the legacy action is what that version has.
    return { kind: 'action', action: info.legacyAction };
  }
  return { kind: 'remote-consoles', microversion: newer(base, info.minVersion) };
}

/** Extra wording for {@link mapConsoleError} (the server's name, for messages). */
export interface ConsoleRequestOptions {
  /** How to name the server in messages, e.g. `vm1`; the ID by default. */
  serverLabel?: string;
}

/** `a novnc`, `an xvpvnc`, `an rdp-html5`. */
function aType(type: string): string {
  return `${article(type)} ${type}`;
}

function novaSays(e: ApiError): string {
  const msg = e.serverMessage.trim().replace(/\s+/g, ' ');
  const rid = e.requestId ? `, request ${e.requestId}` : '';
  return `(Nova: "${msg}", HTTP ${e.status}${rid})`;
}

const PROTOCOL_HINT: Record<ConsoleProtocol, string> = {
  vnc: '[vnc] enabled',
  spice: '[spice] enabled',
  serial: '[serial_console] enabled',
  rdp: '[rdp] enabled',
  mks: '[mks] enabled',
};

/**
 * Turns Nova's answer to a console request into a {@link ConsoleError}; anything else is returned
 * unchanged. Follows remote_consoles.py's mapping (api-ref "Create Console" error codes):
 * 400 `ConsoleTypeUnavailable`/`ConsoleTypeInvalid`, 404 `InstanceNotFound`, 409
 * `InstanceNotReady` (building, shelved-offloaded), 501 driver `NotImplementedError`.
 *
 * @param e the error thrown by the compute client
 * @param type the console type asked for
 * @param serverLabel how to name the server
 */
export function mapConsoleError(e: unknown, type: ConsoleType, serverLabel: string): unknown {
  if (!(e instanceof ApiError)) return e;
  const info = CONSOLE_TYPES[type];
  const says = novaSays(e);
  switch (e.status) {
    case 400: {
      if (/invalid console type/i.test(e.serverMessage) || type === 'xvpvnc') {
        const why =
          type === 'xvpvnc'
            ? 'Nova only hands out novnc VNC consoles (xvpvnc stays in the API for compatibility only)'
            : `this cloud's Nova does not accept the ${type} console type`;
        return new ConsoleError(`Cannot get ${aType(type)} console for server ${serverLabel}: ${why} ${says}.`, {
          status: 400,
          cause: e,
          ...(type === 'xvpvnc' ? { hint: 'console-type-novnc' as const } : {}),
        });
      }
      if (info.protocol === 'rdp') {
        return new ConsoleError(
          `Cannot get an rdp-html5 console for server ${serverLabel}: this cloud has RDP consoles turned off; current Nova has none at all, they went with the Hyper-V driver in 29.0.0 ${says}.`,
          { status: 400, cause: e },
        );
      }
      if (/unavailable console type/i.test(e.serverMessage)) {
        return new ConsoleError(
          `Cannot get ${aType(type)} console for server ${serverLabel}: this cloud has the ${info.protocol} console type turned off (${PROTOCOL_HINT[info.protocol]} = false in nova.conf), or its hypervisor does not offer it ${says}.`,
          { status: 400, cause: e },
        );
      }
      return new ConsoleError(`Nova refused the ${type} console of server ${serverLabel} ${says}.`, {
        status: 400,
        cause: e,
      });
    }
    case 404:
      return new ConsoleError(`Server ${serverLabel} no longer exists (or is not visible to this project) ${says}.`, {
        status: 404,
        cause: e,
      });
    case 409:
      return new ConsoleError(
        `Server ${serverLabel} has no console yet: it is not running on a host (still building, or shelved-offloaded: unshelve it first) ${says}.`,
        { status: 409, cause: e },
      );
    case 501:
      return new ConsoleError(
        `The hypervisor driver of server ${serverLabel} does not support ${type} consoles ${says}.`,
        { status: 501, cause: e },
      );
    case 500:
      if (/ConsoleTypeInvalid/.test(e.serverMessage)) {
        return new ConsoleError(
          `Cannot get ${aType(type)} console for server ${serverLabel}: Nova does not accept that console type${type === 'xvpvnc' ? ' (only novnc)' : ''} (Nova answered HTTP 500 with ConsoleTypeInvalid${e.requestId ? `, request ${e.requestId}` : ''}).`,
          { status: 500, cause: e, ...(type === 'xvpvnc' ? { hint: 'console-type-novnc' as const } : {}) },
        );
      }
      return e;
    default:
      return e;
  }
}

/**
 * Asks Nova for a console URL of a server.
 *
 * Calls `client.versionRange()` (cached version document), then either
 * `POST /servers/{id}/remote-consoles {"remote_console":{"protocol","type"}}` at
 * max(negotiated, type minimum) and reads `{"remote_console":{"protocol","type","url"}}`, or,
 * when the cloud's maximum is below 2.6, `POST /servers/{id}/action {"os-getVNCConsole":{"type"}}`
 * (or the SPICE/serial/RDP action) with no microversion header, reading `{"console":{"type","url"}}`.
 *
 * @param client the compute client
 * @param serverId the server's UUID
 * @param type a console type from {@link CONSOLE_TYPES}
 * @param opts `serverLabel` for messages
 * @returns `{protocol, type, url}`; the URL carries a console token (secret until it expires,
 *   `[consoleauth] token_ttl`, 600 s by default)
 * @throws ConsoleError for an unknown type, a type the cloud is too old for (before any console
 *   request), and Nova's 400/404/409/501 refusals; ApiError, NetworkError, TimeoutError,
 *   ConfigError `MICROVERSION` otherwise
 */
export async function getConsoleUrl(
  client: ComputeClient,
  serverId: string,
  type: string,
  opts: ConsoleRequestOptions = {},
): Promise<ConsoleUrl> {
  const info = consoleTypeInfo(type);
  const t = type as ConsoleType;
  const label = opts.serverLabel ?? serverId;
  const range = await client.versionRange();
  const route = consoleRoute(t, range.max, range.max ? await client.microversion() : undefined);
  const id = encodeURIComponent(serverId);
  try {
    if (route.kind === 'remote-consoles') {
      const body = await client.read(
        'POST',
        `/servers/${id}/remote-consoles`,
        v.object({ remote_console: ConsoleSchema }),
        'a remote console',
        { body: { remote_console: { protocol: info.protocol, type: t } }, microversion: route.microversion },
      );
      return shape(body.remote_console, info.protocol, t);
    }
    const body = await client.read('POST', `/servers/${id}/action`, v.object({ console: ConsoleSchema }), 'a console', {
      body: { [route.action]: { type: t } },
      microversion: null,
    });
    return shape(body.console, info.protocol, t);
  } catch (e) {
    throw mapConsoleError(e, t, label);
  }
}

/** `remote_console` (≥ 2.6) or the legacy `console`: the fields ncli reads. */
const ConsoleSchema = v.looseObject({
  protocol: v.optional(v.string()),
  type: v.optional(v.string()),
  url: v.optional(v.nullable(v.string())),
});

function shape(c: v.InferOutput<typeof ConsoleSchema>, protocol: ConsoleProtocol, type: ConsoleType): ConsoleUrl {
  if (typeof c.url !== 'string' || !c.url) {
    throw new ConsoleError(`Nova answered the ${type} console request without a URL.`);
  }
  return {
    protocol: isProtocol(c.protocol) ? c.protocol : protocol,
    type: c.type && isConsoleType(c.type) ? c.type : type,
    url: c.url,
  };
}

function isProtocol(p: string | undefined): p is ConsoleProtocol {
  return p === 'vnc' || p === 'spice' || p === 'serial' || p === 'rdp' || p === 'mks';
}

/**
 * The server's console log (Nova api-ref "Show Console Output (os-getConsoleOutput Action)"):
 * `POST /servers/{id}/action {"os-getConsoleOutput":{"length":N}}` → `{"output": "…"}`.
 *
 * @param client the compute client
 * @param serverId the server's UUID
 * @param lines the last N lines only (a positive whole number); the whole log when undefined
 * @param opts `serverLabel` for messages
 * @returns the log text as Nova returned it (may be empty)
 * @throws ConsoleError for 404 (server gone), 409 (not running on a host), 501 (driver without a
 *   log); ApiError, NetworkError, TimeoutError otherwise
 */
export async function getConsoleLog(
  client: ComputeClient,
  serverId: string,
  lines?: number,
  opts: ConsoleRequestOptions = {},
): Promise<string> {
  const label = opts.serverLabel ?? serverId;
  try {
    const body = await client.read(
      'POST',
      `/servers/${encodeURIComponent(serverId)}/action`,
      v.object({ output: v.nullish(v.string()) }),
      'a console log',
      { body: { 'os-getConsoleOutput': lines === undefined ? {} : { length: lines } } },
    );
    return body.output ?? '';
  } catch (e) {
    if (e instanceof ApiError) {
      const says = novaSays(e);
      if (e.status === 404)
        throw new ConsoleError(`Server ${label} no longer exists (or is not visible to this project) ${says}.`, {
          status: 404,
          cause: e,
        });
      if (e.status === 409)
        throw new ConsoleError(
          `Server ${label} has no console log yet: it is not running on a host (still building, or shelved-offloaded) ${says}.`,
          { status: 409, cause: e },
        );
      if (e.status === 501)
        throw new ConsoleError(`The hypervisor driver of server ${label} does not keep a console log ${says}.`, {
          status: 501,
          cause: e,
        });
    }
    throw e;
  }
}

/**
 * What `next` adds to `prev`, for two console-log windows taken one after the other (each the last
 * N lines, so `next` starts at a line start of the log): the longest suffix of `prev` that starts
 * at a line start and is a prefix of `next` is what both saw; the rest of `next` is new. A `prev`
 * that ends mid-line (a login prompt) is handled: the line's end comes as new text.
 * @returns the new text, and `gap: true` when nothing of `prev` is left in `next` although both
 *   are non-empty (more than a window of lines came in between, or the log was reset)
 */
export function appendedText(prev: string, next: string): { text: string; gap: boolean } {
  if (!prev) return { text: next, gap: false };
  for (let i = 0; i < prev.length; i = prev.indexOf('\n', i) + 1 || prev.length) {
    const tail = prev.slice(i);
    if (next.startsWith(tail)) return { text: next.slice(tail.length), gap: false };
  }
  return { text: next, gap: next.length > 0 };
}

/**
 * Follows a server's console log (`console log --follow`): polls os-getConsoleOutput for the last
 * `lines` lines every `intervalMs` and yields only what is new since the previous poll, until
 * `signal` aborts.
 * @param lines the window asked for at each poll (more new lines than this between two polls are
 *   lost: `gap` says so)
 * @throws like {@link getConsoleLog}
 */
export async function* followConsoleLog(
  client: ComputeClient,
  serverId: string,
  opts: ConsoleRequestOptions & { lines: number; intervalMs: number; signal: AbortSignal },
): AsyncGenerator<{ text: string; gap: boolean }> {
  let prev = '';
  while (!opts.signal.aborted) {
    const next = await getConsoleLog(client, serverId, opts.lines, opts);
    const added = appendedText(prev, next);
    prev = next;
    if (added.text || added.gap) yield added;
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, opts.intervalMs);
      opts.signal.addEventListener('abort', done, { once: true });
      function done(): void {
        clearTimeout(t);
        opts.signal.removeEventListener('abort', done);
        resolve();
      }
    });
  }
}
