/**
 * openstackclient's last compute words, against the real cloud with `openstack` as the oracle:
 * the sub-words (`server resize confirm|revert`, `server migrate confirm|revert`, `console log
 * show`: src/cli/main.ts `addSubwords`), `aggregate cache image` (seen in nova-conductor's log, as
 * Nova answers 202 and nothing else), `limits show --absolute` with Cinder's rows (in a project of
 * this file's own, `s3-words`, whose volume quota it sets) and `availability zone list` with
 * compute, volume and network zones. Its server and aggregate are named s3-words-<pid>… and
 * deleted in afterAll.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  CLOUD_DIR,
  cloudEnv,
  cloudFacts,
  describeCloud,
  ensureTestProject,
  freshCache,
  ncli,
  openstack,
  openstackEnv,
  run as runCmd,
  ok,
} from '../support/cloud.js';
import { withComputeHost2 } from '../support/cloud-api.js';

const PREFIX = `s3-words-${process.pid}`;
const PROJECT = 's3-words';
const LONG = 300_000;

type Json = Record<string, unknown>;

describeCloud('openstackclient’s last compute words against the real cloud', () => {
  const facts = cloudFacts();
  const env = cloudEnv({}, freshCache());
  const run = (args: string[], e = env) => ncli(args, e, { timeoutMs: 240_000 });
  const json = async (args: string[], e = env) => JSON.parse(ok(await run([...args, '-f', 'json'], e))) as unknown;
  const osc = async (args: string[]) => JSON.parse(ok(await openstack([...args, '-f', 'json']))) as unknown;
  const server = `${PREFIX}-vm`;
  const aggregate = `${PREFIX}-agg`;

  beforeAll(async () => {
    await ensureTestProject(PROJECT, { description: 'ncli test/cloud/words.test.ts' });
    ok(await openstack(['quota', 'set', '--volumes', '7', '--gigabytes', '77', PROJECT]));
  }, LONG);

  afterAll(async () => {
    // a server just out of a resize may still refuse a delete for a moment (409): a few tries
    for (let i = 0; i < 6; i++) {
      const d = await run(['server', 'delete', server, '--wait']);
      if (d.code === 0 || /No server with a name or ID/.test(d.stderr)) break;
      console.warn(`afterAll: ${d.stderr.trim()}`);
      await new Promise((resolve) => setTimeout(resolve, 5000));
    }
    await run(['aggregate', 'remove', 'host', aggregate, facts.COMPUTE1_HOST]);
    await run(['aggregate', 'delete', aggregate]);
  }, LONG);

  const flavorOf = async () => JSON.stringify(((await json(['server', 'show', server])) as Json).flavor);
  const oracleFlavor = async () =>
    JSON.stringify(((await osc(['--os-compute-api-version', '2.47', 'server', 'show', server])) as Json).flavor);

  it(
    'server resize revert|confirm and server migrate confirm run the confirm and revert actions',
    { timeout: 900_000 },
    async () => {
      const boot = [
        'server',
        'create',
        server,
        '--image',
        'devcloud-image',
        '--flavor',
        'm1.tiny',
        '--network',
        'none',
      ];
      ok(await run([...boot, '--wait', '-f', 'value', '-c', 'id']));
      const resize = async (flavor: string) =>
        expect(ok(await run(['server', 'resize', server, '--flavor', flavor, '--wait']))).toMatch(
          new RegExp(`^${server}: resize: VERIFY_RESIZE after `),
        );

      await resize('m1.small');
      // `revert` is no server name here: it is openstackclient's `server resize revert`
      expect(ok(await run(['server', 'resize', 'revert', server, '--wait']))).toMatch(
        new RegExp(`^${server}: resize revert: ACTIVE after `),
      );
      expect(await flavorOf()).toContain('"m1.tiny"');
      expect(await oracleFlavor()).toContain('m1.tiny');

      await resize('m1.small');
      expect(ok(await run(['server', 'migrate', 'confirm', server, '--wait']))).toMatch(
        new RegExp(`^${server}: resize confirmation: ACTIVE after `),
      );
      expect(await flavorOf()).toContain('"m1.small"');
      expect(await oracleFlavor()).toContain('m1.small');

      await resize('m1.tiny');
      ok(await run(['server', 'resize', 'confirm', server, '--wait']));
      expect(await flavorOf()).toContain('"m1.tiny"');
      expect(((await osc(['server', 'show', server])) as Json).status).toBe('ACTIVE');

      // nothing to confirm now: Nova's refusal, one line, not a resize of servers named `confirm`
      const again = await run(['server', 'migrate', 'confirm', server]);
      expect(again.code).toBe(1);
      expect(again.stderr).not.toContain("'confirm'");
    },
  );

  it('console log show prints what openstack console log show prints', { timeout: 120_000 }, async () => {
    for (const lines of [[], ['--lines', '1']]) {
      const mine = ok(await run(['console', 'log', 'show', 'vm1', ...lines]));
      const theirs = ok(await openstack(['console', 'log', 'show', 'vm1', ...lines]));
      expect(mine.trimEnd()).toBe(theirs.trimEnd());
      expect(ok(await run(['console', 'log', 'vm1', ...lines]))).toBe(mine);
    }
  });

  it(
    'aggregate cache image asks the hosts of the aggregate to cache the image (nova-conductor says so)',
    { timeout: 240_000 },
    async () => {
      ok(await run(['aggregate', 'create', aggregate, '-f', 'value', '-c', 'id']));
      ok(await run(['aggregate', 'add', 'host', aggregate, facts.COMPUTE1_HOST, '-f', 'value', '-c', 'id']));
      const r = await run(['aggregate', 'cache', 'image', aggregate, 'devcloud-image']);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(''); // as openstack: nothing to print
      const req = /\(request (req-[0-9a-f-]+)\)\.$/m.exec(r.stderr)?.[1];
      expect(r.stderr).toMatch(
        new RegExp(`^Aggregate ${aggregate} \\(ID \\d+\\): Nova will cache 1 image on its 1 host`),
      );
      expect(req).toBeDefined();
      const log = join(CLOUD_DIR, 'logs', 'nova-conductor.log');
      if (existsSync(log)) {
        const want = `Preparing to request pre-caching of image(s) ${facts.IMAGE_ID} on 1 hosts`;
        let seen = false;
        for (let i = 0; i < 60 && !seen; i++) {
          seen = readFileSync(log, 'utf8')
            .split('\n')
            .some((l) => l.includes(req!) && l.includes(want));
          if (!seen) await new Promise((resolve) => setTimeout(resolve, 1000));
        }
        expect(seen, `${want} (${req}) in ${log}`).toBe(true);
      }
      // one line each: an unknown image, a compute API older than 2.81, a member
      const none = await run(['aggregate', 'cache', 'image', aggregate, `${PREFIX}-no-such-image`]);
      expect(none).toEqual({
        code: 1,
        stdout: '',
        stderr: `ncli: No image with a name or ID of '${PREFIX}-no-such-image' exists.\n`,
      });
      const old = await run(['--os-compute-api-version', '2.80', 'aggregate', 'cache', 'image', aggregate, 'x']);
      expect(old.code).toBe(1);
      expect(old.stderr).toMatch(/^ncli: `ncli aggregate cache image` needs compute API version 2\.81; /);
      const demo = await run(
        ['aggregate', 'cache', 'image', aggregate, 'devcloud-image'],
        cloudEnv({ OS_CLOUD: 'devcloud-demo' }, freshCache()),
      );
      expect(demo.code).toBe(1);
      expect(demo.stderr).toMatch(/needs an admin role/);
      expect(demo.stderr.trim().split('\n')).toHaveLength(1);
    },
  );

  it(
    'limits show --absolute has Cinder’s rows after Nova’s, as openstack, and --project for both',
    { timeout: 180_000 },
    async () => {
      // openstackclient 6 asks Nova at 2.1, and Cinder for the token's own project: scoped into PROJECT
      const inProject = cloudEnv({ OS_PROJECT_NAME: PROJECT }, freshCache());
      const oracle = await runCmd('/usr/bin/openstack', ['limits', 'show', '--absolute', '-f', 'json'], {
        ...openstackEnv('admin', PROJECT),
      });
      const theirs = JSON.parse(ok(oracle)) as Json[];
      expect(theirs).toContainEqual({ Name: 'maxTotalVolumes', Value: 7 });
      const v21 = ['--os-compute-api-version', '2.1', 'limits', 'show', '--absolute'];
      expect(await json(v21, inProject)).toEqual(theirs);
      // from the admin project, --project names PROJECT for Nova and Cinder alike
      const mine = (await json([...v21, '--project', PROJECT])) as Json[];
      expect(mine).toEqual(theirs);
      expect(mine).toContainEqual({ Name: 'maxTotalVolumeGigabytes', Value: 77 });
      // and at ncli's own compute API version: the same volume rows
      const latest = (await json(['limits', 'show', '--absolute', '--project', PROJECT])) as Json[];
      const volumeRows = (rows: Json[]) => rows.slice(rows.findIndex((r) => r.Name === 'maxTotalVolumes'));
      expect(volumeRows(latest)).toEqual(volumeRows(theirs));
      expect(await json(['limits', 'show', '--rate'])).toEqual(await osc(['limits', 'show', '--rate']));
    },
  );

  it(
    'availability zone list: compute, volume and network zones, as openstack, with --long and each kind',
    { timeout: 840_000 },
    async () => {
      // services report every few seconds: compare without Service Status; and other files take
      // compute-2 out of its zone (drain, evacuation): compare while holding its lock, as they do
      await withComputeHost2(() => compareZones());
    },
  );

  /** `availability zone list` with each set of flags, ncli against openstack, taken one after the other. */
  async function compareZones(): Promise<void> {
    const rows = (list: unknown) =>
      (list as Json[]).map(({ 'Service Status': status, ...rest }) => {
        if (status !== undefined) expect(status).toMatch(/^(|(enabled|disabled) (:-\)|XXX) \S+)$/);
        return rest;
      });
    for (const flags of [
      [],
      ['--long'],
      ['--compute'],
      ['--volume', '--long'],
      ['--network'],
      ['--compute', '--volume'],
    ]) {
      const mine = rows(await json(['availability', 'zone', 'list', ...flags]));
      const theirs = rows(await osc(['availability', 'zone', 'list', ...flags]));
      expect([flags.join(' '), mine]).toEqual([flags.join(' '), theirs]);
    }
    const all = rows(await json(['availability', 'zone', 'list']));
    // compute zones (internal, nova), then Cinder's nova
    expect(all.filter((r) => r['Zone Name'] === 'nova')).toHaveLength(2);
  }
});
