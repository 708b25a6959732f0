/**
 * `ncli console …`: console URLs (Nova "Server Remote Consoles"), the console log
 * (`os-getConsoleOutput`) and console tunnels (a local TCP port or stdin/stdout bridged to
 * nova-novncproxy / nova-serialproxy through src/tunnel). Parse → call → print; the API calls
 * live in src/compute/consoles.ts.
 *
 * Command shapes follow python-novaclient (`get-vnc-console`, `get-serial-console`,
 * `console-log`, novaclient/v2/shell.py) and python-openstackclient (`console url show`,
 * `console log show --lines`); `--open` follows orca-cli; the tunnel's status lines follow
 * `kubectl port-forward`; `--stdio` with the `~.` escape follows larsks/novaconsole.
 */
import { arg, command, type ArgsOf } from '../cli/spec.js';
import type { Context } from '../cli/context.js';
import { messageFor } from '../cli/errors.js';
import { openExternal } from '../cli/open.js';
import { enterRawMode, interrupts, type RawMode } from '../cli/process.js';
import { openSessionLog } from '../cli/session-log.js';
import {
  CONSOLE_TYPES,
  followConsoleLog,
  getConsoleLog,
  getConsoleUrl,
  type ConsoleType,
  type ConsoleUrl,
} from '../compute/consoles.js';
import { article, NcliError, UsageError } from '../errors.js';
import { fileErrorReason } from '../fs-reasons.js';
import { redactUrl } from '../redact.js';

/** The group's one-line help (`ncli console --help`). */
export const help = 'Consoles: URLs, logs and tunnels';

const SERVER = arg('<server>', 'Server name or ID', { complete: 'server' });
const ALL_PROJECTS = arg('--all-projects', 'Look the server name up in every project (admin)');
const OPEN = arg(
  '--open',
  'Also open the URL in the default browser (it is printed either way, so this works over SSH too)',
);

/** Console types a tunnel can carry: those served by a websockify-based Nova proxy. */
export const TUNNEL_TYPES = ['novnc', 'serial', 'spice-html5'] as const;

// ---------------------------------------------------------------------------
// get-vnc, get-spice, get-serial, get-rdp, get-mks
// ---------------------------------------------------------------------------

/** Prints a console URL: `Type`/`Url` as a table (as novaclient), `{protocol, type, url}` otherwise. */
async function printConsole(ctx: Context, c: ConsoleUrl): Promise<void> {
  const format = ctx.output.format ?? 'table';
  if (format === 'table') await ctx.show({ Type: c.type, Url: c.url });
  else await ctx.show({ protocol: c.protocol, type: c.type, url: c.url });
}

/** Builds one `get-*` command for the console types of one protocol. */
function urlCommand(kind: string, types: ConsoleType[], examples: string[], notes = '') {
  const protocol = CONSOLE_TYPES[types[0]].protocol;
  return command(
    {
      help: `Print ${article(kind)} ${kind} console URL of a server`,
      description:
        `Asks Nova for a ${protocol} console (${types.join(' or ')}): POST /servers/{id}/remote-consoles ` +
        `at microversion ${CONSOLE_TYPES[types[0]].minVersion}+, or the legacy server action on clouds older than 2.6. ` +
        'The URL carries a one-time token that expires ([consoleauth] token_ttl, 600 s by default).' +
        (notes ? `\n${notes}` : '') +
        `\nExamples:\n${examples.map((e) => `  ${e}`).join('\n')}`,
      output: 'show',
      args: [SERVER, arg('--type <type>', `Console type`, { choices: types, default: types[0] }), OPEN, ALL_PROJECTS],
    },
    async (ctx, a) => {
      const server = await ctx.server(a.server, { allProjects: a.allProjects });
      const c = await getConsoleUrl(await ctx.compute(), server.id, a.type, { serverLabel: server.name });
      await printConsole(ctx, c);
      if (a.open) await openExternal(ctx, c.url, 'the console in a browser', 'open the URL above yourself');
    },
  );
}

