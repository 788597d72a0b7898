/**
 * `minik8s <component> [flags]`: the entry point of the cluster image. Each component is
 * its own bundle (`/opt/minik8s/<component>/cli.js`) and runs as its own process; this
 * picks one from the first argument. `bootstrap` makes the cluster's certificates.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { bootstrap, type NodeSpec } from './bootstrap.ts';

const COMPONENTS = ['etcdlite', 'apiserver', 'scheduler', 'controller-manager', 'kubelet', 'kube-proxy', 'dns', 'ingress'];

const USAGE = `Usage: minik8s <component> [flags]
       minik8s together <component> [flags] --and <component> [flags] ...

Components: ${COMPONENTS.join(', ')}, bootstrap
  bootstrap --state-dir DIR --in-cluster-server URL --host-server URL --node NAME=IP...
  together  runs several components as processes of one container (a node: kubelet and
            kube-proxy); when one ends, the others are stopped and the container ends.
Each component takes --help.
`;

/** Several components, each its own process; signals go to all, the first exit ends all. */
function together(argv: string[]): Promise<void> {
  const groups: string[][] = [[]];
  for (const a of argv) {
    if (a === '--and') groups.push([]);
    else groups.at(-1)!.push(a);
  }
  for (const g of groups) if (!g[0] || !COMPONENTS.includes(g[0])) throw new Error(`together: unknown component "${g[0] ?? ''}"\n${USAGE}`);
  const children = groups.map((g) => spawn(process.execPath, [import.meta.filename, ...g], { stdio: 'inherit' }));
  let ending = false;
  const endAll = (signal: NodeJS.Signals) => {
    ending = true;
    for (const c of children) if (c.exitCode === null) c.kill(signal);
  };
  process.on('SIGTERM', () => endAll('SIGTERM'));
  process.on('SIGINT', () => endAll('SIGINT'));
  return new Promise(() => {
    let left = children.length;
    let first: number | undefined;
    children.forEach((c, i) => {
      c.on('exit', (code, signal) => {
        first ??= code ?? (signal ? 1 : 0);
        if (!ending) {
          process.stderr.write(`minik8s: ${groups[i]![0]} ended (${signal ?? `exit ${code}`}); stopping the others\n`);
          endAll('SIGTERM');
        }
        if (--left === 0) process.exit(first);
      });
    });
  });
}

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
  if (component === 'together') return together(rest);
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
