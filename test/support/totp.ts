/**
 * TOTP passcodes for tests of Keystone multi-factor logins: RFC 6238 (TOTP) over RFC 4226 (HOTP,
 * §5.3 dynamic truncation) with node:crypto, and RFC 4648 §6 base32 for the shared secret.
 * Keystone's totp auth method (keystone/auth/plugins/totp.py) uses HMAC-SHA1, 6 digits and a
 * 30-second step from the Unix epoch, with the secret stored base32-encoded as the credential's
 * blob; those are the defaults here.
 */
import { createHmac, randomBytes } from 'node:crypto';

const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/**
 * Decodes RFC 4648 base32 (case-insensitive; `=` padding, spaces and dashes ignored).
 * @throws Error naming the first character that is not base32
 */
export function base32Decode(text: string): Buffer {
  const clean = text.replace(/[\s=-]/g, '').toUpperCase();
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of clean) {
    const v = BASE32_ALPHABET.indexOf(ch);
    if (v < 0) throw new Error(`Not a base32 TOTP secret: '${ch}' is not in A-Z, 2-7.`);
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >>> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

/** Encodes bytes as RFC 4648 base32, upper case, without `=` padding (as Keystone stores TOTP blobs). */
export function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32_ALPHABET[(value >>> bits) & 31];
    }
  }
  if (bits > 0) out += BASE32_ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

/** A fresh random TOTP secret: `bytes` random bytes (default 20, 160 bits as RFC 4226 §4 recommends), base32. */
export function newTotpSecret(bytes = 20): string {
  return base32Encode(randomBytes(bytes));
}

/** Options of {@link totpCode}; the defaults are Keystone's. */
export interface TotpOptions {
  /** Digits of the passcode (RFC 6238's test vectors use 8); default 6. */
  digits?: number;
  /** Time step in seconds; default 30. */
  stepSeconds?: number;
  /** HMAC hash; default sha1. */
  algorithm?: 'sha1' | 'sha256' | 'sha512';
}

/**
 * The TOTP passcode of a base32 secret at a moment (RFC 6238 §4: counter = floor(unix seconds /
 * step), HOTP of that counter as an 8-byte big-endian value, RFC 4226 §5.3 truncation, zero-padded).
 *
 * @param base32Secret the shared secret, base32 (a Keystone `totp` credential's blob)
 * @param atMs the moment, in milliseconds since the Unix epoch; default now
 * @returns the passcode, `digits` decimal digits
 * @throws Error when the secret is not base32 or is empty
 */
export function totpCode(base32Secret: string, atMs: number = Date.now(), opts: TotpOptions = {}): string {
  const { digits = 6, stepSeconds = 30, algorithm = 'sha1' } = opts;
  const key = base32Decode(base32Secret);
  if (key.length === 0) throw new Error('Empty TOTP secret.');
  const counter = Math.floor(Math.floor(atMs / 1000) / stepSeconds);
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(algorithm, key).update(msg).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/**
 * Milliseconds until the passcode of `atMs` changes (the next step boundary). Tests that send a
 * passcode over a slow path can wait this out when it is small, so the code is not outdated on
 * arrival (Keystone also accepts the previous step: `[totp] included_previous_windows = 1`).
 */
export function msUntilNextStep(atMs: number = Date.now(), stepSeconds = 30): number {
  const stepMs = stepSeconds * 1000;
  return stepMs - (atMs % stepMs);
}