/** `ncli console get-vnc SERVER [--type novnc|xvpvnc] [--open]`: a noVNC URL (novaclient `get-vnc-console`). */
export const do_get_vnc = urlCommand(
  'VNC',
  ['novnc', 'xvpvnc'],
  [
    'ncli console get-vnc vm1',
    'ncli console get-vnc vm1 -f json',
    'ncli console get-vnc vm1 -f value -c url',
    'ncli console get-vnc vm1 --open',
  ],
  'Nova only hands out novnc consoles today; xvpvnc is kept for old clouds.',
);

/** `ncli console get-spice SERVER [--type spice-html5|spice-direct] [--open]` (spice-direct needs 2.99). */
export const do_get_spice = urlCommand(
  'SPICE',
  ['spice-html5', 'spice-direct'],
  [
    'ncli console get-spice vm1',
    'ncli console get-spice vm1 --type spice-direct   # native SPICE clients, microversion 2.99+',
  ],
);

/** `ncli console get-serial SERVER`: the nova-serialproxy `ws://` URL (novaclient `get-serial-console`). */
export const do_get_serial = urlCommand(
  'serial',
  ['serial'],
  ['ncli console get-serial vm1', 'ncli console tunnel vm1 --type serial --stdio   # to type into it'],
  'The URL is a ws:// WebSocket URL; use `ncli console tunnel SERVER --type serial --stdio` to use it.',
);

/** `ncli console get-rdp SERVER`: kept for old clouds; current Nova refuses it (400). */
export const do_get_rdp = urlCommand(
  'RDP',
  ['rdp-html5'],
  ['ncli console get-rdp vm1'],
  'Current Nova has no RDP consoles (they were removed with the Hyper-V driver in 29.0.0).',
);

/** `ncli console get-mks SERVER`: a WebMKS URL (microversion 2.8, VMware). */
export const do_get_mks = urlCommand(
  'WebMKS (VMware)',
  ['webmks'],
  ['ncli console get-mks vm1'],
  'Needs microversion 2.8 and a VMware hypervisor.',
);

// ---------------------------------------------------------------------------
// log
// ---------------------------------------------------------------------------

/**
 * `ncli console log SERVER [--lines N] [--follow [--interval S]]`: prints the console output as
 * Nova returns it (openstackclient `console log show`), with a final newline; with `--follow`,
 * keeps printing what is new until Ctrl-C. Exit 2 for `--lines` < 1 or a bad `--interval`.
 */
export const do_log = command(
  {
    help: "Print a server's console log",
    description:
      'The serial console output the hypervisor kept (os-getConsoleOutput). With --follow, asks again every\n' +
      '--interval seconds for the last --lines lines (default 200) and prints only what is new, until Ctrl-C.\n' +
      'Examples:\n  ncli console log vm1\n  ncli console log vm1 --lines 20\n  ncli console log vm1 --follow\n' +
      "  ncli console log show vm1 --lines 20   # openstackclient's words",
    subwords: { show: 'console log' },
    args: [
      SERVER,
      arg('--lines <n>', 'Only the last N lines', { integer: true }),
      arg('--follow', 'Keep printing new lines as they arrive, until Ctrl-C'),
      arg('--interval <seconds>', 'With --follow: seconds between two polls (default 2)'),
      ALL_PROJECTS,
    ],
  },
  async (ctx, a) => {
    const lines = a.lines;
    if (lines !== undefined && lines < 1)
      throw new UsageError(`--lines takes a positive whole number, not '${lines}'.`);
    const interval = a.interval === undefined ? 2 : Number(a.interval);
    if (!(interval > 0) || !Number.isFinite(interval)) {
      throw new UsageError(`--interval takes a positive number of seconds, not '${a.interval}'.`);
    }
    if (a.interval !== undefined && !a.follow) throw new UsageError('--interval goes with --follow.');
    const server = await ctx.server(a.server, { allProjects: a.allProjects });
    const compute = await ctx.compute();
    if (!a.follow) {
      const text = await getConsoleLog(compute, server.id, lines, { serverLabel: server.name });
      if (text) ctx.write(text.endsWith('\n') ? text : text + '\n');
      return;
    }
    const stop = interrupts(ctx.debug);
    try {
      const opts = { serverLabel: server.name, lines: lines ?? 200, intervalMs: interval * 1000, signal: stop.signal };
      for await (const { text, gap } of followConsoleLog(compute, server.id, opts)) {
        if (gap) ctx.warn(`--- more than ${opts.lines} lines came in since the last poll: some are missing ---`);
        ctx.write(text);
      }
    } finally {
      stop.dispose();
    }
  },
);

