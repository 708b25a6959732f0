import { describe, expect, it } from 'vitest';
import { cellText, renderList, renderShow } from '../../src/cli/output.js';

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
});

describe('show formats', () => {
  const obj = { id: 'a', name: 'vm1', addresses: { net: [{ addr: '10.0.0.1' }] }, locked: false };
  it('json is the resource object; -c selects fields', async () => {
    expect(JSON.parse(await renderShow(obj, 'json'))).toEqual(obj);
    expect(JSON.parse(await renderShow(obj, 'json', ['name', 'locked']))).toEqual({ name: 'vm1', locked: false });
  });
  it('value prints one field per line; table shows Field/Value', async () => {
    expect(await renderShow(obj, 'value', ['id', 'locked'])).toBe('a\nfalse\n');
    expect(await renderShow(obj, 'table')).toMatch(/│ addresses\s+│ \{"net":\[\{"addr":"10\.0\.0\.1"\}\]\}/);
  });
  it('renders cells', () => {
    expect(cellText(undefined)).toBe('');
    expect(cellText(0)).toBe('0');
    expect(cellText({ a: 1 })).toBe('{"a":1}');
  });
});
