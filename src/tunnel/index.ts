/**
 * Console tunnel: a console proxy's WebSocket (websockify: nova-novncproxy, nova-serialproxy,
 * nova-spicehtml5proxy) ↔ a local TCP port or stdin/stdout. Knows a URL, not Nova. What the
 * product uses; tests import the modules themselves.
 */
export { forwardLocal, forwardStdio } from './forwarder.js';
export type { TunnelOptions } from './bridge.js';
export { consoleWebSocketUrl } from './ws-url.js';
export { parseListenSpec, formatHostPort, dialHost } from './listen-spec.js';
export { proxyOrigin } from './errors.js';
export { cachingResolver, fixedResolver } from './url-source.js';
