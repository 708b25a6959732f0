/**
 * Types of the undici modules src/http/transport.ts imports by path (undici 7's CommonJS files,
 * whose `module.exports` is the class or function undici's index re-exports).
 */
declare module 'undici/lib/dispatcher/agent.js' {
  const Agent: typeof import('undici').Agent;
  export = Agent;
}
declare module 'undici/lib/dispatcher/env-http-proxy-agent.js' {
  const EnvHttpProxyAgent: typeof import('undici').EnvHttpProxyAgent;
  export = EnvHttpProxyAgent;
}
declare module 'undici/lib/api/api-request.js' {
  const request: (
    this: import('undici').Dispatcher,
    opts: import('undici').Dispatcher.RequestOptions,
  ) => Promise<import('undici').Dispatcher.ResponseData>;
  export = request;
}
