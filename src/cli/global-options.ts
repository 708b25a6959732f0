/**
 * The global options every command accepts, as data (read by the parser, help and completion).
 * Names, variables and meaning follow python-openstackclient (`openstack --help`).
 */
import type { ArgSpec } from './spec.js';

export const INTERFACES = ['public', 'internal', 'admin'] as const;

/** Global `--os-*` and run options. `env` names the variable that sets the same thing. */
export const GLOBAL_OPTIONS: (ArgSpec & { env?: string })[] = [
  { flags: '--os-cloud <name>', help: 'Cloud name in clouds.yaml', env: 'OS_CLOUD', complete: 'cloud' },
  { flags: '--os-auth-url <url>', help: 'Keystone URL, e.g. https://keystone:5000/v3', env: 'OS_AUTH_URL' },
  {
    flags: '--os-auth-type <type>',
    help: 'password, v3applicationcredential or token (default: inferred)',
    env: 'OS_AUTH_TYPE',
    choices: ['password', 'v3password', 'v3applicationcredential', 'token', 'v3token'],
  },
  { flags: '--os-username <name>', help: 'User name', env: 'OS_USERNAME' },
  { flags: '--os-user-id <id>', help: 'User ID', env: 'OS_USER_ID' },
  {
    flags: '--os-password <password>',
    help: 'Password (prefer OS_PASSWORD or clouds.yaml/secure.yaml)',
    env: 'OS_PASSWORD',
  },
  { flags: '--os-project-name <name>', help: 'Project to scope to', env: 'OS_PROJECT_NAME' },
  { flags: '--os-project-id <id>', help: 'Project ID to scope to', env: 'OS_PROJECT_ID' },
  { flags: '--os-user-domain-name <name>', help: "User's domain name", env: 'OS_USER_DOMAIN_NAME' },
  { flags: '--os-user-domain-id <id>', help: "User's domain ID", env: 'OS_USER_DOMAIN_ID' },
  { flags: '--os-project-domain-name <name>', help: "Project's domain name", env: 'OS_PROJECT_DOMAIN_NAME' },
  { flags: '--os-project-domain-id <id>', help: "Project's domain ID", env: 'OS_PROJECT_DOMAIN_ID' },
  { flags: '--os-domain-name <name>', help: 'Domain to scope to (instead of a project)', env: 'OS_DOMAIN_NAME' },
  { flags: '--os-domain-id <id>', help: 'Domain ID to scope to', env: 'OS_DOMAIN_ID' },
  {
    flags: '--os-application-credential-id <id>',
    help: 'Application credential ID',
    env: 'OS_APPLICATION_CREDENTIAL_ID',
  },
  {
    flags: '--os-application-credential-name <name>',
    help: 'Application credential name (with --os-username)',
    env: 'OS_APPLICATION_CREDENTIAL_NAME',
  },
  {
    flags: '--os-application-credential-secret <secret>',
    help: 'Application credential secret',
    env: 'OS_APPLICATION_CREDENTIAL_SECRET',
  },
  { flags: '--os-token <token>', help: 'An existing Keystone token', env: 'OS_TOKEN' },
  { flags: '--os-region-name <region>', help: 'Region of the endpoints to use', env: 'OS_REGION_NAME' },
  { flags: '--os-interface <interface>', help: 'Endpoint interface', env: 'OS_INTERFACE', choices: INTERFACES },
  { flags: '--os-cacert <file>', help: 'PEM bundle of CAs to trust for TLS', env: 'OS_CACERT', complete: 'file' },
  { flags: '--insecure', help: 'Do not verify TLS certificates (unsafe)' },
  {
    flags: '--os-compute-api-version <version>',
    help: 'Compute microversion: 2.N or latest (default: newest both sides support)',
    env: 'OS_COMPUTE_API_VERSION',
  },
  { flags: '--no-cache', help: 'Neither read nor write the token cache (also OS_CACHE=false)' },
  { flags: '--timeout <seconds>', help: 'Per-request timeout in seconds (default 30)' },
  { flags: '--debug', help: 'Print each HTTP request and response (secrets redacted) and stack traces' },
  { flags: '--timings', help: 'Print a table of API calls and their durations at the end' },
];
