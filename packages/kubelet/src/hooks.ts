/**
 * Container lifecycle hooks (`postStart`, `preStop`), as the kubelet's handler runner
 * (pkg/kubelet/lifecycle/handlers.go) runs them: `exec` inside the container, `httpGet`
 * against the Pod's address (or `host`), `sleep` for `seconds` (cut short, and failed,
 * when the deadline comes first: a preStop hook has the grace period). A hook succeeds or
 * fails with upstream's message, which becomes the `FailedPostStartHook` /
 * `FailedPreStopHook` event. As upstream, an HTTP hook fails only when the request does
 * (any answer, whatever its status code, is a success).
 */
import type { Container, Pod } from '@minik8s/api';
import { kubeletGet } from './http-get.ts';
import { podRef } from './runtime/labels.ts';
import type { ContainerRuntime } from './runtime/runtime.ts';

export type LifecycleHandler = NonNullable<NonNullable<Container['lifecycle']>['postStart']>;

export type HookResult = { ok: true } | { ok: false; message: string };

export interface HookContext {
  runtime: ContainerRuntime;
  pod: Pod;
  container: Container;
  containerId: string;
  /** Where an httpGet without `host` goes. */
  podIP?: string;
  /** How long the hook may take (ms); undefined: as long as it takes. */
  timeoutMs?: number;
  /** Sleeps for testing with a fake clock. */
  sleep?: (ms: number) => Promise<void>;
}

/** setTimeout's largest delay: "no deadline". */
const FOREVER_MS = 2 ** 31 - 1;

function formatPod(pod: Pod): string {
  const r = podRef(pod);
  return `${r.name}_${r.namespace}(${r.uid})`;
}

function resolvePort(c: Container, port: number | string | undefined): number {
  if (typeof port === 'number') return port;
  if (port === undefined || port === '') return 80;
  if (/^\d+$/.test(port)) return Number(port);
  const named = c.ports?.find((p) => p.name === port);
  if (!named) throw new Error(`couldn't find port: ${port} in ${c.name}`);
  return named.containerPort;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.min(ms, FOREVER_MS)));

/** Runs one hook to its end (or its deadline). */
export async function runHook(handler: LifecycleHandler, o: HookContext): Promise<HookResult> {
  const who = `for Container ${JSON.stringify(o.container.name)} in Pod ${JSON.stringify(formatPod(o.pod))}`;
  const timeoutMs = Math.min(o.timeoutMs ?? FOREVER_MS, FOREVER_MS);
  if (handler.exec) {
    const command = handler.exec.command ?? [];
    const shown = `[${command.join(' ')}]`;
    try {
      const r = await o.runtime.exec(o.containerId, command, timeoutMs);
      if (r.timedOut)
        return { ok: false, message: `Exec lifecycle hook (${shown}) ${who} failed - error: command timed out, message: ${JSON.stringify(r.output)}` };
      if (r.exitCode !== 0) {
        return {
          ok: false,
          message: `Exec lifecycle hook (${shown}) ${who} failed - error: command '${command.join(' ')}' exited with ${r.exitCode}: ${r.output}, message: ${JSON.stringify(r.output)}`,
        };
      }
      return { ok: true };
    } catch (e) {
      return { ok: false, message: `Exec lifecycle hook (${shown}) ${who} failed - error: ${(e as Error).message}, message: ""` };
    }
  }
  if (handler.httpGet) {
    const g = handler.httpGet;
    try {
      const host = g.host || o.podIP;
      if (!host) throw new Error('failed to find networking container: the Pod has no IP');
      const scheme = (g.scheme ?? 'HTTP').toLowerCase();
      const path = g.path ? (g.path.startsWith('/') ? g.path : `/${g.path}`) : '/';
      const hostPort = `${host.includes(':') ? `[${host}]` : host}:${resolvePort(o.container, g.port)}`;
      const url = `${scheme}://${hostPort}${path}`;
      const headers: Record<string, string> = { 'user-agent': 'kube-lifecycle/1.32', accept: '*/*' };
      for (const h of g.httpHeaders ?? []) headers[h.name.toLowerCase()] = h.value;
      // Any answer is a success, as upstream's hook client has it.
      await kubeletGet(url, headers, timeoutMs);
      return { ok: true };
    } catch (e) {
      return { ok: false, message: `HTTP lifecycle hook (${g.path ?? ''}) ${who} failed - error: ${(e as Error).message}` };
    }
  }
  if (handler.sleep) {
    const ms = Math.max(0, handler.sleep.seconds) * 1000;
    await (o.sleep ?? defaultSleep)(Math.min(ms, timeoutMs));
    if (ms > timeoutMs) {
      return { ok: false, message: `Sleep lifecycle hook (${handler.sleep.seconds}) ${who} failed - error: container terminated before sleep hook finished` };
    }
    return { ok: true };
  }
  if (handler.tcpSocket) return { ok: false, message: `Cannot run handler: invalid handler: tcpSocket is not supported as a lifecycle hook ${who}` };
  return { ok: false, message: `Cannot run handler: invalid handler ${who}` };
}
