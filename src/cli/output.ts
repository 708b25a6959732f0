/**
 * Output formats for lists and shows, as python-openstackclient's cliff formatters do
 * (cliff/formatters/*): `table` (cli-table3), `json`, `yaml`, `value` (space-separated),
 * `csv`; `-c COLUMN` (repeatable) selects and orders columns. A JSON list is an array of objects
 * keyed by column name; a JSON show is the resource's own object.
 */
import { UsageError } from '../errors.js';

export const LIST_FORMATS = ['table', 'json', 'yaml', 'value', 'csv'] as const;
export const SHOW_FORMATS = ['table', 'json', 'yaml', 'value'] as const;
export type Format = (typeof LIST_FORMATS)[number];

export type Row = Record<string, unknown>;

/** Plain-text rendering of a cell value: objects as compact JSON, null/undefined as ''. */
export function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

function chooseColumns(available: string[], wanted: string[] | undefined): string[] {
  if (!wanted || wanted.length === 0) return available;
  const byLower = new Map(available.map((c) => [c.toLowerCase(), c]));
  return wanted.map((w) => {
    const c = available.includes(w) ? w : byLower.get(w.toLowerCase());
    if (!c) throw new UsageError(`Unknown column '${w}'; choose from: ${available.join(', ')}.`);
    return c;
  });
}

function csvCell(v: unknown): string {
  const s = cellText(v);
  return typeof v === 'number' ? s : `"${s.replace(/"/g, '""')}"`;
}

async function table(head: string[], rows: string[][]): Promise<string> {
  const { default: Table } = await import('cli-table3');
  const t = new Table({ head, style: { head: [], border: [] } });
  for (const r of rows) t.push(r);
  // One rule under the header only, as python-openstackclient's tables: cli-table3 draws one
  // between every row, so drop all but the first.
  let seen = false;
  return t
    .toString()
    .split('\n')
    .filter((line) => !line.startsWith('├') || (!seen && (seen = true)))
    .join('\n');
}

/**
 * Renders rows under `columns`.
 * @throws UsageError for an unknown `-c` column
 */
export async function renderList(
  columns: string[],
  rows: Row[],
  format: Format = 'table',
  selected?: string[],
): Promise<string> {
  const cols = chooseColumns(columns, selected);
  switch (format) {
    case 'json':
      return (
        JSON.stringify(
          rows.map((r) => Object.fromEntries(cols.map((c) => [c, r[c] ?? null]))),
          null,
          2,
        ) + '\n'
      );
    case 'yaml': {
      const { stringify } = await import('yaml');
      return rows.length ? stringify(rows.map((r) => Object.fromEntries(cols.map((c) => [c, r[c] ?? null])))) : '[]\n';
    }
    case 'value':
      return rows.map((r) => cols.map((c) => cellText(r[c])).join(' ') + '\n').join('');
    case 'csv':
      return (
        [cols.map((c) => `"${c}"`).join(','), ...rows.map((r) => cols.map((c) => csvCell(r[c])).join(','))].join('\n') +
        '\n'
      );
    default:
      return (
        (await table(
          cols,
          rows.map((r) => cols.map((c) => cellText(r[c]))),
        )) + '\n'
      );
  }
}

/**
 * Renders one resource's fields.
 * @throws UsageError for an unknown `-c` field
 */
export async function renderShow(obj: Row, format: Format = 'table', selected?: string[]): Promise<string> {
  const fields = chooseColumns(Object.keys(obj), selected);
  const picked = Object.fromEntries(fields.map((f) => [f, obj[f]]));
  switch (format) {
    case 'json':
      return JSON.stringify(picked, null, 2) + '\n';
    case 'yaml': {
      const { stringify } = await import('yaml');
      return stringify(picked);
    }
    case 'value':
      return fields.map((f) => cellText(picked[f]) + '\n').join('');
    case 'csv':
      return [fields.map((f) => `"${f}"`).join(','), fields.map((f) => csvCell(picked[f])).join(',')].join('\n') + '\n';
    default:
      return (
        (await table(
          ['Field', 'Value'],
          fields.map((f) => [f, cellText(picked[f])]),
        )) + '\n'
      );
  }
}
