/**
 * Nova's policy refusals of the operator APIs (hypervisors, aggregates, zones in detail, services,
 * migrations): their default rule is `rule:context_is_admin` (nova/policies/hypervisors.py,
 * aggregates.py, availability_zone.py), so a 403 there almost always means the caller lacks the
 * admin role. One line naming what was refused, Nova's words and the fix.
 */
import { NcliError } from '../errors.js';
import { ApiError } from '../http/errors.js';

/** Nova's policy refused an admin API to this user (`REFUSED`, HTTP 403). */
export class AdminRequiredError extends NcliError {
  override readonly name = 'AdminRequiredError';
  constructor(message: string, cause: ApiError) {
    super('REFUSED', message, { cause });
  }
}

/**
 * `e` worded for a person when it is a 403: "Listing hypervisors needs an admin role: Nova's
 * policy refused it (Policy doesn't allow … to be performed.) (HTTP 403, request req-…); use the
 * credentials of a user with the admin role." Anything else is returned
 * unchanged.
 * @param what the refused operation as a sentence subject (`Listing hypervisors`)
 */
export function adminRefusal(e: unknown, what: string): unknown {
  if (!(e instanceof ApiError) || e.status !== 403) return e;
  const req = e.requestId ? `, request ${e.requestId}` : '';
  return new AdminRequiredError(
    `${what} needs an admin role: Nova's policy refused it (${e.serverMessage.replace(/\.$/, '')}) (HTTP 403${req}); ` +
      'use the credentials of a user with the admin role.',
    e,
  );
}

/** Runs `fn`, turning a 403 into {@link AdminRequiredError} for `what`. */
export async function asAdmin<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw adminRefusal(e, what);
  }
}
