/**
 * Console URLs and the console log against a mocked Nova (undici MockAgent): the type table,
 * microversion gating, the legacy action below 2.6 (sent without a microversion header), and the
 * mapping of Nova's refusals (bodies shaped like nova/api/openstack/wsgi.py `Fault`).
 */
import { describe, expect, it } from 'vitest';
import {
  appendedText,
  followConsoleLog,
  CONSOLE_TYPES,
  ConsoleError,
  consoleRoute,
  getConsoleLog,
  getConsoleUrl,
  mapConsoleError,
} from '../../src/compute/consoles.js';
import { messageFor, exitCodeFor } from '../../src/cli/errors.js';
import { ApiError } from '../../src/http/errors.js';
import { cachingResolver } from '../../src/tunnel/url-source.js';
import { mockNova } from '../support/mock-nova.js';

const ID = 'a03f8dfa-4f5d-4b93-90ce-7985cdd455b1';
const VNC_URL = 'http://127.0.0.1:6080/vnc_auto.html?path=%3Ftoken%3Dbbc51c7e-ae6a-4abe-bf88-227cf01ba06f';

/** A ComputeClient over a mocked Nova whose version document says `max` ('' = no microversions). */
function setup(max = '2.93', requestedVersion?: string, versionDoc = true) {
  const nova = mockNova({ max, requestedVersion, versionDoc });
  const answer = (path: string, status: number, body: object, headers: Record<string, string> = {}) =>
    nova.answer('POST', path, status, body, headers);
  return {
    client: nova.client,
    answer,
    seen: nova.seen,
    docRequests: {
      get n() {
        return nova.versionRequests();
      },
    },
    agent: nova.agent,
  };
}

const consolePath = `/v2.1/servers/${ID}/remote-consoles`;
const actionPath = `/v2.1/servers/${ID}/action`;

describe('console type table', () => {
  it('pairs each type with its protocol and minimum microversion', () => {
    const rows = Object.entries(CONSOLE_TYPES).map(
      ([t, i]) => `${t} ${i.protocol} ${i.minVersion} ${i.legacyAction ?? '-'}`,
    );
    expect(rows).toEqual([
      'novnc vnc 2.6 os-getVNCConsole',
      'xvpvnc vnc 2.6 os-getVNCConsole',
      'spice-html5 spice 2.6 os-getSPICEConsole',
      'spice-direct spice 2.99 -',
      'serial serial 2.6 os-getSerialConsole',
      'rdp-html5 rdp 2.6 os-getRDPConsole',
      'webmks mks 2.8 -',
    ]);
  });

  it('routes by the cloud maximum and the negotiated microversion', () => {
    expect(consoleRoute('novnc', '2.93', '2.93')).toEqual({ kind: 'remote-consoles', microversion: '2.93' });
    expect(consoleRoute('webmks', '2.93', '2.6')).toEqual({ kind: 'remote-consoles', microversion: '2.8' });
    expect(consoleRoute('spice-direct', '2.104', '2.96')).toEqual({ kind: 'remote-consoles', microversion: '2.99' });
    expect(consoleRoute('serial', '2.5', '2.5')).toEqual({ kind: 'action', action: 'os-getSerialConsole' });
    expect(consoleRoute('novnc', '', undefined)).toEqual({ kind: 'action', action: 'os-getVNCConsole' });
    // --os-compute-api-version 2.3 on a new cloud: the action is what 2.3 has
    expect(consoleRoute('spice-html5', '2.93', '2.3')).toEqual({ kind: 'action', action: 'os-getSPICEConsole' });
    expect(() => consoleRoute('webmks', '2.7', '2.7')).toThrow(
      'The webmks console needs compute API microversion 2.8 or newer; this cloud supports up to 2.7.',
    );
    expect(() => consoleRoute('spice-direct', '2.93', '2.93')).toThrow(
      /needs compute API microversion 2\.99 .* up to 2\.93/,
    );
    expect(() => consoleRoute('webmks', '', undefined)).toThrow(/up to 2\.0 \(no microversions\)/);
  });
});

