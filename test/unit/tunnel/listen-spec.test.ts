import { describe, expect, it } from 'vitest';
import { formatHostPort, isLoopbackHost, parseListenSpec } from '../../../src/tunnel/listen-spec.js';
import { TunnelError } from '../../../src/tunnel/errors.js';

describe('parseListenSpec', () => {
  it.each([
    ['5901', { host: '127.0.0.1', port: 5901, explicitHost: false }],
    ['0', { host: '127.0.0.1', port: 0, explicitHost: false }],
    ['127.0.0.1:5901', { host: '127.0.0.1', port: 5901, explicitHost: true }],
    ['[::1]:5901', { host: '::1', port: 5901, explicitHost: true }],
    ['0.0.0.0:5901', { host: '0.0.0.0', port: 5901, explicitHost: true }],
    ['localhost:5901', { host: '127.0.0.1', port: 5901, explicitHost: true }],
    ['192.168.10.4:0', { host: '192.168.10.4', port: 0, explicitHost: true }],
    ['[::]:65535', { host: '::', port: 65535, explicitHost: true }],
    [' 5901 ', { host: '127.0.0.1', port: 5901, explicitHost: false }],
  ])('accepts %j', (spec, expected) => {
    expect(parseListenSpec(spec)).toEqual(expected);
  });

  it.each([
    '',
    'abc',
    ':5901',
    '5901:',
    'example.com:5901',
    '::1:5901',
    '[::1]',
    '[nope]:1',
    '65536',
    '1.2.3.4:99999',
    '127.0.0.1:-1',
    '12.5',
    'localhost',
    '5901 5902',
    '[::1]:x',
  ])('rejects %j with BAD_LISTEN naming the spec and the accepted forms', (spec) => {
    let err: unknown;
    try {
      parseListenSpec(spec);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TunnelError);
    const te = err as TunnelError;
    expect(te.code).toBe('BAD_LISTEN');
    expect(te.message).toContain(`"${spec}"`);
    expect(te.message).toContain('PORT, IPv4:PORT, [IPv6]:PORT, localhost:PORT or unix:PATH');
    expect(te.message).not.toContain('\n');
  });
});

describe('isLoopbackHost / formatHostPort', () => {
  it('classifies loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', 'localhost', '::ffff:127.0.0.1'])
      expect(isLoopbackHost(h)).toBe(true);
    for (const h of ['0.0.0.0', '::', '192.168.1.1', '10.0.0.1']) expect(isLoopbackHost(h)).toBe(false);
  });
  it('brackets IPv6', () => {
    expect(formatHostPort('::1', 5901)).toBe('[::1]:5901');
    expect(formatHostPort('127.0.0.1', 5901)).toBe('127.0.0.1:5901');
  });
});
