#!/usr/bin/env node
/**
 * Where does one ncli command spend its time?  (used by run.sh for every missed target; also by hand)
 *
 *   node scripts/bench/profile.mjs [--out DIR] [--name NAME] -- ARGS…     e.g. -- server list
 *
 * For `bin/ncli ARGS…` in the current environment (set OS_*, XDG_CACHE_HOME as for the run you
 * want to explain) it reports:
 *   1. wall time, split into node's own start-up (until the event loop starts) and ncli's part;
 *   2. module loads (trace-imports.mjs): each package's require/import time, inclusive, and each
 *      ncli module's body, in load order;
 *   3. a CPU profile (--cpu-prof, 100 µs sampling): self time by package / file;
 *   4. the HTTP requests made and their durations (--timings);
 *   5. each loaded package imported alone (`node -e "await import(P)"` minus `node -e 0`,
 *      hyperfine medians): what dropping or deferring it would save.
 * Writes NAME.md and NAME.json to DIR (default bench/results/profile-<time>).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const NCLI = join(ROOT, 'bin/ncli');
const TRACE = join(ROOT, 'scripts/bench/trace-imports.mjs');

const ms = (x) => (x === undefined ? '' : `${x.toFixed(1)} ms`);

/** `…/node_modules/a/…` → `a`, `…/node_modules/@s/a/…` → `@s/a`; dist/x.js → `ncli dist/x.js`. */
export function ownerOf(urlOrPath) {
  const p = urlOrPath.replace(/^file:\/\//, '');
  const i = p.lastIndexOf('/node_modules/');
  if (i >= 0) {
    const parts = p.slice(i + 14).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (p.startsWith(ROOT + '/')) return `ncli ${p.slice(ROOT.length + 1)}`;
  if (p.startsWith('node:')) return 'node internals (' + p.split('/').slice(0, 3).join('/') + ')';
  return p || '(native / V8)';
}

function run(cmd, args, env, extra = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env, cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20, ...extra });
  return { ...r, wallMs: Number(process.hrtime.bigint() - t0) / 1e6 };
}

/** Import trace of one run. */
function trace(args, env, dir) {
  const out = join(dir, 'trace.json');
  const r = run(process.execPath, ['--import', TRACE, NCLI, ...args], { ...env, NCLI_TRACE_OUT: out });
  const t = JSON.parse(readFileSync(out, 'utf8'));
  // packages: outermost require() of each (inclusive), so nothing is counted twice
  const pkgs = new Map();
  for (const c of t.cjs) {
    if (c.depth !== 0) continue;
    const o = ownerOf(c.file);
    const p = pkgs.get(o) ?? { owner: o, ms: 0, first: c.start, files: [] };
    p.ms += c.ms;
    if (!p.files.includes(c.file)) p.files.push(c.file);
    p.first = Math.min(p.first, c.start);
    pkgs.set(o, p);
  }
  const modules = t.esm
    .filter((e) => e.start !== undefined)
    .sort((a, b) => a.start - b.start)
    .map((e) => ({ module: ownerOf(e.url), at: e.start, bodyMs: e.ms }));
  return {
    exitCode: r.status,
    wallMs: r.wallMs,
    node: t.node,
    packages: [...pkgs.values()].sort((a, b) => b.ms - a.ms),
    modules,
  };
}

