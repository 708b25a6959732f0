/**
 * test/support/totp.ts against RFC 6238 Appendix B (every test vector: SHA1, SHA256, SHA512,
 * 8 digits, 30-second steps) and RFC 4648 §10 (base32 test vectors).
 */
import { describe, expect, it } from 'vitest';
import { base32Decode, base32Encode, msUntilNextStep, newTotpSecret, totpCode } from '../support/totp.js';

// RFC 6238 Appendix B: the seeds are these ASCII strings (20, 32 and 64 bytes)
const SEED = {
  sha1: '12345678901234567890',
  sha256: '12345678901234567890123456789012',
  sha512: '1234567890123456789012345678901234567890123456789012345678901234',
} as const;

// time (s), SHA1, SHA256, SHA512 (RFC 6238 Appendix B table)
const VECTORS: [number, string, string, string][] = [
  [59, '94287082', '46119246', '90693936'],
  [1111111109, '07081804', '68084774', '25091201'],
  [1111111111, '14050471', '67062674', '99943326'],
  [1234567890, '89005924', '91819424', '93441116'],
  [2000000000, '69279037', '90698825', '38618901'],
  [20000000000, '65353130', '77737706', '47863826'],
];

describe('totpCode (RFC 6238)', () => {
  for (const [t, sha1, sha256, sha512] of VECTORS) {
    it(`matches Appendix B at T=${t}`, () => {
      const at = t * 1000;
      const b32 = (s: string) => base32Encode(Buffer.from(s, 'ascii'));
      expect(totpCode(b32(SEED.sha1), at, { digits: 8 })).toBe(sha1);
      expect(totpCode(b32(SEED.sha256), at, { digits: 8, algorithm: 'sha256' })).toBe(sha256);
      expect(totpCode(b32(SEED.sha512), at, { digits: 8, algorithm: 'sha512' })).toBe(sha512);
      // Keystone's 6 digits are the same truncated value mod 10^6: the last six
      expect(totpCode(b32(SEED.sha1), at)).toBe(sha1.slice(2));
    });
  }

  it('is constant within a 30 s step and changes at its boundary', () => {
    const secret = base32Encode(Buffer.from(SEED.sha1, 'ascii'));
    expect(totpCode(secret, 1111111110_000)).toBe(totpCode(secret, 1111111139_999));
    expect(totpCode(secret, 1111111139_999)).not.toBe(totpCode(secret, 1111111140_000));
    expect(msUntilNextStep(1111111139_000)).toBe(1000);
    expect(msUntilNextStep(1111111140_000)).toBe(30_000);
  });

  it('accepts lower case, padding and spaces in the secret, and rejects what is not base32', () => {
    const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'; // base32 of SEED.sha1
    expect(totpCode(secret.toLowerCase(), 59_000, { digits: 8 })).toBe('94287082');
    expect(totpCode('GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ', 59_000, { digits: 8 })).toBe('94287082');
    expect(() => totpCode('GEZ1', 0)).toThrow(/'1' is not in A-Z, 2-7/);
    expect(() => totpCode('', 0)).toThrow(/Empty TOTP secret/);
  });
});

describe('base32 (RFC 4648 §10)', () => {
  const cases: [string, string][] = [
    ['', ''],
    ['f', 'MY======'],
    ['fo', 'MZXQ===='],
    ['foo', 'MZXW6==='],
    ['foob', 'MZXW6YQ='],
    ['fooba', 'MZXW6YTB'],
    ['foobar', 'MZXW6YTBOI======'],
  ];
  for (const [plain, encoded] of cases) {
    it(`"${plain}" <-> "${encoded}"`, () => {
      expect(base32Encode(Buffer.from(plain))).toBe(encoded.replace(/=+$/, ''));
      expect(base32Decode(encoded).toString()).toBe(plain);
    });
  }

  it('new secrets are 32 base32 characters (160 bits) and differ', () => {
    const a = newTotpSecret();
    expect(a).toMatch(/^[A-Z2-7]{32}$/);
    expect(base32Decode(a)).toHaveLength(20);
    expect(newTotpSecret()).not.toBe(a);
  });
});
