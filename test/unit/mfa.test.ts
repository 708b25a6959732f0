/**
 * Multi-factor logins (Keystone's auth receipts, keystone/auth/core.py; keystoneauth's v3totp,
 * v3multifactor and ReceiptMethod) against a mocked Keystone shaped like the real one's answers,
 * and the prompts a terminal gets (no echo): the TOTP passcode, a missing password.
 */
import { describe, expect, it } from 'vitest';
import { FakeTty, runNcli } from '../support/io.js';
import { KEYSTONE, lowerHeaders, mockAgent, tokenBody } from '../support/mock-nova.js';
import { resolveConfig } from '../../src/config/options.js';
import { Authenticator } from '../../src/identity/keystone.js';
import { Transport } from '../../src/http/transport.js';

const ENV = {
  OS_AUTH_URL: `${KEYSTONE}/v3`,
  OS_USERNAME: 'mfa',
  OS_PASSWORD: 'pw',
  OS_PROJECT_NAME: 'demo',
  OS_CACHE: 'false',
};
const RECEIPT = 'rcpt-gAAAAA';

interface Seen {
  body: { auth: { identity: { methods: string[]; totp?: { user: { passcode: string } } } } };
  headers: Record<string, string>;
}

/** A Keystone whose user needs password+totp: password alone gets a receipt; totp (with it) a token. */
function mfaKeystone(validPasscode = '123456') {
  const agent = mockAgent();
  const seen: Seen[] = [];
  agent
    .get(KEYSTONE)
    .intercept({ path: '/v3/auth/tokens', method: 'POST' })
    .reply((req) => {
      const body = JSON.parse(req.body as string) as Seen['body'];
      const headers = lowerHeaders(req.headers);
      seen.push({ body, headers });
      const methods = new Set(body.auth.identity.methods);
      if (headers['openstack-auth-receipt'] === RECEIPT) methods.add('password');
      const passcodeOk = body.auth.identity.totp?.user.passcode === validPasscode;
      if (methods.has('password') && methods.has('totp') && passcodeOk) {
        return {
          statusCode: 201,
          data: JSON.stringify(tokenBody()),
          responseOptions: { headers: { 'x-subject-token': 'tokMFA' } },
        };
      }
      if (methods.has('totp') && !passcodeOk) {
        return {
          statusCode: 401,
          data: JSON.stringify({
            error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' },
          }),
        };
      }
      return {
        statusCode: 401,
        data: JSON.stringify({
          receipt: { methods: ['password'], expires_at: '2030-01-01T00:05:00.000000Z', user: { id: 'u1' } },
          required_auth_methods: [['password', 'totp']],
        }),
        responseOptions: { headers: { 'openstack-auth-receipt': RECEIPT, 'content-type': 'application/json' } },
      };
    })
    .persist();
  return { agent, seen };
}

