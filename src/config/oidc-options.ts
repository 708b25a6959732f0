/**
 * The federated (OpenID Connect) auth methods' settings: keystoneauth's `v3oidcpassword`,
 * `v3oidcclientcredentials`, `v3oidcaccesstoken`, `v3oidcauthcode`, `v3oidcdeviceauthz`
 * (keystoneauth1/identity/v3/oidc.py) and keystoneauth-websso's `v3websso` (Keystone's own
 * browser login), from the settings of ./global-options.ts. Pure.
 */
import { ConfigError } from '../errors.js';
import type { Settings } from './global-options.js';

/** How the IdP's access token (or, for `websso`, Keystone's token) is obtained. */
export type OidcGrant = 'password' | 'client_credentials' | 'access_token' | 'authcode' | 'device' | 'websso';

/** keystoneauth's auth type name of each grant (for messages). */
export const OIDC_TYPE_NAMES: Record<OidcGrant, string> = {
  password: 'v3oidcpassword',
  client_credentials: 'v3oidcclientcredentials',
  access_token: 'v3oidcaccesstoken',
  authcode: 'v3oidcauthcode',
  device: 'v3oidcdeviceauthz',
  websso: 'v3websso',
};

/**
 * A federated login: an access token from the IdP (by `grant`), sent as a Bearer token to
 * Keystone's `POST /v3/OS-FEDERATION/identity_providers/{identityProvider}/protocols/{protocol}/auth`
 * for an unscoped token, then exchanged for a scoped one. `websso` gets the unscoped token from
 * Keystone's WebSSO page in a browser instead.
 */
export interface OidcMethod {
  type: 'oidc';
  grant: OidcGrant;
  identityProvider: string;
  protocol: string;
  clientId?: string;
  /** Confidential clients only; part of the token cache's secret verifier, never of its key. */
  clientSecret?: string;
  discoveryEndpoint?: string;
  tokenEndpoint?: string;
  deviceAuthorizationEndpoint?: string;
  /** Space-separated (default `openid profile`, as keystoneauth). */
  scope: string;
  /** `password` grant: the user at the IdP and the IdP password. */
  username?: string;
  password?: string;
  /** `access_token` grant: the token given (not part of the token cache's identity). */
  accessToken?: string;
}

/**
 * The {@link OidcMethod} of a federated auth type from the settings.
 * @throws ConfigError naming the missing flag / variable / clouds.yaml key
 */
export function oidcMethod(grant: OidcGrant, s: Settings): OidcMethod {
  const name = OIDC_TYPE_NAMES[grant];
  const need = (v: string | undefined, what: string, flag: string, env: string, key: string): string => {
    if (v) return v;
    throw new ConfigError(`${name} needs ${what}: pass ${flag}, set ${env} or clouds.yaml auth.${key}.`);
  };
  const identityProvider = need(
    s.osIdentityProvider,
    "the identity provider's ID in Keystone",
    '--os-identity-provider',
    'OS_IDENTITY_PROVIDER',
    'identity_provider',
  );
  const protocol = need(s.osProtocol, 'the federation protocol', '--os-protocol', 'OS_PROTOCOL', 'protocol');
  const m: OidcMethod = {
    type: 'oidc',
    grant,
    identityProvider,
    protocol,
    scope: s.osOpenidScope ?? 'openid profile',
    ...(s.osClientId ? { clientId: s.osClientId } : {}),
    ...(s.osClientSecret ? { clientSecret: s.osClientSecret } : {}),
    ...(s.osDiscoveryEndpoint ? { discoveryEndpoint: s.osDiscoveryEndpoint } : {}),
    ...(s.osAccessTokenEndpoint ? { tokenEndpoint: s.osAccessTokenEndpoint } : {}),
    ...(s.osDeviceAuthorizationEndpoint ? { deviceAuthorizationEndpoint: s.osDeviceAuthorizationEndpoint } : {}),
  };
  if (grant === 'websso') return m;
  if (grant === 'access_token') {
    // may be absent: a cached Keystone token needs none (checked when the IdP must be asked)
    return s.osAccessToken ? { ...m, accessToken: s.osAccessToken } : m;
  }
  need(m.clientId, 'the OpenID Connect client ID', '--os-client-id', 'OS_CLIENT_ID', 'client_id');
  if (!m.discoveryEndpoint && !m.tokenEndpoint) {
    throw new ConfigError(
      `${name} needs the IdP's endpoints: pass --os-discovery-endpoint (…/.well-known/openid-configuration) or --os-access-token-endpoint (OS_DISCOVERY_ENDPOINT, clouds.yaml auth.discovery_endpoint).`,
    );
  }
  if (grant === 'client_credentials') {
    need(m.clientSecret, 'the client secret', '--os-client-secret', 'OS_CLIENT_SECRET', 'client_secret');
  }
  if (grant === 'password') {
    const username = need(s.osUsername, 'the user name at the IdP', '--os-username', 'OS_USERNAME', 'username');
    const password = need(s.osPassword, 'the IdP password', '--os-password', 'OS_PASSWORD', 'password');
    return { ...m, username, password };
  }
  return m;
}

/** The grant of a keystoneauth auth type name, or undefined when it is not a federated one. */
export function oidcGrantOf(authType: string): OidcGrant | undefined {
  const t = authType.toLowerCase();
  const found = (Object.entries(OIDC_TYPE_NAMES) as [OidcGrant, string][]).find(([, n]) => n === t);
  return found?.[0];
}
