/**
 * Output formats for lists and shows, as python-openstackclient's cliff formatters do
 * (cliff/formatters/*, cliff/display.py, cliff/lister.py): `table` (cli-table3), `json`, `yaml`,
 * `value` (space-separated), `csv` for lists, `shell` (`name="value"` lines) for shows; `-c
 * COLUMN` (repeatable) selects columns (kept in their own order, as cliff keeps them). A JSON list is an array of objects keyed by
 * column name; a JSON show is the resource's own object.
 *
 * The controls every list and show share are declared here once ({@link outputOptions}) and
 * added by the parser (src/cli/main.ts) and the completion model (src/completion/engine.ts) alike:
 * `--sort-column COL` (repeatable) with `--sort-ascending|--sort-descending` (lists), `--max-width
 * N` and `--fit-width` (a table that fits the terminal, long cells wrapped: cliff's
 * formatters/table.py `_assign_max_widths`), and `--prefix P` for `-f shell`.
 */
import { UsageError } from '../errors.js';
import type { ArgSpec } from '../arg-spec.js';
import { Formatted, machine } from '../formatted.js';

export { Formatted, machine } from '../formatted.js';

export const LIST_FORMATS = ['table', 'json', 'yaml', 'value', 'csv'] as const;
export const SHOW_FORMATS = ['table', 'json', 'yaml', 'value', 'shell'] as const;
export type Format = (typeof LIST_FORMATS)[number] | (typeof SHOW_FORMATS)[number];

export type Row = Record<string, unknown>;

/**
 * The output options of a list or a show command, as argument specs: `-f/--format` (with
 * `formats`, default `table`), `-c/--column`, and the controls of the module comment.
 * @param formats the `-f` choices (the completion tests pass their own)
 */
export function outputOptions(kind: 'list' | 'show', formats?: readonly string[]): ArgSpec[] {
  const common: ArgSpec[] = [
    {
      flags: '-f, --format <format>',
      help: 'Output format',
      choices: formats ?? (kind === 'list' ? LIST_FORMATS : SHOW_FORMATS),
      default: 'table',
    },
    { flags: '-c, --column <name>', help: 'Column to show (repeat for several)', repeatable: true },
    {
      flags: '--max-width <n>',
      help: 'Fit tables into N characters, wrapping long cells (<1: no limit) [env CLIFF_MAX_TERM_WIDTH]',
      integer: true,
    },
    {
      flags: '--fit-width',
      help: 'Fit tables to the terminal width, wrapping long cells (on a terminal by default) [env CLIFF_FIT_WIDTH=1]',
    },
  ];
  if (kind === 'show') {
    return [...common, { flags: '--prefix <prefix>', help: 'With -f shell: put this before every variable name' }];
  }
  return [
    ...common,
    {
      flags: '--sort-column <column>',
      help: 'Sort the rows by this column (repeat for several, first wins)',
      repeatable: true,
    },
    { flags: '--sort-ascending', help: 'Sort ascending (the default)', conflicts: ['sortDescending'] },
    { flags: '--sort-descending', help: 'Sort descending', conflicts: ['sortAscending'] },
  ];
}

/** How to render: the choices of the output options and the terminal they go to. */
export interface RenderOptions {
  format?: Format;
  /**
   * A show's field order: `sorted` by name (the default, as most openstackclient shows sort
   * theirs), or `given`, the object's own order (the commands whose openstackclient counterpart
   * returns fixed columns, e.g. `server add volume`).
   */
  fieldOrder?: 'sorted' | 'given';
  /** `-c`: columns (fields) to show, in order. */
  columns?: string[];
  /** `--sort-column`: columns to sort by, first wins. */
  sortColumns?: string[];
  /** `--sort-descending`. */
  sortDescending?: boolean;
  /** `--max-width`: the table's width in characters (implies fitting); < 1 or undefined: none. */
  maxWidth?: number;
  /** `--fit-width`: fit the table to `terminalWidth`. */
  fitWidth?: boolean;
  /** The width of the terminal the table goes to, when it is one (columns). */
  terminalWidth?: number;
  /** `--prefix` for `-f shell`. */
  prefix?: string;
}