// ---------------------------------------------------------------------------
// screenshot
// ---------------------------------------------------------------------------

/**
 * `ncli console screenshot SERVER -o FILE.png`: the server's VNC console screen as a PNG, with no
 * viewer and no display (src/screenshot: RFB 3.8 through nova-novncproxy). `-o -` writes the PNG
 * to standard output (not to a terminal). The global `--timeout` bounds the whole capture. A
 * console token the proxy refuses is asked for again once.
 */
export const do_screenshot = command(
  {
    help: "Save a server's console screen as a PNG",
    description: [
      'Asks Nova for a noVNC console, speaks just enough VNC (RFB 3.8) through the console proxy to read',
      'the whole screen once, and writes a PNG: a stuck boot, a kernel panic or a login prompt, from a',
      'script or CI, without a viewer or a display. --timeout (seconds, default 30) bounds it.',
      'Examples:',
      '  ncli console screenshot vm1 -o vm1.png',
      '  ncli console screenshot vm1 -o - | display   # or > file, or base64',
    ].join('\n'),
    args: [
      SERVER,
      arg('-o, --output <file>', 'The PNG file to write, or - for standard output', { complete: 'file' }),
      ALL_PROJECTS,
    ],
  },
  async (ctx, a) => {
    if (a.output === undefined)
      throw new UsageError('Say where the PNG goes: -o FILE.png (or -o - for standard output).');
    if (a.output === '-' && ctx.io.out.isTTY) {
      throw new UsageError('Not writing a PNG to a terminal: give -o FILE.png, or redirect standard output.');
    }
    const server = await ctx.server(a.server, { allProjects: a.allProjects });
    const [compute, tls, { settings }, { captureScreen, ScreenshotError }] = await Promise.all([
      ctx.compute(),
      ctx.tls(),
      ctx.settings(),
      import('../screenshot/index.js'),
    ]);
    const stop = interrupts(ctx.debug);
    try {
      const capture = async () =>
        captureScreen({
          url: (await getConsoleUrl(compute, server.id, 'novnc', { serverLabel: server.name })).url,
          ...(tls.ca ? { ca: tls.ca } : {}),
          ...(tls.insecure ? { insecure: true } : {}),
          timeoutMs: (settings.timeout ?? 30) * 1000,
          signal: stop.signal,
          debug: ctx.debug,
        });
      let shot;
      try {
        shot = await capture();
      } catch (e) {
        // a token can expire between Nova handing it out and the proxy reading it: once more, fresh
        if (!(e instanceof ScreenshotError && e.code === 'TOKEN_REJECTED')) throw e;
        ctx.debug('console: the proxy refused the console token; asking Nova for a fresh console URL');
        shot = await capture();
      }
      if (a.output === '-') {
        ctx.write(shot.png);
      } else {
        const { writeFileSync } = await import('node:fs');
        try {
          writeFileSync(a.output, shot.png);
        } catch (e) {
          throw new NcliError(
            'OUTPUT',
            `Cannot write the screenshot to ${a.output}: ${fileErrorReason(e, a.output)}.`,
            {
              cause: e,
            },
          );
        }
        ctx.warn(`Saved the ${shot.width}x${shot.height} console screen of ${server.name} to ${a.output}.`);
      }
    } finally {
      stop.dispose();
    }
  },
);

