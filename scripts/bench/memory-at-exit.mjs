/**
 * What makes up a process's peak RSS (issue 21), printed at exit as one JSON line on stderr
 * (`MEM {...}`), or written to NCLI_MEMORY_OUT when set:
 *
 *   node --import ./scripts/bench/memory-at-exit.mjs bin/ncli server list
 *
 * - hwmMiB / rssMiB: VmHWM and VmRSS of /proc/self/status (peak and current resident set), and
 *   their split: RssAnon (V8's heap, malloc, WebAssembly memory) vs RssFile (pages of the node
 *   binary and the libraries that were touched: the code that ran);
 * - mappings: resident MiB per mapping of /proc/self/smaps (`/usr/bin/node` = node's own code
 *   and read-only data, `[anon]` = V8's heap pages and WebAssembly memory, `[heap]` = malloc,
 *   `[anon-exec]` = code V8 generated: JIT, WebAssembly), those ≥ 0.5 MiB;
 * - process.memoryUsage() (heapTotal, heapUsed, external, arrayBuffers) and V8's own
 *   statistics: malloced memory (V8's zones: parsers, compilers), physical size per heap space.
 * The hook itself adds ~3 MiB (node's ESM loader for --import): compare runs that all use it.
 * All figures in MiB.
 */
import { readFileSync, writeFileSync, writeSync } from 'node:fs';
import v8 from 'node:v8';

const MiB = 1024 * 1024;
const r1 = (x) => Math.round(x * 10) / 10;

process.on('exit', () => {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kib = (k) => Number(status.match(new RegExp(`^${k}:\\s+(\\d+)`, 'm'))?.[1] ?? NaN) / 1024;
  const mappings = {};
  let cur;
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const h = line.match(/^[0-9a-f]+-[0-9a-f]+ (\S+) \S+ \S+ \d+\s*(.*)$/);
    if (h) {
      cur = h[2] || (h[1].includes('x') ? '[anon-exec]' : '[anon]');
      continue;
    }
    const rss = line.match(/^Rss:\s+(\d+)/);
    if (rss && cur) mappings[cur] = (mappings[cur] ?? 0) + Number(rss[1]) / 1024;
  }
  const mu = process.memoryUsage();
  const hs = v8.getHeapStatistics();
  const out = {
    hwmMiB: r1(kib('VmHWM')),
    rssMiB: r1(kib('VmRSS')),
    anonMiB: r1(kib('RssAnon')),
    fileMiB: r1(kib('RssFile')),
    mappings: Object.fromEntries(
      Object.entries(mappings)
        .filter(([, v]) => v >= 0.5)
        .map(([k, v]) => [k, r1(v)]),
    ),
    heapTotal: r1(mu.heapTotal / MiB),
    heapUsed: r1(mu.heapUsed / MiB),
    external: r1(mu.external / MiB),
    arrayBuffers: r1(mu.arrayBuffers / MiB),
    v8Malloced: r1(hs.malloced_memory / MiB),
    v8PeakMalloced: r1(hs.peak_malloced_memory / MiB),
    spaces: Object.fromEntries(
      v8
        .getHeapSpaceStatistics()
        .filter((s) => s.physical_space_size > 0)
        .map((s) => [s.space_name, r1(s.physical_space_size / MiB)]),
    ),
  };
  if (process.env.NCLI_MEMORY_OUT) writeFileSync(process.env.NCLI_MEMORY_OUT, JSON.stringify(out) + '\n');
  else writeSync(2, `MEM ${JSON.stringify(out)}\n`);
});
