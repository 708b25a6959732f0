/**
 * Completion offers values for free-text options (src/completion/values.ts): the server statuses
 * for `server list --status`, `auto`/`none` for `server create --network`, the command's columns
 * for `--sort-column` and `-c` of a list, and (as before) the console types for `--type`.
 */
import { describe, expect, it } from 'vitest';
import { SERVER_STATUSES, LIST_COLUMNS } from '../../src/completion/values.js';
import { testIO } from '../support/io.js';

/** The built `ncli __complete` (it reads dist/manifest.json, written by the build). */
type Complete = (words: string[], io: ReturnType<typeof testIO>['io']) => Promise<number>;
const { complete } = (await import(new URL('../../dist/cli/complete.js', import.meta.url).href)) as {
  complete: Complete;
};

async function tab(...words: string[]): Promise<string[]> {
  const t = testIO({ env: { HOME: '/nonexistent' } });
  await complete(['--', ...words], t.io);
  return t.out.lines();
}

describe('completion of option values', () => {
  it('--status offers the server statuses', async () => {
    expect(await tab('server', 'list', '--status', '')).toEqual([...SERVER_STATUSES]);
    expect(await tab('server', 'list', '--status', 'SH')).toEqual(['SHELVED', 'SHELVED_OFFLOADED', 'SHUTOFF']);
    expect(await tab('server', 'list', '--status=SHU')).toEqual(['--status=SHUTOFF']);
  });

  it('--network offers auto and none', async () => {
    expect(await tab('server', 'create', 'vm9', '--network', '')).toEqual(['auto', 'none']);
  });

  it("--sort-column and -c offer the list command's columns", async () => {
    expect(await tab('server', 'list', '--sort-column', '')).toEqual([...LIST_COLUMNS['server list']]);
    expect(await tab('server', 'list', '--sort-column', 'Ho')).toEqual(['Host', 'Host Status']);
    expect(await tab('flavor', 'list', '-c', '')).toEqual([
      'ID',
      'Name',
      'RAM',
      'Disk',
      'Ephemeral',
      'VCPUs',
      'Is Public',
    ]);
    expect(await tab('server', 'event', 'list', 'vm1', '--sort-column', 'S')).toEqual(['Server ID', 'Start Time']);
  });

  it('--type offers the console types', async () => {
    expect(await tab('console', 'tunnel', '--type', '')).toEqual(['novnc', 'serial', 'spice-html5']);
    expect(await tab('console', 'get-spice', 'vm1', '--type', '')).toEqual(['spice-html5', 'spice-direct']);
  });

  it('bash gets column names with spaces quoted', async () => {
    const t = testIO({ env: { HOME: '/nonexistent', NCLI_COMP_SHELL: 'bash' } });
    await complete(['--', 'server', 'list', '--sort-column', 'Task'], t.io);
    expect(t.out.lines()).toEqual([':words', 'Task\\ State']);
  });
});
