/**
 * Human words for the error codes of a failed connection (Node's `net`/`tls`/`dns` errno codes and
 * undici's `UND_ERR_*`), shared by the HTTP transport and the console tunnel so that the same
 * failure reads the same everywhere. No imports.
 */

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name not found (temporary DNS failure)',
  ECONNRESET: 'connection reset by the server',
  UND_ERR_SOCKET: 'connection reset by the server',
  EPIPE: 'connection closed by the server',
  ECONNABORTED: 'connection aborted',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

/** Certificate verification failures (OpenSSL's `X509_V_ERR_*` names as Node reports them). */
const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** `true` for a TLS failure: a certificate that does not verify, or a TLS protocol error (`ERR_SSL_*`). */
export function isTlsFailure(code: string): boolean {
  return TLS_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_');
}

/** The words for a known connection-failure code (`ECONNREFUSED` → `connection refused`), else undefined. */
export function knownNetworkReason(code: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(REASONS, code) ? REASONS[code] : undefined;
}

/**
 * The words for a connection failure: `connection refused`, `host name not found`, …; for a TLS
 * failure `TLS certificate not trusted (CODE)`; else the error's own message (or its code).
 * @param code the error's `code` (`ECONNREFUSED`, `DEPTH_ZERO_SELF_SIGNED_CERT`, …)
 * @param message the error's message, used when the code is not known
 */
export function networkReason(code: string, message: string): string {
  const known = knownNetworkReason(code);
  if (known) return known;
  if (TLS_CODES.has(code)) return `TLS certificate not trusted (${code})`;
  if (isTlsFailure(code)) return `TLS failure (${code}: ${message.replace(/\.$/, '')})`;
  return message.replace(/\.$/, '') || code;
}
