/**
 * Cells with two faces, as cliff's `FormattableColumn` and osc-lib's format_columns
 * (osc_lib/cli/format_columns.py): the machine value that `-f json|yaml|value|csv|shell` write
 * and the text a table shows. Base level: the compute resources build them, src/cli/output.ts
 * renders them.
 */

/**
 * A value with two faces, as cliff's `FormattableColumn`: `value` is what `-f json|yaml|value|csv|shell`
 * write (its `machine_readable()`), `text` what a table shows (`human_readable()`), e.g. a
 * server's networks as `{"private": ["10.0.0.5"]}` and `private=10.0.0.5`.
 */
export class Formatted {
  constructor(
    readonly value: unknown,
    readonly text: string,
  ) {}
  toJSON(): unknown {
    return this.value;
  }
}

/** The machine value of a cell (a {@link Formatted}'s `value`, else the cell itself). */
export function machine(v: unknown): unknown {
  return v instanceof Formatted ? v.value : v;
}

/**
 * A dict as osc-lib's `format_dict` shows it in a table (`a='1', b='2'`, keys sorted, nested
 * keys dotted); `-f json` keeps the object (format_columns.DictColumn).
 */
export function dictCell(d: Record<string, unknown> | null | undefined): Formatted {
  const text = (o: Record<string, unknown>, prefix?: string): string =>
    Object.keys(o)
      .sort()
      .map((k) => {
        const key = prefix ? `${prefix}.${k}` : k;
        const val = o[k];
        if (val && typeof val === 'object' && !Array.isArray(val)) return text(val as Record<string, unknown>, key);
        return val === null || val === undefined
          ? `${key}=`
          : `${key}='${typeof val === 'string' ? val : JSON.stringify(val)}'`;
      })
      .filter((part) => part !== '')
      .join(', ');
  return new Formatted(d ?? {}, text(d ?? {}));
}

/** A list as format_columns.ListColumn shows it: `a, b` in a table, the array in `-f json`. */
export function listCell(l: readonly unknown[] | null | undefined): Formatted {
  return new Formatted(l ?? [], (l ?? []).map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(', '));
}