describe('getConsoleUrl', () => {
  it('POSTs remote-consoles at the negotiated microversion and returns protocol, type and url', async () => {
    const { client, answer, seen } = setup('2.93');
    answer(consolePath, 200, { remote_console: { protocol: 'vnc', type: 'novnc', url: VNC_URL } });
    expect(await getConsoleUrl(client, ID, 'novnc')).toEqual({ protocol: 'vnc', type: 'novnc', url: VNC_URL });
    expect(seen).toHaveLength(1);
    expect(seen[0].body).toEqual({ remote_console: { protocol: 'vnc', type: 'novnc' } });
    expect(seen[0].headers['x-openstack-nova-api-version']).toBe('2.93');
    expect(seen[0].headers['openstack-api-version']).toBe('compute 2.93');
  });

  it('raises the microversion to the type minimum (webmks 2.8) when the run pinned an older one', async () => {
    const { client, answer, seen } = setup('2.93', '2.6');
    answer(consolePath, 200, {
      remote_console: { protocol: 'mks', type: 'webmks', url: 'http://h:6090/mks.html?token=t' },
    });
    expect((await getConsoleUrl(client, ID, 'webmks')).protocol).toBe('mks');
    expect(seen[0].headers['x-openstack-nova-api-version']).toBe('2.8');
    expect(seen[0].headers['openstack-api-version']).toBeUndefined();
    expect(seen[0].body).toEqual({ remote_console: { protocol: 'mks', type: 'webmks' } });
  });

  it('asks for spice-direct at 2.99 even though ncli negotiates at most 2.96', async () => {
    const { client, answer, seen } = setup('2.104');
    answer(consolePath, 200, {
      remote_console: { protocol: 'spice', type: 'spice-direct', url: 'http://127.0.0.1:13002/nova?token=t' },
    });
    await getConsoleUrl(client, ID, 'spice-direct');
    expect(seen[0].headers['openstack-api-version']).toBe('compute 2.99');
  });

  it('refuses a type the cloud is too old for before any console request, naming the microversion', async () => {
    const { client, seen } = setup('2.93');
    const err = await getConsoleUrl(client, ID, 'spice-direct').catch((e) => e);
    expect(err).toBeInstanceOf(ConsoleError);
    expect(err.message).toBe(
      'The spice-direct console needs compute API microversion 2.99 or newer; this cloud supports up to 2.93.',
    );
    expect(seen).toHaveLength(0);
    const old = setup('2.5');
    await expect(getConsoleUrl(old.client, ID, 'webmks')).rejects.toThrow('needs compute API microversion 2.8');
    expect(old.seen).toHaveLength(0);
  });

  it('refuses an unknown type without a request', async () => {
    const { client, seen } = setup('2.93', undefined, false); // not even the version document
    await expect(getConsoleUrl(client, ID, 'telnet')).rejects.toThrow(
      "Unknown console type 'telnet'; choose from: novnc, xvpvnc, spice-html5, spice-direct, serial, rdp-html5, webmks.",
    );
    expect(seen).toHaveLength(0);
  });

  it.each([
    ['novnc', 'os-getVNCConsole', 'vnc'],
    ['spice-html5', 'os-getSPICEConsole', 'spice'],
    ['serial', 'os-getSerialConsole', 'serial'],
    ['rdp-html5', 'os-getRDPConsole', 'rdp'],
  ])(
    'falls back to the legacy %s action (%s) with no microversion header when the cloud max is < 2.6',
    async (type, action, protocol) => {
      const { client, answer, seen } = setup('2.5');
      answer(actionPath, 200, { console: { type, url: 'ws://127.0.0.1:6083/?token=t' } });
      expect(await getConsoleUrl(client, ID, type)).toEqual({ protocol, type, url: 'ws://127.0.0.1:6083/?token=t' });
      expect(seen[0].body).toEqual({ [action]: { type } });
      expect(seen[0].headers['x-openstack-nova-api-version']).toBeUndefined();
      expect(seen[0].headers['openstack-api-version']).toBeUndefined();
    },
  );

  it('uses the legacy action on a cloud without microversions', async () => {
    const { client, answer, seen } = setup('');
    answer(actionPath, 200, { console: { type: 'novnc', url: VNC_URL } });
    expect((await getConsoleUrl(client, ID, 'novnc')).url).toBe(VNC_URL);
    expect(seen[0].headers['x-openstack-nova-api-version']).toBeUndefined();
  });

  it('says so when Nova answers without a URL', async () => {
    const { client, answer } = setup();
    answer(consolePath, 200, { remote_console: { protocol: 'vnc', type: 'novnc' } });
    await expect(getConsoleUrl(client, ID, 'novnc')).rejects.toThrow(
      'Nova answered the novnc console request without a URL.',
    );
  });
});