/** CPU profile of one run: self time by owner. */
function cpuProfile(args, env, dir) {
  const pdir = join(dir, 'cpuprof');
  rmSync(pdir, { recursive: true, force: true });
  mkdirSync(pdir, { recursive: true });
  const r = run(
    process.execPath,
    ['--cpu-prof', '--cpu-prof-dir', pdir, '--cpu-prof-interval', '100', NCLI, ...args],
    env,
  );
  const file = readdirSync(pdir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) return { exitCode: r.status, owners: [], totalMs: 0 };
  const prof = JSON.parse(readFileSync(join(pdir, file), 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const fns = new Map();
  const incl = new Map();
  const parent = new Map();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  let total = 0;
  prof.samples.forEach((id, i) => {
    const dt = (prof.timeDeltas[i] ?? 0) / 1000;
    total += dt;
    const n = byId.get(id);
    const f = n.callFrame;
    const owner = f.url ? ownerOf(f.url) : f.functionName || '(anonymous)';
    self.set(owner, (self.get(owner) ?? 0) + dt);
    // inclusive: every package or ncli file on the stack (node internals excluded) gets the sample once
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const u = byId.get(cur).callFrame.url;
      if (!u || u.startsWith('node:')) continue;
      const o = ownerOf(u);
      if (!seen.has(o)) {
        seen.add(o);
        incl.set(o, (incl.get(o) ?? 0) + dt);
      }
    }
    if (f.url) {
      const file = f.url.replace(/^file:\/\//, '').replace(ROOT + '/', '');
      const key = `${f.functionName || '(top level)'} ${file}:${f.lineNumber + 1}`;
      fns.set(key, (fns.get(key) ?? 0) + dt);
    }
  });
  const owners = [...self.entries()].map(([owner, v]) => ({ owner, selfMs: v })).sort((a, b) => b.selfMs - a.selfMs);
  const functions = [...fns.entries()]
    .map(([fn, v]) => ({ fn, selfMs: v }))
    .sort((a, b) => b.selfMs - a.selfMs)
    .slice(0, 15);
  const inclusive = [...incl.entries()].map(([owner, v]) => ({ owner, inclMs: v })).sort((a, b) => b.inclMs - a.inclMs);
  return { exitCode: r.status, totalMs: total, owners, functions, inclusive, file: join(pdir, file) };
}

/** The requests of one run (`--timings` table on stderr). */
function requests(args, env) {
  const r = run(NCLI, ['--timings', ...args], env);
  const rows = [];
  for (const line of (r.stderr ?? '').split('\n')) {
    const m = /^[│|]\s*(GET|POST|PUT|DELETE|PATCH|HEAD)\s*[│|]\s*(\S+)\s*[│|]\s*(\d+)\s*[│|]\s*([\d.]+)/.exec(line);
    if (m) rows.push({ method: m[1], url: m[2], status: Number(m[3]), seconds: Number(m[4]) });
  }
  return { wallMs: r.wallMs, rows };
}

const q = (a) => (/^[A-Za-z0-9_\-./:=,@%+]+$/.test(a) ? a : `'${a.replace(/'/g, `'"'"'`)}'`);

/** hyperfine -N over several argv lists; returns [{ command, medianMs, cpuMs }] or { error }. */
function hf(list, env, runs = 10) {
  const json = join(process.env.TMPDIR || '/tmp', `ncli-hf-${process.pid}.json`);
  const r = run(
    'hyperfine',
    [
      '-N',
      '--style',
      'none',
      '--warmup',
      '2',
      '--runs',
      String(runs),
      '--export-json',
      json,
      ...list.map((a) => a.map(q).join(' ')),
    ],
    env,
  );
  if (r.status !== 0) return { error: (r.stderr ?? '').trim().split('\n').slice(-2).join(' ') };
  const res = JSON.parse(readFileSync(json, 'utf8')).results;
  rmSync(json, { force: true });
  return res.map((x) => ({ command: x.command, medianMs: x.median * 1000, cpuMs: (x.user + x.system) * 1000 }));
}

/** When the first byte reaches stdout and how long the process takes to exit after it (medians of n). */
async function exitLag(argv, env, n = 7) {
  const { spawn } = await import('node:child_process');
  const out = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    let tOut;
    const p = spawn(argv[0], argv.slice(1), { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] });
    p.stdout.on('data', () => (tOut ??= performance.now()));
    await new Promise((r) => p.on('exit', r));
    const t1 = performance.now();
    if (tOut !== undefined) out.push([tOut - t0, t1 - tOut]);
  }
  const med = (i) => out.map((r) => r[i]).sort((a, b) => a - b)[Math.floor(out.length / 2)];
  return { firstOutputMs: med(0), exitAfterMs: med(1) };
}

/**
 * undici's share, measured: ncli as it is vs `node --liftoff-only` (no optimising compile of
 * undici's llhttp WebAssembly parser), and one GET in a bare script with undici vs node:http.
 */
async function undiciExperiments(args, env, url) {
  const cmd = [process.execPath, NCLI, ...args];
  const lift = [process.execPath, '--liftoff-only', NCLI, ...args];
  // undici loaded the way ncli's transport loads it (two files by path, not the package index)
  const u =
    "const {createRequire}=await import('node:module');const req=createRequire(process.cwd()+'/');" +
    "const Agent=req('undici/lib/dispatcher/agent.js');const request=req('undici/lib/api/api-request.js');" +
    `const u=new URL(${JSON.stringify(url)});const a=new Agent();const r=await request.call(a,{origin:u.origin,path:u.pathname,method:'GET'});` +
    "await r.body.text();await a.close();process.stdout.write('ok\\n')";
  const h = `const http=await import('node:http');await new Promise((res,rej)=>http.get(${JSON.stringify(url)},(r)=>{r.resume();r.on('end',res)}).on('error',rej));process.stdout.write('ok\\n')`;
  const uArgv = ['node', '--input-type=module', '-e', u];
  const hArgv = ['node', '--input-type=module', '-e', h];
  const times = hf([cmd, lift, ['node', '-e', '0'], uArgv, hArgv], env);
  const rss = (argv) => {
    const tf = join(process.env.TMPDIR || '/tmp', `ncli-rss-${process.pid}.txt`);
    const vals = [1, 2, 3].map(() => {
      run('/usr/bin/time', ['-f', '%M', '-o', tf, ...argv], env);
      return Number(readFileSync(tf, 'utf8').trim().split('\n').pop()) / 1024;
    });
    rmSync(tf, { force: true });
    return vals.sort((a, b) => a - b)[1];
  };
  return {
    times,
    rssMiB: {
      ncli: rss(cmd),
      liftoff: rss(lift),
      node: rss(['node', '-e', '0']),
      undiciGet: rss(uArgv),
      httpGet: rss(hArgv),
    },
    lag: {
      ncli: await exitLag(cmd, env),
      liftoff: await exitLag(lift, env),
      undiciGet: await exitLag(uArgv, env),
      httpGet: await exitLag(hArgv, env),
    },
    url,
  };
}

/**
 * Each package loaded alone, as ncli loads it (the same files: e.g. undici/lib/dispatcher/agent.js
 * rather than undici's index): hyperfine medians, minus bare node.
 */
function isolatedImports(pkgList, env, runs = 10) {
  const pk = pkgList.filter(
    (p) => !p.owner.startsWith('ncli ') && !p.owner.startsWith('node ') && !p.owner.startsWith('('),
  );
  const specs = pk.map((p) => p.owner);
  if (!specs.length) return [];
  const json = join(process.env.TMPDIR || '/tmp', `ncli-imports-${process.pid}.json`);
  const cmds = ['node -e 0', ...pk.map((p) => `node -e "${p.files.map((f) => `require('${f}');`).join('')}"`)];
  const r = run('hyperfine', ['-N', '--warmup', '2', '--runs', String(runs), '--export-json', json, ...cmds], env);
  if (r.status !== 0) return specs.map((p) => ({ package: p, error: (r.stderr ?? '').slice(-300) }));
  const res = JSON.parse(readFileSync(json, 'utf8')).results;
  rmSync(json, { force: true });
  const base = res[0].median * 1000;
  return specs.map((p, i) => ({
    package: p,
    files: pk[i].files.map((f) => f.slice(f.lastIndexOf('/node_modules/') + 14)),
    medianMs: res[i + 1].median * 1000 - base,
    userMs: (res[i + 1].user - res[0].user) * 1000,
  }));
}

/**
 * Profiles `ncli ARGS` and returns { json, markdown }.
 * @param {{name: string, args: string[], env: NodeJS.ProcessEnv, outDir: string, title?: string}} o
 */
export async function profileCommand(o) {
  const dir = join(o.outDir, o.name);
  mkdirSync(dir, { recursive: true });
  run(NCLI, o.args, o.env); // once to warm the page cache (and the token cache, if any)
  const tr = trace(o.args, o.env, dir);
  const cpu = cpuProfile(o.args, o.env, dir);
  const req = requests(o.args, o.env);
  const iso = isolatedImports(tr.packages, o.env);
  const lag = await exitLag([NCLI, ...o.args], o.env);
  let und;
  if (tr.packages.some((p) => p.owner === 'undici') && req.rows.length) {
    und = await undiciExperiments(o.args, o.env, new URL(req.rows[0].url).origin + '/');
  }
  const json = {
    exitLag: lag,
    undici: und,
    name: o.name,
    args: o.args,
    trace: tr,
    cpu: {
      totalMs: cpu.totalMs,
      owners: cpu.owners.slice(0, 25),
      inclusive: cpu.inclusive,
      functions: cpu.functions,
      file: cpu.file,
    },
    requests: req,
    isolatedImports: iso,
  };
  writeFileSync(join(o.outDir, `${o.name}.json`), JSON.stringify(json, null, 2));

  const L = [];
  L.push(`#### Profile: \`ncli ${o.args.join(' ')}\`${o.title ? ` (${o.title})` : ''}`, '');
  const n = tr.node;
  L.push(
    `Traced run: ${ms(tr.wallMs)} wall; node itself ready (event loop start) at ${ms(n.loopStart)}, process exit at ${ms(n.exit)} after start` +
      ` (the trace hook adds a few ms).`,
    '',
  );
  if (tr.packages.length) {
    L.push('| package (require/import, inclusive) | first loaded at | ms |', '|---|---:|---:|');
    for (const p of tr.packages.slice(0, 10)) L.push(`| ${p.owner} | ${ms(p.first)} | ${ms(p.ms)} |`);
    L.push('');
  }
  const slowBodies = tr.modules.filter((m) => (m.bodyMs ?? 0) >= 0.5);
  L.push(
    `ES modules evaluated (${tr.modules.length}): ${tr.modules.map((m) => m.module.replace(/^ncli /, '')).join(', ')}.` +
      (slowBodies.length
        ? ` Bodies ≥ 0.5 ms: ${slowBodies.map((m) => `${m.module} ${ms(m.bodyMs)}`).join(', ')}.`
        : ''),
    '',
  );
  if (cpu.owners.length) {
    L.push(`CPU profile (${ms(cpu.totalMs)} sampled), self time by owner:`, '', '| owner | self ms |', '|---|---:|');
    for (const c of cpu.owners.slice(0, 12)) L.push(`| ${c.owner} | ${c.selfMs.toFixed(1)} |`);
    L.push(
      '',
      'Inclusive CPU by package / ncli file on the stack (what runs under it, node internals included; a file of ncli includes what it calls):',
      '',
      '| owner | inclusive ms |',
      '|---|---:|',
    );
    for (const c of cpu.inclusive.filter((x) => !x.owner.startsWith('(')).slice(0, 14))
      L.push(`| ${c.owner} | ${c.inclMs.toFixed(1)} |`);
    L.push('', 'Hottest JavaScript functions (self):', '', '| function | self ms |', '|---|---:|');
    for (const f of cpu.functions.slice(0, 10)) L.push(`| ${f.fn.replace(/\|/g, '\\|')} | ${f.selfMs.toFixed(1)} |`);
    L.push('');
  }
  if (req.rows.length) {
    const tot = req.rows.reduce((s, r) => s + r.seconds, 0);
    L.push(
      `Requests (${req.rows.length}, ${ms(tot * 1000)} of a ${ms(req.wallMs)} run): ` +
        req.rows
          .map(
            (r) =>
              `${r.method} ${r.url.replace(/^https?:\/\/[^/]+/, '')} ${r.status} ${(r.seconds * 1000).toFixed(0)} ms`,
          )
          .join('; '),
      '',
    );
  } else {
    L.push(`Requests: none (${ms(req.wallMs)} run).`, '');
  }
  if (iso.length) {
    L.push(
      'Each package loaded alone, the same files as ncli loads (hyperfine median minus `node -e 0`):',
      '',
      '| package (files required) | wall ms | CPU (user) ms |',
      '|---|---:|---:|',
    );
    for (const p of iso)
      L.push(
        p.error
          ? `| ${p.package} | error | |`
          : `| ${p.package} (${p.files.join(', ')}) | ${p.medianMs.toFixed(1)} | ${p.userMs.toFixed(1)} |`,
      );
    L.push('');
  }
  L.push(
    `Output timing (median of 7): first byte on stdout at ${ms(lag.firstOutputMs)}, process exit ${ms(lag.exitAfterMs)} after it.`,
    '',
  );
  if (und && !und.times.error) {
    const [a, b, n0, ug, hg] = und.times;
    L.push(
      `undici's share (hyperfine, 10 runs; wall / CPU): ncli as is ${a.medianMs.toFixed(0)} / ${a.cpuMs.toFixed(0)} ms, exit ${ms(und.lag.ncli.exitAfterMs)} after the output; ` +
        `with \`node --liftoff-only\` (no optimising compile of undici's llhttp WebAssembly) ${b.medianMs.toFixed(0)} / ${b.cpuMs.toFixed(0)} ms, exit ${ms(und.lag.liftoff.exitAfterMs)} after the output. ` +
        `One GET of ${und.url} in a bare script: \`node -e 0\` ${n0.medianMs.toFixed(0)} / ${n0.cpuMs.toFixed(0)} ms; with undici (agent.js + api-request.js, as ncli loads it) ${ug.medianMs.toFixed(0)} / ${ug.cpuMs.toFixed(0)} ms ` +
        `(exit ${ms(und.lag.undiciGet.exitAfterMs)} after the output); with node:http ${hg.medianMs.toFixed(0)} / ${hg.cpuMs.toFixed(0)} ms (exit ${ms(und.lag.httpGet.exitAfterMs)} after the output).`,
      '',
      `Peak RSS (MiB, median of 3): ncli ${und.rssMiB.ncli.toFixed(0)}, ncli with \`--liftoff-only\` ${und.rssMiB.liftoff.toFixed(0)}; ` +
        `bare node ${und.rssMiB.node.toFixed(0)}, one GET with undici ${und.rssMiB.undiciGet.toFixed(0)}, with node:http ${und.rssMiB.httpGet.toFixed(0)}.`,
      '',
    );
  }
  const markdown = L.join('\n');
  writeFileSync(join(o.outDir, `${o.name}.md`), markdown + '\n');
  return { json, markdown };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  const dd = argv.indexOf('--');
  const opts = dd >= 0 ? argv.slice(0, dd) : [];
  const args = dd >= 0 ? argv.slice(dd + 1) : argv;
  const get = (k, d) => (opts.includes(k) ? opts[opts.indexOf(k) + 1] : d);
  const outDir = resolve(
    get('--out', join(ROOT, 'bench/results', `profile-${new Date().toISOString().replace(/[:.]/g, '-')}`)),
  );
  const name = get('--name', args.join('-').replace(/[^A-Za-z0-9_-]+/g, '_') || 'run');
  const { markdown } = await profileCommand({ name, args, env: process.env, outDir });
  process.stdout.write(markdown + '\n\n(written to ' + outDir + ')\n');
}
