import { describe, expect, it } from 'vitest';
import { sshAddress, sshArgs } from '../../src/compute/ssh-address.js';

const addresses = {
  private: [
    { addr: '10.0.0.5', version: 4, 'OS-EXT-IPS:type': 'fixed' },
    { addr: 'fd00::5', version: 6, 'OS-EXT-IPS:type': 'fixed' },
    { addr: '203.0.113.9', version: 4, 'OS-EXT-IPS:type': 'floating' },
  ],
  backend: [{ addr: '192.168.1.7', version: 4, 'OS-EXT-IPS:type': 'fixed' }],
};

describe('server ssh: the address openstackclient picks (_get_ip_address)', () => {
  it('public is the floating IP, private the first fixed one of the allowed IP version', () => {
    expect(sshAddress('vm', addresses, 'public', [4, 6])).toBe('203.0.113.9');
    expect(sshAddress('vm', addresses, 'private', [4, 6])).toBe('10.0.0.5');
    expect(sshAddress('vm', addresses, 'private', [6])).toBe('fd00::5');
  });
  it('a network named like the type comes first', () => {
    expect(sshAddress('vm', addresses, 'backend', [4, 6])).toBe('192.168.1.7');
  });
  it('no such address: one line naming the server, the type and the fix', () => {
    expect(() => sshAddress('vm', addresses, 'public', [6])).toThrow("Server 'vm' has no public IPv6 address");
    expect(() => sshAddress('vm', {}, 'private', [4, 6])).toThrow(
      "Server 'vm' has no private address (it has no addresses).",
    );
  });
  it('ssh arguments in openstackclient order; the default login unless -l is among the ssh arguments', () => {
    expect(
      sshArgs('10.0.0.5', { sshArgs: ['-A'], port: 22, identity: 'k', option: 'X=y', defaultLogin: 'admin' }),
    ).toEqual(['10.0.0.5', '-A', '-p', '22', '-i', 'k', '-o', 'X=y', '-l', 'admin']);
    expect(sshArgs('h', { sshArgs: ['-l', 'root'], defaultLogin: 'admin' })).toEqual(['h', '-l', 'root']);
    expect(sshArgs('h', { login: 'debian', defaultLogin: 'admin', verbose: true })).toEqual([
      'h',
      '-l',
      'debian',
      '-v',
    ]);
  });
});
