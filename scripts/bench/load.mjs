#!/usr/bin/env node
/**
 * Load cases of `npm run bench` (issue 18 §5; scripts/bench/README.md "Load"):
 *
 * - `server list` of BENCH_LOAD_SERVERS (default 10,000) servers in pages of BENCH_LOAD_PAGE (default
 *   1,000: Nova's default `[api] max_limit`), against a fake Keystone + Nova + Glance (a node:http
 *   server in a child process: `node load.mjs serve N PAGE`; its servers are shaped as the real
 *   cloud's `GET /servers/detail` at 2.96, about 1.7 KB each): ncli warm and cold, wall time, CPU
 *   time (user + system) and peak RSS (GNU time `%M`), median of BENCH_LOAD_RUNS (3).
 * - the tunnel soak (scripts/bench/soak.mjs), unless BENCH_NO_SOAK=1.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const NCLI = join(ROOT, 'bin/ncli');
const num = (k, d) => (process.env[k] ? Number(process.env[k]) : d);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n ? (n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2) : NaN;
};

/** The fake cloud (`serve` mode): prints `port P` once listening. */
function serve(count, pageSize) {
  const image = 'ddc363a1-af9a-46a5-9691-9e664bf0065a';
  const project = 'e2ba97c208fa485c97670f1edaecde36';
  let base = '';
  const servers = Array.from({ length: count }, (_, i) => {
    const id = randomUUID();
    return {
      id,
      name: `load-${String(i + 1).padStart(5, '0')}`,
      status: 'ACTIVE',
      tenant_id: project,
      user_id: '380c487a48af49fb8e93b08279aca37a',
      metadata: {},
      hostId: 'd100f6ccd569817cc5232e9d448c4d80d99b6bc836a696a14dcdf78c',
      image: { id: image, links: [{ rel: 'bookmark', href: `http://127.0.0.1/images/${image}` }] },
      flavor: { vcpus: 1, ram: 512, disk: 1, ephemeral: 0, swap: 0, original_name: 'm1.tiny', extra_specs: {} },
      created: '2026-12-06T16:36:35Z',
      updated: '2026-12-06T16:36:46Z',
      addresses: { private: [{ version: 4, addr: `10.0.${(i >> 8) & 255}.${i & 255}`, 'OS-EXT-IPS:type': 'fixed' }] },
      accessIPv4: '',
      accessIPv6: '',
      links: [
        { rel: 'self', href: `http://127.0.0.1/v2.1/servers/${id}` },
        { rel: 'bookmark', href: `http://127.0.0.1/servers/${id}` },
      ],
      'OS-DCF:diskConfig': 'MANUAL',
      progress: 0,
      'OS-EXT-AZ:availability_zone': 'nova',
      config_drive: '',
      key_name: null,
      'OS-SRV-USG:launched_at': '2026-12-06T16:36:42.000000',
      'OS-SRV-USG:terminated_at': null,
      'OS-EXT-SRV-ATTR:host': 'devcloud-compute',
      'OS-EXT-SRV-ATTR:instance_name': `instance-${i.toString(16).padStart(8, '0')}`,
      'OS-EXT-SRV-ATTR:hypervisor_hostname': 'devcloud-compute',
      'OS-EXT-SRV-ATTR:reservation_id': 'r-lmlh9y2b',
      'OS-EXT-SRV-ATTR:launch_index': i,
      'OS-EXT-SRV-ATTR:hostname': `load-${i + 1}`,
      'OS-EXT-SRV-ATTR:kernel_id': '',
      'OS-EXT-SRV-ATTR:ramdisk_id': '',
      'OS-EXT-SRV-ATTR:root_device_name': '/dev/sda',
      'OS-EXT-SRV-ATTR:user_data': null,
      'OS-EXT-STS:task_state': null,
      'OS-EXT-STS:vm_state': 'active',
      'OS-EXT-STS:power_state': 1,
      'os-extended-volumes:volumes_attached': [],
      locked: false,
      locked_reason: null,
      description: null,
      tags: [],
      trusted_image_certificates: null,
      host_status: 'UP',
    };
  });
  const json = (res, status, body, headers = {}) => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      ...headers,
    });
    res.end(text);
  };
  const s = http.createServer((req, res) => {
    const url = new URL(req.url, base);
    if (req.method === 'POST' && url.pathname === '/v3/auth/tokens') {
      req.resume();
      const ep = (type, path) => ({
        type,
        name: type,
        id: type,
        endpoints: [{ id: type, interface: 'public', region_id: 'RegionOne', region: 'RegionOne', url: base + path }],
      });
      return json(
        res,
        201,
        {
          token: {
            methods: ['password'],
            expires_at: new Date(Date.now() + 3600_000).toISOString(),
            user: { id: 'u1', name: 'admin', domain: { id: 'default', name: 'Default' } },
            project: { id: project, name: 'admin', domain: { id: 'default', name: 'Default' } },
            catalog: [ep('compute', '/v2.1'), ep('image', '/image')],
          },
        },
        { 'x-subject-token': 'gAAAAAload' },
      );
    }
    if (url.pathname === '/v2.1/' || url.pathname === '/v2.1') {
      return json(res, 200, { version: { id: 'v2.1', status: 'CURRENT', version: '2.96', min_version: '2.1' } });
    }
    if (url.pathname === '/v2.1/servers/detail') {
      const marker = url.searchParams.get('marker');
      const limit = Math.min(pageSize, Number(url.searchParams.get('limit') || pageSize));
      const from = marker ? servers.findIndex((x) => x.id === marker) + 1 : 0;
      const page = servers.slice(from, from + limit);
      const body = { servers: page };
      if (page.length === limit && from + limit <= servers.length)
        body.servers_links = [
          { rel: 'next', href: `${base}/v2.1/servers/detail?limit=${limit}&marker=${page.at(-1).id}` },
        ];
      return json(res, 200, body);
    }
    if (url.pathname === '/image/v2/images') {
      return json(res, 200, { images: [{ id: image, name: 'devcloud-image', status: 'active' }] });
    }
    json(res, 404, { itemNotFound: { code: 404, message: `no ${url.pathname}` } });
  });
  s.listen(0, '127.0.0.1', () => {
    base = `http://127.0.0.1:${s.address().port}`;
    process.stdout.write(`port ${s.address().port}\n`);
  });
}

