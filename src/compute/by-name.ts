/**
 * A name to exactly one resource, as openstacksdk's `find_*` do after the ID lookup failed: the
 * items whose name is exactly `ref`; one is the answer, several are ambiguous, none is not found.
 * Shared by servers, flavors (src/compute/find.ts) and images (src/compute/images.ts).
 */
import { NotFoundError } from '../errors.js';

/** Escapes regular-expression metacharacters (for Nova's REGEXP name filters). */
export function escapeRegex(s: string): string {
  return s.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
}

/**
 * The one item of `found` named exactly `ref`, or the error to throw.
 * @param kind `server`, `flavor`, `image`: the word of the messages
 * @returns the item; a NotFoundError "No server with a name or ID of 'x' exists.", or one with
 *   code `AMBIGUOUS` and the IDs ("More than one server is named 'x' (id1, id2); use an ID …")
 */
export function exactlyOne<T extends { id: string; name?: string | null }>(
  kind: string,
  ref: string,
  found: readonly T[],
): T | NotFoundError {
  const exact = found.filter((x) => x.name === ref);
  if (exact.length === 1) return exact[0];
  if (exact.length > 1) {
    const ids = exact.map((x) => x.id);
    return new NotFoundError(
      `More than one ${kind} is named '${ref}' (${ids.join(', ')}); use an ID to be more specific.`,
      { ids },
    );
  }
  return new NotFoundError(`No ${kind} with a name or ID of '${ref}' exists.`);
}
