/**
 * Module-load trace for one process: `node --import ./scripts/bench/trace-imports.mjs bin/ncli …`
 * with NCLI_TRACE_OUT=file.json. At exit it writes:
 *   - esm: per ES module, when its own body started and ended (ms since the process started), and
 *     so its self time (imports are evaluated before a module's body, so that is the body alone);
 *   - cjs: per require(), its start, end and inclusive time (CommonJS modules, e.g. inside
 *     commander, undici, cli-table3, ws);
 *   - node: node's own milestones (bootstrap, loop start) and the time of exit.
 * The ES module bodies are timed by wrapping each file:// module's source (a hook, trace-hooks.mjs,
 * adds one statement before and one after it); nothing of ncli is changed on disk.
 */
import { register } from 'node:module';
import Module from 'node:module';
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const now = () => performance.now();
const esm = new Map();
const cjs = [];
globalThis.__ncliTrace = (what, url) => {
  const e = esm.get(url) ?? { url };
  e[what] = now();
  esm.set(url, e);
};
register('./trace-hooks.mjs', import.meta.url);

const origLoad = Module._load;
let depth = 0;
Module._load = function traced(request, parent) {
  const start = now();
  depth += 1;
  try {
    return origLoad.apply(this, arguments);
  } finally {
    depth -= 1;
    const end = now();
    let resolved = request;
    try {
      resolved = Module._resolveFilename(request, parent);
    } catch {
      /* builtins and failures keep the request */
    }
    cjs.push({ request, file: resolved, parent: parent?.filename, start, end, ms: end - start, depth });
  }
};

process.on('exit', () => {
  const out = process.env.NCLI_TRACE_OUT;
  if (!out) return;
  const t = performance.nodeTiming;
  writeFileSync(
    out,
    JSON.stringify({
      node: {
        v8Start: t.v8Start,
        environment: t.environment,
        bootstrapComplete: t.bootstrapComplete,
        loopStart: t.loopStart,
        exit: now(),
      },
      esm: [...esm.values()].map((e) => ({
        ...e,
        ms: e.end !== undefined && e.start !== undefined ? e.end - e.start : undefined,
      })),
      cjs,
    }),
  );
});