/** Plain-text rendering of a cell value: objects as compact JSON, null/undefined as ''. */
export function cellText(v: unknown): string {
  if (v instanceof Formatted) return v.text;
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** The column of `available` each wanted name means (exact, else case-insensitive). @throws UsageError */
function resolveColumn(available: string[], w: string, what = 'column'): string {
  if (available.includes(w)) return w;
  const c = available.find((a) => a.toLowerCase() === w.toLowerCase());
  if (!c) throw new UsageError(`Unknown ${what} '${w}'; choose from: ${available.join(', ')}.`);
  return c;
}

/**
 * The columns `-c` picks, as cliff picks them (cliff/display.py `_generate_columns_and_selector`):
 * in the order of `available` (not of `-c`), names that match nothing ignored, and an error only
 * when none matches. Names match exactly, else case-insensitively (an ncli extension).
 * @throws UsageError when no wanted name is a column
 */
function chooseColumns(available: string[], wanted: string[] | undefined): string[] {
  if (!wanted || wanted.length === 0) return available;
  const picked = new Set<string>();
  for (const w of wanted) {
    const c = available.includes(w) ? w : available.find((a) => a.toLowerCase() === w.toLowerCase());
    if (c) picked.add(c);
  }
  if (!picked.size) resolveColumn(available, wanted[0]);
  return available.filter((a) => picked.has(a));
}

/**
 * A value as cliff's `value`, `csv` and `shell` formatters write it (Python's `str()`): null as
 * `None`, booleans as `True`/`False`, absent as ''; objects and arrays as compact JSON where
 * Python writes its repr (`{'a': 1}`), a difference the README lists.
 */
export function scriptText(v: unknown): string {
  v = machine(v);
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  return cellText(v);
}

/** Field names in Python's sorted() order (by code point), as openstackclient's shows print them. */
export function sortedFields(obj: Row): string[] {
  return Object.keys(obj).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Orders two cell values: empty first, numbers by value, booleans false first, the rest as text. */
export function compareCells(a: unknown, b: unknown): number {
  a = machine(a);
  b = machine(b);
  const empty = (x: unknown) => x === null || x === undefined || x === '';
  if (empty(a) || empty(b)) return empty(a) ? (empty(b) ? 0 : -1) : 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  const x = cellText(a);
  const y = cellText(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The rows sorted by `by` (column names, first wins; stable), descending when asked, as cliff's
 * lister does with `--sort-column` (cliff/lister.py).
 * @throws UsageError for a column that is not one of `columns`
 */
export function sortRows(columns: string[], rows: Row[], by: string[] | undefined, descending = false): Row[] {
  if (!by || by.length === 0) return rows;
  const keys = by.map((c) => resolveColumn(columns, c, 'sort column'));
  const sign = descending ? -1 : 1;
  return rows
    .map((r, i) => ({ r, i }))
    .sort((x, y) => {
      for (const k of keys) {
        const c = compareCells(x.r[k], y.r[k]);
        if (c) return sign * c;
      }
      return x.i - y.i;
    })
    .map((x) => x.r);
}

/** A CSV cell as cliff's csv formatter (Python's csv writer, QUOTE_NONNUMERIC) writes it: numbers and booleans bare, the rest quoted. */
function csvCell(v: unknown): string {
  // cliff writes a formatted column as str(machine_readable()): quoted even when a number
  if (v instanceof Formatted) return `"${scriptText(v).replace(/"/g, '""')}"`;
  const s = scriptText(v);
  if (v === null || v === undefined) return '""';
  return typeof v === 'number' || typeof v === 'boolean' ? s : `"${s.replace(/"/g, '""')}"`;
}

/** Wraps `text` into lines of at most `width` characters: at spaces, and inside words longer than that. */
export function wrapText(text: string, width: number): string {
  if (width < 1) return text;
  const out: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (const word of para.split(/(?<=\s)/)) {
      let w = word;
      while (w.length) {
        if (line.length + w.trimEnd().length <= width) {
          line += w;
          w = '';
        } else if (line.trim().length) {
          out.push(line.trimEnd());
          line = '';
          w = w.trimStart();
        } else {
          out.push(w.slice(0, width));
          w = w.slice(width);
        }
      }
    }
    out.push(line.trimEnd());
  }
  return out.join('\n');
}

function textWidth(s: string): number {
  return Math.max(0, ...s.split('\n').map((l) => l.length));
}

/**
 * The widest each column may be so that the table fits `termWidth` (cliff's
 * `TableFormatter._assign_max_widths`): nothing when it fits already; otherwise columns narrower
 * than an even share keep their width and the others share what is left, none below `minWidth`
 * (a table wider than the terminal beats columns narrower than that).
 * @returns one maximum per column (Infinity: unchanged)
 */
export function columnLimits(widths: number[], termWidth: number, minWidth: number): number[] {
  const count = widths.length;
  const total = widths.reduce((s, w) => s + w, 0) + 3 * count + 1;
  if (count === 0 || total <= termWidth) return widths.map(() => Infinity);
  const usable = Math.max(0, termWidth - 1 - 3 * count);
  const even = Math.floor(usable / count);
  let remaining = usable;
  const shrink: number[] = [];
  widths.forEach((w, i) => {
    if (w <= even) remaining -= w;
    else shrink.push(i);
  });
  const limits = widths.map(() => Infinity);
  if (!shrink.length) return limits;
  const share = Math.floor(remaining / shrink.length);
  for (const i of shrink.slice(0, -1)) {
    limits[i] = Math.max(minWidth, share);
    remaining -= share;
  }
  limits[shrink[shrink.length - 1]] = Math.max(minWidth, remaining);
  return limits;
}

const importTable = () => import('cli-table3');
let tableModule: ReturnType<typeof importTable> | undefined;
/** cli-table3, imported once; only tables need it (not `-f json|yaml|value|csv|shell`). */
const loadTable = () => (tableModule ??= importTable());

/**
 * Starts loading the table renderer now, for a table printed later (src/cli/context.ts calls it
 * while the first request waits for its answer). Never throws.
 */
export function preloadTable(): void {
  loadTable().catch(() => undefined);
}

/** The width to fit a table into, or undefined for none: `--max-width` > 0, else the terminal's when fitting. */
function fitWidth(opts: RenderOptions): number | undefined {
  if (opts.maxWidth !== undefined && opts.maxWidth > 0) return opts.maxWidth;
  return opts.fitWidth && opts.terminalWidth && opts.terminalWidth > 0 ? opts.terminalWidth : undefined;
}

async function table(head: string[], rows: string[][], opts: RenderOptions, minWidth: number): Promise<string> {
  const width = fitWidth(opts);
  if (width) {
    const widths = head.map((h, i) => Math.max(textWidth(h), ...rows.map((r) => textWidth(r[i] ?? ''))));
    const limits = columnLimits(widths, width, minWidth);
    rows = rows.map((r) => r.map((c, i) => (limits[i] === Infinity ? c : wrapText(c, limits[i]))));
    head = head.map((h, i) => (limits[i] === Infinity ? h : wrapText(h, limits[i])));
  }
  const { default: Table } = await loadTable();
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

/** Old positional form: `renderList(columns, rows, format, selected)`. */
function asOptions(format: Format | RenderOptions | undefined, selected?: string[]): RenderOptions {
  return typeof format === 'object' ? format : { format, columns: selected };
}

/**
 * Renders rows under `columns`, sorted by `--sort-column` when asked.
 * @param format the format, or every render option
 * @throws UsageError for an unknown `-c` or sort column
 */
export async function renderList(
  columns: string[],
  rows: Row[],
  format?: Format | RenderOptions,
  selected?: string[],
): Promise<string> {
  const opts = asOptions(format, selected);
  const cols = chooseColumns(columns, opts.columns);
  rows = sortRows(columns, rows, opts.sortColumns, opts.sortDescending);
  switch (opts.format) {
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
      return rows.length
        ? stringify(rows.map((r) => Object.fromEntries(cols.map((c) => [c, machine(r[c]) ?? null]))))
        : '[]\n';
    }
    case 'value':
      return rows.map((r) => cols.map((c) => scriptText(r[c])).join(' ') + '\n').join('');
    case 'csv':
      return (
        [cols.map((c) => `"${c}"`).join(','), ...rows.map((r) => cols.map((c) => csvCell(r[c])).join(','))].join('\n') +
        '\n'
      );
    case 'shell':
      throw new UsageError('-f shell is for one resource (a show), not a list; use -f value or -f json.');
    default:
      return (
        (await table(
          cols,
          rows.map((r) => cols.map((c) => cellText(r[c]))),
          opts,
          8,
        )) + '\n'
      );
  }
}

/**
 * A field name as a shell variable, as cliff's shell formatter names it (cliff/formatters/shell.py):
 * lower case, spaces, colons and dashes as `_` (here any other character that a shell name cannot
 * hold too): `OS-EXT-STS:vm_state` → `os_ext_sts_vm_state`.
 */
export function shellName(field: string): string {
  return field.toLowerCase().replace(/[^a-z0-9_]/g, '_');
}

/**
 * A value inside double quotes for `eval`: `\`, `"`, `$` and backquotes escaped (cliff escapes
 * only `"`, which lets `$(…)` in a server's name run under `eval`).
 */
export function shellQuote(value: string): string {
  return `"${value.replace(/[\\"$`]/g, '\\$&')}"`;
}

