#!/usr/bin/env node
// The test cloud's OpenID Provider: panva's oidc-provider (a certified OpenID Provider, from the
// repo's node_modules) with a small fixed realm, on 127.0.0.1 only. Started by
// scripts/cloud/oidc-up.sh; see scripts/cloud/README.md "Federated login (OpenID Connect)".
//
//   node scripts/cloud/oidc/idp.mjs --port 5556 --keystone-url http://127.0.0.1:5080 \
//     --tls-cert etc/tls/server.pem --tls-key etc/tls/private/server.key
// It speaks https only (the harness's server certificate): mod_auth_openidc insists on an https
// introspection endpoint, and real IdPs are https too.
//
// Realm (every value below is a throw-away test value):
//   users    alice / alice-secret   groups [ncli-users]  -> Keystone maps her to project demo (member)
//            bob   / bob-secret     groups [outsiders]   -> no mapping rule matches him
//   clients  ncli               public (PKCE), authorization_code, device_code, refresh_token, password
//            ncli-confidential  secret ncli-confidential-secret: password, client_credentials,
//                               authorization_code, device_code, refresh_token
//            ncli-service       secret ncli-service-secret: client_credentials only (a service
//                               account in group ncli-users)
//            ncli-short         secret ncli-short-secret: password; its access tokens live 3 s
//            keystone           secret keystone-oidc-secret: mod_auth_openidc's client (WebSSO's
//                               code flow and token introspection)
//   grants   keystoneauth's v3oidcpassword needs the resource-owner password grant, which
//            oidc-provider does not ship: it is registered below (registerGrantType).
// Access tokens are opaque; mod_auth_openidc introspects them (/token/introspection), and the
// introspection answer carries preferred_username and groups (extraTokenClaims) for Keystone's
// mapping. State is in memory: a restart forgets every token and session.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { parseArgs } from 'node:util';
import { generateKeyPair, exportJWK } from 'jose';
import Provider, { errors } from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '5556' },
    'keystone-url': { type: 'string', default: 'http://127.0.0.1:5080' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
  },
});
if (!args['tls-cert'] || !args['tls-key']) throw new Error('--tls-cert and --tls-key are required');
const PORT = Number(args.port);
const ISSUER = `https://127.0.0.1:${PORT}`;
const KEYSTONE_URL = args['keystone-url'];

const USERS = {
  alice: { password: 'alice-secret', name: 'Alice Example', email: 'alice@example.test', groups: ['ncli-users'] },
  bob: { password: 'bob-secret', name: 'Bob Outsider', email: 'bob@example.test', groups: ['outsiders'] },
};
/** What a client-credentials token stands for: the service account of each client. */
const SERVICE_ACCOUNTS = {
  'ncli-service': { preferred_username: 'svc-ncli', groups: ['ncli-users'] },
  'ncli-confidential': { preferred_username: 'svc-ncli-confidential', groups: ['ncli-users'] },
};
const SCOPES = ['openid', 'offline_access', 'profile', 'email', 'groups'];
const DEVICE = 'urn:ietf:params:oauth:grant-type:device_code';
// RFC 8252 7.3: for native clients the port of a loopback redirect URI is not compared.
const LOOPBACK = ['http://127.0.0.1/callback', 'http://localhost/callback'];

