/**
 * The CA bundle of `--os-cacert` / `OS_CACERT`, read for the API transport and for the console
 * tunnel alike.
 */
import { readFileSync } from 'node:fs';
import { CaBundleError } from './errors.js';

/**
 * Reads a PEM CA bundle.
 * @param path the file
 * @param from how the user named it, for the message (e.g. `given by --os-cacert/OS_CACERT`)
 * @throws CaBundleError "Cannot read the CA bundle PATH FROM: ENOENT."
 */
export function readCaBundle(path: string, from: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new CaBundleError(
      `Cannot read the CA bundle ${path} ${from}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`,
    );
  }
}
