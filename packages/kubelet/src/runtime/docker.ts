/**
 * The Docker implementation of the runtime, through dockerode. No API version is
 * pinned: Docker negotiates (the engine here speaks 1.41).
 */
import { PassThrough, type Readable } from 'node:stream';
import Docker from 'dockerode';
import { DockerDemux, demuxBuffer } from '../internal/demux.ts';
import type { ContainerInfo, ContainerRuntime, ContainerState, ContainerSummary, CreateContainerSpec, ExecResult, LogOptions, RuntimeInfo } from './runtime.ts';

const ZERO_TIME = '0001-01-01T00:00:00Z';

function time(t: string | undefined): string | undefined {
  if (!t || t.startsWith('0001-01-01')) return undefined;
  // Docker's nanoseconds → RFC 3339 seconds, as the API server stores times.
  return `${t
    .replace(/\.\d+/, '')
    .replace(/Z?$/, '')
    .replace(/[+-]\d\d:\d\d$/, '')}Z`;
}

function statusCode(e: unknown): number | undefined {
  return (e as { statusCode?: number } | undefined)?.statusCode;
}

export interface DockerRuntimeOptions {
  /** Default: DOCKER_HOST or /var/run/docker.sock, as dockerode finds it. */
  socketPath?: string;
}

export class DockerRuntime implements ContainerRuntime {
  readonly docker: Docker;

  constructor(o: DockerRuntimeOptions = {}) {
    this.docker = o.socketPath ? new Docker({ socketPath: o.socketPath }) : new Docker();
  }

  async info(): Promise<RuntimeInfo> {
    const i = await this.docker.info();
    return {
      cpus: Number(i.NCPU ?? 1),
      memoryBytes: Number(i.MemTotal ?? 0),
      kernelVersion: String(i.KernelVersion ?? ''),
      operatingSystem: String(i.OperatingSystem ?? ''),
      serverVersion: String(i.ServerVersion ?? ''),
      architecture: String(i.Architecture ?? ''),
    };
  }

  async list(labels: Record<string, string>): Promise<ContainerSummary[]> {
    const label = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
    const cs = await this.docker.listContainers({ all: true, filters: { label } });
    return cs.map((c) => ({
      id: c.Id,
      name: (c.Names?.[0] ?? '').replace(/^\//, ''),
      labels: c.Labels ?? {},
      state: c.State as ContainerState,
    }));
  }

  async inspect(id: string): Promise<ContainerInfo | undefined> {
    let c: Docker.ContainerInspectInfo;
    try {
      c = await this.docker.getContainer(id).inspect();
    } catch (e) {
      if (statusCode(e) === 404) return undefined;
      throw e;
    }
    const ips: Record<string, string> = {};
    for (const [net, ep] of Object.entries(c.NetworkSettings?.Networks ?? {})) if (ep.IPAddress) ips[net] = ep.IPAddress;
    return {
      id: c.Id,
      name: c.Name.replace(/^\//, ''),
      labels: c.Config.Labels ?? {},
      state: c.State.Status as ContainerState,
      image: c.Config.Image,
      imageId: c.Image,
      exitCode: c.State.ExitCode,
      oomKilled: c.State.OOMKilled,
      error: c.State.Error ?? '',
      createdAt: time(c.Created) ?? ZERO_TIME,
      startedAt: time(c.State.StartedAt),
      finishedAt: time(c.State.FinishedAt),
      ips,
    };
  }

  async imageId(ref: string): Promise<string | undefined> {
    try {
      return (await this.docker.getImage(ref).inspect()).Id;
    } catch (e) {
      if (statusCode(e) === 404) return undefined;
      throw e;
    }
  }

  async pull(ref: string): Promise<void> {
    const stream = await this.docker.pull(ref);
    await new Promise<void>((resolve, reject) => {
      this.docker.modem.followProgress(stream, (err: Error | null, out: Array<{ error?: string }>) => {
        const failed = out?.find((o) => o.error);
        if (err) reject(err);
        else if (failed) reject(new Error(failed.error));
        else resolve();
      });
    });
  }

  async create(s: CreateContainerSpec): Promise<string> {
    const c = await this.docker.createContainer({
      name: s.name,
      Image: s.image,
      Labels: s.labels,
      ...(s.entrypoint ? { Entrypoint: s.entrypoint } : {}),
      ...(s.cmd ? { Cmd: s.cmd } : {}),
      Env: s.env ?? [],
      ...(s.workingDir ? { WorkingDir: s.workingDir } : {}),
      ...(s.hostname ? { Hostname: s.hostname } : {}),
      Tty: s.tty ?? false,
      OpenStdin: s.stdin ?? false,
      HostConfig: {
        ...(s.networkMode ? { NetworkMode: s.networkMode } : s.network ? { NetworkMode: s.network.name } : {}),
        ...(s.nanoCpus ? { NanoCpus: s.nanoCpus } : {}),
        ...(s.cpuShares ? { CpuShares: s.cpuShares } : {}),
        ...(s.memory ? { Memory: s.memory } : {}),
        ...(s.binds?.length ? { Binds: s.binds } : {}),
        ...(s.capAdd?.length ? { CapAdd: s.capAdd } : {}),
        RestartPolicy: { Name: 'no' },
        LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '2' } },
      },
      ...(s.network ? { NetworkingConfig: { EndpointsConfig: { [s.network.name]: { IPAMConfig: { IPv4Address: s.network.ip } } } } } : {}),
    });
    return c.id;
  }