const clients = [
  {
    client_id: 'ncli',
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token', DEVICE, 'password'],
    response_types: ['code'],
    redirect_uris: LOOPBACK,
  },
  {
    client_id: 'ncli-confidential',
    client_secret: 'ncli-confidential-secret',
    application_type: 'native',
    grant_types: ['password', 'client_credentials', 'authorization_code', 'refresh_token', DEVICE],
    response_types: ['code'],
    redirect_uris: LOOPBACK,
  },
  {
    client_id: 'ncli-service',
    client_secret: 'ncli-service-secret',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
  },
  {
    client_id: 'ncli-short',
    client_secret: 'ncli-short-secret',
    grant_types: ['password'],
    response_types: [],
    redirect_uris: [],
  },
  {
    client_id: 'keystone',
    client_secret: 'keystone-oidc-secret',
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: [`${KEYSTONE_URL}/v3/auth/OS-FEDERATION/websso/openid/redirect`],
  },
];

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** A page of the IdP: plain HTML, nothing loaded from elsewhere. */
const page = (title, body) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)} - ncli test IdP</title>
<style>body{font-family:sans-serif;max-width:26em;margin:4em auto}label{display:block;margin:.6em 0}
input{width:100%;padding:.3em}.error{color:#b00}</style></head>
<body><h1>${esc(title)}</h1>${body}</body></html>`;

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const jwk = { ...(await exportJWK(privateKey)), use: 'sig', alg: 'RS256', kid: `ncli-idp-${Date.now()}` };

const claimsOf = (id) => {
  const u = USERS[id];
  return { sub: id, preferred_username: id, name: u.name, email: u.email, groups: u.groups };
};

const provider = new Provider(ISSUER, {
  clients,
  jwks: { keys: [jwk] },
  cookies: { keys: ['ncli-test-idp-cookie-key'] },
  scopes: SCOPES,
  claims: {
    openid: ['sub'],
    profile: ['preferred_username', 'name'],
    email: ['email'],
    groups: ['groups'],
  },
  features: {
    devInteractions: { enabled: false },
    introspection: { enabled: true },
    revocation: { enabled: true },
    deviceFlow: {
      enabled: true,
      userCodeInputSource: async (ctx, form, _out, err) => {
        ctx.body = page(
          'Sign in a device',
          `${err ? '<p class="error">The code is not valid; try again.</p>' : '<p>Enter the code shown on your device.</p>'}${form}<button type="submit" form="op.deviceInputForm">Continue</button>`,
        );
      },
      userCodeConfirmSource: async (ctx, form, client, _info, userCode) => {
        ctx.body = page(
          'Confirm the device',
          `<p><b>${esc(client.clientId)}</b> shows the code <code>${esc(userCode)}</code>.</p>${form}<button id="confirm" autofocus type="submit" form="op.deviceConfirmForm">Continue</button> <button type="submit" form="op.deviceConfirmForm" value="yes" name="abort">Abort</button>`,
        );
      },
      successSource: async (ctx) => {
        ctx.body = page('Signed in', '<p>The device is signed in. You can close this window.</p>');
      },
    },
    rpInitiatedLogout: {
      logoutSource: async (ctx, form) => {
        ctx.body = page(
          'Sign out',
          `${form}<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Sign out</button>`,
        );
      },
      postLogoutSuccessSource: async (ctx) => {
        ctx.body = page('Signed out', '<p>You are signed out.</p>');
      },
    },
    clientCredentials: { enabled: true },
  },
  // oidc-provider's own pages load a web font from the internet: these are plain and local
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Error', `<p class="error" id="error">${esc(out.error)}: ${esc(out.error_description ?? '')}</p>`);
  },
  async findAccount(_ctx, id) {
    if (!USERS[id]) return undefined;
    return { accountId: id, claims: () => claimsOf(id) };
  },
  // Keystone's mapping reads these from the introspection answer (mod_auth_openidc, oauth20).
  async extraTokenClaims(_ctx, token) {
    if (token.accountId && USERS[token.accountId]) {
      const { preferred_username, groups } = claimsOf(token.accountId);
      return { preferred_username, groups };
    }
    if (token.kind === 'ClientCredentials') return SERVICE_ACCOUNTS[token.clientId];
    return undefined;
  },
  ttl: {
    AccessToken: (_ctx, _token, client) => (client?.clientId === 'ncli-short' ? 3 : 3600),
    ClientCredentials: 3600,
    DeviceCode: 600,
    Interaction: 600,
    Session: 3600,
    Grant: 3600,
    IdToken: 3600,
    AuthorizationCode: 60,
    RefreshToken: 86400,
  },
  // No consent screen: every login grants the realm's scopes to the client asking.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      const found = await ctx.oidc.provider.Grant.find(grantId);
      if (found) return found;
    }
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope(SCOPES.join(' '));
    await grant.save();
    return grant;
  },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' },
});

// Resource-owner password credentials (RFC 6749 4.3), what keystoneauth's v3oidcpassword uses.
provider.registerGrantType(
  'password',
  async (ctx) => {
    const { username, password } = ctx.oidc.params;
    if (!username || !password) throw new errors.InvalidRequest('username and password are required');
    const user = USERS[username];
    if (!user || user.password !== password) {
      throw new errors.CustomOIDCProviderError('invalid_grant', 'invalid user name or password');
    }
    const requested = String(ctx.oidc.params.scope || 'openid').split(' ');
    const scope = requested.filter((s) => SCOPES.includes(s)).join(' ') || 'openid';
    const { client } = ctx.oidc;
    const grant = new provider.Grant({ accountId: username, clientId: client.clientId });
    grant.addOIDCScope(scope);
    const grantId = await grant.save();
    const at = new provider.AccessToken({ accountId: username, client, grantId, gty: 'password', scope });
    const value = await at.save();
    ctx.body = { access_token: value, token_type: 'Bearer', expires_in: at.expiration, scope };
  },
  ['username', 'password', 'scope'],
);

function loginPage(uid, clientId, error) {
  return page(
    'ncli test IdP',
    `<p>Sign in to continue to <b>${esc(clientId)}</b>.</p>
${error ? `<p class="error" id="error">${esc(error)}</p>` : ''}
<form method="post" action="/interaction/${esc(uid)}/login" autocomplete="off">
<label>User name <input id="login" name="login" autofocus required></label>
<label>Password <input id="password" name="password" type="password" required></label>
<button id="submit" type="submit">Sign in</button>
</form>`,
  );
}

function readForm(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => {
      body += c;
      if (body.length > 10_000) req.destroy();
    });
    req.on('end', () => resolve(new URLSearchParams(body)));
    req.on('error', reject);
  });
}

async function interaction(req, res) {
  const m = /^\/interaction\/([\w-]+)(\/login)?$/.exec(new URL(req.url, ISSUER).pathname);
  if (!m) {
    res.writeHead(404).end('not found');
    return;
  }
  const details = await provider.interactionDetails(req, res);
  const { uid, prompt, params } = details;
  if (prompt.name === 'consent') {
    // (loadExistingGrant makes this rare) grant what was asked for
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
    grant.addOIDCScope(SCOPES.join(' '));
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    return;
  }
  if (req.method === 'GET' && !m[2]) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(loginPage(uid, params.client_id));
    return;
  }
  if (req.method === 'POST' && m[2]) {
    const form = await readForm(req);
    const login = form.get('login') ?? '';
    const user = USERS[login];
    if (!user || user.password !== form.get('password')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(loginPage(uid, params.client_id, 'Invalid user name or password.'));
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
    return;
  }
  res.writeHead(405).end('method not allowed');
}

const callback = provider.callback();
const tls = { cert: readFileSync(args['tls-cert']), key: readFileSync(args['tls-key']) };
const server = createServer(tls, (req, res) => {
  if (req.url.startsWith('/interaction/')) {
    interaction(req, res).catch((e) => {
      console.error('interaction failed:', e.message);
      if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(`interaction failed: ${e.message}\n`);
    });
    return;
  }
  callback(req, res);
});
provider.on('server_error', (_ctx, e) => console.error('server_error:', e));
server.listen(PORT, '127.0.0.1', () => console.log(`ncli test IdP: issuer ${ISSUER}`));
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
