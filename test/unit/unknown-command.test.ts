/**
 * An unknown command is "unknown command" with a suggestion and exit 2 wherever it appears, also
 * when help is asked for it (`ncli help sever`, `ncli sever --help`, `ncli server lsit --help`);
 * help for real commands is unchanged.
 */
import { describe, expect, it } from 'vitest';
import { runNcli } from '../support/io.js';

describe('unknown commands', () => {
  const cases: [string[], string, string][] = [
    [['help', 'sever'], 'sever', 'server'],
    [['sever', '--help'], 'sever', 'server'],
    [['server', 'lsit', '--help'], 'lsit', 'list'],
    [['help', 'server', 'lsit'], 'lsit', 'list'],
    [['--os-cloud', 'x', 'server', 'lsit', '-h'], 'lsit', 'list'],
    [['server', 'lsit'], 'lsit', 'list'],
  ];
  for (const [argv, word, suggestion] of cases) {
    it(`ncli ${argv.join(' ')}: unknown command, exit 2`, async () => {
      const r = await runNcli(argv, {});
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(
        `error: unknown command '${word}'\n(Did you mean ${suggestion}?)\n(add --help for usage)\n`,
      );
    });
  }

  it('help for real commands still prints the page, exit 0', async () => {
    for (const argv of [
      ['help', 'server', 'list'],
      ['server', 'list', '--help'],
      ['--os-cloud', 'x', 'server', 'list', '--help'],
      ['help', 'server', 'event', 'list'],
      ['console', 'tunnel', '-h'],
      ['help'],
    ]) {
      const r = await runNcli(argv, {});
      expect(r.code, argv.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/^Usage: ncli/);
    }
  });
});
