/**
 * The garbage collector's dependency graph (upstream's uidToNode): every object the
 * informers show, by uid, with its owner references and the reverse edges from each
 * owner to its dependents.
 */
import type { KubeObject, OwnerReference } from '@minik8s/api';
import type { ResourceRef } from '@minik8s/client/kube';

export interface GraphNode {
  uid: string;
  /** The object's collection, namespace and name. */
  ref: ResourceRef & { name: string };
  owners: OwnerReference[];
  beingDeleted: boolean;
  /** Being deleted in the foreground (finalizer foregroundDeletion). */
  deletingDependents: boolean;
  /** Being deleted with dependents orphaned (finalizer orphan). */
  orphaning: boolean;
}

export const FOREGROUND_FINALIZER = 'foregroundDeletion';
export const ORPHAN_FINALIZER = 'orphan';

export function nodeFor(collection: ResourceRef, obj: KubeObject): GraphNode {
  const m = obj.metadata;
  const deleting = !!m.deletionTimestamp;
  return {
    uid: m.uid!,
    ref: { ...collection, ...(m.namespace ? { namespace: m.namespace } : {}), name: m.name! },
    owners: m.ownerReferences ?? [],
    beingDeleted: deleting,
    deletingDependents: deleting && (m.finalizers ?? []).includes(FOREGROUND_FINALIZER),
    orphaning: deleting && (m.finalizers ?? []).includes(ORPHAN_FINALIZER),
  };
}

export class DependencyGraph {
  private readonly nodes = new Map<string, GraphNode>();
  private readonly dependents = new Map<string, Set<string>>();

  get(uid: string): GraphNode | undefined {
    return this.nodes.get(uid);
  }

  get size(): number {
    return this.nodes.size;
  }

  /** Stores `node`; returns the node it replaces. */
  upsert(node: GraphNode): GraphNode | undefined {
    const old = this.nodes.get(node.uid);
    if (old) for (const o of old.owners) this.dependents.get(o.uid)?.delete(node.uid);
    this.nodes.set(node.uid, node);
    for (const o of node.owners) {
      const set = this.dependents.get(o.uid) ?? new Set<string>();
      this.dependents.set(o.uid, set);
      set.add(node.uid);
    }
    return old;
  }

  remove(uid: string): GraphNode | undefined {
    const old = this.nodes.get(uid);
    if (!old) return undefined;
    this.nodes.delete(uid);
    for (const o of old.owners) {
      const set = this.dependents.get(o.uid);
      set?.delete(uid);
      if (set?.size === 0) this.dependents.delete(o.uid);
    }
    return old;
  }

  /** The known objects that name `ownerUid` as an owner. */
  dependentsOf(ownerUid: string): GraphNode[] {
    return [...(this.dependents.get(ownerUid) ?? [])].map((u) => this.nodes.get(u)).filter((n): n is GraphNode => !!n);
  }

  /** Dependents whose reference to `ownerUid` has blockOwnerDeletion. */
  blockingDependentsOf(ownerUid: string): GraphNode[] {
    return this.dependentsOf(ownerUid).filter((d) => d.owners.some((o) => o.uid === ownerUid && o.blockOwnerDeletion));
  }
}
