/**
 * Keystone projects (src/identity/projects.ts) against the real Keystone: the projects a token may
 * be scoped to (`GET /v3/auth/projects`), which a federated login without a configured project
 * chooses from (src/identity/oidc.ts). Only projects that stay are asserted (the fixture projects
 * of cloud.env): other test files add projects and roles all the time.
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import YAML from 'yaml';
import { projectsOfToken } from '../../src/identity/projects.js';
import { Transport } from '../../src/http/transport.js';
import { keystoneToken, type Credentials } from '../support/cloud-api.js';
import { CLOUDS_YAML, cloudFacts, describeCloud } from '../support/cloud.js';

type DemoClouds = { clouds: Record<string, { auth: { username: string; password: string } }> };

describeCloud('the projects a token may be scoped to', () => {
  const facts = cloudFacts();
  const transport = new Transport({ timeoutSeconds: 60 });

  it('names the admin project for admin and the demo project for demo, each with its ID and name', async () => {
    const admin = await projectsOfToken(transport, facts.KEYSTONE_URL, (await keystoneToken()).id);
    expect(admin).toContainEqual(expect.objectContaining({ id: facts.ADMIN_PROJECT_ID, name: 'admin' }));
    const demoAuth = (YAML.parse(readFileSync(CLOUDS_YAML, 'utf8')) as DemoClouds).clouds['devcloud-demo'].auth;
    const demoUser: Credentials = { username: demoAuth.username, password: demoAuth.password, project: 'demo' };
    const demo = await projectsOfToken(transport, facts.KEYSTONE_URL, (await keystoneToken(demoUser)).id);
    expect(demo).toContainEqual(expect.objectContaining({ id: facts.DEMO_PROJECT_ID, name: 'demo' }));
    expect(demo.map((p) => p.id)).not.toContain(facts.ADMIN_PROJECT_ID);
  });
});
