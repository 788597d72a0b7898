/**
 * Liveness, readiness and startup probes, as the kubelet's prober workers run them: one
 * worker per running container and probe kind, every periodSeconds after
 * initialDelaySeconds, turning results over after successThreshold / failureThreshold
 * consecutive ones. Readiness starts false, liveness true, startup false; liveness and
 * readiness wait for the startup probe. A failed liveness or startup probe puts the
 * worker on hold until the container is replaced. Every failure is an `Unhealthy` event.
 */
import { connect } from 'node:net';
import type { Container, Pod, Probe } from '@minik8s/api';
import { type Clock, realClock, type TimerHandle } from '@minik8s/client/kube';
import { kubeletGet } from './http-get.ts';
import { fieldPath } from './pod-actions.ts';
import type { ContainerRuntime } from './runtime/runtime.ts';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';
export type ProbeOutcome = { ok: boolean; output: string };

const KIND_LABEL: Record<ProbeKind, string> = { liveness: 'Liveness', readiness: 'Readiness', startup: 'Startup' };

export interface ProbeManagerOptions {
  runtime: ContainerRuntime;
  clock?: Clock;
  /** A result changed: sync the Pod. */
  onChange(podKey: string): void;
  /** An `Unhealthy` event (and anything else the manager reports). */
  event?(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string, fieldPath?: string): void;
}

interface Worker {
  key: string;
  podKey: string;
  podUid: string;
  containerId: string;
  kind: ProbeKind;
  result: boolean;
  successRun: number;
  failureRun: number;
  onHold: boolean;
  timer?: TimerHandle;
  stopped: boolean;
}

function portOf(c: Container, port: number | string | undefined): number {
  if (typeof port === 'number') return port;
  if (port === undefined) return 0;
  if (/^\d+$/.test(port)) return Number(port);
  const named = c.ports?.find((p) => p.name === port);
  if (!named) throw new Error(`port "${port}" is not a container port name`);
  return named.containerPort;
}

/** Runs one probe once. */
export async function runProbe(runtime: ContainerRuntime, probe: Probe, c: Container, containerId: string, podIP: string | undefined): Promise<ProbeOutcome> {
  const timeoutMs = Math.max(1, probe.timeoutSeconds ?? 1) * 1000;
  try {
    if (probe.exec) {
      const r = await runtime.exec(containerId, probe.exec.command ?? [], timeoutMs);
      if (r.timedOut) return { ok: false, output: `command ${JSON.stringify((probe.exec.command ?? []).join(' '))} timed out` };
      return { ok: r.exitCode === 0, output: r.output.trim() };
    }
    if (probe.httpGet) {
      const g = probe.httpGet;
      const host = g.host || podIP || '127.0.0.1';
      const scheme = (g.scheme ?? 'HTTP').toLowerCase();
      const path = g.path ? (g.path.startsWith('/') ? g.path : `/${g.path}`) : '/';
      const url = `${scheme}://${host}:${portOf(c, g.port)}${path}`;
      const headers: Record<string, string> = { 'user-agent': 'kube-probe/1.32', accept: '*/*' };
      for (const h of g.httpHeaders ?? []) headers[h.name.toLowerCase()] = h.value;
      try {
        const res = await kubeletGet(url, headers, timeoutMs);
        if (res.status >= 200 && res.status < 400) return { ok: true, output: res.body };
        return { ok: false, output: `HTTP probe failed with statuscode: ${res.status}` };
      } catch (e) {
        return { ok: false, output: (e as Error).message };
      }
    }
    if (probe.tcpSocket) {
      const host = probe.tcpSocket.host || podIP || '127.0.0.1';
      const port = portOf(c, probe.tcpSocket.port);
      return await new Promise<ProbeOutcome>((resolve) => {
        const s = connect({ host, port, timeout: timeoutMs });
        s.once('connect', () => {
          s.destroy();
          resolve({ ok: true, output: '' });
        });
        s.once('timeout', () => {
          s.destroy();
          resolve({ ok: false, output: `dial tcp ${host}:${port}: i/o timeout` });
        });
        s.once('error', (e: NodeJS.ErrnoException) =>
          resolve({ ok: false, output: `dial tcp ${host}:${port}: ${e.code === 'ECONNREFUSED' ? 'connect: connection refused' : e.message}` }),
        );
      });
    }
    return { ok: true, output: '' };
  } catch (e) {
    return { ok: false, output: (e as Error).message };
  }
}

