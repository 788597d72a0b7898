/**
 * Upstream's ControllerRefManager: an owner claims the children its selector matches.
 * Orphans that match are adopted (a controller ownerReference added), owned children
 * that no longer match are released (the reference removed); children controlled by
 * someone else are left alone. Adoption first re-reads the owner from the API server,
 * so a deleted or re-created owner never adopts anything.
 */
import { controllerRef, isBeingDeleted, type KubeObject, type OwnerReference } from '@minik8s/api';
import type { LabelSelector } from '@minik8s/api/selectors';
import { isNotFound, type KubeClient, type ResourceRef } from '@minik8s/client/kube';
import { refTo } from './resources.ts';

export interface OwnerKind {
  apiVersion: string;
  kind: string;
}

/** The controller reference an owner puts on its children. */
export function newControllerRef(owner: KubeObject, kind: OwnerKind): OwnerReference {
  return {
    apiVersion: kind.apiVersion,
    kind: kind.kind,
    name: owner.metadata.name!,
    uid: owner.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

export interface ClaimOptions<T extends KubeObject> {
  client: KubeClient;
  owner: KubeObject;
  ownerKind: OwnerKind;
  /** The owner's own collection (to re-read it before adopting). */
  ownerResource: ResourceRef;
  /** The children's collection (to write them). */
  childResource: ResourceRef;
  selector: LabelSelector;
  candidates: T[];
}

/**
 * The children the owner controls after adopting and releasing. Writes go to the API
 * server (update with the cached resourceVersion: a conflict throws and the owner is
 * synced again); cached objects are never mutated.
 */
export async function claimChildren<T extends KubeObject>(o: ClaimOptions<T>): Promise<T[]> {
  const uid = o.owner.metadata.uid;
  const claimed: T[] = [];
  let adoptable: Promise<boolean> | undefined;
  const canAdopt = () => {
    adoptable ??= o.client.get(refTo(o.ownerResource, o.owner.metadata.namespace, o.owner.metadata.name!)).then(
      (fresh) => fresh.metadata.uid === uid && !isBeingDeleted(fresh),
      (e) => {
        if (isNotFound(e)) return false;
        throw e;
      },
    );
    return adoptable;
  };
  for (const child of o.candidates) {
    const ref = controllerRef(child);
    const matches = o.selector.matches(child.metadata.labels);
    if (ref) {
      if (ref.uid !== uid) continue; // someone else's
      if (matches) {
        claimed.push(child);
        continue;
      }
      if (isBeingDeleted(o.owner)) continue;
      await writeChild(o, child, (c) => {
        c.metadata.ownerReferences = (c.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
        if (c.metadata.ownerReferences.length === 0) delete c.metadata.ownerReferences;
      });
      continue;
    }
    // An orphan.
    if (!matches || isBeingDeleted(o.owner) || isBeingDeleted(child)) continue;
    if (child.metadata.namespace !== o.owner.metadata.namespace) continue;
    if (!(await canAdopt())) continue;
    const adopted = await writeChild(o, child, (c) => {
      c.metadata.ownerReferences = [...(c.metadata.ownerReferences ?? []), newControllerRef(o.owner, o.ownerKind)];
    });
    if (adopted) claimed.push(adopted);
  }
  return claimed;
}

/** Update a clone of `child`; undefined if it is gone. */
async function writeChild<T extends KubeObject>(o: ClaimOptions<T>, child: T, change: (c: T) => void): Promise<T | undefined> {
  const next = structuredClone(child);
  change(next);
  try {
    return await o.client.update<T>(refTo(o.childResource, child.metadata.namespace, child.metadata.name!), next);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** The controller reference's owner in `candidates`, if it is that kind and still the same object (uid). */
export function resolveControllerRef<O extends KubeObject>(
  ref: OwnerReference | undefined,
  kind: string,
  lookup: (name: string) => O | undefined,
): O | undefined {
  if (!ref || ref.kind !== kind) return undefined;
  const owner = lookup(ref.name);
  return owner && owner.metadata.uid === ref.uid ? owner : undefined;
}