/** One run under GNU time: wall, CPU (user + system) seconds, peak RSS MiB, printed rows. */
function timedRun(argv, env) {
  const r = spawnSync('/usr/bin/time', ['-f', '@@time %e %U %S %M', ...argv], {
    env,
    encoding: 'utf8',
    maxBuffer: 256 << 20,
    timeout: 300_000,
  });
  const m = /@@time ([\d.]+) ([\d.]+) ([\d.]+) (\d+)\s*$/.exec(r.stderr || '');
  if (r.status !== 0 || !m) throw new Error(`${argv.join(' ')}: exit ${r.status}: ${(r.stderr || '').slice(-400)}`);
  const rows = (r.stdout.match(/^[|│] [0-9a-f]{8}-/gm) || []).length;
  return { wall: Number(m[1]), cpu: Number(m[2]) + Number(m[3]), rssMiB: Number(m[4]) / 1024, rows };
}

/** The `server list` case; returns its figures. */
export async function bigListBench({ log = (s) => process.stderr.write(`[load] ${s}\n`) } = {}) {
  const count = num('BENCH_LOAD_SERVERS', 10_000);
  const page = num('BENCH_LOAD_PAGE', 1000);
  const runs = num('BENCH_LOAD_RUNS', 3);
  const fake = spawn(process.execPath, [fileURLToPath(import.meta.url), 'serve', String(count), String(page)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const tmp = mkdtempSync(join(tmpdir(), 'ncli-load-'));
  try {
    const port = await new Promise((res, rej) => {
      fake.stdout.on('data', (d) => {
        const m = /port (\d+)/.exec(String(d));
        if (m) res(Number(m[1]));
      });
      fake.once('exit', (c) => rej(new Error(`the fake cloud exited ${c}`)));
    });
    const env = {};
    for (const [k, v] of Object.entries(process.env)) if (!/^(OS_|XDG_CACHE_HOME$)/.test(k)) env[k] = v;
    Object.assign(env, {
      OS_AUTH_URL: `http://127.0.0.1:${port}/v3`,
      OS_USERNAME: 'admin',
      OS_PASSWORD: 'secret',
      OS_PROJECT_NAME: 'admin',
      OS_USER_DOMAIN_NAME: 'Default',
      OS_PROJECT_DOMAIN_NAME: 'Default',
      OS_REGION_NAME: 'RegionOne',
    });
    const argv = [process.execPath, NCLI, 'server', 'list'];
    const warmEnv = { ...env, XDG_CACHE_HOME: join(tmp, 'warm') };
    log(`server list of ${count} servers in pages of ${page}: ${runs} runs warm and cold`);
    timedRun(argv, warmEnv); // primes the cache
    const warm = [];
    const cold = [];
    for (let i = 0; i < runs; i++) {
      warm.push(timedRun(argv, warmEnv));
      const dir = join(tmp, `cold-${i}`);
      cold.push(timedRun(argv, { ...env, XDG_CACHE_HOME: dir }));
      rmSync(dir, { recursive: true, force: true });
    }
    const sum = (xs) => ({
      wall: median(xs.map((x) => x.wall)),
      cpu: median(xs.map((x) => x.cpu)),
      rssMiB: median(xs.map((x) => x.rssMiB)),
      rows: xs[0].rows,
    });
    return { count, page, runs, warm: sum(warm), cold: sum(cold), all: { warm, cold } };
  } finally {
    fake.kill('SIGTERM');
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The report's Markdown for the `server list` case. */
export function renderBigList(r) {
  const f = (x) =>
    `| ${x.label} | ${x.s.rows} | ${x.s.wall.toFixed(2)} s | ${x.s.cpu.toFixed(2)} s | ${x.s.rssMiB.toFixed(0)} MiB |`;
  return [
    `## Load: \`ncli server list\` of ${r.count} servers in ${Math.ceil(r.count / r.page)} pages (fake cloud), medians of ${r.runs}`,
    '',
    '| run | rows | wall | CPU (user + system) | peak RSS |',
    '|---|---|---|---|---|',
    f({ label: 'warm', s: r.warm }),
    f({ label: 'cold', s: r.cold }),
    '',
  ].join('\n');
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'serve') {
  serve(Number(args[0]), Number(args[1]));
} else if (import.meta.url === `file://${process.argv[1]}`) {
  const parts = [];
  const big = await bigListBench();
  parts.push(renderBigList(big));
  const results = { bigList: big };
  if (process.env.BENCH_NO_SOAK !== '1') {
    const { soakBench, renderSoak } = await import('./soak.mjs');
    const soak = await soakBench();
    results.soak = soak;
    parts.push(renderSoak(soak));
  }
  const text = parts.join('\n');
  process.stdout.write('\n' + text);
  const stamp = new Date().toISOString().replace(/[:]/g, '-').replace(/\..*/, 'Z');
  const out = join(ROOT, 'bench/results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, `load-${stamp}.md`), text);
  writeFileSync(join(out, `load-${stamp}.json`), JSON.stringify(results, null, 2));
}
