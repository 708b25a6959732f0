/**
 * The one key of "who, where, scoped to what" that the token cache and the completion names cache
 * are filed under: a sha256 hex of the Keystone URL, region, identity (user ID or name and domain,
 * application credential, or a hash of the token given: never a secret) and scope. A password or
 * application credential secret is deliberately not part of it (keystoneauth puts it in its cache
 * id): a password change keeps the key, and so the completion names filed under it; the token
 * cache tells secrets apart with a verifier inside the entry (src/identity/secret-verifier.ts).
 */
import type { AuthOptions } from './options.js';

/**
 * @param namespace keeps the users of the key apart (`token/1`, `names/1`)
 * @returns 64 hex characters
 */
export function scopeKey(auth: AuthOptions, region: string | undefined, namespace: string): string {
  // node:crypto when first called: a TAB that finds its scope in the index never loads it
  // (src/config/names-index.ts)
  const { createHash } = process.getBuiltinModule('node:crypto');
  const m = auth.method;
  const who =
    m.type === 'password'
      ? ['password', m.userId ?? '', m.username ?? '', m.userDomainId ?? '', m.userDomainName ?? '']
      : m.type === 'application_credential'
        ? [
            'appcred',
            m.id ?? '',
            m.name ?? '',
            m.userId ?? '',
            m.username ?? '',
            m.userDomainId ?? '',
            m.userDomainName ?? '',
          ]
        : m.type === 'totp'
          ? // the passcode changes every 30 s: not part of who (keystoneauth's TOTPMethod.get_cache_id_elements)
            ['totp', m.userId ?? '', m.username ?? '', m.userDomainId ?? '', m.userDomainName ?? '']
          : m.type === 'oidc'
            ? // who logs in is the IdP's business: the cloud's IdP, client and grant (and the user of
              // the password grant); the client secret is checked by the entry's verifier, and an
              // access token given is not part of it (a cached token needs none)
              [
                'oidc',
                m.grant,
                m.identityProvider,
                m.protocol,
                m.clientId ?? '',
                m.username ?? '',
                m.tokenEndpoint ?? m.discoveryEndpoint ?? '',
                m.scope,
              ]
            : ['token', createHash('sha256').update(m.token).digest('hex')];
  const parts = [namespace, auth.authUrl, region ?? '', ...who, JSON.stringify(auth.scope ?? null)];
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}
