/**
 * An in-memory container runtime for fast tests: containers with labels, states, exit
 * codes and times, images that are present or not, and addresses on networks. Nothing
 * runs: a test moves a container along (`exit`) where Docker would run it. Every
 * create, start, stop and remove is recorded in `calls`, and `fail` makes the next call
 * of a method throw, to reach error paths.
 */
import { Readable } from 'node:stream';
import { rfc3339 } from '@minik8s/api';
import { type Clock, realClock } from '@minik8s/client/kube';
import type { ContainerInfo, ContainerRuntime, ContainerSummary, CreateContainerSpec, ExecResult, RuntimeInfo } from './runtime.ts';

export interface FakeRuntimeOptions {
  clock?: Clock;
  /** Images present from the start. */
  images?: string[];
  /** Images a pull finds (others fail to pull). */
  pullable?: string[];
  /** The address range of every network: `<prefix>.<n>`, n from 2. Default 10.88.0. */
  addressPrefix?: string;
}

type Method = 'create' | 'start' | 'stop' | 'remove' | 'pull' | 'inspect' | 'list';

export class FakeRuntime implements ContainerRuntime {
  readonly containers = new Map<string, ContainerInfo & { spec: CreateContainerSpec; logs: string }>();
  /** `create <name>`, `start <name>`, `stop <name> <timeout>`, `remove <name>`, `pull <ref>`, in order. */
  readonly calls: string[] = [];
  /** What an exec answers (probes, sandbox routes). */
  exec = async (_id: string, _cmd: string[], _timeoutMs: number): Promise<ExecResult> => ({ exitCode: 0, output: '', timedOut: false });
  /** The exit code a container stopped with `stop` gets (SIGTERM). */
  stopExitCode = 143;
  private readonly clock: Clock;
  private readonly images = new Map<string, string>();
  private readonly pullable: Set<string>;
  private readonly failures = new Map<Method, Error>();
  private readonly addressPrefix: string;
  private seq = 0;

  constructor(o: FakeRuntimeOptions = {}) {
    this.clock = o.clock ?? realClock;
    for (const ref of o.images ?? []) this.addImage(ref);
    this.pullable = new Set(o.pullable ?? []);
    this.addressPrefix = o.addressPrefix ?? '10.88.0';
  }

  addImage(ref: string): void {
    this.images.set(ref, `sha256:${hex(this.images.size + 1)}`);
  }

  /** The next call of `method` throws `error`. */
  fail(method: Method, error: Error): void {
    this.failures.set(method, error);
  }

  /** The container's process ends with `exitCode`. */
  exit(id: string, exitCode: number, o: { oomKilled?: boolean } = {}): void {
    const c = this.get(id);
    Object.assign(c, { state: 'exited', exitCode, oomKilled: o.oomKilled ?? false, finishedAt: this.time() });
  }

  /** Containers whose name contains `part` (`k8s_<container>_<pod>_...`), in creation order. */
  named(part: string): ContainerInfo[] {
    return [...this.containers.values()].filter((c) => c.name.includes(part));
  }

  async info(): Promise<RuntimeInfo> {
    return { cpus: 2, memoryBytes: 2 ** 31, kernelVersion: 'fake', operatingSystem: 'fake', serverVersion: 'fake', architecture: 'x86_64' };
  }

  async list(labels: Record<string, string>): Promise<ContainerSummary[]> {
    this.failed('list');
    const wanted = Object.entries(labels);
    return [...this.containers.values()]
      .filter((c) => wanted.every(([k, v]) => c.labels[k] === v))
      .map((c) => ({ id: c.id, name: c.name, labels: { ...c.labels }, state: c.state }));
  }

  async inspect(id: string): Promise<ContainerInfo | undefined> {
    this.failed('inspect');
    const c = this.containers.get(id);
    if (!c) return undefined;
    const { spec: _spec, logs: _logs, ...info } = c;
    return structuredClone(info);
  }

  async imageId(ref: string): Promise<string | undefined> {
    return this.images.get(ref);
  }

  async pull(ref: string): Promise<void> {
    this.calls.push(`pull ${ref}`);
    this.failed('pull');
    if (!this.pullable.has(ref)) throw new Error(`pull access denied for ${ref}, repository does not exist`);
    this.addImage(ref);
  }

  async create(spec: CreateContainerSpec): Promise<string> {
    this.calls.push(`create ${spec.name}`);
    this.failed('create');
    if ([...this.containers.values()].some((c) => c.name === spec.name)) throw new Error(`Conflict. The container name "/${spec.name}" is already in use`);
    const imageId = this.images.get(spec.image);
    if (!imageId) throw new Error(`No such image: ${spec.image}`);
    const id = hex(++this.seq);
    const network = spec.network?.name ?? (spec.networkMode && !spec.networkMode.startsWith('container:') ? spec.networkMode : undefined);
    const ip = spec.network?.ip ?? (network ? this.freeAddress(network) : undefined);
    this.containers.set(id, {
      id,
      name: spec.name,
      labels: { ...spec.labels },
      state: 'created',
      image: spec.image,
      imageId,
      exitCode: 0,
      oomKilled: false,
      error: '',
      createdAt: this.time(),
      ips: network && ip ? { [network]: ip } : {},
      spec: structuredClone(spec),
      logs: '',
    });
    return id;
  }

  async start(id: string): Promise<void> {
    const c = this.get(id);
    this.calls.push(`start ${c.name}`);
    const e = this.failures.get('start');
    if (e) {
      this.failures.delete('start');
      Object.assign(c, { error: e.message, exitCode: 128 });
      throw e;
    }
    if (c.state === 'running') return;
    Object.assign(c, { state: 'running', startedAt: this.time(), finishedAt: undefined, exitCode: 0 });
  }

  async stop(id: string, timeoutSeconds: number): Promise<void> {
    const c = this.containers.get(id);
    if (!c) return;
    this.calls.push(`stop ${c.name} ${timeoutSeconds}`);
    this.failed('stop');
    if (c.state === 'running') this.exit(id, this.stopExitCode);
  }

  async remove(id: string): Promise<void> {
    const c = this.containers.get(id);
    if (!c) return;
    this.calls.push(`remove ${c.name}`);
    this.failed('remove');
    this.containers.delete(id);
  }

  async logs(id: string): Promise<Readable> {
    return Readable.from([this.get(id).logs]);
  }

  async networkAddresses(network: string): Promise<Set<string>> {
    const used = new Set<string>();
    for (const c of this.containers.values()) {
      const ip = c.ips[network];
      if (ip && c.state === 'running') used.add(ip);
    }
    return used;
  }

  async networkSubnets(): Promise<string[]> {
    return [`${this.addressPrefix}.0/24`];
  }

  private get(id: string) {
    const c = this.containers.get(id);
    if (!c) throw Object.assign(new Error(`No such container: ${id}`), { statusCode: 404 });
    return c;
  }

  private failed(method: Method): void {
    const e = this.failures.get(method);
    if (!e) return;
    this.failures.delete(method);
    throw e;
  }

  private freeAddress(network: string): string {
    const used = new Set([...this.containers.values()].map((c) => c.ips[network]));
    for (let n = 2; ; n++) if (!used.has(`${this.addressPrefix}.${n}`)) return `${this.addressPrefix}.${n}`;
  }

  private time(): string {
    return rfc3339(new Date(this.clock.now()));
  }
}

function hex(n: number): string {
  return n.toString(16).padStart(64, '0');
}
