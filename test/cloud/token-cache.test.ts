/**
 * The token cache against the real Keystone: a cached token is handed out only for the secret that
 * obtained it (password, application credential secret), as keystoneauth keys its cache on the
 * secret (keystoneauth1/identity/v3/password.py `get_cache_id_elements`). A wrong secret with a warm
 * cache asks Keystone, which answers 401 (one line, exit 1), and the right secret's entry survives:
 * the right secret afterwards sends no request to Keystone. `--debug` never shows the secret or the
 * verifier stored with the entry.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { cloudEnv, cloudFacts, describeCloud, freshCache, ncli } from '../support/cloud.js';

/** `--debug` request lines asking Keystone for a token. */
const authRequests = (s: string) => (s.match(/REQ: POST \S+\/v3\/auth\/tokens/g) ?? []).length;
const WRONG = 'Wr0ng-secret-for-ncli-7731';

interface Case {
  what: string;
  cloud: string;
  /** The variable that overrides the secret of the clouds.yaml entry. */
  variable: string;
  /** The right secret (from clouds.yaml / cloud.env), to check it never shows up. */
  secret: () => string;
}

const cases: Case[] = [
  { what: 'password', cloud: 'devcloud', variable: 'OS_PASSWORD', secret: () => 'secret' },
  {
    what: 'application credential secret',
    cloud: 'devcloud-appcred',
    variable: 'OS_APPLICATION_CREDENTIAL_SECRET',
    secret: () => cloudFacts().APPCRED_SECRET ?? '',
  },
];

describeCloud('token cache: a cached token only for the secret that obtained it', () => {
  for (const c of cases) {
    it(`a wrong ${c.what} with a warm cache fails in one line; the right one still uses its cached token`, async () => {
      const cache = freshCache();
      const env = cloudEnv({ OS_CLOUD: c.cloud }, cache);
      const dir = join(cache, 'ncli', 'tokens');
      const args = ['--debug', 'server', 'list', '-f', 'value', '-c', 'Name'];

      const warm = await ncli(args, env);
      expect(warm.code, warm.stderr).toBe(0);
      expect(authRequests(warm.stderr)).toBe(1);
      expect(warm.stdout.trim()).not.toBe('');
      const files = readdirSync(dir);
      expect(files).toHaveLength(1);
      const stored = readFileSync(join(dir, files[0]), 'utf8');
      const { verifier } = JSON.parse(stored) as { verifier: { alg: string; salt: string; hash: string } };
      expect(verifier.alg).toBe('scrypt');
      expect(stored).not.toContain(JSON.stringify(c.secret()));

      const wrong = await ncli(args, { ...env, [c.variable]: WRONG });
      expect(wrong.code).toBe(1);
      expect(wrong.stdout).toBe('');
      expect(authRequests(wrong.stderr)).toBe(1);
      expect(wrong.stderr).toMatch(/RESP: 401 .*POST \S+\/v3\/auth\/tokens/);

      const plain = await ncli(['server', 'list'], { ...env, [c.variable]: WRONG });
      expect(plain.code).toBe(1);
      const lines = plain.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^ncli: Keystone at http:\/\/127\.0\.0\.1:5000\/v3 refused .*\(HTTP 401, request req-[0-9a-f-]+\); check /,
      );

      // the right secret's entry is neither deleted nor overwritten
      expect(readdirSync(dir)).toEqual(files);
      expect(readFileSync(join(dir, files[0]), 'utf8')).toBe(stored);

      const again = await ncli(args, env);
      expect(again.code, again.stderr).toBe(0);
      expect(authRequests(again.stderr)).toBe(0);
      expect(again.stdout).toBe(warm.stdout);

      for (const out of [warm.stderr, wrong.stderr, plain.stderr, again.stderr]) {
        expect(out).not.toContain(WRONG);
        expect(out).not.toContain(verifier.salt);
        expect(out).not.toContain(verifier.hash);
        if (c.what === 'password') expect(out).not.toMatch(/\bsecret\b/);
        else expect(out).not.toContain(c.secret());
      }
    }, 90_000);
  }
});
