/**
 * The garbage collector (upstream pkg/controller/garbagecollector): deletes objects
 * whose owners are gone, and carries out the two deletion modes that need help:
 * foreground (owner marked with the foregroundDeletion finalizer: delete its
 * dependents, wait for those that block it, then drop the finalizer) and orphan
 * (finalizer orphan: remove the owner's references from its dependents, then drop the
 * finalizer). Background deletion is the plain case: the owner is gone, so each
 * dependent whose owners are all gone is deleted.
 *
 * Informers over every kind that can be listed, watched and deleted feed a dependency
 * graph; two work queues (attemptToDelete, attemptToOrphan) keyed by uid act on it,
 * always re-reading the objects they change from the API server.
 */
import { type KubeObject, type OwnerReference, Registry } from '@minik8s/api';
import { isConflict, isNotFound, type KubeClient, type ResourceRef } from '@minik8s/client/kube';
import { QueueLoop, type Runnable } from '@minik8s/client/runtime';
import type { Logger } from 'pino';
import type { ControllerContext } from '../internal/context.ts';
import { DependencyGraph, FOREGROUND_FINALIZER, type GraphNode, nodeFor, ORPHAN_FINALIZER } from './graph.ts';

export const GARBAGE_COLLECTOR = 'garbage-collector-controller';

export interface GarbageCollectorOptions {
  /** The collections that take part. Default: every registry kind that can be listed, watched and deleted, but Events. */
  resources?: ResourceRef[];
}

const registry = new Registry();

export function defaultGcResources(): ResourceRef[] {
  return registry.resources
    .filter((r) => ['list', 'watch', 'delete'].every((v) => r.verbs.includes(v)) && !(r.plural === 'events'))
    .map((r) => ({ ...(r.group ? { group: r.group } : {}), version: r.version, plural: r.plural }));
}

export class GarbageCollector implements Runnable {
  readonly name = GARBAGE_COLLECTOR;
  readonly graph = new DependencyGraph();
  private readonly log: Logger;
  private readonly client: KubeClient;
  private readonly toDelete: QueueLoop;
  private readonly toOrphan: QueueLoop;
  private readonly informers;

