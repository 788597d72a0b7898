#!/usr/bin/env node
// Bundles a component's entry point into one runnable file: the workspace's own
// TypeScript packages (@minik8s/*, which export their sources) are compiled in, and
// every npm dependency stays an import, resolved from node_modules at run time.
// With --self-contained the npm dependencies are compiled in as well and the output is
// CommonJS: one file with nothing to resolve, for commands whose start-up time matters
// (mkctl), loadable through a V8 code cache (see packages/kubectl/src/launch.ts).
// Usage: node tools/bundle.mjs [--self-contained] <entry.ts> <out.js>
import { build } from 'esbuild';

const args = process.argv.slice(2);
const selfContained = args.includes('--self-contained');
const [entry, outfile] = args.filter((a) => !a.startsWith('--'));
if (!entry || !outfile) {
  console.error('usage: bundle.mjs [--self-contained] <entry.ts> <out.js>');
  process.exit(2);
}

const externalNpm = {
  name: 'external-npm',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('@minik8s/')) return undefined; // compile workspace sources in
      if (!args.path.startsWith('node:')) externals.add(args.path);
      return { path: args.path, external: true };
    });
  },
};

const externals = new Set();
const result = await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  format: selfContained ? 'cjs' : 'esm',
  target: 'node20',
  sourcemap: true,
  banner: { js: '#!/usr/bin/env node' },
  plugins: selfContained ? [] : [externalNpm],
  logLevel: 'warning',
});

void result;
// Every npm import left in the bundle must resolve from where the bundle runs: a package
// that workspace code imports must be a dependency of the package being bundled.
const { createRequire } = await import('node:module');
const { dirname, resolve } = await import('node:path');
const req = createRequire(resolve(dirname(outfile), 'x.js'));
const missing = [...externals].filter((m) => {
  const base = m.startsWith('@') ? m.split('/').slice(0, 2).join('/') : m.split('/')[0];
  try {
    req.resolve(`${base}/package.json`);
    return false;
  } catch {
    try {
      req.resolve(base);
      return false;
    } catch {
      return true;
    }
  }
});
if (missing.length) {
  console.error(`bundle.mjs: ${outfile} imports packages its package does not depend on: ${missing.join(', ')}`);
  process.exit(1);
}
