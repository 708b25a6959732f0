/**
 * Key pairs made by src/ssh-keys.ts, checked by OpenSSH itself: `ssh-keygen -y -f KEY` reads the
 * private key file and derives the same public key line; `ssh-keygen -l` takes the public key.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkPublicKey, generateSshKeyPair, type SshKeyType } from '../../src/ssh-keys.js';

const dir = mkdtempSync(join(tmpdir(), 'ncli-keys-'));

describe('generated SSH key pairs', () => {
  for (const type of ['ed25519', 'rsa'] as SshKeyType[]) {
    it(`${type}: ssh-keygen reads the private key and derives the same public key`, () => {
      const pair = generateSshKeyPair(type, 'ci-key');
      expect(pair.privateKey).toMatch(
        /^-----BEGIN OPENSSH PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+\n-----END OPENSSH PRIVATE KEY-----\n$/,
      );
      const file = join(dir, `id_${type}`);
      writeFileSync(file, pair.privateKey, { mode: 0o600 });
      const derived = execFileSync('ssh-keygen', ['-y', '-f', file], { encoding: 'utf8' }).trim();
      // ssh-keygen prints the key and the comment it found in the file
      expect(derived).toBe(pair.publicKey);
      expect(
        pair.publicKey.startsWith(type === 'ed25519' ? 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5' : 'ssh-rsa AAAAB3NzaC1yc2E'),
      ).toBe(true);
      writeFileSync(`${file}.pub`, pair.publicKey + '\n');
      const fp = execFileSync('ssh-keygen', ['-l', '-f', `${file}.pub`], { encoding: 'utf8' });
      expect(fp).toMatch(type === 'ed25519' ? /^256 SHA256:\S+ ci-key \(ED25519\)/ : /^4096 SHA256:\S+ ci-key \(RSA\)/);
    });
  }

  it('two pairs differ', () => {
    expect(generateSshKeyPair().publicKey).not.toBe(generateSshKeyPair().publicKey);
  });
});

describe('checking a public key file before it is sent', () => {
  it('takes an OpenSSH public key line, refuses a private key and text that is none', () => {
    const { publicKey, privateKey } = generateSshKeyPair('ed25519', 'x');
    expect(checkPublicKey(publicKey + '\n')).toBe(publicKey);
    expect(() => checkPublicKey(privateKey)).toThrow('it is a private key; give the public key (the .pub file)');
    expect(() => checkPublicKey('hello world')).toThrow('it is not one OpenSSH public key line');
    expect(() => checkPublicKey(`${publicKey}\n${publicKey}`)).toThrow('it is not one OpenSSH public key line');
    expect(() => checkPublicKey('ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIA==')).toThrow(
      'its base64 data is not a ssh-rsa key',
    );
    expect(() => checkPublicKey('not a cert', 'x509')).toThrow('it is not a PEM certificate');
  });
});