// ---------------------------------------------------------------------------
// tunnel
// ---------------------------------------------------------------------------

const TUNNEL_SPEC = {
  help: 'Tunnel a console to a local port or to stdin/stdout',
  description: [
    'Bridges the console proxy (nova-novncproxy, nova-serialproxy, nova-spicehtml5proxy) to a local TCP port,',
    'one WebSocket per connection, or to stdin/stdout. With a SERVER, ncli asks Nova for the console URL and',
    'asks again when the proxy refuses an expired token; with --url it uses that URL as is (no credentials needed).',
    'Local VNC viewers must speak RFB 3.8 with security type None when Nova proxies VNC securely.',
    'On a shared machine, anyone there can use a port on 127.0.0.1: add --vnc-password (viewers then prove a',
    'password; FILE holds it, or a vncpasswd file; NCLI_VNC_PASSWORD; else a random one printed once) or listen',
    'on a Unix socket (--local unix:PATH, 0600 in a 0700 folder) for socat, ssh -L and viewers that take one.',
    'Ctrl-C stops the tunnel. On a serial console in a terminal, type ~. at the start of a line to leave.',
    'Examples:',
    '  ncli console tunnel vm1 --local 5901            # then: vncviewer 127.0.0.1::5901',
    '  ncli console tunnel vm1 --local 0 --viewer      # a free port, and open the VNC viewer',
    '  ncli console tunnel vm1 --local 127.0.0.1:5901 --once',
    '  ncli console tunnel vm1 --local 5901 --vnc-password ~/.vnc/passwd   # then: vncviewer -passwd ~/.vnc/passwd ::5901',
    '  ncli console tunnel vm1 --local unix:$XDG_RUNTIME_DIR/vm1.sock',
    '  ncli console tunnel vm1 --type serial --stdio   # the serial console in this terminal',
    '  ncli console tunnel vm1 --type serial --stdio --log vm1.log   # and keep what it prints',
    '  ncli console tunnel vm1 --type spice-html5 --local 0 --viewer # remote-viewer spice://127.0.0.1:PORT',
    '  ncli console tunnel --url "$(ncli console get-vnc vm1 -f value -c url)" --local 5901',
  ].join('\n'),
  args: [
    arg('[server]', 'Server name or ID (or use --url)', { complete: 'server' }),
    arg('--type <type>', 'Console type', { choices: TUNNEL_TYPES, default: 'novnc' }),
    arg('--local <spec>', 'Listen on [ADDR:]PORT: 5901, 0 (any free port), 127.0.0.1:5901, [::1]:5901; or unix:PATH'),
    arg('--stdio', 'Carry one session over stdin/stdout instead'),
    arg('--once', 'With --local: stop after the first connection ends'),
    arg('--viewer', "With --local: open vnc:// (or spice://) 127.0.0.1:PORT in the desktop's viewer once listening"),
    arg(
      '--vnc-password [file]',
      'With --local and a VNC console: viewers must give a password (from FILE, NCLI_VNC_PASSWORD, or a random one printed once)',
      { complete: 'file' },
    ),
    arg('--origin <url>', 'Origin header to send (none by default; some proxies want one)'),
    arg('--url <url>', 'A console URL from Nova (get-vnc, get-serial, …) instead of a SERVER'),
    arg('--log <file>', 'With --stdio: also append everything the console prints to FILE (0600), with times', {
      complete: 'file',
    }),
    arg('--no-reconnect', 'With --stdio and a SERVER: end when the console drops instead of reconnecting'),
    ALL_PROJECTS,
  ],
} as const;

type TunnelArgs = ArgsOf<typeof TUNNEL_SPEC>;