describe('multi-factor login', () => {
  it('without a terminal: one line saying a TOTP passcode is needed and how to pass it', async () => {
    const k = mfaKeystone();
    const r = await runNcli(['token', 'issue'], ENV, { dispatcher: k.agent, tokenStore: null });
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr:
        `ncli: Keystone at ${KEYSTONE}/v3 wants a TOTP passcode for user 'mfa' (domain default) (multi-factor auth) and there is no terminal to ask for it; ` +
        'pass it with --os-passcode or OS_PASSCODE (on a terminal, ncli asks for it).\n',
    });
    expect(k.seen).toHaveLength(1);
  });

  it('--os-passcode sends password and totp in one request', async () => {
    const k = mfaKeystone();
    const r = await runNcli(['--os-passcode', '123456', 'token', 'issue', '-f', 'value', '-c', 'id'], ENV, {
      dispatcher: k.agent,
      tokenStore: null,
    });
    expect(r).toEqual({ code: 0, stdout: 'tokMFA\n', stderr: '' });
    expect(k.seen.map((s) => s.body.auth.identity.methods)).toEqual([['password', 'totp']]);
  });

  it('v3multifactor with OS_PASSCODE, from the environment', async () => {
    const k = mfaKeystone();
    const env = { ...ENV, OS_AUTH_TYPE: 'v3multifactor', OS_AUTH_METHODS: 'v3password,v3totp', OS_PASSCODE: '123456' };
    const r = await runNcli(['token', 'issue', '-f', 'value', '-c', 'id'], env, {
      dispatcher: k.agent,
      tokenStore: null,
    });
    expect(r.stdout).toBe('tokMFA\n');
  });

  it('on a terminal: asks for the passcode without echo and completes the login with the receipt', async () => {
    const k = mfaKeystone();
    const cfg = await resolveConfig({}, ENV);
    const questions: string[] = [];
    const auth = new Authenticator(
      cfg,
      new Transport({ timeoutSeconds: 5, dispatcher: k.agent }),
      null,
      Date.now,
      async (q) => {
        questions.push(q);
        return '123456';
      },
    );
    expect(await auth.getToken()).toBe('tokMFA');
    expect(questions).toEqual([`TOTP passcode for user 'mfa' (domain default) at ${KEYSTONE}/v3: `]);
    expect(k.seen[1].headers['openstack-auth-receipt']).toBe(RECEIPT);
    expect(k.seen[1].body.auth.identity.methods).toEqual(['totp']);
    expect(k.seen[1].body.auth.identity).not.toHaveProperty('password');
  });

  it('a wrong passcode is refused in one line naming the passcode', async () => {
    const k = mfaKeystone();
    const r = await runNcli(['--os-passcode', '000000', 'token', 'issue'], ENV, {
      dispatcher: k.agent,
      tokenStore: null,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^ncli: Keystone at .* refused user 'mfa' .*check the user name, password and TOTP passcode \(it changes every 30 s\)/,
    );
  });

  it('the whole terminal flow in-process: the prompt on stderr, no echo, the code typed', async () => {
    const k = mfaKeystone();
    const stdin = new FakeTty();
    const run = runNcli(
      ['token', 'issue', '-f', 'value', '-c', 'id'],
      ENV,
      { dispatcher: k.agent, tokenStore: null },
      { tty: true, stdin },
    );
    await until(() => stdin.modes.length === 1);
    stdin.write('12345');
    stdin.write('7\u007f6\r'); // a typo, Backspace, the right digit, Enter
    const r = await run;
    expect(r.stdout).toBe('tokMFA\n');
    expect(r.stderr).toBe(`TOTP passcode for user 'mfa' (domain default) at ${KEYSTONE}/v3: \n`);
    expect(stdin.modes).toEqual([true, false]);
  });

  it('asks for a missing password on a terminal', async () => {
    const k = mfaKeystone();
    const stdin = new FakeTty();
    const env = { ...ENV, OS_PASSWORD: undefined, OS_PASSCODE: '123456' };
    const run = runNcli(
      ['token', 'issue', '-f', 'value', '-c', 'id'],
      env,
      { dispatcher: k.agent, tokenStore: null },
      { tty: true, stdin },
    );
    await until(() => stdin.modes.length === 1);
    stdin.write('pw\r');
    const r = await run;
    expect(r.stderr).toBe("Password for user 'mfa': \n");
    expect(r.stdout).toBe('tokMFA\n');
  });

  it('v3totp alone without a passcode and no terminal; v3multifactor without its methods', async () => {
    const agent = mockAgent();
    const totp = await runNcli(['--os-auth-type', 'v3totp', 'token', 'issue'], ENV, {
      dispatcher: agent,
      tokenStore: null,
    });
    expect(totp).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/wants a TOTP passcode for user 'mfa'/) as string,
    });
    const multi = await runNcli(['--os-auth-type', 'v3multifactor', 'token', 'issue'], ENV, {
      dispatcher: agent,
      tokenStore: null,
    });
    expect(multi.stderr).toBe(
      'ncli: v3multifactor needs its methods: pass --os-auth-methods v3password,v3totp (or set OS_AUTH_METHODS, clouds.yaml auth_methods).\n',
    );
  });
});

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('--debug of a multi-factor login', () => {
  it('shows neither the password, the passcode nor the receipt', async () => {
    const k = mfaKeystone();
    const stdin = new FakeTty();
    const run = runNcli(
      ['--debug', 'token', 'issue', '-f', 'value', '-c', 'user_id'],
      ENV,
      { dispatcher: k.agent, tokenStore: null },
      { tty: true, stdin },
    );
    await until(() => stdin.modes.length === 1);
    stdin.write('123456\r');
    const r = await run;
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('REQ: POST');
    expect(r.stderr).not.toContain('123456');
    expect(r.stderr).not.toContain(RECEIPT);
    expect(r.stderr).not.toMatch(/"password":"pw"/);
    expect(r.stderr).not.toContain('tokMFA');
  });
});
