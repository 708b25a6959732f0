/**
 * Which secret a cached token was obtained with, stored so that a reader of the cache cannot
 * recover the secret: a salted, deliberately slow verifier (scrypt, RFC 7914) of the auth method's
 * long-lived secrets, kept inside the 0600 cache entry or the keychain secret, never in a key or
 * file name. keystoneauth keys its cache on the secret itself (keystoneauth1/identity/v3/password.py
 * and application_credential.py `get_cache_id_elements` put the password / secret in the cache id;
 * totp.py leaves the passcode out because it changes every 30 s); ncli keeps the cache key
 * secret-free (src/config/scope-key.ts) and checks the secret against this verifier instead.
 *
 * Why scrypt, and why N = 2^12, r = 8, p = 1 (4 MiB): the verifier sits next to the token it
 * guards, and the secret is often a person's password, weak and reused elsewhere. A fast hash, even
 * salted (HMAC-SHA256 keyed by a random salt), lets a reader of the file try billions of guesses a
 * second on a GPU; scrypt makes every guess cost memory and time. The price is paid at every run
 * with a cached token (one derivation) and once per fresh token (made while Keystone answers, so
 * hidden behind the request). Measured on this project's 2-core machine, one derivation costs
 * 7.7 ms at N = 2^12, 16 ms at 2^13, 34 ms at 2^14 (41–46 ms with the machine busy), against a
 * warm `ncli server list` of about 370 ms. The big step is from a fast hash to a memory-hard one
 * (about 10^4 times the attacker's cost per guess on a CPU, more on a GPU); each further doubling
 * of N only doubles both sides' cost, and 2^14 would add 10 % to every cached command. No
 * verifier saves a dictionary password from an offline guess; this one makes a fair password
 * expensive to find. N is stored in each verifier, so it can be raised later without
 * invalidating entries (within {@link MIN_LOG2_N}..{@link MAX_LOG2_N}).
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { AuthOptions } from '../config/options.js';

/** A verifier as stored in a cache entry (JSON). `salt` and `hash` are base64url. */
export interface SecretVerifier {
  alg: 'scrypt';
  /** log2 of scrypt's cost parameter N. */
  ln: number;
  r: number;
  p: number;
  /** 16 random bytes, new for every entry. */
  salt: string;
  /** 32 bytes of scrypt output. */
  hash: string;
}

/** log2 N for new verifiers: N = 4096, 4 MiB with r = 8 (see the module comment). */
export const SCRYPT_LOG2_N = 12;
/** The range of log2 N a stored verifier may name (a corrupt or hostile entry cannot ask for more memory). */
export const MIN_LOG2_N = 10;
export const MAX_LOG2_N = 17;
const R = 8;
const P = 1;
const SALT_BYTES = 16;
const HASH_BYTES = 32;
/** Keeps verifiers of ncli apart from any other use of scrypt on the same secret. */
const DOMAIN = 'ncli/secret-verifier/1';

/**
 * The long-lived secrets of an auth method, the only input of its verifier: the password of a
 * password login, the secret of an application credential. Empty for a token login (the token's
 * hash is already part of the cache key) and for a TOTP-only login (it has no long-lived secret).
 * One-time codes are never part of it: the TOTP passcode of `auth.secondFactor` (or of any future
 * MFA method) changes every 30 s and must not make the cached token a miss.
 */
export function longLivedSecrets(auth: AuthOptions): string[] {
  const m = auth.method;
  if (m.type === 'password') return [m.password];
  if (m.type === 'application_credential') return [m.secret];
  // federated: the IdP password and the client secret (an access token is short-lived: not one)
  if (m.type === 'oidc') return [m.password, m.clientSecret].filter((x): x is string => x !== undefined);
  return [];
}

function derive(secrets: readonly string[], salt: Buffer, ln: number, r: number, p: number): Promise<Buffer> {
  const input = JSON.stringify([DOMAIN, ...secrets]);
  const N = 2 ** ln;
  return new Promise((resolve, reject) =>
    scrypt(input, salt, HASH_BYTES, { N, r, p, maxmem: 256 * N * r + (1 << 20) }, (e, key) =>
      e ? reject(e) : resolve(key),
    ),
  );
}

/**
 * A new verifier of `secrets` with a fresh random salt (about 8 ms of a libuv worker thread).
 * @param secrets from {@link longLivedSecrets}; must not be empty
 * @throws Error when scrypt cannot run (out of memory)
 */
export async function makeVerifier(secrets: readonly string[]): Promise<SecretVerifier> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(secrets, salt, SCRYPT_LOG2_N, R, P);
  return {
    alg: 'scrypt',
    ln: SCRYPT_LOG2_N,
    r: R,
    p: P,
    salt: salt.toString('base64url'),
    hash: hash.toString('base64url'),
  };
}

function wellFormed(v: unknown): v is SecretVerifier {
  const x = v as SecretVerifier;
  return (
    !!x &&
    x.alg === 'scrypt' &&
    Number.isInteger(x.ln) &&
    x.ln >= MIN_LOG2_N &&
    x.ln <= MAX_LOG2_N &&
    x.r === R &&
    x.p === P &&
    typeof x.salt === 'string' &&
    typeof x.hash === 'string'
  );
}

/**
 * Whether `v` was made from exactly these secrets (constant-time comparison). A missing, unknown
 * or malformed verifier is `false`: the entry is a miss, never an error.
 */
export async function verifierMatches(v: unknown, secrets: readonly string[]): Promise<boolean> {
  if (!wellFormed(v)) return false;
  const want = Buffer.from(v.hash, 'base64url');
  if (want.length !== HASH_BYTES) return false;
  try {
    const got = await derive(secrets, Buffer.from(v.salt, 'base64url'), v.ln, v.r, v.p);
    return timingSafeEqual(got, want);
  } catch {
    return false;
  }
}
