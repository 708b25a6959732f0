/**
 * Process and port helpers shared by the benchmark scripts (bench.mjs, tunnel-ab.mjs): child
 * processes whose stderr tail is kept for error messages, waiting for a line or a port, and CPU
 * seconds from /proc.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';

/**
 * Spawns `argv` with stdout and stderr piped; the last 4000 characters of stderr are kept in
 * `p.stderrText`. The process is pushed to `children` (for the caller's clean-up).
 * @param {import('node:child_process').ChildProcess[]} children
 * @param {string[]} argv
 * @param {import('node:child_process').SpawnOptions} [opts]
 */
export function startTracked(children, argv, opts = {}) {
  const p = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  children.push(p);
  p.stderrText = '';
  p.stderr.on('data', (d) => (p.stderrText = (p.stderrText + d).slice(-4000)));
  return p;
}

/**
 * Resolves with the first match of `re` in the process's stdout; rejects after `ms`
 * milliseconds or when the process exits first (both with the tail of its stderr).
 */
export function firstLine(p, re, ms = 15000) {
  return new Promise((res, rej) => {
    let buf = '';
    const t = setTimeout(
      () => rej(new Error(`no line matching ${re} within ${ms} ms; stderr: ${p.stderrText.trim().slice(-300)}`)),
      ms,
    );
    p.stdout.on('data', (d) => {
      buf += d;
      const m = re.exec(buf);
      if (m) {
        clearTimeout(t);
        res(m);
      }
    });
    p.once('exit', (c) => {
      clearTimeout(t);
      rej(new Error(`exited ${c} before a line matching ${re}; stderr: ${p.stderrText.trim().slice(-300)}`));
    });
  });
}

/** A TCP port free on 127.0.0.1 now. */
export function freePort() {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => res(p));
    });
    s.on('error', rej);
  });
}

/** Resolves once 127.0.0.1:`port` accepts a connection; rejects after `ms` milliseconds. */
export function waitPort(port, ms = 10000) {
  const until = Date.now() + ms;
  return new Promise((res, rej) => {
    const tryOnce = () => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        res();
      });
      s.once('error', () =>
        Date.now() > until ? rej(new Error(`port ${port} never opened`)) : setTimeout(tryOnce, 100),
      );
    };
    tryOnce();
  });
}

/**
 * CPU seconds of a process from /proc/PID/stat: utime + stime; with `children` also its reaped
 * children's (cutime + cstime); with `systemOnly` the kernel's share alone. Undefined once the
 * process is gone.
 */
export function procCpu(pid, children = false, systemOnly = false) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    const user = systemOnly ? 0 : Number(f[11]) + (children ? Number(f[13]) : 0);
    return (user + Number(f[12]) + (children ? Number(f[14]) : 0)) / 100; // clock ticks (100/s)
  } catch {
    return undefined;
  }
}
