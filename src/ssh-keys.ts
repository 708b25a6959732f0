/**
 * SSH key pairs made on this machine (node:crypto), for `ncli keypair create` without
 * `--public-key`: Nova stopped generating keys in compute API 2.92, so the client does, as
 * `ssh-keygen` would. The public key is the one-line OpenSSH form (`ssh-ed25519 AAAA… comment`,
 * RFC 8709 / RFC 4253 §6.6); the private key is the OpenSSH private key format
 * (`-----BEGIN OPENSSH PRIVATE KEY-----`, unencrypted: cipher and KDF "none"; OpenSSH's
 * PROTOCOL.key), which ssh and ssh-keygen read. Nothing here writes or prints the private key.
 */
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';

/** Key types ncli generates: ed25519 (the default) and RSA 4096 (for clouds that refuse ed25519). */
export type SshKeyType = 'ed25519' | 'rsa';

/** A generated pair. `privateKey` is secret: write it 0600 or print it once, never log it. */
export interface SshKeyPair {
  type: SshKeyType;
  /** `ssh-ed25519 AAAA… comment` (no newline). */
  publicKey: string;
  /** The OpenSSH private key file's text (with a final newline). */
  privateKey: string;
}

/** An SSH `string`: uint32 length, then the bytes (RFC 4251 §5). */
function sshString(b: Buffer | string): Buffer {
  const data = typeof b === 'string' ? Buffer.from(b) : b;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  return Buffer.concat([len, data]);
}

/** An SSH `mpint` from big-endian unsigned bytes: a leading zero when the high bit is set. */
function mpint(unsigned: Buffer): Buffer {
  let i = 0;
  while (i < unsigned.length - 1 && unsigned[i] === 0) i++;
  let b = unsigned.subarray(i);
  if (b[0] & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return sshString(b);
}

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

const b64u = (s: string | undefined): Buffer => Buffer.from(s ?? '', 'base64url');

/** The public key blob and the private section's key fields of a node:crypto key. */
function keyParts(type: SshKeyType, privateKey: KeyObject): { blob: Buffer; secret: Buffer } {
  const jwk = privateKey.export({ format: 'jwk' });
  if (type === 'ed25519') {
    const pub = b64u(jwk.x);
    const seed = b64u(jwk.d);
    const blob = Buffer.concat([sshString('ssh-ed25519'), sshString(pub)]);
    return {
      blob,
      secret: Buffer.concat([sshString('ssh-ed25519'), sshString(pub), sshString(Buffer.concat([seed, pub]))]),
    };
  }
  const [n, e, d, p, q, qi] = [jwk.n, jwk.e, jwk.d, jwk.p, jwk.q, jwk.qi].map(b64u);
  const blob = Buffer.concat([sshString('ssh-rsa'), mpint(e), mpint(n)]);
  // OpenSSH's order: n, e, d, iqmp, p, q
  const secret = Buffer.concat([sshString('ssh-rsa'), mpint(n), mpint(e), mpint(d), mpint(qi), mpint(p), mpint(q)]);
  return { blob, secret };
}

/**
 * A new key pair.
 * @param type `ed25519` (default) or `rsa` (4096 bits)
 * @param comment the public key's comment and the private key's (e.g. the keypair's name)
 */
export function generateSshKeyPair(type: SshKeyType = 'ed25519', comment = ''): SshKeyPair {
  const { privateKey } =
    type === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('rsa', { modulusLength: 4096 });
  const { blob, secret } = keyParts(type, privateKey);
  const check = randomBytes(4);
  let priv = Buffer.concat([check, check, secret, sshString(comment)]);
  // padding 1, 2, 3, … to the cipher's block size (8 for "none")
  const pad = (8 - (priv.length % 8)) % 8;
  priv = Buffer.concat([priv, Buffer.from(Array.from({ length: pad }, (_, i) => i + 1))]);
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0'),
    sshString('none'),
    sshString('none'),
    sshString(''),
    uint32(1),
    sshString(blob),
    sshString(priv),
  ]);
  const lines = body.toString('base64').match(/.{1,70}/g) ?? [];
  const name = type === 'ed25519' ? 'ssh-ed25519' : 'ssh-rsa';
  return {
    type,
    publicKey: `${name} ${blob.toString('base64')}${comment ? ` ${comment}` : ''}`,
    privateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`,
  };
}

/**
 * Checks that a public key file's text is one OpenSSH public key line (or an X.509 PEM
 * certificate for `--type x509`) before it is sent, so a wrong file is one line here rather than
 * Nova's "Keypair data is invalid".
 * @returns the text, trimmed
 * @throws Error naming what is wrong (callers wrap it in a UsageError with the file name)
 */
export function checkPublicKey(text: string, type: 'ssh' | 'x509' = 'ssh'): string {
  const t = text.trim();
  if (type === 'x509') {
    if (!/^-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----$/.test(t)) {
      throw new Error('it is not a PEM certificate (-----BEGIN CERTIFICATE-----)');
    }
    return t;
  }
  if (/PRIVATE KEY-----/.test(t)) throw new Error('it is a private key; give the public key (the .pub file)');
  const m = /^((?:ssh|ecdsa|sk)-[a-z0-9@.-]+)\s+([A-Za-z0-9+/]+={0,2})(\s.*)?$/.exec(t);
  if (!m || t.includes('\n'))
    throw new Error('it is not one OpenSSH public key line (ssh-ed25519 AAAA… or ssh-rsa AAAA…)');
  const blob = Buffer.from(m[2], 'base64');
  if (
    blob.length < 4 ||
    blob.readUInt32BE(0) + 4 > blob.length ||
    blob.subarray(4, 4 + blob.readUInt32BE(0)).toString() !== m[1]
  ) {
    throw new Error(`its base64 data is not a ${m[1]} key`);
  }
  return t;
}