describe("Nova's refusals", () => {
  async function refusal(type: string, status: number, body: object, max = '2.93') {
    const { client, answer } = setup(max);
    answer(max >= '2.6' ? consolePath : actionPath, status, body, { 'x-openstack-request-id': 'req-42' });
    const err = await getConsoleUrl(client, ID, type, { serverLabel: 'vm1' }).catch((e) => e);
    return err as ConsoleError;
  }

  it('400 unavailable type: the cloud has that console type turned off, with Nova message', async () => {
    const err = await refusal('spice-html5', 400, {
      badRequest: { code: 400, message: 'Unavailable console type spice-html5.' },
    });
    expect(err).toBeInstanceOf(ConsoleError);
    expect(err.name).toBe('ConsoleError');
    expect(err.status).toBe(400);
    expect(err.message).toBe(
      'Cannot get a spice-html5 console for server vm1: this cloud has the spice console type turned off ([spice] enabled = false in nova.conf), or its hypervisor does not offer it (Nova: "Unavailable console type spice-html5.", HTTP 400, request req-42).',
    );
    expect(err.message).not.toContain('\n');
    expect(messageFor(err)).toBe(err.message);
    expect(exitCodeFor(err)).toBe(1);
  });

  it('400 for rdp says current Nova has no RDP at all', async () => {
    const err = await refusal('rdp-html5', 400, {
      badRequest: { code: 400, message: 'Unavailable console type rdp.' },
    });
    expect(err.message).toMatch(
      /^Cannot get an rdp-html5 console for server vm1: this cloud has RDP consoles turned off; current Nova has none at all.*Hyper-V.*"Unavailable console type rdp\."/,
    );
  });

  it('400 for xvpvnc points at novnc', async () => {
    const err = await refusal('xvpvnc', 400, { badRequest: { code: 400, message: 'Invalid console type xvpvnc' } });
    expect(messageFor(err)).toMatch(
      /^Cannot get an xvpvnc console for server vm1: Nova only hands out novnc VNC consoles .*\(Nova: "Invalid console type xvpvnc".*\); use --type novnc\.$/,
    );
  });

  it('500 ConsoleTypeInvalid from the legacy VNC action is a console error too', async () => {
    const err = await refusal(
      'xvpvnc',
      500,
      {
        computeFault: {
          code: 500,
          message: "Unexpected API Error.\n<class 'nova.exception_Remote.ConsoleTypeInvalid_Remote'>",
        },
      },
      '2.5',
    );
    expect(err).toBeInstanceOf(ConsoleError);
    expect(messageFor(err)).toMatch(/does not accept that console type \(only novnc\) .*; use --type novnc\.$/);
  });

  it('404: the server is gone', async () => {
    const err = await refusal('novnc', 404, {
      itemNotFound: { code: 404, message: `Instance ${ID} could not be found.` },
    });
    expect(err.status).toBe(404);
    expect(err.message).toBe(
      `Server vm1 no longer exists (or is not visible to this project) (Nova: "Instance ${ID} could not be found.", HTTP 404, request req-42).`,
    );
  });

  it('409: not ready (building, shelved-offloaded), with Nova message', async () => {
    const msg = `Instance ${ID} is not ready yet. The instance has no host.`;
    const err = await refusal('novnc', 409, { conflictingRequest: { code: 409, message: msg } });
    expect(err.status).toBe(409);
    expect(err.message).toMatch(
      /^Server vm1 has no console yet: it is not running on a host \(still building, or shelved-offloaded: unshelve it first\)/,
    );
    expect(err.message).toContain(msg);
  });

  it('501: the driver does not support it', async () => {
    const err = await refusal('serial', 501, {
      notImplemented: { code: 501, message: 'The requested functionality is not supported.' },
    });
    expect(err.status).toBe(501);
    expect(err.message).toBe(
      'The hypervisor driver of server vm1 does not support serial consoles (Nova: "The requested functionality is not supported.", HTTP 501, request req-42).',
    );
  });

  it('leaves other errors alone', () => {
    const e = new ApiError({
      status: 503,
      method: 'POST',
      url: 'u',
      serverMessage: 'busy',
      service: 'compute',
      fault: 'serviceUnavailable',
    });
    expect(mapConsoleError(e, 'novnc', 'vm1')).toBe(e);
    const plain = new Error('x');
    expect(mapConsoleError(plain, 'novnc', 'vm1')).toBe(plain);
  });

  it('names the server by ID when no label is given', async () => {
    const { client, answer } = setup();
    answer(consolePath, 404, { itemNotFound: { code: 404, message: 'gone' } });
    await expect(getConsoleUrl(client, ID, 'novnc')).rejects.toThrow(`Server ${ID} no longer exists`);
  });
});

