import { describe, expect, it } from 'vitest';
import {
  cellText,
  columnLimits,
  compareCells,
  outputOptions,
  renderList,
  renderShow,
  shellName,
  shellQuote,
  sortRows,
  wrapText,
} from '../../src/cli/output.js';

const rows = [
  { ID: 'a', Name: 'vm "one"', RAM: 512, Tags: ['x', 'y'] },
  { ID: 'b', Name: 'vm2', RAM: 2048, Tags: null },
];
const cols = ['ID', 'Name', 'RAM', 'Tags'];

describe('list formats', () => {
  it('json: an array of objects keyed by column, in column order', async () => {
    expect(JSON.parse(await renderList(cols, rows, 'json'))).toEqual([
      { ID: 'a', Name: 'vm "one"', RAM: 512, Tags: ['x', 'y'] },
      { ID: 'b', Name: 'vm2', RAM: 2048, Tags: null },
    ]);
  });
  it('value, csv and yaml', async () => {
    expect(await renderList(cols, rows, 'value', ['Name', 'RAM'])).toBe('vm "one" 512\nvm2 2048\n');
    expect(await renderList(cols, rows, 'csv', ['ID', 'Name', 'RAM'])).toBe(
      '"ID","Name","RAM"\n"a","vm ""one""",512\n"b","vm2",2048\n',
    );
    expect(await renderList(cols, rows, 'yaml', ['ID'])).toBe('- ID: a\n- ID: b\n');
    expect(await renderList(cols, [], 'json')).toBe('[]\n');
  });
  it('table: header and one line per row', async () => {
    const t = await renderList(cols, rows, 'table', ['ID', 'Name']);
    const lines = t.trimEnd().split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[1]).toMatch(/│ ID\s+│ Name\s+│/);
    expect(lines[3]).toMatch(/│ a\s+│ vm "one"\s+│/);
  });
  it('-c matches case-insensitively and rejects unknown columns', async () => {
    expect(await renderList(cols, rows, 'value', ['name'])).toBe('vm "one"\nvm2\n');
    await expect(renderList(cols, rows, 'value', ['Nope'])).rejects.toThrow(
      "Unknown column 'Nope'; choose from: ID, Name, RAM, Tags.",
    );
  });
  it('-c as cliff: columns in their own order, names matching nothing ignored while one matches', async () => {
    expect(await renderList(cols, rows, 'value', ['RAM', 'Nope', 'ID'])).toBe('a 512\nb 2048\n');
  });
  it('value, csv and shell write scalars as Python str() does (None, True), objects as JSON', async () => {
    const r = [{ ID: 'a', On: true, Gone: null, Props: { k: 'v' }, N: 1.5 }];
    const c = ['ID', 'On', 'Gone', 'Props', 'N'];
    expect(await renderList(c, r, 'value')).toBe('a True None {"k":"v"} 1.5\n');
    expect(await renderList(c, r, 'csv')).toBe('"ID","On","Gone","Props","N"\n"a",True,"","{""k"":""v""}",1.5\n');
    expect(await renderShow({ b: null, a: false }, 'shell')).toBe('a="False"\nb="None"\n');
  });
});

describe('show formats', () => {
  const obj = { id: 'a', name: 'vm1', addresses: { net: [{ addr: '10.0.0.1' }] }, locked: false };
  it('fields sorted by name as openstackclient sorts them (upper case first)', async () => {
    const shown = JSON.parse(await renderShow({ name: 1, 'OS-X:y': 2, id: 3 }, 'json')) as Record<string, unknown>;
    expect(Object.keys(shown)).toEqual(['OS-X:y', 'id', 'name']);
  });
  it('json is the resource object; -c selects fields', async () => {
    expect(JSON.parse(await renderShow(obj, 'json'))).toEqual(obj);
    expect(JSON.parse(await renderShow(obj, 'json', ['name', 'locked']))).toEqual({ name: 'vm1', locked: false });
  });
  it('value prints one field per line; table shows Field/Value', async () => {
    expect(await renderShow(obj, 'value', ['id', 'locked'])).toBe('a\nFalse\n');
    expect(await renderShow(obj, 'table')).toMatch(/│ addresses\s+│ \{"net":\[\{"addr":"10\.0\.0\.1"\}\]\}/);
  });
  it('renders cells', () => {
    expect(cellText(undefined)).toBe('');
    expect(cellText(0)).toBe('0');
    expect(cellText({ a: 1 })).toBe('{"a":1}');
  });
});

