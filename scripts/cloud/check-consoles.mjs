#!/usr/bin/env node
// Smoke test of the test cloud's consoles, through the real Nova API and proxies:
//   * serial: POST /servers/{id}/remote-consoles (serial, microversion 2.6) -> ws:// URL of
//     nova-serialproxy; expects the login banner, then checks that bytes echo back, with two
//     clients at once;
//   * vnc: the noVNC URL's token through nova-novncproxy -> "RFB 003.008\n" from Xvnc;
//   * vnc over TLS: the same through nginx, wss://127.0.0.1:$NOVNC_TLS_PORT (harness CA);
//   * spice: the spice-html5 URL's token through nova-spicehtml5proxy -> a SPICE link reply
//     ("REDQ", protocol 2.2, error 0) from QEMU's SPICE server, for a main-channel link message;
//   * rdp: records Nova's refusal ([rdp] enabled = false).
// Usage: node scripts/cloud/check-consoles.mjs [--ttl]   (--ttl also checks that a console
// token is refused after [consoleauth] token_ttl = 30 s; adds ~35 s)
// Reads $NCLI_CLOUD_DIR/cloud.env (default /tmp/ncli-cloud). Exit code 0 = all good.
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';

const dir = process.env.NCLI_CLOUD_DIR || '/tmp/ncli-cloud';
const env = Object.fromEntries(
  readFileSync(`${dir}/cloud.env`, 'utf8')
    .split('\n')
    .filter((l) => /^[A-Z_0-9]+=/.test(l))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
);
const checkTtl = process.argv.includes('--ttl');
let failures = 0;
const ok = (msg) => console.log(`ok    ${msg}`);
const bad = (msg) => {
  failures++;
  console.log(`FAIL  ${msg}`);
};

