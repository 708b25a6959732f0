#!/usr/bin/env node
// Runs forwardLocal in its own process so that its memory can be measured
// alone (test/unit/tunnel/backpressure.test.ts).
//
// Usage: node test/support/tunnel-child.mjs <ws-url>
// Env:   NCLI_TUNNEL_MODULE  path of the compiled tunnel module
//                            (default: <repo>/dist/tunnel/index.js)
//
// Protocol on stdout, one JSON object per line:
//   {"ready":{"host":"127.0.0.1","port":N}}      once listening
//   {"done":true,"maxRssKiB":N,"vmHwmKiB":N,"error":null|"msg"}  when the
//                                                (single, --once) session ended
// Status lines and debug go to stderr.
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const wsUrl = process.argv[2];
if (!wsUrl) {
  process.stderr.write('usage: tunnel-child.mjs <ws-url>\n');
  process.exit(2);
}
const modulePath =
  process.env.NCLI_TUNNEL_MODULE ?? fileURLToPath(new URL('../../dist/tunnel/index.js', import.meta.url));
const { forwardLocal } = await import(pathToFileURL(modulePath).href);

function vmHwmKiB() {
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

const emit = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);

const { ready, done } = forwardLocal(
  { host: '127.0.0.1', port: 0 },
  {
    resolveUrl: async () => wsUrl,
    label: 'backpressure test',
    out: process.stderr,
    err: process.stderr,
    once: true,
    ...(process.env.NCLI_TUNNEL_DEBUG ? { debug: (m) => process.stderr.write(`${m}\n`) } : {}),
  },
);

try {
  emit({ ready: await ready });
} catch (e) {
  emit({ done: true, error: String(e?.message ?? e) });
  process.exit(1);
}

let error = null;
try {
  await done;
} catch (e) {
  error = String(e?.message ?? e);
}
emit({ done: true, maxRssKiB: process.resourceUsage().maxRSS, vmHwmKiB: vmHwmKiB(), error });
process.exitCode = error ? 1 : 0;
