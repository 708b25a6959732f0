/**
 * Smaller things of issue 18: every error is one line (a Nova 500 whose message holds a newline),
 * and file errors in words with the path (`no such file or directory: /nope`). That a serial
 * console URL given with --url gets the `~.` escape without `--type serial` is in commands.test.ts.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { messageFor } from '../../src/cli/errors.js';
import { NcliError } from '../../src/errors.js';
import { fileErrorReason } from '../../src/fs-reasons.js';
import { ApiError } from '../../src/http/errors.js';
import { runNcli } from '../support/io.js';
import { mockCloud } from '../support/mock-nova.js';

describe('one line per error', () => {
  it('a Nova 500 whose message holds newlines prints one line', async () => {
    const c = mockCloud();
    c.answer('GET', '/v2.1/flavors/detail', 500, {
      computeFault: {
        code: 500,
        message:
          "Unexpected API Error. Please report this at http://bugs.launchpad.net/nova/ and attach the Nova API log if possible.\n<class 'nova.exception.DBError'>\r\n  details",
      },
    });
    const r = await runNcli(['flavor', 'list'], c.env, { dispatcher: c.agent, tokenStore: null });
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')).toHaveLength(2); // one line and the final newline
    expect(r.stderr).toMatch(
      /^ncli: GET http:\/\/nova\.test:8774\/v2\.1\/flavors\/detail.* failed: Unexpected API Error\. .* if possible\. <class 'nova\.exception\.DBError'> details \(HTTP 500\)\.?\n$/,
    );
  });

  it('ApiError and messageFor keep any message to one line', () => {
    const e = new ApiError({
      status: 500,
      method: 'GET',
      url: 'u',
      serverMessage: 'a\n\n  b\u0007',
      service: 'compute',
    });
    expect(e.message).toBe('GET u failed: a b (HTTP 500)');
    expect(messageFor(new NcliError('FAILED', 'first\nsecond'))).toBe('first second');
  });
});

describe('fileErrorReason', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ncli-fserr-'));
  const fail = (fn: () => void): unknown => {
    try {
      fn();
    } catch (e) {
      return e;
    }
    throw new Error('did not throw');
  };
  it('words the errno code and names the first missing level of the path', () => {
    const e = fail(() => writeFileSync(join(dir, 'a', 'b', 'x.png'), ''));
    expect(fileErrorReason(e, join(dir, 'a', 'b', 'x.png'))).toBe(`no such file or directory: ${join(dir, 'a')}`);
    expect(
      fileErrorReason(
        fail(() => writeFileSync(dir, '')),
        dir,
      ),
    ).toBe(`is a directory: ${dir}`);
    writeFileSync(join(dir, 'f'), '');
    expect(fileErrorReason(fail(() => writeFileSync(join(dir, 'f', 'x'), '')))).toBe(
      `not a directory: ${join(dir, 'f', 'x')}`,
    );
  });
  it("falls back on Node's words for other codes, and the message for anything else", () => {
    const exdev = Object.assign(new Error("EXDEV: cross-device link not permitted, rename 'a' -> 'b'"), {
      code: 'EXDEV',
    });
    expect(fileErrorReason(exdev, '/a')).toBe('cross-device link not permitted: /a');
    expect(fileErrorReason(new Error('odd.'))).toBe('odd');
  });
});
