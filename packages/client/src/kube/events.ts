/**
 * client-go's event recorder: components report what they did as core/v1 Events about
 * an object (`Scheduled`, `SuccessfulCreate`, `BackOff`), which `kubectl describe` and
 * `kubectl get events` show. A repeat of the same event (same object, type, reason and
 * message) within ten minutes bumps `count` and `lastTimestamp` on the first one instead
 * of writing a new object, as upstream's correlator does. Recording never throws: an
 * event that cannot be written is logged and dropped.
 */
import { randomInt } from 'node:crypto';
import { type KubeObject, rfc3339 } from '@minik8s/api';
import { type Clock, realClock } from './clock.ts';
import { isNotFound } from './errors.ts';
import type { KubeClient } from './rest-client.ts';

export type EventType = 'Normal' | 'Warning';

export interface EventSource {
  /** `default-scheduler`, `kubelet`, `replicaset-controller`, ... */
  component: string;
  /** The node, for kubelet events. */
  host?: string;
}

export interface CoreEvent extends KubeObject {
  involvedObject: { kind?: string; namespace?: string; name?: string; uid?: string; apiVersion?: string; resourceVersion?: string; fieldPath?: string };
  reason: string;
  message: string;
  type: EventType;
  count: number;
  firstTimestamp: string;
  lastTimestamp: string;
  source: EventSource;
  reportingComponent: string;
  reportingInstance: string;
}

const EVENTS = { version: 'v1', plural: 'events' } as const;
const REPEAT_WINDOW_MS = 10 * 60_000;
const MAX_REMEMBERED = 4096;

export interface EventRecorderOptions {
  clock?: Clock;
  /** Where failures to write an event go (a pino logger fits). */
  log?: { warn(obj: object, msg: string): void };
}

export class EventRecorder {
  private readonly clock: Clock;
  private readonly seen = new Map<string, { name: string; namespace: string; count: number; first: string; at: number }>();
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly client: KubeClient,
    private readonly source: EventSource,
    private readonly o: EventRecorderOptions = {},
  ) {
    this.clock = o.clock ?? realClock;
  }

  /** Records an event about `obj`; `fieldPath` narrows it to a part (`spec.containers{web}`). */
  event(obj: KubeObject, type: EventType, reason: string, message: string, fieldPath?: string): void {
    const p = this.write(obj, type, reason, message, fieldPath).finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /** Waits for the events recorded so far to be written (tests, shutdown). */
  async flush(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  private async write(obj: KubeObject, type: EventType, reason: string, message: string, fieldPath?: string): Promise<void> {
    const meta = obj.metadata ?? {};
    const namespace = meta.namespace || 'default';
    const involvedObject = {
      kind: obj.kind,
      namespace: meta.namespace,
      name: meta.name,
      uid: meta.uid,
      apiVersion: obj.apiVersion,
      resourceVersion: meta.resourceVersion,
      ...(fieldPath ? { fieldPath } : {}),
    };
    const key = [meta.uid ?? `${namespace}/${meta.name}`, fieldPath ?? '', type, reason, message].join('\u0000');
    const now = this.clock.now();
    const stamp = rfc3339(new Date(now));
    try {
      const prev = this.seen.get(key);
      if (prev && now - prev.at < REPEAT_WINDOW_MS) {
        prev.count++;
        prev.at = now;
        try {
          await this.client.patch({ ...EVENTS, namespace: prev.namespace, name: prev.name }, { count: prev.count, lastTimestamp: stamp }, { type: 'merge' });
          return;
        } catch (e) {
          if (!isNotFound(e)) throw e;
          this.seen.delete(key); // the first one was deleted: write a new one
        }
      }
      // Upstream names events `<object>.<unix nanoseconds in hex>`; the sub-millisecond part
      // is random here, so two events in one millisecond do not collide.
      const name = `${meta.name ?? 'unknown'}.${(BigInt(now) * 1_000_000n + BigInt(randomInt(1_000_000))).toString(16)}`;
      const body: CoreEvent = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace },
        involvedObject,
        reason,
        message,
        type,
        count: 1,
        firstTimestamp: stamp,
        lastTimestamp: stamp,
        source: this.source,
        reportingComponent: this.source.component,
        reportingInstance: this.source.host ?? '',
      };
      await this.client.create(EVENTS, body);
      if (this.seen.size >= MAX_REMEMBERED) this.seen.delete(this.seen.keys().next().value as string);
      this.seen.set(key, { name, namespace, count: 1, first: stamp, at: now });
    } catch (e) {
      this.o.log?.warn({ err: e, reason, involvedObject }, 'could not write an event');
    }
  }
}
