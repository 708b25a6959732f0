import { describe, expect, it } from 'vitest';
import { consoleWebSocketUrl } from '../../../src/tunnel/ws-url.js';
import { TunnelError } from '../../../src/tunnel/errors.js';
import { redactUrl } from '../../../src/redact.js';

const T = 'bbc51c7e-ae6a-4abe-bf88-227cf01ba06f';

describe('consoleWebSocketUrl (noVNC derivation)', () => {
  const table: [string, string, string][] = [
    ['Nova noVNC >= 1.1 form', `http://h:6080/vnc_auto.html?path=%3Ftoken%3D${T}`, `ws://h:6080/?token=${T}`],
    ['vnc_lite over https', `https://h:6080/vnc_lite.html?path=%3Ftoken%3D${T}`, `wss://h:6080/?token=${T}`],
    ['older Nova, top-level token', `http://h:6080/vnc_auto.html?token=${T}`, `ws://h:6080/websockify?token=${T}`],
    ['serial ws URL as is', `ws://h:6083/?token=${T}`, `ws://h:6083/?token=${T}`],
    ['serial wss URL as is', `wss://h:6083/?token=${T}`, `wss://h:6083/?token=${T}`],
    ['spice', `http://h:6082/spice_auto.html?token=${T}`, `ws://h:6082/websockify?token=${T}`],
    ['Nova >= 31 path kept', `http://h:6080/vnc_lite.html?path=novnc%3Ftoken%3D${T}`, `ws://h:6080/novnc?token=${T}`],
    [
      'default port https',
      `https://console.example.com/vnc_lite.html?path=%3Ftoken%3D${T}`,
      `wss://console.example.com/?token=${T}`,
    ],
    [
      'host= and port= override',
      `http://h:6080/vnc_lite.html?host=proxy.internal&port=443&path=%3Ftoken%3D${T}`,
      `ws://proxy.internal:443/?token=${T}`,
    ],
    ['IPv6 page host', `http://[fd00::5]:6080/vnc_auto.html?path=%3Ftoken%3D${T}`, `ws://[fd00::5]:6080/?token=${T}`],
    [
      'IPv6 host= param gets brackets',
      `http://h:6080/vnc_auto.html?host=fd00::7&path=%3Ftoken%3D${T}`,
      `ws://[fd00::7]:6080/?token=${T}`,
    ],
    ['no path, no token', 'http://h:6080/vnc_auto.html', 'ws://h:6080/websockify'],
    [
      'path with token and a stray top-level token',
      `http://h:6080/vnc_auto.html?path=%3Ftoken%3D${T}&token=other`,
      `ws://h:6080/?token=${T}`,
    ],
    ['fragment dropped from ws URL', `ws://h:6083/?token=${T}#frag`, `ws://h:6083/?token=${T}`],
  ];
  it.each(table)('%s', (_name, input, expected) => {
    expect(consoleWebSocketUrl(input).href).toBe(expected);
  });

  it('returns a URL object with the ws scheme', () => {
    const u = consoleWebSocketUrl(`http://h:6080/vnc_auto.html?path=%3Ftoken%3D${T}`);
    expect(u).toBeInstanceOf(URL);
    expect(u.protocol).toBe('ws:');
    expect(u.searchParams.get('token')).toBe(T);
  });

  it('throws BAD_URL for an unparseable URL, without echoing the token', () => {
    let err: unknown;
    try {
      consoleWebSocketUrl(`not a url ?token=${T}`);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TunnelError);
    expect((err as TunnelError).code).toBe('BAD_URL');
    expect((err as TunnelError).message).toMatch(/^Cannot use console URL ".*": not a valid URL\.$/);
    expect((err as TunnelError).message).not.toContain(T);
  });

  it('throws BAD_URL for an unsupported scheme', () => {
    expect(() => consoleWebSocketUrl(`ftp://h/x?token=${T}`)).toThrow(
      /unsupported scheme "ftp" \(expected http, https, ws or wss\)/,
    );
    try {
      consoleWebSocketUrl(`ftp://h/x?token=${T}`);
    } catch (e) {
      expect((e as TunnelError).code).toBe('BAD_URL');
      expect((e as TunnelError).message).not.toContain(T);
    }
  });

  it('throws BAD_URL for a malformed percent-escape in path=', () => {
    expect(() => consoleWebSocketUrl('http://h:6080/vnc_auto.html?path=%E0%A4%A')).toThrow(TunnelError);
  });
});

describe('redactUrl on console URLs', () => {
  it('hides raw, encoded and double-encoded console tokens', () => {
    expect(redactUrl(`ws://h:6080/?token=${T}`)).toBe('ws://h:6080/?token=<redacted>');
    expect(redactUrl(`http://h/vnc_auto.html?path=%3Ftoken%3D${T}&x=1`)).toBe(
      'http://h/vnc_auto.html?path=%3Ftoken%3D<redacted>&x=1',
    );
    expect(redactUrl(`u=http%3A%2F%2Fh%2Fvnc_auto.html%3Fpath%3D%253Ftoken%253D${T}`)).not.toContain(T);
    expect(redactUrl(`dialing ws://h/?TOKEN=${T}#x`)).toBe('dialing ws://h/?TOKEN=<redacted>#x');
  });
});
