/**
 * The kinds of named resources ncli remembers for shell completion (the names cache,
 * src/config/names-cache.ts) and resolves by name: one list, so that a new resource is one entry
 * here and one resource description (src/compute/resources/). A kind is also the word of
 * messages ("No hypervisor with a name or ID of 'x' exists.").
 */
export const NAME_KINDS = [
  'server',
  'flavor',
  'image',
  'hypervisor',
  'aggregate',
  'compute-service',
  'availability-zone',
  'keypair',
  'server-group',
  'migration',
  'volume',
  'network',
  'port',
  'security-group',
  'project',
] as const;

/** A kind of named resource (see {@link NAME_KINDS}). */
export type NameKind = (typeof NAME_KINDS)[number];

/** Whether `s` is one of {@link NAME_KINDS}. */
export function isNameKind(s: unknown): s is NameKind {
  return typeof s === 'string' && (NAME_KINDS as readonly string[]).includes(s);
}
