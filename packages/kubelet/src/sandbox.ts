/**
 * The Pod sandbox: a container that only sleeps, on the pod network with a fixed
 * address from the node's pod CIDR (.2 upwards, skipping addresses in use on the
 * network or being given out) and the Pod's hostname. App containers join its
 * network namespace.
 */
import type { Pod } from '@minik8s/api';
import type { ImagePuller } from './images.ts';
import { firstFree } from './internal/ip.ts';
import {
  containerName,
  LABEL_CONTAINER_NAME,
  LABEL_POD_UID,
  LABEL_RESTART_COUNT,
  LABEL_TYPE,
  podLabels,
  podRef,
  SANDBOX_CONTAINER_NAME,
  TYPE_SANDBOX,
} from './runtime/labels.ts';
import type { ContainerInfo, ContainerRuntime } from './runtime/runtime.ts';

export interface SandboxDeps {
  nodeName: string;
  runtime: ContainerRuntime;
  images: ImagePuller;
  infraImage: string;
  infraCommand?: string[];
  podNetwork: string;
  /** Addresses from the node's pod CIDR; without it Docker picks one. */
  addresses?: AddressPool;
  /** Routes the Pod adds through its node (the Service range), with the node's address. */
  podRoutes?: { cidrs: string[]; via: string };
  /** Mounts every container of the Pod gets (its resolv.conf). */
  binds?: string[];
  extraLabels: Record<string, string>;
}

/**
 * The node's Pod addresses. Choosing one is serialised and the choice is held until its
 * sandbox is on the network (Docker lists only running containers there), so sandboxes
 * are created and started in parallel without two of them picking the same address.
 */
export class AddressPool {
  private readonly held = new Set<string>();
  private choosing: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly cidr: string,
    private readonly inUse: () => Promise<Set<string>>,
  ) {}

  /** A free address, held until `release()`. */
  reserve(): Promise<{ ip: string; release(): void }> {
    const choose = async () => {
      const used = await this.inUse();
      for (const ip of this.held) used.add(ip);
      const ip = firstFree(this.cidr, used);
      if (!ip) throw new Error(`no free address left in ${this.cidr}`);
      this.held.add(ip);
      return { ip, release: () => this.held.delete(ip) };
    };
    const p = this.choosing.then(choose, choose);
    this.choosing = p.catch(() => undefined);
    return p;
  }
}

export async function createSandbox(d: SandboxDeps, pod: Pod, attempt: number): Promise<ContainerInfo> {
  const img = await d.images.ensure(d.infraImage, 'IfNotPresent', `sandbox/${d.infraImage}`, () => {});
  if (!img.ok) throw new Error(img.message);
  const address = await d.addresses?.reserve();
  try {
    return await startSandbox(d, pod, attempt, address?.ip);
  } finally {
    address?.release();
  }
}

async function startSandbox(d: SandboxDeps, pod: Pod, attempt: number, ip: string | undefined): Promise<ContainerInfo> {
  const r = podRef(pod);
  const name = containerName(SANDBOX_CONTAINER_NAME, r, attempt);
  await removeByName(d.runtime, name);
  const id = await d.runtime.create({
    name,
    image: d.infraImage,
    labels: {
      ...podLabels(r, d.nodeName),
      ...d.extraLabels,
      [LABEL_TYPE]: TYPE_SANDBOX,
      [LABEL_CONTAINER_NAME]: SANDBOX_CONTAINER_NAME,
      [LABEL_RESTART_COUNT]: String(attempt),
    },
    ...(d.infraCommand ? { entrypoint: d.infraCommand.slice(0, 1), cmd: d.infraCommand.slice(1) } : {}),
    hostname: (pod.spec?.hostname ?? r.name).slice(0, 63),
    ...(d.binds?.length ? { binds: d.binds } : {}),
    ...(d.podRoutes?.cidrs.length ? { capAdd: ['NET_ADMIN'] } : {}),
    network: ip ? { name: d.podNetwork, ip } : undefined,
    ...(ip ? {} : { networkMode: d.podNetwork }),
  });
  let info: ContainerInfo | undefined;
  try {
    await d.runtime.start(id);
    // The Service range goes through the node, where kube-proxy's rules are; set before
    // any app container runs (while the sandbox's address is read).
    const routes = async () => {
      for (const cidr of d.podRoutes?.cidrs ?? []) {
        const r = await d.runtime.exec(id, ['ip', 'route', 'replace', cidr, 'via', d.podRoutes!.via], 10_000);
        if (r.exitCode !== 0) throw new Error(`cannot route ${cidr} via ${d.podRoutes!.via} in the sandbox: ${r.output.trim() || `exit ${r.exitCode}`}`);
      }
    };
    [, info] = await Promise.all([routes(), d.runtime.inspect(id)]);
  } catch (e) {
    await d.runtime.remove(id);
    throw e;
  }
  if (!info) throw new Error('the sandbox disappeared as it started');
  return info;
}

export async function removeByName(runtime: ContainerRuntime, name: string): Promise<void> {
  const uid = name.split('_')[4] ?? '';
  for (const c of await runtime.list({ [LABEL_POD_UID]: uid })) if (c.name === name) await runtime.remove(c.id);
}