  async start(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).start();
    } catch (e) {
      if (statusCode(e) === 304) return; // already started
      throw e;
    }
  }

  async stop(id: string, timeoutSeconds: number): Promise<void> {
    try {
      await this.docker.getContainer(id).stop({ t: Math.max(0, Math.floor(timeoutSeconds)) });
    } catch (e) {
      const code = statusCode(e);
      if (code === 304 || code === 404) return;
      throw e;
    }
  }

  async remove(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true, v: true });
    } catch (e) {
      const code = statusCode(e);
      if (code === 404) return;
      if (code === 409 && /already in progress/.test(String((e as Error).message))) return;
      throw e;
    }
  }

  async exec(id: string, cmd: string[], timeoutMs: number): Promise<ExecResult> {
    const exec = await this.docker.getContainer(id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({ hijack: true, stdin: false });
    const out = new DockerDemux();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    stream.pipe(out);
    const finished = new Promise<boolean>((resolve) => {
      stream.on('end', () => resolve(true));
      stream.on('close', () => resolve(true));
      stream.on('error', () => resolve(true));
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const done = await Promise.race([finished, timedOut]);
    clearTimeout(timer);
    if (!done) {
      stream.destroy();
      return { exitCode: -1, output: Buffer.concat(chunks).toString('utf8'), timedOut: true };
    }
    const info = await exec.inspect();
    return { exitCode: info.ExitCode ?? -1, output: Buffer.concat(chunks).toString('utf8'), timedOut: false };
  }

  async logs(id: string, o: LogOptions): Promise<Readable> {
    const c = this.docker.getContainer(id);
    const opts = {
      stdout: true,
      stderr: true,
      timestamps: o.timestamps ?? false,
      ...(o.tail !== undefined ? { tail: o.tail } : {}),
      ...(o.since !== undefined ? { since: o.since } : {}),
      ...(o.signal ? { abortSignal: o.signal } : {}),
    };
    if (o.follow) {
      const raw = (await c.logs({ ...opts, follow: true })) as unknown as Readable;
      const out = new DockerDemux();
      raw.on('error', (e) => out.destroy(e));
      out.on('close', () => raw.destroy());
      return raw.pipe(out);
    }
    const buf = (await c.logs({ ...opts, follow: false })) as unknown as Buffer;
    const pt = new PassThrough();
    pt.end(demuxBuffer(Buffer.isBuffer(buf) ? buf : Buffer.from(String(buf))));
    return pt;
  }

  async networkAddresses(network: string): Promise<Set<string>> {
    const n = await this.docker.getNetwork(network).inspect();
    const used = new Set<string>();
    for (const c of Object.values((n.Containers ?? {}) as Record<string, { IPv4Address?: string }>)) {
      if (c.IPv4Address) used.add(c.IPv4Address.split('/')[0]!);
    }
    for (const cfg of (n.IPAM?.Config ?? []) as Array<{ Gateway?: string }>) if (cfg.Gateway) used.add(cfg.Gateway);
    return used;
  }

  async networkSubnets(network: string): Promise<string[]> {
    const n = await this.docker.getNetwork(network).inspect();
    return ((n.IPAM?.Config ?? []) as Array<{ Subnet?: string }>).map((c) => c.Subnet).filter((s): s is string => !!s);
  }
}
