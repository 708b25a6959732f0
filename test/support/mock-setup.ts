/**
 * Fake setup the unit tests of quotas, scheduler hints and migrations share, on top of
 * test/support/mock-nova.ts:
 * - {@link runOnMock}: a whole `ncli` run against a mock cloud, without a token store;
 * - {@link answerGroupPages}: os-server-groups listed over several pages, as Nova pages it (api-ref
 *   compute "List Server Groups": `limit` + `offset`, no links; src/compute/resource.ts `offset`).
 */
import { runNcli, type RunResult } from './io.js';
import type { MockCloud, MockNova } from './mock-nova.js';

/** Runs `ncli ARGV` in this process against the mock cloud `c` (its OS_* environment, no token store). */
export function runOnMock(c: MockCloud, argv: string[]): Promise<RunResult> {
  return runNcli(argv, c.env, { dispatcher: c.agent, tokenStore: null });
}

/** `n` fake server groups numbered from `from`: IDs `g<i>`, names `group-<i>`. */
export function fakeGroups(n: number, from = 0): { id: string; name: string }[] {
  return Array.from({ length: n }, (_, i) => ({ id: `g${from + i}`, name: `group-${from + i}` }));
}

/**
 * Answers `GET /v2.1/os-server-groups` once per entry of `sizes`, with that many
 * {@link fakeGroups} each, numbered on from page to page: the first asked with `limit=1000`, the
 * next with `offset=<groups so far>&limit=1000`, as ncli asks them.
 */
export function answerGroupPages(nova: MockNova, sizes: number[]): void {
  let offset = 0;
  for (const n of sizes) {
    const query = offset === 0 ? 'limit=1000' : `offset=${offset}&limit=1000`;
    nova.answer('GET', `/v2.1/os-server-groups?${query}`, 200, { server_groups: fakeGroups(n, offset) });
    offset += n;
  }
}