/** The usage checks of `console tunnel` (exit 2): exactly one of SERVER/--url and of --local/--stdio. */
function checkTunnelArgs(a: TunnelArgs): void {
  if (a.server && a.url) throw new UsageError('Give either a SERVER or --url URL, not both.');
  if (!a.server && !a.url) {
    throw new UsageError(
      'Say which console to tunnel to: a SERVER name or ID, or --url URL (from ncli console get-vnc).',
    );
  }
  if (a.local !== undefined && a.stdio)
    throw new UsageError('Choose one of --local [ADDR:]PORT and --stdio, not both.');
  if (a.local === undefined && !a.stdio) {
    throw new UsageError(
      'Say where the tunnel starts: --local [ADDR:]PORT (a local TCP port, 0 for any free one) or --stdio.',
    );
  }
  if (a.once && a.stdio) throw new UsageError('--once goes with --local (--stdio carries one session anyway).');
  if (a.viewer && a.stdio) throw new UsageError('--viewer goes with --local.');
  if (a.log !== undefined && !a.stdio) throw new UsageError('--log goes with --stdio.');
  if (a.viewer && a.type === 'serial') {
    throw new UsageError('--viewer opens a VNC or SPICE viewer; a serial console goes with --stdio.');
  }
  if (a.vncPassword !== undefined && a.stdio) throw new UsageError('--vnc-password goes with --local.');
  if (a.vncPassword !== undefined && a.type !== 'novnc') {
    throw new UsageError(`--vnc-password protects VNC consoles; a ${a.type} console has no VNC handshake to guard.`);
  }
  if (a.viewer && a.local?.trim().startsWith('unix:')) {
    throw new UsageError(
      '--viewer opens vnc://HOST:PORT; with --local unix:PATH point the viewer at the socket yourself.',
    );
  }
}

/**
 * The password of `--vnc-password [FILE]`: FILE's (text, or a vncpasswd file), else
 * NCLI_VNC_PASSWORD's, else a random one written once to stderr. Without the option,
 * NCLI_VNC_PASSWORD alone turns it on for `--local` VNC tunnels. Returns undefined when off.
 */
async function vncPassword(ctx: Context, a: TunnelArgs): Promise<Buffer | undefined> {
  const option = a.vncPassword as string | boolean | undefined;
  const env = process.env.NCLI_VNC_PASSWORD;
  if (option === undefined && (env === undefined || env === '' || a.stdio || a.type !== 'novnc')) return undefined;
  const { readVncPasswordFile, randomVncPassword, VNC_PASSWORD_BYTES } = await import('../tunnel/vnc-auth.js');
  let password: Buffer;
  if (typeof option === 'string') {
    const file = readVncPasswordFile(option);
    if (file.warning) ctx.warn(file.warning);
    password = file.password;
  } else if (env) {
    password = Buffer.from(env, 'utf8');
  } else {
    const made = randomVncPassword();
    ctx.warn(`VNC password for this tunnel: ${made}`);
    return Buffer.from(made, 'utf8');
  }
  if (password.length > VNC_PASSWORD_BYTES) {
    ctx.warn(`Note: VNC uses only the first ${VNC_PASSWORD_BYTES} bytes of a password; viewers cut it the same way.`);
  }
  return password;
}

/**
 * `ncli console tunnel [SERVER] [--type T] (--local [ADDR:]PORT | --stdio) [--once] [--viewer]
 * [--origin URL] [--url URL]`: parse → resolve (the server, and a console URL from Nova once
 * before listening, so a refused console type fails as one line, exit 1) → forward
 * (src/tunnel `forwardLocal`/`forwardStdio`, stopped by Ctrl-C through src/cli/process.ts) →
 * the tunnel prints its status lines. Usage errors (exit 2): not exactly one of SERVER/--url or of
 * --local/--stdio, a bad listen spec, a bad --url. Tunnel failures are one line (exit 1);
 * `--debug` lines never carry a console token.
 */
