/**
 * Console tunnel: WebSocket (websockify / nova-novncproxy / nova-serialproxy)
 * ↔ local TCP port or stdin/stdout. Knows nothing of Nova; see forwarder.ts.
 */
export { forwardLocal, forwardStdio } from './forwarder.js';
export {
  WS_HIGH_WATER_MARK,
  REPLAY_LIMIT,
  DEFAULT_PING_INTERVAL_MS,
  DEFAULT_REJECT_WINDOW_MS,
  DEFAULT_CLOSE_WAIT_MS,
} from './session.js';
export type { TunnelOptions } from './session.js';
export { scanEscape, createEscapeFilter, initialEscapeState } from './escape.js';
export type { EscapeState, EscapeResult } from './escape.js';
export {
  dialConsole,
  describeDialError,
  isHandshakeHangup,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_MAX_PAYLOAD,
} from './websocket.js';
export type { DialOptions } from './websocket.js';
export { consoleWebSocketUrl } from './ws-url.js';
export { parseListenSpec, isLoopbackHost, formatHostPort, dialHost, DEFAULT_LISTEN_HOST } from './listen-spec.js';
export type { ListenSpec } from './listen-spec.js';
export { TunnelError, proxyOrigin } from './errors.js';
export { cachingResolver, fixedResolver, REFRESH_COALESCE_MS } from './url-source.js';
export type { TunnelErrorCode } from './errors.js';
