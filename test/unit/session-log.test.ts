/** `--log FILE`: what the console printed, appended, with a time line at each connect and disconnect; 0600. */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { openSessionLog } from '../../src/cli/session-log.js';

describe('session log', () => {
  it('tees the output, marks sessions on lines of their own, appends, and is 0600', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ncli-log-'));
    const path = join(dir, 'vm1.log');
    writeFileSync(path, 'earlier\n', { mode: 0o644 });
    const t = new Date('2026-12-02T10:00:00.000Z');
    const log = await openSessionLog(path, () => t);
    const out = new PassThrough();
    const shown: Buffer[] = [];
    out.on('data', (c: Buffer) => shown.push(c));
    const tee = log.tee(out);
    log.mark('connected to vm1 (serial)');
    await new Promise<void>((r) => tee.write(Buffer.from('login: '), () => r()));
    log.mark('disconnected (closed)');
    await log.close();
    expect(Buffer.concat(shown).toString()).toBe('login: ');
    expect(readFileSync(path, 'utf8')).toBe(
      'earlier\n--- 2026-12-02T10:00:00.000Z connected to vm1 (serial) ---\nlogin: \n--- 2026-12-02T10:00:00.000Z disconnected (closed) ---\n',
    );
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('a file that cannot be opened is one line', async () => {
    await expect(openSessionLog('/nonexistent/dir/x.log')).rejects.toThrow(
      'Cannot write the console log /nonexistent/dir/x.log: no such file or directory: /nonexistent.',
    );
  });
});
