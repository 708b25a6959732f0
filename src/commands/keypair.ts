/**
 * `ncli keypair list|show|create|delete`: SSH keypairs for server access (Nova "Keypairs";
 * src/compute/keypairs.ts). Words, flags and `-f json` keys as `openstack keypair …`
 * (openstackclient/compute/v2/keypair.py). Without `--public-key`, `create` makes the pair on this
 * machine (ed25519; RSA 4096 where Nova refuses ed25519), since Nova no longer does from compute
 * API 2.92: the private key goes to `--private-key FILE` (0600) or, once, to standard output.
 */
import { readFile, writeFile, chmod } from 'node:fs/promises';
import { command, arg } from '../cli/spec.js';
import { deleteKeypair, getKeypair, importKeypair, listKeypairs } from '../compute/keypairs.js';
import { KEYPAIR, keypairFields } from '../compute/resources/keypair.js';
import { NcliError, UsageError, isNcliError } from '../errors.js';
import { fileErrorReason } from '../fs-reasons.js';
import { checkPublicKey, generateSshKeyPair, type SshKeyPair } from '../ssh-keys.js';

export const help = 'Keypairs (SSH public keys injected into servers)';

const USER = arg('--user <user-id>', "Another user's keypairs (admin; a user ID)", { since: '2.10' });

export const do_list = command(
  {
    help: 'List keypairs',
    fanout: true,
    description: 'Examples:\n  ncli keypair list\n  ncli keypair list --user USER_ID -f json',
    output: 'list',
    args: [
      USER,
      arg('--limit <n>', 'At most this many keypairs (-1: all)', { integer: true, min: -1, since: '2.35' }),
      arg('--marker <name>', 'Start after the keypair with this name', { since: '2.35' }),
    ],
  },
  async (ctx, a) => {
    const keys = await listKeypairs(await ctx.compute(), { userId: a.user, limit: a.limit, marker: a.marker });
    if (!a.user) await ctx.rememberAll(KEYPAIR, keys, a.limit === undefined && !a.marker);
    await ctx.listOf(KEYPAIR, keys);
  },
);

export const do_show = command(
  {
    help: 'Show a keypair (--public-key: only its public key)',
    description: 'Examples:\n  ncli keypair show ops\n  ncli keypair show ops --public-key > ops.pub',
    output: 'show',
    args: [
      arg('<keypair>', 'Keypair name', { complete: 'keypair' }),
      arg('--public-key', 'Print only the public key'),
      USER,
    ],
  },
  async (ctx, a) => {
    const k = await getKeypair(await ctx.compute(), a.keypair, a.user);
    if (a.publicKey) ctx.write((k.public_key ?? '').trimEnd() + '\n');
    else await ctx.show(keypairFields(k));
  },
);

/** The public key file's text, checked. @throws UsageError */
async function readPublicKey(file: string, type: 'ssh' | 'x509'): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`Cannot read the public key file ${file}: ${fileErrorReason(e, file)}.`);
  }
  try {
    return checkPublicKey(text, type);
  } catch (e) {
    throw new UsageError(`The public key file ${file} does not parse: ${(e as Error).message}.`);
  }
}

/** Writes the private key 0600 (an existing file is replaced and made 0600). @throws UsageError */
async function writePrivateKey(file: string, pair: SshKeyPair): Promise<void> {
  try {
    await writeFile(file, pair.privateKey, { mode: 0o600 });
    await chmod(file, 0o600);
  } catch (e) {
    throw new UsageError(`Cannot write the private key to ${file}: ${fileErrorReason(e, file)}.`);
  }
}

export const do_create = command(
  {
    help: 'Create a keypair: import a public key, or make a new pair on this machine',
    description: [
      'With --public-key FILE: POST /os-keypairs with that key (OpenSSH line, or an X.509 PEM with --type x509).',
      'Without it: a new ed25519 pair is made here (node:crypto; RSA 4096 if the cloud refuses ed25519), its',
      'public key sent, and its private key written 0600 to --private-key FILE, or else printed once on',
      'standard output (as openstackclient does). The private key is never logged, also not with --debug.',
      'Examples:',
      '  ncli keypair create ops --public-key ~/.ssh/id_ed25519.pub',
      '  ncli keypair create ci --private-key ./ci.pem',
    ].join('\n'),
    output: 'show',
    args: [
      arg('<name>', 'Name of the new keypair'),
      arg('--public-key <file>', 'Public key file to import', { complete: 'file', conflicts: ['privateKey'] }),
      arg('--private-key <file>', 'Where to write the private key of a new pair (0600)', {
        complete: 'file',
        conflicts: ['publicKey'],
      }),
      arg('--type <type>', 'ssh (default) or x509', { choices: ['ssh', 'x509'] as const, since: '2.2' }),
      USER,
    ],
  },
  async (ctx, a) => {
    const type = a.type ?? 'ssh';
    if (type === 'x509' && !a.publicKey)
      throw new UsageError('--type x509 needs --public-key FILE (a PEM certificate).');
    const compute = await ctx.compute();
    const send = (publicKey: string) =>
      importKeypair(compute, { name: a.name, publicKey, type: a.type, userId: a.user });
    if (a.publicKey) {
      const created = await send(await readPublicKey(a.publicKey, type));
      await ctx.rememberAll(KEYPAIR, [created], false);
      await ctx.show(keypairFields(created));
      return;
    }
    let pair = generateSshKeyPair('ed25519', a.name);
    let created;
    try {
      created = await send(pair.publicKey);
    } catch (e) {
      // a cloud too old for ed25519 answers 400 "Keypair data is invalid": a new RSA pair, once
      if (!(isNcliError(e, 'REFUSED') && /invalid/i.test(e.message))) throw e;
      ctx.debug('the cloud refused an ed25519 key; making an RSA 4096 pair instead');
      pair = generateSshKeyPair('rsa', a.name);
      created = await send(pair.publicKey);
    }
    await ctx.rememberAll(KEYPAIR, [created], false);
    if (a.privateKey) {
      await writePrivateKey(a.privateKey, pair);
      await ctx.show(keypairFields(created));
    } else {
      ctx.write(pair.privateKey);
    }
  },
);

export const do_delete = command(
  {
    help: 'Delete keypairs',
    description: 'Example:\n  ncli keypair delete ops ci',
    args: [arg('<keypair...>', 'Keypair names', { complete: 'keypair' }), USER],
  },
  async (ctx, a) => {
    const compute = await ctx.compute();
    let failed = 0;
    for (const name of a.keypair) {
      try {
        await deleteKeypair(compute, name, a.user);
      } catch (e) {
        if (!(e instanceof NcliError) || a.keypair.length === 1) throw e;
        failed++;
        ctx.warn(`ncli: ${e.message}`);
      }
    }
    await ctx.rememberNames('keypair', [], { complete: false, forget: a.keypair });
    if (failed) throw new NcliError('FAILED', `${failed} of ${a.keypair.length} keys failed to delete.`);
  },
);
