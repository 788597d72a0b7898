/**
 * Image pulls by imagePullPolicy, as the kubelet's image manager: Never with a missing
 * image is ErrImageNeverPull; a failed pull is ErrImagePull and starts a back-off during
 * which the container waits with ImagePullBackOff. Events carry upstream's wording.
 *
 * With `localFallback` (not upstream; the compose cluster turns it on), a pull that fails
 * while an image of exactly that name is on the node runs the local image, with a
 * Warning `PulledLocal` naming its ID: `myapp:latest` built on this machine runs under
 * the default `Always` policy without a registry. An image that exists nowhere still
 * fails as upstream.
 */
import type { Container } from '@minik8s/api';
import type { Backoff } from './backoff.ts';
import type { ContainerRuntime } from './runtime/runtime.ts';

export type ImageEvent = (type: 'Normal' | 'Warning', reason: string, message: string) => void;

export type EnsureResult = { ok: true; imageId: string } | { ok: false; reason: string; message: string };

/** Upstream's default: Always for `:latest` or no tag, else IfNotPresent. */
export function pullPolicy(c: Container): string {
  if (c.imagePullPolicy) return c.imagePullPolicy;
  const image = c.image ?? '';
  const last = image.split('/').pop() ?? '';
  if (image.includes('@')) return 'IfNotPresent';
  return !last.includes(':') || last.endsWith(':latest') ? 'Always' : 'IfNotPresent';
}

export class ImagePuller {
  constructor(
    private readonly runtime: ContainerRuntime,
    private readonly backoff: Backoff,
    private readonly localFallback = false,
  ) {}

  /** Drops the pull back-offs of a Pod that is gone (they are keyed `<uid>/<image>`). */
  forgetPod(uid: string): void {
    this.backoff.resetPrefix(`${uid}/`);
  }

  async ensure(image: string, policy: string, backoffKey: string, event: ImageEvent): Promise<EnsureResult> {
    const present = await this.runtime.imageId(image);
    if (policy === 'Never' || (policy === 'IfNotPresent' && present)) {
      if (present) {
        event('Normal', 'Pulled', `Container image "${image}" already present on machine`);
        return { ok: true, imageId: present };
      }
      const message = `Container image "${image}" is not present with pull policy of Never`;
      event('Warning', 'ErrImageNeverPull', message);
      return { ok: false, reason: 'ErrImageNeverPull', message };
    }
    if (this.backoff.isInBackOffSinceUpdate(backoffKey)) {
      const message = `Back-off pulling image "${image}"`;
      event('Normal', 'BackOff', message);
      return { ok: false, reason: 'ImagePullBackOff', message };
    }
    event('Normal', 'Pulling', `Pulling image "${image}"`);
    const started = Date.now();
    try {
      await this.runtime.pull(image);
    } catch (e) {
      if (this.localFallback && present) {
        this.backoff.reset(backoffKey);
        const why = (e as Error).message;
        event('Warning', 'PulledLocal', `Failed to pull image "${image}" (${why}); running the image of that name on this node instead: ${present}`);
        return { ok: true, imageId: present };
      }
      this.backoff.next(backoffKey);
      const message = `Failed to pull image "${image}": ${(e as Error).message}`;
      event('Warning', 'Failed', message);
      event('Warning', 'Failed', 'Error: ErrImagePull');
      return { ok: false, reason: 'ErrImagePull', message };
    }
    this.backoff.reset(backoffKey);
    const id = (await this.runtime.imageId(image)) ?? '';
    event('Normal', 'Pulled', `Successfully pulled image "${image}" in ${Date.now() - started}ms`);
    return { ok: true, imageId: id };
  }
}
