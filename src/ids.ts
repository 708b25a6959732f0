/**
 * What an OpenStack UUID looks like: 32 hex digits, with or without the dashes (Nova and
 * Keystone accept both forms; python-novaclient's `uuidutils.is_uuid_like`).
 */
export const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
