/**
 * Runs around every test (vitest `setupFiles`): MockAgents made by test/support/mock-nova.ts must
 * have had every interceptor called, so a test cannot pass while the code skipped a request it
 * was supposed to make (gh's httpmock `Verify()`).
 */
import { afterEach } from 'vitest';
import { agentsToVerify } from './mock-nova.js';

afterEach(async () => {
  const agents = agentsToVerify.splice(0);
  try {
    for (const a of agents) a.assertNoPendingInterceptors();
  } finally {
    await Promise.all(agents.map((a) => a.close()));
  }
});