describe('getConsoleLog', () => {
  it('sends os-getConsoleOutput with the length, or without one', async () => {
    const { client, answer, seen } = setup();
    answer(actionPath, 200, { output: 'ANOTHER\nLAST LINE' });
    answer(actionPath, 200, { output: 'FAKE CONSOLE OUTPUT\nANOTHER\nLAST LINE' });
    expect(await getConsoleLog(client, ID, 2)).toBe('ANOTHER\nLAST LINE');
    expect(await getConsoleLog(client, ID)).toBe('FAKE CONSOLE OUTPUT\nANOTHER\nLAST LINE');
    expect(seen.map((s) => s.body)).toEqual([{ 'os-getConsoleOutput': { length: 2 } }, { 'os-getConsoleOutput': {} }]);
  });

  it('maps 404 and 409 to one line', async () => {
    const { client, answer } = setup();
    answer(actionPath, 404, { itemNotFound: { code: 404, message: 'Instance x could not be found.' } });
    answer(actionPath, 409, { conflictingRequest: { code: 409, message: 'Instance x is not ready yet.' } });
    await expect(getConsoleLog(client, ID, undefined, { serverLabel: 'vm1' })).rejects.toThrow(
      /^Server vm1 no longer exists/,
    );
    await expect(getConsoleLog(client, ID, undefined, { serverLabel: 'vm1' })).rejects.toThrow(
      /^Server vm1 has no console log yet.*Instance x is not ready yet\./,
    );
  });

  it('treats a null output as empty', async () => {
    const { client, answer } = setup();
    answer(actionPath, 200, { output: null });
    expect(await getConsoleLog(client, ID)).toBe('');
  });
});

describe('the tunnel URL resolver', () => {
  it('fetches once, reuses the URL, and renews a refused one once for all the connections it refused', async () => {
    let n = 0;
    const lines: string[] = [];
    const resolve = cachingResolver(
      async () => `url-${++n}`,
      (l) => lines.push(l),
    );
    expect(await resolve(false)).toBe('url-1');
    expect(await resolve(false)).toBe('url-1');
    // two connections refused with url-1 at once share one request
    const [a, b] = await Promise.all([resolve(true, 'url-1'), resolve(true, 'url-1')]);
    expect([a, b]).toEqual(['url-2', 'url-2']);
    // a third refused with url-1 later still gets url-2 (newer than what it was refused), however late
    expect(await resolve(true, 'url-1')).toBe('url-2');
    expect(await resolve(false)).toBe('url-2');
    // url-2 refused in its turn (expired): renewed
    expect(await resolve(true, 'url-2')).toBe('url-3');
    // a renewal naming no URL (a serial console reconnecting) asks again
    expect(await resolve(true)).toBe('url-4');
    expect(n).toBe(4);
    expect(lines.filter((l) => l.includes('asking Nova for a fresh console URL'))).toHaveLength(3);
    expect(lines.join('\n')).not.toMatch(/url-/);
  });

  it('does not cache a failure', async () => {
    let n = 0;
    const resolve = cachingResolver(async () => {
      n++;
      if (n === 1) throw new Error('Nova down');
      return 'ok';
    });
    await expect(resolve(false)).rejects.toThrow('Nova down');
    expect(await resolve(false)).toBe('ok');
  });
});

describe('console log --follow', () => {
  it('prints only what each window adds, including the end of a prompt line', () => {
    expect(appendedText('', 'a\nb\n')).toEqual({ text: 'a\nb\n', gap: false });
    expect(appendedText('a\nb\n', 'a\nb\nc\n')).toEqual({ text: 'c\n', gap: false });
    expect(appendedText('a\nb\nc\n', 'b\nc\nd\n')).toEqual({ text: 'd\n', gap: false }); // the window slid
    expect(appendedText('a\nlogin: ', 'a\nlogin: root\n')).toEqual({ text: 'root\n', gap: false });
    expect(appendedText('a\nb\n', 'a\nb\n')).toEqual({ text: '', gap: false });
    expect(appendedText('a\nb\n', 'x\ny\n')).toEqual({ text: 'x\ny\n', gap: true });
  });

  it('polls with the window and yields new text until aborted', async () => {
    const nova = mockNova();
    const outputs = ['boot 1\n', 'boot 1\nboot 2\n', 'boot 2\nlogin: '];
    for (const output of outputs) nova.answer('POST', actionPath, 200, { output });
    const ac = new AbortController();
    const got: string[] = [];
    for await (const { text } of followConsoleLog(nova.client, ID, { lines: 2, intervalMs: 5, signal: ac.signal })) {
      got.push(text);
      if (got.length === 3) ac.abort();
    }
    expect(got).toEqual(['boot 1\n', 'boot 2\n', 'login: ']);
    expect(nova.seen.map((s) => s.body)).toEqual(outputs.map(() => ({ 'os-getConsoleOutput': { length: 2 } })));
  });
});
