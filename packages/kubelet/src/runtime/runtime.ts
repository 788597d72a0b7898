/**
 * The container runtime as the kubelet needs it: a small interface (kind's style), so
 * the pod worker never talks to Docker directly. docker.ts implements it for real;
 * fake.ts in memory, for fast tests and to reach error paths.
 */
import type { Readable } from 'node:stream';

export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

/** What a list answers: enough to notice that something changed. */
export interface ContainerSummary {
  id: string;
  name: string;
  labels: Record<string, string>;
  state: ContainerState;
}

/** What an inspect answers. Times are RFC 3339, absent when Docker has none. */
export interface ContainerInfo extends ContainerSummary {
  image: string;
  /** `sha256:...` */
  imageId: string;
  exitCode: number;
  oomKilled: boolean;
  /** Docker's error for a container that failed to start. */
  error: string;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  /** Its address on each network it is attached to. */
  ips: Record<string, string>;
}

export interface CreateContainerSpec {
  name: string;
  image: string;
  labels: Record<string, string>;
  entrypoint?: string[];
  cmd?: string[];
  env?: string[];
  workingDir?: string;
  hostname?: string;
  /** Attach to this network with this fixed address (the sandbox). */
  network?: { name: string; ip: string };
  /** `container:<id>`: join another container's network namespace (app containers). */
  networkMode?: string;
  nanoCpus?: number;
  cpuShares?: number;
  memory?: number;
  binds?: string[];
  /** Linux capabilities added (the sandbox: NET_ADMIN, to set the Pod's routes). */
  capAdd?: string[];
  tty?: boolean;
  stdin?: boolean;
}

export interface LogOptions {
  follow?: boolean;
  /** Only the last N lines. */
  tail?: number;
  /** Unix seconds. */
  since?: number;
  timestamps?: boolean;
  signal?: AbortSignal;
}

export interface RuntimeInfo {
  cpus: number;
  memoryBytes: number;
  kernelVersion: string;
  operatingSystem: string;
  serverVersion: string;
  architecture: string;
}

export interface ExecResult {
  exitCode: number;
  output: string;
  timedOut: boolean;
}

export interface ContainerRuntime {
  info(): Promise<RuntimeInfo>;
  /** Every container (running or not) carrying all these labels. */
  list(labels: Record<string, string>): Promise<ContainerSummary[]>;
  /** undefined if there is no such container. */
  inspect(id: string): Promise<ContainerInfo | undefined>;
  /** The image's id if it is present locally. */
  imageId(ref: string): Promise<string | undefined>;
  pull(ref: string): Promise<void>;
  create(spec: CreateContainerSpec): Promise<string>;
  start(id: string): Promise<void>;
  /** SIGTERM, then SIGKILL after `timeoutSeconds`. A container that is not running is fine. */
  stop(id: string, timeoutSeconds: number): Promise<void>;
  /** Force-removes; a container that is already gone is fine. */
  remove(id: string): Promise<void>;
  exec(id: string, cmd: string[], timeoutMs: number): Promise<ExecResult>;
  /** stdout and stderr, demultiplexed into one text stream. */
  logs(id: string, o: LogOptions): Promise<Readable>;
  /** Addresses in use on a network. */
  networkAddresses(network: string): Promise<Set<string>>;
  /** The network's subnets (CIDR strings). */
  networkSubnets(network: string): Promise<string[]>;
}

/** An error that means the runtime itself could not be reached. */
export function isRuntimeDown(e: unknown): boolean {
  const code = (e as { code?: string } | undefined)?.code;
  return code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'EACCES' || code === 'ECONNRESET' || code === 'EPIPE';
}
