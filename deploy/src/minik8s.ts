/**
 * `minik8s <component> [flags]`: the entry point of the cluster image. Each component is
 * its own bundle (`/opt/minik8s/<component>/cli.js`) and runs as its own process; this
 * picks one from the first argument. `bootstrap` makes the cluster's certificates.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { bootstrap, type NodeSpec } from './bootstrap.ts';

const COMPONENTS = ['etcdlite', 'apiserver', 'scheduler', 'controller-manager', 'kubelet'];

const USAGE = `Usage: minik8s <component> [flags]

Components: ${COMPONENTS.join(', ')}, bootstrap
  bootstrap --state-dir DIR --in-cluster-server URL --host-server URL --node NAME=IP...
Each component takes --help.
`;

async function runBootstrap(argv: string[]): Promise<void> {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      'state-dir': { type: 'string', default: '/var/lib/minik8s' },
      'in-cluster-server': { type: 'string', default: 'https://apiserver:6443' },
      'host-server': { type: 'string', default: 'https://127.0.0.1:6443' },
      node: { type: 'string', multiple: true, default: [] },
    },
    strict: true,
  });
  const nodes: NodeSpec[] = (v.node ?? []).map((s) => {
    const [name, ip] = s.split('=');
    if (!name || !ip) throw new Error(`--node: want NAME=IP, got "${s}"`);
    return { name, ip };
  });
  const r = await bootstrap({
    stateDir: v['state-dir']!,
    inClusterServer: v['in-cluster-server']!,
    hostServer: v['host-server']!,
    nodes,
    log: (line) => process.stdout.write(`bootstrap: ${line}\n`),
  });
  process.stdout.write(`bootstrap: ${r.created.length ? `${r.created.length} files made` : 'certificates already in place'} in ${r.pkiDir}\n`);
}

async function main(): Promise<void> {
  const [component, ...rest] = process.argv.slice(2);
  if (!component || component === '--help' || component === '-h') return void process.stdout.write(USAGE);
  if (component === 'bootstrap') return runBootstrap(rest);
  if (!COMPONENTS.includes(component)) {
    process.stderr.write(`minik8s: unknown component "${component}"\n${USAGE}`);
    process.exit(2);
  }
  // The component reads its flags from process.argv.slice(2).
  process.argv.splice(2, 1);
  await import(join(import.meta.dirname, '..', component, 'cli.js'));
}

main().catch((e: unknown) => {
  process.stderr.write(`minik8s: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
