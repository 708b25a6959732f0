/**
 * Loader hook of trace-imports.mjs: wraps every file:// ES module's source in two calls to
 * globalThis.__ncliTrace (start of its body, end of its body). `import` declarations are hoisted,
 * so the first call runs after the module's imports were evaluated: end - start is the body alone.
 * Modules with a top-level `export default` expression or source maps are unaffected by the wrap
 * (statements only, appended and prepended).
 */
export async function load(url, context, nextLoad) {
  const r = await nextLoad(url, context);
  if (r.format !== 'module' || !url.startsWith('file:') || url.endsWith('/trace-imports.mjs')) return r;
  const src = typeof r.source === 'string' ? r.source : Buffer.from(r.source).toString('utf8');
  const u = JSON.stringify(url);
  // a shebang must stay the first line
  const cut = src.startsWith('#!') ? src.indexOf('\n') + 1 : 0;
  return {
    ...r,
    source: `${src.slice(0, cut)}globalThis.__ncliTrace?.('start', ${u});${src.slice(cut)}\n;globalThis.__ncliTrace?.('end', ${u});\n`,
  };
}
