/**
 * undici's EnvHttpProxyAgent (HTTP(S) through the proxy `HTTPS_PROXY`/`HTTP_PROXY` name, except
 * for `NO_PROXY` hosts), in a module of its own so that src/http/transport.ts loads it only when a
 * proxy variable is set.
 */
import EnvHttpProxyAgent from 'undici/lib/dispatcher/env-http-proxy-agent.js';

export { EnvHttpProxyAgent };
