/**
 * Shell quoting for completion. bash hands a completion function the words as typed
 * (`COMP_WORDS`, quotes and backslashes included), and readline inserts what the function returns
 * verbatim: so ncli removes the quoting from the words it is given, and quotes what it returns,
 * the way bash itself would (`printf %q`) or, inside an open quote, the way that quote needs.
 * zsh needs none of this: its shim passes `${(Q)…}` words and `compadd` quotes the matches.
 */

/** A word with its shell quoting removed. */
export interface Unquoted {
  value: string;
  /** The quote left open at the end of the word (`'we`), and where it starts. */
  open?: { quote: "'" | '"'; index: number };
}

/**
 * Removes bash quoting from one word as typed: `\x`, `'…'`, `"…"` (where `\` escapes only
 * `$ \` " \\` and newline) and `$'…'` (basic escapes). Tolerant: an unclosed quote at the end
 * (the user is still typing) is reported in `open`, a trailing lone backslash dropped. Never throws.
 */
export function unquoteBash(raw: string): Unquoted {
  let value = '';
  let i = 0;
  while (i < raw.length) {
    const c = raw[i];
    if (c === '\\') {
      if (i + 1 < raw.length && raw[i + 1] !== '\n') value += raw[i + 1];
      i += 2;
    } else if (c === "'" || (c === '$' && raw[i + 1] === "'")) {
      const ansi = c === '$';
      const start = i;
      i += ansi ? 2 : 1;
      let closed = false;
      while (i < raw.length) {
        const d = raw[i];
        if (d === "'") {
          closed = true;
          i++;
          break;
        }
        if (ansi && d === '\\' && i + 1 < raw.length) {
          const e = raw[i + 1];
          value += ({ n: '\n', t: '\t', r: '\r', e: '\x1b', a: '\x07' } as Record<string, string>)[e] ?? e;
          i += 2;
          continue;
        }
        value += d;
        i++;
      }
      if (!closed) return { value, open: { quote: "'", index: ansi ? start + 1 : start } };
    } else if (c === '"') {
      const start = i++;
      let closed = false;
      while (i < raw.length) {
        const d = raw[i];
        if (d === '"') {
          closed = true;
          i++;
          break;
        }
        if (d === '\\' && i + 1 < raw.length && '$`"\\\n'.includes(raw[i + 1])) {
          if (raw[i + 1] !== '\n') value += raw[i + 1];
          i += 2;
          continue;
        }
        value += d;
        i++;
      }
      if (!closed) return { value, open: { quote: '"', index: start } };
    } else {
      value += c;
      i++;
    }
  }
  return { value };
}

/**
 * Backslash-escapes every character a bare bash word can't hold as is (as `printf %q`); a newline
 * becomes `$'\n'`, since bash drops a backslash-newline (a line continuation).
 */
export function escapeBare(s: string): string {
  return s.replace(/[^A-Za-z0-9_@%+=:,./-]/g, (c) => (c === '\n' ? "$'\\n'" : `\\${c}`));
}

/** Escapes text going inside an open `'` or `"` quote (readline adds the closing quote). */
export function escapeInQuote(s: string, quote: "'" | '"'): string {
  return quote === "'" ? s.replace(/'/g, "'\\''") : s.replace(/[\\"$`]/g, '\\$&');
}

/**
 * What bash should insert for `candidate` when the word typed is `raw` (readline inserts it
 * verbatim, replacing the word). Outside quotes: the candidate escaped as `printf %q` would, or,
 * when that would not start with what was typed up to a `=` or `:` (where bash splits words, see
 * the shims), the typed text plus the escaped rest. Inside an open quote readline replaces only
 * the text after the quote and closes it itself, so the reply is the candidate from there on,
 * escaped for that quote. `candidate` is expected to start with the unquoted word.
 * Examples: `we` + `web 1` → `web\ 1`; `'we` + `web 1` → `web 1` (readline makes it `'web 1'`);
 * `--format=j` + `--format=json` → `--format=json`.
 */
export function bashReplacement(raw: string, candidate: string): string {
  const u = unquoteBash(raw);
  if (u.open) {
    const before = unquoteBash(raw.slice(0, u.open.index)).value;
    return escapeInQuote(candidate.startsWith(before) ? candidate.slice(before.length) : candidate, u.open.quote);
  }
  const safe = escapeBare(candidate);
  const upToBreak = raw.slice(0, Math.max(raw.lastIndexOf('='), raw.lastIndexOf(':')) + 1);
  if (safe.startsWith(upToBreak) || !candidate.startsWith(u.value)) return safe;
  return raw + escapeBare(candidate.slice(u.value.length));
}

/** The longest common prefix of `words` ('' for none). */
export function commonPrefix(words: readonly string[]): string {
  if (words.length === 0) return '';
  let p = words[0];
  for (const w of words) {
    let i = 0;
    while (i < p.length && i < w.length && p[i] === w[i]) i++;
    p = p.slice(0, i);
  }
  return p;
}

/**
 * The reply for bash (see the bash shim): a directive (`:words`, or `:nospace` when the one
 * reply is a common prefix the user will complete further) and the lines for `COMPREPLY`.
 * - one candidate: it, quoted ({@link bashReplacement});
 * - several: the typed text followed by each candidate's rest as is, so that readline lists the
 *   names as they are and inserts only their common part (as for any bash completion: first TAB
 *   the common part, second TAB the list);
 * - except when that common part would need quoting (`my server 1`, `my server 2` after `m`):
 *   readline would insert it raw, so the reply is that common part alone, quoted, with no space
 *   after it; the next TAB lists the names.
 */
export function bashReply(
  raw: string,
  candidates: readonly string[],
): { directive: ':words' | ':nospace'; lines: string[] } {
  if (candidates.length === 0) return { directive: ':words', lines: [] };
  if (candidates.length === 1) return { directive: ':words', lines: [bashReplacement(raw, candidates[0])] };
  const u = unquoteBash(raw);
  const common = commonPrefix(candidates);
  const more = common.startsWith(u.value) ? common.slice(u.value.length) : '';
  const quoted = u.open ? escapeInQuote(more, u.open.quote) : escapeBare(more);
  if (quoted !== more) return { directive: ':nospace', lines: [bashReplacement(raw, common)] };
  const typed = u.open ? raw.slice(u.open.index + 1) : raw;
  return {
    directive: ':words',
    lines: candidates.map((c) => typed + (c.startsWith(u.value) ? c.slice(u.value.length) : c)),
  };
}
