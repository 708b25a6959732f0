/**
 * Redaction of secrets for `--debug` output and error messages, for every layer (the HTTP
 * transport, the console tunnel, the CLI): nothing ncli prints may carry a Keystone token, a
 * console token, a password or an application-credential secret. Follows keystoneauth's session
 * logging (`_process_header` hashes token headers), but ncli drops the value entirely. No imports.
 */

const SECRET_HEADERS = new Set([
  'x-auth-token',
  'x-subject-token',
  'x-service-token',
  'authorization',
  'cookie',
  'set-cookie',
  'proxy-authorization',
  'openstack-auth-receipt',
]);

/** JSON keys whose string values are secrets wherever they appear. */
const SECRET_KEYS = new Set([
  'password',
  'passcode',
  'secret',
  'token',
  'auth_token',
  'access_token',
  'adminPass',
  'admin_pass',
  // OAuth 2.0 / OpenID Connect (token endpoint answers, device authorization)
  'refresh_token',
  'id_token',
  'device_code',
  'client_secret',
  'code',
  'code_verifier',
]);

/** Form / query parameters whose values are secrets (OAuth 2.0 token requests, redirects). */
const SECRET_PARAMS =
  /([?&]|^)(password|client_secret|code|code_verifier|device_code|refresh_token|id_token|access_token|assertion)=[^&#\s"']*/gi;

export const REDACTED = '<redacted>';

/** Headers with secret values replaced. Input and output are plain lowercase-or-not name → value maps. */
export function redactHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    out[k] = SECRET_HEADERS.has(k.toLowerCase()) ? REDACTED : Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

/**
 * Text (a URL or a free line) with every `token=` value removed, raw or percent-encoded once or
 * twice (`path=%3Ftoken%3D…` in noVNC page URLs, `%253D` when that URL is itself encoded), and
 * userinfo passwords (`//user:pw@host`) removed, and the values of OAuth 2.0 secret parameters
 * (`password=`, `client_secret=`, `code=`, `code_verifier=`, `device_code=`, `refresh_token=`…).
 */
export function redactUrl(text: string): string {
  return text
    .replace(SECRET_PARAMS, `$1$2=${REDACTED}`)
    .replace(/(token)(=|%3D|%253D)[^&#\s"']*/gi, `$1$2${REDACTED}`)
    .replace(/\/\/([^/@\s:]+):[^/@\s]*@/g, `//$1:${REDACTED}@`);
}

/**
 * A JSON (or other) body as text with secrets removed. JSON is parsed and walked: values of
 * `password`, `secret`, `token` (as strings) and Keystone's `token.id` (token auth body
 * `{"token": {"id": …}}`) are replaced. Non-JSON text goes through {@link redactUrl} and a
 * pattern for `"password": "…"` pairs.
 */
export function redactBody(text: string): string {
  if (!text) return text;
  try {
    return JSON.stringify(redactJson(JSON.parse(text)));
  } catch {
    return redactUrl(text).replace(
      /("(?:password|passcode|secret|token|adminPass)"\s*:\s*)"[^"]*"/g,
      `$1"${REDACTED}"`,
    );
  }
}

/** Deep copy of a parsed JSON value with secret fields replaced. */
export function redactJson(value: unknown, parentKey = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => redactJson(v, parentKey));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (typeof v === 'string' && (SECRET_KEYS.has(k) || (parentKey === 'token' && k === 'id'))) {
        out[k] = REDACTED;
      } else if (typeof v === 'string' && k === 'url') {
        out[k] = redactUrl(v);
      } else {
        out[k] = redactJson(v, k);
      }
    }
    return out;
  }
  return value;
}
