/**
 * Human words for a failed file operation (Node's `fs` errno codes, as strerror(3) words them),
 * so that every "Cannot read/write FILE" message says "no such file or directory: /nope" rather
 * than `ENOENT`. The analogue of net-reasons.ts for files. Only `node:fs` and `node:path`.
 */
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';

/** strerror(3)'s words for the codes a file operation meets. */
const REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  EEXIST: 'file exists',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in system',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
  EBUSY: 'device or resource busy',
  ETXTBSY: 'text file busy',
  EIO: 'input/output error',
  ENXIO: 'no such device or address',
  ENODEV: 'no such device',
  EINVAL: 'invalid argument',
  EAGAIN: 'resource temporarily unavailable',
};

/**
 * Of a path that does not exist, the first missing level (`/nope` for `/nope/shot.png` when `/`
 * exists): what the person has to create or correct.
 */
function firstMissing(path: string): string {
  let p = path;
  for (let up = dirname(p); up !== p && !existsSync(up); up = dirname(up)) p = up;
  return p;
}

/**
 * One line for a failed file operation on `path`: `no such file or directory: /nope` (the first
 * missing level of the path), `permission denied: /etc/shadow`, `is a directory: /tmp`… For a code
 * not in the table, Node's own words (its message without the code and the syscall); for
 * something that is not a file-system error, its message.
 *
 * @param e what `fs` threw (or emitted)
 * @param path the path the operation was given (Node's `e.path` when it has one wins)
 * @returns no trailing period, never a stack
 */
export function fileErrorReason(e: unknown, path?: string): string {
  const err = e as NodeJS.ErrnoException | undefined;
  const where = typeof err?.path === 'string' ? err.path : path;
  const code = typeof err?.code === 'string' ? err.code : undefined;
  let words = code ? REASONS[code] : undefined;
  if (!words) {
    const msg = String(err?.message ?? e).split('\n')[0];
    // "EXDEV: cross-device link not permitted, rename 'a' -> 'b'" → "cross-device link not permitted"
    words = /^[A-Z0-9_]+: (.*?)(?:, \w+ '.*)?$/.exec(msg)?.[1] ?? msg;
    words = words.replace(/\.$/, '');
  }
  if (where === undefined) return words;
  return `${words}: ${code === 'ENOENT' ? firstMissing(where) : where}`;
}
