/**
 * Completion's shell-word handling (src/completion/shell-words.ts) under random words: quoting
 * and unquoting are inverse, the unquoting agrees with bash itself on words made of every kind
 * of quoting bash knows, and nothing ever throws.
 */
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bashReplacement,
  bashReply,
  escapeBare,
  escapeInQuote,
  unquoteBash,
} from '../../src/completion/shell-words.js';
import { FUZZ_SEED, params } from './fuzz.js';

/** Text a user may type or a server name may hold: any character but NUL (bash cannot hold it). */
const text = fc
  .string({
    unit: fc.oneof(
      fc.string({ minLength: 1, maxLength: 1, unit: 'binary' }),
      fc.constantFrom(' ', "'", '"', '\\', '$', '`', '\n', 'é', '😀'),
    ),
  })
  .map((s) => s.replace(/\0/g, ''));

/** One segment of a bash word, as typed, with the value bash gives it. */
const SAFE = 'abcXYZ019_@%+=:,./-';
const segment = fc.oneof(
  fc.string({ unit: fc.constantFrom(...SAFE), minLength: 1 }),
  // backslash + any character but newline (a line continuation) and NUL
  fc.constantFrom(' ', "'", '"', '$', '`', '\\', '*', '?', '~', '#', '!', 'a', '&', ';', '|').map((c) => `\\${c}`),
  // '…': anything but '
  text.map((s) => `'${s.replace(/'/g, '')}'`),
  // "…": \ escapes $ ` " \ only; others stay (and ! is not special outside an interactive shell)
  text.map((s) => `"${s.replace(/[\\"$`]/g, '\\$&')}"`),
  fc.constantFrom('"a\\b"', '"\\q"', '"x\\\\y"'),
  // $'…' with the basic escapes ncli knows
  fc
    .array(
      fc.oneof(fc.constantFrom('\\n', '\\t', '\\\\', "\\'", '\\e', '\\a', '\\r'), fc.constantFrom('a', ' ', '"', '$')),
    )
    .map((parts) => `$'${parts.join('')}'`),
);
const word = fc.array(segment, { minLength: 1, maxLength: 6 }).map((s) => s.join(''));

describe('shell words (fuzz)', () => {
  it('unquoteBash never throws, on any text at all', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const u = unquoteBash(s);
        expect(typeof u.value).toBe('string');
        if (u.open) expect(s[u.open.index]).toBe(u.open.quote);
      }),
      params(1000),
    );
  });

  it('escapeBare and escapeInQuote are undone by unquoteBash', () => {
    fc.assert(
      fc.property(text, (s) => {
        expect(unquoteBash(escapeBare(s))).toEqual({ value: s });
        expect(unquoteBash(`'${escapeInQuote(s, "'")}'`)).toEqual({ value: s });
        expect(unquoteBash(`"${escapeInQuote(s, '"')}"`)).toEqual({ value: s });
      }),
      params(1000),
    );
  });

  it('a completion reply for a word typed bare unquotes to the candidate', () => {
    fc.assert(
      fc.property(text, fc.nat(), (candidate, cut) => {
        const typed = escapeBare(candidate.slice(0, cut % (candidate.length + 1)));
        expect(unquoteBash(bashReplacement(typed, candidate)).value).toBe(candidate);
        const reply = bashReply(typed, [candidate]);
        expect(reply.lines).toHaveLength(1);
      }),
      params(1000),
    );
  });

  it('unquotes words exactly as bash does (one bash run for a batch of random words)', () => {
    const words = fc.sample(word, { seed: FUZZ_SEED, numRuns: params(300).numRuns! });
    // bash -c: eval each word as printf's argument, NUL-terminated
    const script = 'for w in "$@"; do eval "printf \'%s\\0\' $w"; done';
    const r = spawnSync('bash', ['-c', script, 'bash', ...words], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const fromBash = r.stdout.split('\0').slice(0, -1);
    expect(fromBash).toHaveLength(words.length);
    for (const [i, w] of words.entries()) expect(unquoteBash(w), w).toEqual({ value: fromBash[i] });
  });

  // Found by the properties above: a name holding a newline was escaped as backslash-newline,
  // which bash removes as a line continuation (the completion inserted "ab" for "a\nb").
  it("escapes a newline as $'\\n', which bash reads back as a newline", () => {
    expect(escapeBare('a\nb')).toBe("a$'\\n'b");
    expect(unquoteBash(escapeBare('a\nb'))).toEqual({ value: 'a\nb' });
    const r = spawnSync('bash', ['-c', `eval "printf '%s' ${escapeBare('web 1\nx')}"`], { encoding: 'utf8' });
    expect(r.stdout).toBe('web 1\nx');
  });
});