describe('output controls', () => {
  const servers = [
    { Name: 'b', Status: 'ACTIVE', RAM: 512 },
    { Name: 'a', Status: 'SHUTOFF', RAM: 2048 },
    { Name: 'c', Status: 'ACTIVE', RAM: 64 },
    { Name: 'd', Status: '', RAM: null },
  ];
  const cols = ['Name', 'Status', 'RAM'];

  it('--sort-column sorts by each column in turn (stable; empty first; numbers by value), descending on request', async () => {
    const names = (rows: Record<string, unknown>[]) => rows.map((r) => r.Name).join('');
    expect(names(sortRows(cols, servers, ['Status', 'Name']))).toBe('dbca');
    expect(names(sortRows(cols, servers, ['status', 'name'], true))).toBe('acbd');
    expect(names(sortRows(cols, servers, ['RAM']))).toBe('dcba');
    expect(
      await renderList(cols, servers, {
        format: 'value',
        columns: ['Name'],
        sortColumns: ['RAM'],
        sortDescending: true,
      }),
    ).toBe('a\nb\nc\nd\n');
    expect(() => sortRows(cols, servers, ['Size'])).toThrow(
      "Unknown sort column 'Size'; choose from: Name, Status, RAM.",
    );
    expect(compareCells(2, 10)).toBeLessThan(0);
    expect(compareCells('10', '2')).toBeLessThan(0); // text is compared as text
  });

  it('wraps cells at spaces, and long words inside', () => {
    expect(wrapText('one two three', 7)).toBe('one two\nthree');
    expect(wrapText('0123456789abcdef', 6)).toBe('012345\n6789ab\ncdef');
    expect(wrapText('a b\nc', 10)).toBe('a b\nc');
  });

  it('shares the width as cliff does: narrow columns keep theirs, wide ones split the rest (not below the minimum)', () => {
    expect(columnLimits([10, 10], 80, 8)).toEqual([Infinity, Infinity]); // fits already
    // 3 columns in 40: usable 40 - 1 - 9 = 30, even share 10: the 4 stays, 20 and 30 share 26
    expect(columnLimits([4, 20, 30], 40, 8)).toEqual([Infinity, 13, 13]);
    expect(columnLimits([40, 40], 20, 8)).toEqual([8, 8]); // wider than asked rather than narrower than 8
  });

  it('--max-width fits a table into N characters; without it a table is as wide as its cells', async () => {
    const rows = [
      {
        ID: '72125f76-b747-4609-8a41-34ed4d70f4f3',
        Name: 'web.1',
        Networks: 'private=10.0.0.5, fd00::5; public=203.0.113.7',
      },
    ];
    const wide = await renderList(['ID', 'Name', 'Networks'], rows, { format: 'table' });
    expect(
      Math.max(
        ...wide
          .trimEnd()
          .split('\n')
          .map((l) => l.length),
      ),
    ).toBeGreaterThan(60);
    const fit = await renderList(['ID', 'Name', 'Networks'], rows, { format: 'table', maxWidth: 60 });
    const lines = fit.trimEnd().split('\n');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(60);
    // the ID cell, wrapped: its pieces, top to bottom, are the whole ID
    const body = lines.slice(lines.findIndex((l) => l.startsWith('├')) + 1, -1);
    expect(body.map((l) => l.split('│')[1].trim()).join('')).toBe('72125f76-b747-4609-8a41-34ed4d70f4f3');
    // --fit-width uses the terminal's width; without a terminal width it does nothing
    expect(
      await renderList(['ID', 'Name', 'Networks'], rows, { format: 'table', fitWidth: true, terminalWidth: 50 }),
    ).not.toBe(wide);
    expect(await renderList(['ID', 'Name', 'Networks'], rows, { format: 'table', fitWidth: true })).toBe(wide);
  });

  it('-f shell: variables named as cliff names them, values quoted for eval, with --prefix', async () => {
    expect(shellName('OS-EXT-STS:vm_state')).toBe('os_ext_sts_vm_state');
    expect(shellName('Task State')).toBe('task_state');
    expect(shellQuote('a "b" $c `d` \\e')).toBe('"a \\"b\\" \\$c \\`d\\` \\\\e"');
    expect(
      await renderShow({ id: 'a', 'OS-EXT-AZ:availability_zone': 'nova' }, { format: 'shell', prefix: 's_' }),
    ).toBe('s_os_ext_az_availability_zone="nova"\ns_id="a"\n');
  });

  it('declares the options once: lists sort, shows take --prefix', () => {
    const flags = (k: 'list' | 'show') =>
      outputOptions(k).map((a) => a.flags.split(' ').find((f) => f.startsWith('--')));
    expect(flags('list')).toEqual([
      '--format',
      '--column',
      '--max-width',
      '--fit-width',
      '--sort-column',
      '--sort-ascending',
      '--sort-descending',
    ]);
    expect(flags('show')).toEqual(['--format', '--column', '--max-width', '--fit-width', '--prefix']);
  });
});
