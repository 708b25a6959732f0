/**
 * Keypairs against the real cloud, with openstackclient as the oracle: a public key imported, a
 * pair made by ncli (its private key 0600, read by ssh-keygen), list and show `-f json` key by
 * key against `openstack keypair …`, one-line refusals (a name taken, a file that is no public
 * key), and delete. Keypairs are named kp-<pid>-… and deleted in afterAll.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { cloudEnv, describeCloud, freshCache, ncli, openstack, ok } from '../support/cloud.js';

const PREFIX = `kp-${process.pid}`;

describeCloud('keypairs against the real cloud', () => {
  const env = cloudEnv({}, freshCache());
  const run = (args: string[]) => ncli(args, env, { timeoutMs: 120_000 });
  const dir = mkdtempSync(join(tmpdir(), 'ncli-kp-'));

  afterAll(async () => {
    for (const n of ['import', 'made', 'printed']) await run(['keypair', 'delete', `${PREFIX}-${n}`]);
  });

  it('imports a public key and shows it as openstack keypair show does, key by key', async () => {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'test', '-f', join(dir, 'imp')]);
    const mine = JSON.parse(
      ok(await run(['keypair', 'create', `${PREFIX}-import`, '--public-key', join(dir, 'imp.pub'), '-f', 'json'])),
    ) as Record<string, unknown>;
    const theirs = JSON.parse(
      (await openstack(['keypair', 'show', `${PREFIX}-import`, '-f', 'json'])).stdout,
    ) as Record<string, unknown>;
    expect(Object.keys(mine).sort()).toEqual(Object.keys(theirs).sort());
    for (const k of ['fingerprint', 'name', 'type', 'user_id', 'id', 'is_deleted'])
      expect([k, mine[k]]).toEqual([k, theirs[k]]);
    const shown = JSON.parse(ok(await run(['keypair', 'show', `${PREFIX}-import`, '-f', 'json']))) as Record<
      string,
      unknown
    >;
    for (const [k, v] of Object.entries(theirs)) expect([k, shown[k]]).toEqual([k, v]);
    expect(ok(await run(['keypair', 'show', `${PREFIX}-import`, '--public-key']))).toBe(
      readFileSync(join(dir, 'imp.pub'), 'utf8').trim() + '\n',
    );
  });

  it('makes a pair here: the private key 0600, read by ssh-keygen, its public half what Nova has', async () => {
    const key = join(dir, 'made.key');
    ok(await run(['keypair', 'create', `${PREFIX}-made`, '--private-key', key]));
    expect(statSync(key).mode & 0o777).toBe(0o600);
    const derived = execFileSync('ssh-keygen', ['-y', '-f', key], { encoding: 'utf8' }).trim();
    const pub = ok(await run(['keypair', 'show', `${PREFIX}-made`, '--public-key'])).trim();
    expect(pub.split(' ').slice(0, 2)).toEqual(derived.split(' ').slice(0, 2));
    expect(pub).toMatch(/^ssh-ed25519 /);
    // without --private-key the private key is printed once, nothing else
    const printed = ok(await run(['keypair', 'create', `${PREFIX}-printed`]));
    expect(printed).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----\n[\s\S]+\n-----END OPENSSH PRIVATE KEY-----\n$/);
  });

  it('lists as openstack keypair list does, and refuses a taken name and a file that is no public key', async () => {
    const mine = JSON.parse(ok(await run(['keypair', 'list', '-f', 'json']))) as Record<string, unknown>[];
    const theirs = JSON.parse((await openstack(['keypair', 'list', '-f', 'json'])).stdout) as Record<string, unknown>[];
    const pick = (rows: Record<string, unknown>[]) =>
      rows
        .filter((r) => String(r.Name).startsWith(PREFIX))
        .sort((a, b) => String(a.Name).localeCompare(String(b.Name)));
    expect(pick(mine)).toEqual(pick(theirs));
    const taken = await run(['keypair', 'create', `${PREFIX}-import`, '--public-key', join(dir, 'imp.pub')]);
    expect([taken.code, taken.stderr]).toEqual([
      1,
      `ncli: A keypair named '${PREFIX}-import' already exists; choose another name or delete it first.\n`,
    ]);
    const priv = await run(['keypair', 'create', `${PREFIX}-bad`, '--public-key', join(dir, 'imp')]);
    expect([priv.code, priv.stderr]).toEqual([
      2,
      `ncli: The public key file ${join(dir, 'imp')} does not parse: it is a private key; give the public key (the .pub file).\n`,
    ]);
    const gone = await run(['keypair', 'delete', `${PREFIX}-import`, `${PREFIX}-nosuch`]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe(
      `ncli: No keypair named '${PREFIX}-nosuch' exists (keypairs belong to one user).\nncli: 1 of 2 keys failed to delete.\n`,
    );
    expect((await openstack(['keypair', 'show', `${PREFIX}-import`])).code).not.toBe(0);
  });
});