/**
 * Renders one resource's fields, sorted by name as openstackclient's shows are (`zip(*sorted(info.items()))`)
 * unless `fieldOrder` is `given`.
 * @param format the format, or every render option
 * @throws UsageError for an unknown `-c` field
 */
export async function renderShow(obj: Row, format?: Format | RenderOptions, selected?: string[]): Promise<string> {
  const opts = asOptions(format, selected);
  const fields = chooseColumns(opts.fieldOrder === 'given' ? Object.keys(obj) : sortedFields(obj), opts.columns);
  const picked = Object.fromEntries(fields.map((f) => [f, machine(obj[f])]));
  switch (opts.format) {
    case 'json':
      return JSON.stringify(picked, null, 2) + '\n';
    case 'yaml': {
      const { stringify } = await import('yaml');
      return stringify(picked);
    }
    case 'value':
      return fields.map((f) => scriptText(picked[f]) + '\n').join('');
    case 'shell':
      return fields.map((f) => `${opts.prefix ?? ''}${shellName(f)}=${shellQuote(scriptText(picked[f]))}\n`).join('');
    case 'csv':
      return [fields.map((f) => `"${f}"`).join(','), fields.map((f) => csvCell(picked[f])).join(',')].join('\n') + '\n';
    default:
      return (
        (await table(
          ['Field', 'Value'],
          fields.map((f) => [f, cellText(obj[f])]),
          opts,
          16,
        )) + '\n'
      );
  }
}

/**
 * Several resources of one kind, each as {@link renderShow} shows one: `-f json` and `-f yaml` an
 * array of the objects, `-f value` and `table` one after another. (`server create --min 2 --max 2
 * -f json` prints every server it made.)
 * @throws UsageError for `-f shell` (its variables would overwrite each other) and for an unknown `-c` field
 */
export async function renderShowMany(objs: readonly Row[], format?: Format | RenderOptions): Promise<string> {
  const opts = asOptions(format);
  if (opts.format === 'shell') {
    throw new UsageError('-f shell shows one resource; for several use -f json, yaml or value.');
  }
  if (opts.format === 'json' || opts.format === 'yaml') {
    const picked = objs.map((obj) => {
      const fields = chooseColumns(sortedFields(obj), opts.columns);
      return Object.fromEntries(fields.map((f) => [f, machine(obj[f])]));
    });
    if (opts.format === 'json') return JSON.stringify(picked, null, 2) + '\n';
    const { stringify } = await import('yaml');
    return stringify(picked);
  }
  let out = '';
  for (const obj of objs) out += await renderShow(obj, opts);
  return out;
}
