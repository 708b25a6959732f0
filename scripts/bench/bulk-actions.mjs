// The bulk-action case of `npm run bench` (scripts/bench/README.md): stop then start 10 servers,
// waiting until each is SHUTOFF then ACTIVE again, with ncli (one process per action, the
// servers in parallel, --wait) and with python-openstackclient (`openstack server stop S1 … S10`,
// which acts on them one after the other and cannot wait for a stop or a start, then its own
// polling loop on `openstack server list` until every server is there, as an operator scripts
// it). Wall time and CPU time (user + system of every process of the cycle, from GNU time) per
// stop+start cycle, runs interleaved; the 10 servers are made for the case in the bench project
// (not the shared admin project other tests list) and deleted after.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const COUNT = 10;
const PREFIX = 'bench-act';

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n ? (n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2) : NaN;
};
const q = (a) => (/^[A-Za-z0-9_\-./:=,@%+^$]+$/.test(a) ? a : `'${a.replace(/'/g, `'"'"'`)}'`);

/** Runs a bash script under GNU time; returns {wall, cpu} seconds and its output. */
function timed(script, env, cwd) {
  const r = spawnSync('/usr/bin/time', ['-f', '@@time %e %U %S', 'bash', '-c', script], {
    env,
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    timeout: 900_000,
  });
  const m = /@@time ([\d.]+) ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr || '');
  if (r.status !== 0 || !m) {
    throw new Error(`exit ${r.status}: ${(r.stderr || r.stdout || '').trim().split('\n').slice(-4).join(' | ')}`);
  }
  return { wall: Number(m[1]), cpu: Number(m[2]) + Number(m[3]), out: r.stdout, err: r.stderr };
}

/**
 * The case. `ncli` is the path of bin/ncli; `ncliEnv` has a primed token cache (warm), `oscEnv`
 * the cloud's openrc; `project` is where the servers are made (the bench project).
 * @returns {{servers: string[], runs: number, ncli: {wall: number[], cpu: number[]}, openstack: {wall: number[], cpu: number[]}, commands: object, notes: string[]}}
 */
export function bulkBench({ ncli, root, ncliEnv, oscEnv, project, runs, outDir, log }) {
  const names = Array.from({ length: COUNT }, (_, i) => `${PREFIX}-${i + 1}`);
  const node = process.execPath;
  const g = `--os-project-name ${q(project)}`;
  const n = `${q(node)} ${q(ncli)} ${g}`;
  const openstack = `openstack ${g}`;
  const list = names.map(q).join(' ');
  const notes = [];
  const sh = (script, env = ncliEnv) => timed(script, env, root);

  log(`bulk actions: creating ${COUNT} servers ${PREFIX}-1 … ${PREFIX}-${COUNT}`);
  sh(`${n} server delete ${list} --wait >/dev/null 2>&1 || true`);
  sh(
    `${n} server create ${PREFIX} --image devcloud-image --flavor m1.tiny --network none --min ${COUNT} --max ${COUNT} --wait >/dev/null`,
  );

  const commands = {
    ncli: [`ncli server stop ${names.join(' ')} --wait`, `ncli server start ${names.join(' ')} --wait`],
    openstack: [
      `openstack server stop ${names.join(' ')}; until every status is SHUTOFF: openstack server list --name '^${PREFIX}-' -f value -c Status; sleep 1`,
      `openstack server start ${names.join(' ')}; the same loop until ACTIVE`,
    ],
  };
  const waitLoop = (status) =>
    `for i in $(seq 1 300); do s=$(${openstack} server list --name '^${PREFIX}-' -f value -c Status); ` +
    `[ "$(printf '%s\\n' "$s" | grep -c '^${status}$')" = ${COUNT} ] && break; sleep 1; done`;
  const scripts = {
    ncli: `${n} server stop ${list} --wait >/dev/null && ${n} server start ${list} --wait >/dev/null`,
    openstack: `${openstack} server stop ${list} && ${waitLoop('SHUTOFF')} && ${openstack} server start ${list} && ${waitLoop('ACTIVE')}`,
  };
  const result = {
    servers: names,
    runs,
    ncli: { wall: [], cpu: [] },
    openstack: { wall: [], cpu: [] },
    commands,
    notes,
  };
  try {
    for (let i = 0; i < runs; i++) {
      for (const who of ['ncli', 'openstack']) {
        const t = sh(scripts[who], who === 'ncli' ? ncliEnv : oscEnv);
        result[who].wall.push(t.wall);
        result[who].cpu.push(t.cpu);
        log(`bulk actions: ${who} run ${i + 1}/${runs}: ${t.wall.toFixed(2)} s wall, ${t.cpu.toFixed(2)} s CPU`);
      }
    }
  } catch (e) {
    result.error = String(e.message || e);
    log(`bulk actions: ${result.error}`);
  } finally {
    log('bulk actions: deleting the servers');
    try {
      sh(`${n} server delete ${list} --wait >/dev/null`);
    } catch (e) {
      notes.push(`cleanup failed: ${e.message}; delete ${PREFIX}-* by hand`);
    }
  }
  for (const who of ['ncli', 'openstack']) {
    result[who].medianWall = median(result[who].wall);
    result[who].medianCpu = median(result[who].cpu);
  }
  if (outDir) writeFileSync(join(outDir, 'bulk-actions.json'), JSON.stringify(result, null, 2));
  return result;
}

/** The section of the report. */
export function renderBulk(b) {
  const s = (x) => (Number.isFinite(x) ? `${x.toFixed(2)} s` : 'n/a');
  const x = (a, b2) => (Number.isFinite(a / b2) ? `${(a / b2).toFixed(1)}×` : 'n/a');
  const L = [
    `### Bulk actions: stop and start ${b.servers.length} servers, waiting for each (median of ${b.runs})`,
    '',
  ];
  if (b.error) L.push(`Failed: ${b.error}`, '');
  L.push(
    '| client | one stop + start cycle, wall | CPU (all processes) | runs (wall) |',
    '|---|---:|---:|---|',
    `| ncli (parallel, --wait) | ${s(b.ncli.medianWall)} | ${s(b.ncli.medianCpu)} | ${b.ncli.wall.map((v) => v.toFixed(2)).join(', ')} |`,
    `| openstack (one by one, then a polling loop) | ${s(b.openstack.medianWall)} (${x(b.openstack.medianWall, b.ncli.medianWall)} ncli) | ${s(b.openstack.medianCpu)} (${x(b.openstack.medianCpu, b.ncli.medianCpu)}) | ${b.openstack.wall.map((v) => v.toFixed(2)).join(', ')} |`,
    '',
    `ncli: \`${b.commands.ncli.join('` then `')}\`; openstack: \`${b.commands.openstack.join('` then `')}\`.`,
    '',
  );
  for (const n of b.notes) L.push(`- ${n}`);
  return L.join('\n');
}
