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
      return { path: args.path, external: true };
    });
  },
};

await build({
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
