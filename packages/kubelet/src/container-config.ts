/**
 * From a Pod's container spec to what Docker is asked to create, as the kubelet's
 * runtime manager does it: command → Entrypoint and args → Cmd (so `command` drops the
 * image's CMD, `args` alone keeps its ENTRYPOINT), env with `valueFrom` and `$(VAR)`
 * expansion, working directory, CPU and memory limits.
 */
import { bytes, type Container, milliCpu, type Pod } from '@minik8s/api';

/** Reads a key of a ConfigMap or Secret (Secret values already decoded). */
export type KeyLookup = (kind: 'ConfigMap' | 'Secret', namespace: string, name: string) => Promise<Record<string, string> | undefined>;

export class ConfigError extends Error {
  constructor(
    message: string,
    readonly reason = 'CreateContainerConfigError',
  ) {
    super(message);
  }
}

/** `$(VAR)` references expanded from `env`; `$$(VAR)` escapes; unknown references stay as they are. */
export function expand(s: string, env: Map<string, string>): string {
  return s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) => {
    if (m === '$$') return '$';
    return name !== undefined && env.has(name) ? env.get(name)! : m;
  });
}

function fieldRef(pod: Pod, path: string, podIP: string | undefined, hostIP: string | undefined): string {
  const m = pod.metadata;
  const label = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (label) {
    const map = label[1] === 'labels' ? m?.labels : m?.annotations;
    return map?.[label[2]!] ?? '';
  }
  switch (path) {
    case 'metadata.name':
      return m?.name ?? '';
    case 'metadata.namespace':
      return m?.namespace ?? '';
    case 'metadata.uid':
      return m?.uid ?? '';
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.podIP':
    case 'status.podIPs':
      return podIP ?? '';
    case 'status.hostIP':
    case 'status.hostIPs':
      return hostIP ?? '';
    default:
      throw new ConfigError(`unsupported fieldRef ${path}`);
  }
}

function resourceRef(c: Container, resource: string, divisor: string | undefined): string {
  const limits = c.resources?.limits ?? {};
  const requests = c.resources?.requests ?? {};
  const [kind, name] = resource.split('.') as [string, string];
  const v = (kind === 'limits' ? limits[name] : requests[name]) ?? (kind === 'requests' ? limits[name] : undefined);
  if (name === 'cpu') {
    const div = milliCpu(divisor ?? '1') || 1000;
    return String(Math.ceil(milliCpu(v ?? '0') / div));
  }
  const div = bytes(divisor ?? '1') || 1;
  return String(Math.ceil(bytes(v ?? '0') / div));
}

/** The container's environment, in order, as NAME=value strings. */
export async function buildEnv(pod: Pod, c: Container, ctx: { podIP?: string; hostIP?: string; lookup?: KeyLookup }): Promise<string[]> {
  const ns = pod.metadata?.namespace ?? 'default';
  const env = new Map<string, string>();
  const get = async (kind: 'ConfigMap' | 'Secret', name: string) => {
    if (!ctx.lookup) throw new ConfigError(`cannot read ${kind.toLowerCase()} "${name}"`);
    return ctx.lookup(kind, ns, name);
  };
  for (const from of c.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    if (!ref?.name) continue;
    const kind = from.configMapRef ? 'ConfigMap' : 'Secret';
    const data = await get(kind, ref.name);
    if (!data) {
      if (ref.optional) continue;
      throw new ConfigError(`${kind.toLowerCase()} "${ref.name}" not found`);
    }
    for (const [k, v] of Object.entries(data)) env.set((from.prefix ?? '') + k, v);
  }
  for (const e of c.env ?? []) {
    if (e.value !== undefined || !e.valueFrom) {
      env.set(e.name, expand(e.value ?? '', env));
      continue;
    }
    const vf = e.valueFrom;
    if (vf.fieldRef) env.set(e.name, fieldRef(pod, vf.fieldRef.fieldPath, ctx.podIP, ctx.hostIP));
    else if (vf.resourceFieldRef) env.set(e.name, resourceRef(c, vf.resourceFieldRef.resource, vf.resourceFieldRef.divisor as string | undefined));
    else if (vf.configMapKeyRef || vf.secretKeyRef) {
      const ref = (vf.configMapKeyRef ?? vf.secretKeyRef)!;
      const kind = vf.configMapKeyRef ? 'ConfigMap' : 'Secret';
      const data = ref.name ? await get(kind, ref.name) : undefined;
      const value = data?.[ref.key];
      if (value === undefined) {
        if (ref.optional) continue;
        throw new ConfigError(data ? `couldn't find key ${ref.key} in ${kind} ${ns}/${ref.name}` : `${kind.toLowerCase()} "${ref.name ?? ''}" not found`);
      }
      env.set(e.name, value);
    }
  }
  return [...env].map(([k, v]) => `${k}=${v}`);
}

export interface ContainerCommand {
  entrypoint?: string[];
  cmd?: string[];
}

/** command → Entrypoint, args → Cmd, both with `$(VAR)` expanded from the container's env. */
export function buildCommand(c: Container, env: string[]): ContainerCommand {
  const vars = new Map(env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  const out: ContainerCommand = {};
  if (c.command?.length) out.entrypoint = c.command.map((s) => expand(s, vars));
  if (c.args?.length) out.cmd = c.args.map((s) => expand(s, vars));
  return out;
}

/** CPU and memory as Docker takes them: limits.cpu → NanoCpus, requests.cpu → CpuShares, limits.memory → Memory. */
export function buildResources(c: Container): { nanoCpus?: number; cpuShares?: number; memory?: number } {
  const limits = c.resources?.limits ?? {};
  const requests = c.resources?.requests ?? {};
  const out: { nanoCpus?: number; cpuShares?: number; memory?: number } = {};
  if (limits.cpu !== undefined) out.nanoCpus = milliCpu(limits.cpu) * 1_000_000;
  const reqCpu = requests.cpu ?? limits.cpu;
  if (reqCpu !== undefined) out.cpuShares = Math.max(2, Math.floor((milliCpu(reqCpu) * 1024) / 1000));
  if (limits.memory !== undefined) out.memory = bytes(limits.memory);
  return out;
}