export const do_tunnel = command(TUNNEL_SPEC, async (ctx, a) => {
  checkTunnelArgs(a);
  // Imported here: `ncli console get-vnc` never loads the tunnel (nor `ws`).
  const tunnel = await import('../tunnel/index.js');
  const listen = a.local === undefined ? undefined : usage('--local', () => tunnel.parseListenSpec(a.local!));
  const debug = (line: string): void => ctx.debug(redactUrl(line));

  let resolveUrl: (fresh: boolean) => Promise<string>;
  let label: string;
  if (a.url !== undefined) {
    const url = a.url;
    label = usage('--url', () => tunnel.proxyOrigin(tunnel.consoleWebSocketUrl(url)));
    resolveUrl = tunnel.fixedResolver(url, label);
  } else {
    const server = await ctx.server(a.server!, { allProjects: a.allProjects });
    const compute = await ctx.compute();
    label = `${server.name} (${CONSOLE_TYPES[a.type].protocol})`;
    resolveUrl = tunnel.cachingResolver(
      async () => (await getConsoleUrl(compute, server.id, a.type, { serverLabel: server.name })).url,
      debug,
    );
    await resolveUrl(false);
  }
  const password = listen ? await vncPassword(ctx, a) : undefined;
  const tls = await ctx.tls();
  const stop = interrupts(debug);
  const common = {
    resolveUrl,
    label,
    ...(tls.ca ? { ca: tls.ca } : {}),
    ...(tls.insecure ? { insecure: true } : {}),
    ...(a.origin !== undefined ? { origin: a.origin } : {}),
    err: ctx.io.err,
    describeError: messageFor,
    signal: stop.signal,
    ...(ctx.globals.debug ? { debug } : {}),
  };
  try {
    if (listen) {
      const { ready, done } = tunnel.forwardLocal(listen, {
        ...common,
        out: ctx.io.out,
        once: !!a.once,
        ...(password ? { vncPassword: password } : {}),
      });
      const bound = await ready.catch((e: unknown) => {
        if ((e as { code?: string }).code === 'ABORTED') return undefined;
        throw e;
      });
      if (bound && 'port' in bound && a.viewer) {
        const at = tunnel.formatHostPort(tunnel.dialHost(bound.host), bound.port);
        const [scheme, kind] = a.type === 'spice-html5' ? ['spice', 'SPICE'] : ['vnc', 'VNC'];
        await openExternal(ctx, `${scheme}://${at}`, `a ${kind} viewer`, `point a ${kind} viewer at ${at} yourself`);
      }
      await done;
    } else {
      const stdin = ctx.io.stdin ?? process.stdin;
      // a ws:// or wss:// --url is nova-serialproxy's (Nova hands out VNC, SPICE… consoles as web
      // pages): a serial console, with the ~. escape, whatever --type says
      const serial = a.type === 'serial' || (a.url !== undefined && /^wss?:\/\//i.test(a.url.trim()));
      const escape = serial && stdin.isTTY === true;
      const log = a.log === undefined ? undefined : await openSessionLog(a.log);
      let raw: RawMode | undefined;
      try {
        await tunnel.forwardStdio({
          ...common,
          out: ctx.io.err,
          stdin,
          stdout: log ? log.tee(ctx.io.out) : ctx.io.out,
          escape,
          // a console URL of Nova's can be renewed: carry on when the console drops
          ...(a.url === undefined && a.reconnect ? { reconnect: { attempts: 8 } } : {}),
          onOpen: () => {
            if (escape) raw ??= enterRawMode(stdin);
            log?.mark(`connected to ${label}`);
          },
          onSessionEnd: (why) => log?.mark(`disconnected (${why})`),
        });
      } finally {
        raw?.restore();
        stdin.pause();
        await log?.close();
      }
    }
  } finally {
    stop.dispose();
  }
  return 0;
});

/** Runs `parse`, turning its error into a usage error (exit 2) prefixed by the option's name. */
function usage<T>(option: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    throw new UsageError(`${option}: ${(e as Error).message}`);
  }
}
