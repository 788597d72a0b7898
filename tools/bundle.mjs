#!/usr/bin/env node
// Bundles a component's entry point into one runnable file: the workspace's own
// TypeScript packages (@minik8s/*, which export their sources) are compiled in, and
// every npm dependency stays an import, resolved from node_modules at run time.
// Usage: node tools/bundle.mjs <entry.ts> <out.js>
import { build } from 'esbuild';

const [entry, outfile] = process.argv.slice(2);
if (!entry || !outfile) {
  console.error('usage: bundle.mjs <entry.ts> <out.js>');
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
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  banner: { js: '#!/usr/bin/env node' },
  plugins: [externalNpm],
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
