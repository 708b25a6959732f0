/**
 * ncli takes undici's modules by path (src/http/transport.ts, src/http/proxy-agent.ts; their types
 * in src/undici-parts.d.ts) instead of through undici's index, which evaluates fetch, WebSocket,
 * the caches and the mocks at load. These paths are not undici's public API: an upgrade may move
 * them. This file fails when one disappears or stops being what the index exports, and when the
 * bundle takes in the parts of undici ncli must not load (index, fetch, WebSocket, mocks).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const require = createRequire(join(ROOT, 'package.json'));
const undici = require('undici') as Record<string, unknown>;

/** Every `undici/lib/...` path src/ imports, with the file importing it. */
function deepImports(): { path: string; file: string }[] {
  const src = join(ROOT, 'src');
  return readdirSync(src, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .flatMap((f) =>
      [...readFileSync(join(src, f), 'utf8').matchAll(/from '(undici\/lib\/[^']+)'/g)].map((m) => ({
        path: m[1],
        file: f,
      })),
    );
}

/** What each deep path must be: the same object undici's index exports under this name. */
const SAME_AS_INDEX: Record<string, (m: unknown) => unknown> = {
  'undici/lib/dispatcher/agent.js': () => undici.Agent,
  'undici/lib/dispatcher/env-http-proxy-agent.js': () => undici.EnvHttpProxyAgent,
  // the index wraps it (makeDispatcher); its api module exports the function itself
  'undici/lib/api/api-request.js': () => (require('undici/lib/api/index.js') as { request: unknown }).request,
};

describe("undici's modules by path", () => {
  const found = deepImports();

  it('src/ imports the paths this test knows (add a new one to SAME_AS_INDEX)', () => {
    expect(found.length).toBeGreaterThan(0);
    for (const { path, file } of found) expect(Object.keys(SAME_AS_INDEX), `${file} imports ${path}`).toContain(path);
  });

  it.each(Object.keys(SAME_AS_INDEX))('%s exists in the installed undici and is what its index exports', (path) => {
    const m = require(path) as unknown;
    expect(typeof m).toBe('function');
    expect(m).toBe(SAME_AS_INDEX[path](m));
  });

  it('the bundle in dist/ holds none of the index, fetch, WebSocket, caches or mocks', () => {
    const dist = join(ROOT, 'dist');
    const sources = readdirSync(dist, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.js.map'))
      .flatMap((f) => (JSON.parse(readFileSync(join(dist, f), 'utf8')) as { sources: string[] }).sources)
      .filter((s) => s.includes('node_modules/undici/'))
      .map((s) => s.slice(s.indexOf('node_modules/undici/') + 'node_modules/undici/'.length));
    expect(sources).toContain('lib/dispatcher/agent.js');
    const banned = sources.filter((s) =>
      /^(index\.js|index-fetch\.js|lib\/mock\/|lib\/web\/websocket\/|lib\/web\/eventsource\/|lib\/cache\/|lib\/interceptor\/cache)/.test(
        s,
      ),
    );
    expect(banned).toEqual([]);
  });
});
