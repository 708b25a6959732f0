/**
 * The "undici floor" of the bench: the best a client on undici can do for one ncli command. It
 * makes exactly the requests ncli makes (the same list the curl floor uses, in order, on one
 * keep-alive Agent), reads each body as text, closes the Agent, and exits. bench.mjs bundles it
 * with esbuild twice: undici-floor-index.mjs takes undici through its index (`import { Agent }
 * from 'undici'`, what a script on undici usually writes), undici-floor-parts.mjs through the same
 * deep paths ncli imports (src/http/transport.ts), so that every run shows what lever 1 is worth
 * outside ncli too. Like bin/ncli, it asks V8 for its baseline compiler only (--liftoff-only: the
 * WebAssembly HTTP parser is not compiled twice).
 *
 * Input: BENCH_UNDICI_REQS, JSON `[{ method, url, headers, body? }]` (headers with the token).
 */
import { setFlagsFromString } from 'node:v8';

/**
 * @param {new (o: object) => {close(): Promise<void>}} Agent undici's Agent
 * @param {(agent: object, opts: object) => Promise<{statusCode: number, body: {text(): Promise<string>}}>} send
 */
export async function floor(Agent, send) {
  setFlagsFromString('--liftoff-only');
  const reqs = JSON.parse(process.env.BENCH_UNDICI_REQS || '[]');
  const agent = new Agent({ keepAliveTimeout: 10_000 });
  for (const r of reqs) {
    const u = new URL(r.url);
    const res = await send(agent, {
      origin: u.origin,
      path: u.pathname + u.search,
      method: r.method,
      headers: r.headers,
      body: r.method === 'GET' ? undefined : r.body,
    });
    await res.body.text();
    if (res.statusCode >= 400) {
      process.stderr.write(`${r.method} ${r.url}: HTTP ${res.statusCode}\n`);
      process.exitCode = 1;
    }
  }
  await agent.close();
}