export interface ContainerProbeResult {
  ready: boolean;
  started: boolean;
  /** Set when a liveness or startup probe failed: the container must be restarted. */
  failed?: 'liveness' | 'startup';
}

export class ProbeManager {
  private readonly clock: Clock;
  private readonly workers = new Map<string, Worker>();

  constructor(private readonly o: ProbeManagerOptions) {
    this.clock = o.clock ?? realClock;
  }

  /**
   * The Pod's running containers now: starts workers for new ones, stops those of
   * containers that are gone or no longer running.
   */
  update(pod: Pod, podKey: string, podIP: string | undefined, running: Array<{ spec: Container; id: string; startedAt?: string }>): void {
    const uid = pod.metadata?.uid ?? '';
    const wanted = new Set<string>();
    for (const r of running) {
      for (const kind of ['startup', 'liveness', 'readiness'] as const) {
        const probe = r.spec[`${kind}Probe`];
        if (!probe) continue;
        const key = `${r.id}/${kind}`;
        wanted.add(key);
        if (this.workers.has(key)) continue;
        const w: Worker = {
          key,
          podKey,
          podUid: uid,
          containerId: r.id,
          kind,
          result: kind === 'liveness',
          successRun: 0,
          failureRun: 0,
          onHold: false,
          stopped: false,
        };
        this.workers.set(key, w);
        const started = r.startedAt ? Date.parse(r.startedAt) : this.clock.now();
        const delay = Math.max(0, started + (probe.initialDelaySeconds ?? 0) * 1000 - this.clock.now());
        this.schedule(w, delay, () => this.tick(w, pod, r.spec, probe, podIP));
      }
    }
    for (const w of this.workers.values()) if (w.podUid === uid && !wanted.has(w.key)) this.stopWorker(w);
  }

  result(spec: Container, containerId: string): ContainerProbeResult {
    const get = (kind: ProbeKind) => this.workers.get(`${containerId}/${kind}`);
    const startup = get('startup');
    const started = !spec.startupProbe || startup?.result === true;
    const readiness = get('readiness');
    const ready = started && (!spec.readinessProbe || readiness?.result === true);
    const failed = get('liveness')?.result === false ? 'liveness' : startup?.onHold && !startup.result ? 'startup' : undefined;
    return { ready, started, ...(failed ? { failed } : {}) };
  }

  removePod(uid: string): void {
    for (const w of this.workers.values()) if (w.podUid === uid) this.stopWorker(w);
  }

  stop(): void {
    for (const w of this.workers.values()) this.stopWorker(w);
  }

  private stopWorker(w: Worker): void {
    w.stopped = true;
    if (w.timer) this.clock.clearTimeout(w.timer);
    this.workers.delete(w.key);
  }

  private schedule(w: Worker, ms: number, fn: () => void): void {
    if (w.stopped) return;
    w.timer = this.clock.setTimeout(fn, ms);
  }

  private async tick(w: Worker, pod: Pod, spec: Container, probe: Probe, podIP: string | undefined): Promise<void> {
    if (w.stopped) return;
    const period = Math.max(1, probe.periodSeconds ?? 10) * 1000;
    const waitsForStartup = w.kind !== 'startup' && spec.startupProbe && this.workers.get(`${w.containerId}/startup`)?.result !== true;
    if (w.onHold || waitsForStartup) {
      this.schedule(w, period, () => this.tick(w, pod, spec, probe, podIP));
      return;
    }
    const out = await runProbe(this.o.runtime, probe, spec, w.containerId, podIP);
    if (w.stopped) return;
    const before = w.result;
    if (out.ok) {
      w.failureRun = 0;
      w.successRun++;
      const threshold = w.kind === 'readiness' ? Math.max(1, probe.successThreshold ?? 1) : 1;
      if (w.successRun >= threshold) w.result = true;
    } else {
      w.successRun = 0;
      w.failureRun++;
      this.o.event?.(pod, 'Warning', 'Unhealthy', `${KIND_LABEL[w.kind]} probe failed: ${out.output}`, fieldPath(pod, spec));
      if (w.failureRun >= Math.max(1, probe.failureThreshold ?? 3)) {
        w.result = false;
        if (w.kind !== 'readiness') w.onHold = true;
      }
    }
    if (w.kind === 'startup' && w.result) {
      // A started container is not probed for startup again.
      if (before !== w.result) this.o.onChange(w.podKey);
      return;
    }
    if (before !== w.result || w.onHold) this.o.onChange(w.podKey);
    this.schedule(w, period, () => this.tick(w, pod, spec, probe, podIP));
  }
}
