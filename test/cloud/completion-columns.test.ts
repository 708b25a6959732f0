/**
 * The columns completion offers for `--sort-column` and `-c` (src/completion/values.ts) are the
 * ones the list commands print, read from the real commands' `-f json --long` output.
 */
import { expect, it } from 'vitest';
import { LIST_COLUMNS } from '../../src/completion/values.js';
import { describeCloud, ncli } from '../support/cloud.js';

describeCloud('completion columns', () => {
  const cases: [string, string[]][] = [
    ['server list', ['server', 'list', '--long', '--limit', '1']],
    ['flavor list', ['flavor', 'list']],
    ['server event list', ['server', 'event', 'list', 'vm1', '--long']],
  ];
  for (const [command, argv] of cases) {
    it(`${command}: the columns it prints`, async () => {
      const r = await ncli([...argv, '-f', 'json']);
      expect(r.code, r.stderr).toBe(0);
      const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
      expect(rows.length).toBeGreaterThan(0);
      expect(Object.keys(rows[0])).toEqual(LIST_COLUMNS[command]);
    }, 60_000);
  }
});