  constructor(ctx: ControllerContext, o: GarbageCollectorOptions = {}) {
    this.log = ctx.log.child({ component: 'garbage-collector' });
    this.client = ctx.client;
    this.toDelete = new QueueLoop({
      name: 'garbage_collector_attempt_to_delete',
      workers: ctx.workers,
      clock: ctx.clock,
      log: this.log,
      reconcile: (uid) => this.attemptToDelete(uid),
    });
    this.toOrphan = new QueueLoop({
      name: 'garbage_collector_attempt_to_orphan',
      workers: 1,
      clock: ctx.clock,
      log: this.log,
      reconcile: (uid) => this.attemptToOrphan(uid),
    });
    this.informers = (o.resources ?? defaultGcResources()).map((ref) => {
      const inf = ctx.informers.for<KubeObject>(ref);
      inf.addEventHandler({
        onAdd: (obj) => this.observe(nodeFor(inf.resource, obj)),
        onUpdate: (_old, obj) => this.observe(nodeFor(inf.resource, obj)),
        onDelete: (obj) => this.forget(obj.metadata.uid!),
      });
      return inf;
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    await Promise.all(this.informers.map((i) => i.waitForSync(signal)));
    await Promise.all([this.toDelete.run(signal), this.toOrphan.run(signal)]);
  }

  // ------------------------------------------------------------------ graph changes

  private observe(node: GraphNode): void {
    const old = this.graph.upsert(node);
    if (!old) {
      // A new object whose owner we have not seen may be dangling: check it.
      if (node.owners.some((o) => !this.graph.get(o.uid))) this.toDelete.enqueue(node.uid);
    } else {
      // A reference removed (or unblocked) may be what a foreground owner waits for.
      for (const o of old.owners) {
        const still = node.owners.find((n) => n.uid === o.uid);
        if (still && (still.blockOwnerDeletion || !o.blockOwnerDeletion)) continue;
        if (this.graph.get(o.uid)?.deletingDependents) this.toDelete.enqueue(o.uid);
      }
      if (node.owners.some((o) => !old.owners.some((x) => x.uid === o.uid) && !this.graph.get(o.uid))) this.toDelete.enqueue(node.uid);
    }
    if (node.orphaning) this.toOrphan.enqueue(node.uid);
    if (node.deletingDependents) {
      this.toDelete.enqueue(node.uid);
      for (const d of this.graph.dependentsOf(node.uid)) this.toDelete.enqueue(d.uid);
    }
  }

  private forget(uid: string): void {
    const old = this.graph.remove(uid);
    if (!old) return;
    for (const d of this.graph.dependentsOf(uid)) this.toDelete.enqueue(d.uid);
    for (const o of old.owners) if (this.graph.get(o.uid)?.deletingDependents) this.toDelete.enqueue(o.uid);
  }

  // ------------------------------------------------------------------ attempt to delete

  private async attemptToDelete(uid: string): Promise<void> {
    const node = this.graph.get(uid);
    if (!node) return;
    if (node.beingDeleted && !node.deletingDependents) return;
    const latest = await this.getLive(node.ref);
    if (!latest || latest.metadata.uid !== uid) {
      // Gone already (the watch will say so): act on it now.
      this.forget(uid);
      return;
    }
    const finalizers = latest.metadata.finalizers ?? [];
    if (latest.metadata.deletionTimestamp && finalizers.includes(FOREGROUND_FINALIZER)) {
      await this.processDeletingDependents(node);
      return;
    }
    const refs = latest.metadata.ownerReferences ?? [];
    if (refs.length === 0) return;
    const solid: OwnerReference[] = [];
    const dangling: OwnerReference[] = [];
    const waiting: OwnerReference[] = [];
    for (const ref of refs) {
      const state = await this.ownerState(ref, node);
      (state === 'solid' ? solid : state === 'dangling' ? dangling : waiting).push(ref);
    }
    if (solid.length > 0) {
      if (dangling.length === 0 && waiting.length === 0) return;
      // Other owners still hold it: only drop the references to owners that are gone or going.
      const drop = new Set([...dangling, ...waiting].map((r) => r.uid));
      this.log.debug({ object: node.ref, drop: [...drop] }, 'removing dangling owner references');
      await this.updateLive(node.ref, uid, (o) => {
        o.metadata.ownerReferences = (o.metadata.ownerReferences ?? []).filter((r) => !drop.has(r.uid));
        if (o.metadata.ownerReferences.length === 0) delete o.metadata.ownerReferences;
      });
      return;
    }
    if (waiting.length > 0 && this.graph.dependentsOf(uid).length > 0) {
      // An owner waits for it and it has dependents of its own: delete it in the foreground too.
      await this.deleteObject(node, 'Foreground');
      return;
    }
    const policy = finalizers.includes(ORPHAN_FINALIZER) ? 'Orphan' : finalizers.includes(FOREGROUND_FINALIZER) ? 'Foreground' : 'Background';
    this.log.debug({ object: node.ref, policy }, 'deleting an object whose owners are gone');
    await this.deleteObject(node, policy);
  }

  /** Is the owner there (solid), gone or someone else now (dangling), or being deleted in the foreground (waiting)? */
  private async ownerState(ref: OwnerReference, dependent: GraphNode): Promise<'solid' | 'dangling' | 'waiting'> {
    const info = registry.forObject(ref.apiVersion, ref.kind);
    if (!info) {
      this.log.debug({ ref }, 'owner of an unknown kind: left alone');
      return 'solid';
    }
    const ownerRef = {
      ...(info.group ? { group: info.group } : {}),
      version: info.version,
      plural: info.plural,
      ...(info.namespaced && dependent.ref.namespace ? { namespace: dependent.ref.namespace } : {}),
      name: ref.name,
    };
    const owner = await this.getLive(ownerRef);
    if (!owner || owner.metadata.uid !== ref.uid) return 'dangling';
    if (owner.metadata.deletionTimestamp && (owner.metadata.finalizers ?? []).includes(FOREGROUND_FINALIZER)) return 'waiting';
    return 'solid';
  }

  /** Foreground: once no dependent blocks it, the owner loses its finalizer and goes. */
  private async processDeletingDependents(node: GraphNode): Promise<void> {
    const blocking = this.graph.blockingDependentsOf(node.uid);
    if (blocking.length === 0) {
      await this.removeFinalizer(node, FOREGROUND_FINALIZER);
      return;
    }
    for (const d of blocking) if (!d.deletingDependents) this.toDelete.enqueue(d.uid);
  }

  // ------------------------------------------------------------------ attempt to orphan

  private async attemptToOrphan(uid: string): Promise<void> {
    const owner = this.graph.get(uid);
    if (!owner?.orphaning) return;
    for (const d of this.graph.dependentsOf(uid)) {
      await this.updateLive(d.ref, d.uid, (o) => {
        o.metadata.ownerReferences = (o.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
        if (o.metadata.ownerReferences.length === 0) delete o.metadata.ownerReferences;
      });
    }
    await this.removeFinalizer(owner, ORPHAN_FINALIZER);
  }

  // ------------------------------------------------------------------ API calls

  private async getLive(ref: ResourceRef): Promise<KubeObject | undefined> {
    try {
      return await this.client.get(ref);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  private async deleteObject(node: GraphNode, propagationPolicy: 'Foreground' | 'Background' | 'Orphan'): Promise<void> {
    try {
      await this.client.delete(node.ref, { propagationPolicy, preconditions: { uid: node.uid } });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  /** Read, change and write an object, again on conflict; nothing if it is gone (or another object now). */
  private async updateLive(ref: ResourceRef, uid: string, change: (o: KubeObject) => void): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const cur = await this.getLive(ref);
      if (!cur || cur.metadata.uid !== uid) return;
      const before = JSON.stringify(cur.metadata);
      change(cur);
      if (JSON.stringify(cur.metadata) === before) return;
      try {
        await this.client.update(ref, cur);
        return;
      } catch (e) {
        if (isNotFound(e)) return;
        if (!isConflict(e) || attempt >= 4) throw e;
      }
    }
  }

  private removeFinalizer(node: GraphNode, finalizer: string): Promise<void> {
    return this.updateLive(node.ref, node.uid, (o) => {
      o.metadata.finalizers = (o.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    });
  }
}
