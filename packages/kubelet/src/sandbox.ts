/**
 * The Pod sandbox: a container that only sleeps, on the pod network with a fixed
 * address from the node's pod CIDR (.2 upwards, skipping addresses in use on the
 * network) and the Pod's hostname. App containers join its network namespace.
 */
import type { Pod } from '@minik8s/api';
import type { ImagePuller } from './images.ts';
import { firstFree } from './internal/ip.ts';
import { containerName, LABEL_CONTAINER_NAME, LABEL_RESTART_COUNT, LABEL_TYPE, podLabels, podRef, SANDBOX_CONTAINER_NAME, TYPE_SANDBOX } from './runtime/labels.ts';
import type { ContainerInfo, ContainerRuntime } from './runtime/runtime.ts';

export interface SandboxDeps {
  nodeName: string;
  runtime: ContainerRuntime;
  images: ImagePuller;
  infraImage: string;
  infraCommand?: string[];
  podNetwork: string;
  podCidr?: string;
  extraLabels: Record<string, string>;
}

export async function createSandbox(d: SandboxDeps, pod: Pod, attempt: number): Promise<ContainerInfo> {
  const r = podRef(pod);
  const img = await d.images.ensure(d.infraImage, 'IfNotPresent', `sandbox/${d.infraImage}`, () => {});
  if (!img.ok) throw new Error(img.message);
  let ip: string | undefined;
  if (d.podCidr) {
    const used = await d.runtime.networkAddresses(d.podNetwork);
    ip = firstFree(d.podCidr, used);
    if (!ip) throw new Error(`no free address left in ${d.podCidr}`);
  }
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
    network: ip ? { name: d.podNetwork, ip } : undefined,
    ...(ip ? {} : { networkMode: d.podNetwork }),
  });
  try {
    await d.runtime.start(id);
  } catch (e) {
    await d.runtime.remove(id);
    throw e;
  }
  const info = await d.runtime.inspect(id);
  if (!info) throw new Error('the sandbox disappeared as it started');
  return info;
}

export async function removeByName(runtime: ContainerRuntime, name: string): Promise<void> {
  const uid = name.split('_')[4] ?? '';
  for (const c of await runtime.list({ 'io.kubernetes.pod.uid': uid })) if (c.name === name) await runtime.remove(c.id);
}
