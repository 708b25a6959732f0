/**
 * The shapes of the answers ncli reads, checked with valibot (a schema per response, next to the
 * API code that reads it), so that a service answering `null`, `{"servers": {…}}` or another
 * API's JSON is one line naming the request and what was expected — never a TypeError deep in a
 * handler. Schemas check only the fields ncli reads (`looseObject` keeps every other field).
 */
import * as v from 'valibot';
import { NcliError } from '../errors.js';
import { redactUrl } from '../redact.js';

/** What a body was supposed to be, for the message: the request and a description (`a server list`). */
export interface ShapeContext {
  method: string;
  url: string;
  /** `compute`, `identity`, `image`. */
  service: string;
  /** What the answer should have been, as a noun phrase: `a list of servers`. */
  expected: string;
}

/** `servers[2].id`, from a valibot issue's path. */
function pathOf(issue: v.BaseIssue<unknown>): string {
  let out = '';
  for (const item of issue.path ?? []) {
    const key = (item as { key?: unknown }).key;
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string') out += out ? `.${key}` : key;
  }
  return out;
}

/** `an object`, `null`, `a string`, … for the message. */
function describeValue(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  if (x === undefined) return 'nothing';
  return typeof x === 'object' ? 'an object' : `a ${typeof x}`;
}

/** valibot's `expected` (`Object`, `Array`, `string`, `"vnc" | "spice"`) as words. */
function describeExpected(e: string | null): string {
  if (!e) return 'something else';
  const words: Record<string, string> = {
    Object: 'an object',
    Array: 'an array',
    string: 'a string',
    number: 'a number',
    boolean: 'true or false',
  };
  return e
    .split(' | ')
    .map((x) => words[x] ?? x)
    .join(' or ');
}

/**
 * The body, checked against `schema`.
 * @throws NcliError `BAD_RESPONSE` "GET url answered JSON that is not a list of servers (servers:
 *   an object where an array was expected)."
 */
export function checkShape<S extends v.GenericSchema>(schema: S, body: unknown, ctx: ShapeContext): v.InferOutput<S> {
  const r = v.safeParse(schema, body);
  if (r.success) return r.output;
  const issue = r.issues[0];
  const where = pathOf(issue);
  const detail =
    issue.input === undefined && where
      ? `${where} is missing`
      : `${where ? `${where}: ` : ''}${describeValue(issue.input)} where ${describeExpected(issue.expected)} was expected`;
  throw new NcliError(
    'BAD_RESPONSE',
    `${ctx.method} ${redactUrl(ctx.url)} answered JSON that is not ${ctx.expected} (${detail}); is that endpoint really the ${ctx.service} API?`,
  );
}
