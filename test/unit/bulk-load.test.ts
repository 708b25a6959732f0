/**
 * Load (issue 18 §5): `server stop` of 200 servers with --wait against a fake Nova (undici
 * MockAgent, through `main()`) that rate-limits (429 with Retry-After) and is sometimes
 * unavailable (503), as a busy cloud or the proxy in front of it does — which the real cloud
 * won't do on demand. Every server ends with exactly one outcome line, a GET answered 429 is
 * asked again only after its Retry-After, no action POST is ever sent twice (a POST answered
 * 429 or 503 is that server's failure, src/compute/actions.ts), and the request count stays
 * within the bound stated below.
 */
import { describe, expect, it } from 'vitest';
import { runNcli } from '../support/io.js';
import { mockCloud } from '../support/mock-nova.js';

const N = 200;
const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const nameOf = (n: number) => `load-${n}`;

interface Hit {
  method: string;
  path: string;
  at: number;
  status: number;
}

/** Which servers the fake is hard on (by number, 1…N). */
const POST_429 = (i: number) => i % 20 === 0; // 10: the stop POST is rate-limited
const POST_503 = (i: number) => i % 20 === 7; // 10: the stop POST meets an unavailable Nova
const POLL_429 = (i: number) => i % 10 === 3; // 20: the first poll is rate-limited
const POLL_503 = (i: number) => i % 10 === 5; // 20: the first poll meets a 503

function fakeNova() {
  const c = mockCloud();
  const hits: Hit[] = [];
  const status = new Map<number, string>();
  for (let i = 1; i <= N; i++) status.set(i, 'ACTIVE');
  const polled = new Set<number>();
  let searches = 0;
  const view = (i: number) => ({
    id: uuid(i),
    name: nameOf(i),
    status: status.get(i),
    'OS-EXT-STS:task_state': null,
    image: { id: 'img' },
    flavor: { original_name: 'm1.tiny' },
  });
  const reply = (method: string, path: string, statusCode: number, body?: unknown, headers = {}) => {
    hits.push({ method, path, at: performance.now(), status: statusCode });
    return {
      statusCode,
      data: body === undefined ? '' : JSON.stringify(body),
      responseOptions: { headers: { 'content-type': 'application/json', ...headers } },
    };
  };
  const tooMany = { computeFault: { code: 429, message: 'Rate limit exceeded.' } };
  const unavailable = { computeFault: { code: 503, message: 'Service Unavailable.' } };
  c.pool
    .intercept({ path: (p) => p !== '/v2.1/', method: () => true })
    .reply((opts) => {
      const url = new URL(opts.path, 'http://x');
      const path = url.pathname.replace(/^\/v2\.1/, '');
      const method = opts.method;
      if (method === 'GET' && path === '/servers/detail') {
        // the first search is rate-limited
        if (searches++ === 0) return reply(method, opts.path, 429, tooMany, { 'retry-after': '1' });
        const re = new RegExp(url.searchParams.get('name') ?? '');
        const list = [...status.keys()].filter((i) => re.test(nameOf(i))).map(view);
        return reply(method, opts.path, 200, { servers: list });
      }
      let m = /^\/servers\/([^/]+)\/action$/.exec(path);
      if (m && method === 'POST') {
        const i = Number(m[1].slice(-12));
        if (POST_429(i)) return reply(method, opts.path, 429, tooMany, { 'retry-after': '1' });
        if (POST_503(i)) return reply(method, opts.path, 503, unavailable);
        status.set(i, 'SHUTOFF');
        return reply(method, opts.path, 202, undefined, { 'x-openstack-request-id': `req-stop-${i}` });
      }
      m = /^\/servers\/([^/]+)$/.exec(path);
      if (m && method === 'GET') {
        const i = Number(m[1].slice(-12));
        const first = !polled.has(i);
        polled.add(i);
        if (first && POLL_429(i)) return reply(method, opts.path, 429, tooMany, { 'retry-after': '1' });
        if (first && POLL_503(i)) return reply(method, opts.path, 503, unavailable);
        return reply(method, opts.path, 200, { server: view(i) });
      }
      return reply(method, opts.path, 404, { itemNotFound: { code: 404, message: 'not here' } });
    })
    .persist();
  return { c, hits };
}

