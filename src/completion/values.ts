/**
 * Values completion offers for options that take free text (not checked as `choices` are): the
 * server statuses of `server list --status`, `auto`/`none` for `server create --network`, and the
 * columns of each list command for `--sort-column` and `-c/--column`. Kept here, as data, because
 * the TAB path reads the manifest and never a command handler (src/cli/complete.ts); a unit test
 * (test/unit/completion-values.test.ts) checks the columns against what the commands print.
 */

/**
 * Nova's server statuses (api-ref compute "List Servers" `status` query parameter; the same list
 * as python-openstackclient's `server list --status` choices, openstackclient/compute/v2/server.py).
 */
export const SERVER_STATUSES = [
  'ACTIVE',
  'BUILD',
  'DELETED',
  'ERROR',
  'HARD_REBOOT',
  'MIGRATING',
  'PASSWORD',
  'PAUSED',
  'REBOOT',
  'REBUILD',
  'RESCUE',
  'RESIZE',
  'REVERT_RESIZE',
  'SHELVED',
  'SHELVED_OFFLOADED',
  'SHUTOFF',
  'SOFT_DELETED',
  'SUSPENDED',
  'VERIFY_RESIZE',
] as const;

/**
 * The columns of each list command (with `--long`), as its table and `-f json` keys name them
 * (src/commands/server.ts, flavor.ts, server/event.ts).
 */
export const LIST_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  'server list': [
    'ID',
    'Name',
    'Status',
    'Task State',
    'Power State',
    'Networks',
    'Image Name',
    'Image ID',
    'Flavor',
    'Availability Zone',
    'Host',
    'Properties',
    'Host Status',
  ],
  'flavor list': ['ID', 'Name', 'RAM', 'Disk', 'Ephemeral', 'VCPUs', 'Is Public'],
  'server event list': ['Request ID', 'Server ID', 'Action', 'Start Time', 'Message', 'Project ID', 'User ID'],
};

/** Values of free-text options, by `GROUP COMMAND --option`. */
const OPTION_VALUES: Readonly<Record<string, readonly string[]>> = {
  'server list --status': SERVER_STATUSES,
  // `server create --network` takes auto, none or a network name or ID (names complete from the names cache)
  'server create --network': ['auto', 'none'],
};

/**
 * The values to offer for option `long` of command `group command`, or undefined.
 * @param group e.g. `server`, `server event`
 * @param command e.g. `list`
 * @param long e.g. `--status`, `--sort-column`, `--column`
 */
export function optionValues(group: string, command: string, long: string): readonly string[] | undefined {
  if (long === '--sort-column' || long === '--column') return LIST_COLUMNS[`${group} ${command}`];
  return OPTION_VALUES[`${group} ${command} ${long}`];
}