async function token() {
  const body = {
    auth: {
      identity: {
        methods: ['password'],
        password: {
          user: {
            name: 'admin',
            domain: { id: 'default' },
            password: 'secret',
          },
        },
      },
      scope: { project: { name: 'admin', domain: { id: 'default' } } },
    },
  };
  const r = await fetch(`${env.KEYSTONE_URL}/auth/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (r.status !== 201) throw new Error(`keystone answered ${r.status}`);
  return r.headers.get('x-subject-token');
}

async function remoteConsole(tok, protocol, type) {
  const r = await fetch(`${env.NOVA_URL}/servers/${env.VM1_ID}/remote-consoles`, {
    method: 'POST',
    headers: { 'X-Auth-Token': tok, 'Content-Type': 'application/json', 'OpenStack-API-Version': 'compute 2.6' },
    body: JSON.stringify({ remote_console: { protocol, type } }),
  });
  return { status: r.status, body: await r.json().catch(() => null) };
}

// Open a WebSocket, collect incoming bytes; resolves helpers once open.
function open(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { ca: url.startsWith('wss:') ? readFileSync(env.CLOUD_CA) : undefined });
    let buf = Buffer.alloc(0);
    const waiters = [];
    ws.on('message', (d) => {
      buf = Buffer.concat([buf, Buffer.from(d)]);
      waiters.forEach((w) => w());
    });
    ws.on('error', () => {}); // websockify's close frame (1005) makes ws raise: ignore
    ws.on('close', (code) => {
      ws.closedWith = code;
      waiters.forEach((w) => w());
    });
    ws.on('open', () =>
      resolve({
        ws,
        received: () => buf,
        // wait until the received bytes contain `text` (or timeout)
        waitFor: (text, ms = 5000) =>
          new Promise((res) => {
            const check = () => {
              if (buf.includes(text) || ws.closedWith) {
                clearTimeout(t);
                res(buf.includes(text));
              }
            };
            const t = setTimeout(() => res(buf.includes(text)), ms);
            waiters.push(check);
            check();
          }),
      }),
    );
    ws.on('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    setTimeout(() => reject(new Error('connect timeout')), 5000);
  });
}

async function main() {
  const tok = await token();

  // ---- serial console through nova-serialproxy
  const serial = await remoteConsole(tok, 'serial', 'serial');
  if (serial.status !== 200) {
    bad(`serial remote-console: ${serial.status} ${JSON.stringify(serial.body)}`);
  } else {
    const url = serial.body.remote_console.url;
    ok(`serial console URL ${url}`);
    const a = await open(url);
    const b = await open(url); // a second client at the same time, same token
    for (const [name, c] of [
      ['client 1', a],
      ['client 2', b],
    ]) {
      if (await c.waitFor('devcloud-vm1 login: ')) ok(`serial ${name}: banner "\\r\\ndevcloud-vm1 login: "`);
      else bad(`serial ${name}: no banner, got ${JSON.stringify(c.received().toString())}`);
    }
    a.ws.send(Buffer.from('root\r'));
    b.ws.send(Buffer.from([0x00, 0xff, 0x1b, 0x5b, 0x41])); // binary, incl. NUL, 0xff, ESC [ A
    if (await a.waitFor('login: root\r')) ok('serial client 1: "root\\r" echoed back');
    else bad(`serial client 1: echo missing, got ${JSON.stringify(a.received().toString())}`);
    if (await b.waitFor(Buffer.from([0x00, 0xff, 0x1b, 0x5b, 0x41]))) ok('serial client 2: binary bytes echoed back');
    else bad(`serial client 2: echo missing, got ${b.received().toString('hex')}`);
    a.ws.terminate();
    b.ws.terminate();

    if (checkTtl) {
      console.log('...   waiting 35 s for the console token to expire (token_ttl = 30)');
      await new Promise((r) => setTimeout(r, 35000));
      try {
        const late = await open(url);
        const got = await late.waitFor('login:', 3000);
        if (!got && late.ws.closedWith)
          ok(`expired serial token: upgrade accepted, then closed (${late.ws.closedWith})`);
        else bad('expired serial token still works');
        late.ws.terminate();
      } catch (e) {
        ok(`expired serial token refused: ${e.message}`);
      }
    }
  }

  // ---- VNC through nova-novncproxy
  const vnc = await remoteConsole(tok, 'vnc', 'novnc');
  if (vnc.status !== 200) {
    bad(`vnc remote-console: ${vnc.status}`);
  } else {
    const u = new URL(vnc.body.remote_console.url);
    const inner = new URLSearchParams(u.searchParams.get('path').replace(/^\?/, ''));
    const wsUrl = `ws://${u.host}/?token=${inner.get('token')}`;
    for (const url of [wsUrl, `wss://127.0.0.1:${env.NOVNC_TLS_PORT}/?token=${inner.get('token')}`]) {
      const c = await open(url);
      if (await c.waitFor('RFB 003.008\n')) ok(`vnc ${url.replace(/token=.*/, 'token=…')}: "RFB 003.008"`);
      else bad(`vnc: got ${JSON.stringify(c.received().toString())}`);
      c.ws.terminate();
    }
  }

  // ---- SPICE through nova-spicehtml5proxy to QEMU
  const spice = await remoteConsole(tok, 'spice', 'spice-html5');
  if (spice.status !== 200) {
    bad(`spice remote-console: ${spice.status} ${JSON.stringify(spice.body)}`);
  } else {
    const u = new URL(spice.body.remote_console.url);
    const wsUrl = `ws://${u.host}/?token=${u.searchParams.get('token')}`;
    // SpiceLinkHeader ("REDQ", 2, 2, size 18) + SpiceLinkMess (main channel, no caps, caps offset 18)
    const link = Buffer.alloc(34);
    link.write('REDQ', 0, 'ascii');
    link.writeUInt32LE(2, 4);
    link.writeUInt32LE(2, 8);
    link.writeUInt32LE(18, 12);
    link.writeUInt8(1, 20);
    link.writeUInt32LE(18, 30);
    const c = await open(wsUrl);
    c.ws.send(link);
    const got = (await c.waitFor('REDQ')) && c.received();
    if (got && got.length >= 20 && got.readUInt32LE(4) === 2 && got.readUInt32LE(16) === 0)
      ok(`spice ${wsUrl.replace(/token=.*/, 'token=…')}: link reply "REDQ" 2.${got.readUInt32LE(8)}, error 0`);
    else bad(`spice: got ${c.received().toString('hex').slice(0, 80)}`);
    c.ws.terminate();
  }

  // ---- rdp: off on purpose
  const rdp = await remoteConsole(tok, 'rdp', 'rdp-html5');
  console.log(`info  rdp-html5 request: HTTP ${rdp.status} ${JSON.stringify(rdp.body)}`);
  if (rdp.status === 400) ok('rdp refused with 400');
  else bad(`rdp: expected 400, got ${rdp.status}`);

  console.log(failures ? `${failures} check(s) failed` : 'all console checks passed');
  process.exit(failures ? 1 : 0);
}

main().catch((e) => {
  console.error('ERROR', e.message);
  process.exit(1);
});