describe('bulk actions under load', () => {
  it('stop --wait of 200 servers against 429s and 503s: one outcome each, Retry-After honoured, no POST twice, bounded requests', async () => {
    const { c, hits } = fakeNova();
    const names = Array.from({ length: N }, (_, k) => nameOf(k + 1));
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    const r = await runNcli(['server', 'stop', ...names, '--wait', '--parallel', '100'], c.env, {
      dispatcher: c.agent,
      tokenStore: null,
    }).finally(() => process.off('warning', onWarning));
    const failing = (i: number) => POST_429(i) || POST_503(i);
    const nFailing = names.filter((_, k) => failing(k + 1)).length;
    expect(nFailing).toBe(20);
    expect(r.code).toBe(1);
    // 100 waits on one Ctrl-C signal: no MaxListenersExceededWarning (src/cli/bulk.ts)
    expect(warnings.map((w) => w.name)).not.toContain('MaxListenersExceededWarning');

    // one clear outcome per server: a success line on stdout or one failure line on stderr
    const out = r.stdout.trimEnd().split('\n');
    const err = r.stderr.trimEnd().split('\n');
    expect(out).toHaveLength(N - nFailing);
    expect(err).toHaveLength(nFailing + 1);
    expect(err.at(-1)).toBe(`ncli: ${nFailing} of ${N} servers failed to stop.`);
    for (let i = 1; i <= N; i++) {
      const mine = (l: string) =>
        l.includes(`${nameOf(i)} `) || l.includes(`${nameOf(i)}:`) || l.includes(`${nameOf(i)})`);
      const lines = [...out, ...err.slice(0, -1)].filter(mine);
      expect(lines, nameOf(i)).toHaveLength(1);
      if (failing(i)) {
        expect(lines[0]).toBe(
          POST_429(i)
            ? `ncli: Nova did not take the stop of server ${nameOf(i)}: Rate limit exceeded (HTTP 429, retry after 1 s); ncli does not send an action twice: run the command again for this server.`
            : `ncli: Nova did not take the stop of server ${nameOf(i)}: Service Unavailable (HTTP 503); ncli does not send an action twice: run the command again for this server.`,
        );
      } else {
        expect(lines[0]).toMatch(
          new RegExp(`^${nameOf(i)}: stop: SHUTOFF after \\d+\\.\\d s \\(request req-stop-${i}\\)\\.$`),
        );
      }
    }

    // no POST sent twice, and one for every server (the refused ones too)
    const posts = hits.filter((h) => h.method === 'POST').map((h) => h.path);
    expect(new Set(posts).size).toBe(posts.length);
    expect(posts).toHaveLength(N);

    // Retry-After honoured: a GET answered 429 "retry after 1 s" is asked again no sooner
    const limited = hits.filter((h) => h.method === 'GET' && h.status === 429);
    expect(limited).toHaveLength(1 + 20); // the search, and the first poll of each POLL_429 server
    for (const h of limited) {
      const next = hits.find((x) => x.path === h.path && x.at > h.at);
      expect(next, h.path).toBeDefined();
      expect(next!.at - h.at).toBeGreaterThanOrEqual(995);
    }

    // The bound: the search with its retries (≤ 1 + 3), one POST per server, and per stopped
    // server one poll retried at most 3 times (≤ 4 GETs): 4 + 200 + 180 × 4 = 924. This fake
    // needs 2 + 200 + 180 + 40 (the first polls answered 429 or 503, asked again) = 422.
    const bound = 4 + N + (N - nFailing) * 4;
    expect(bound).toBe(924);
    expect(hits.length).toBeLessThanOrEqual(bound);
    expect(hits.length).toBe(2 + N + (N - nFailing) + 40);
  }, 60_000);
});
