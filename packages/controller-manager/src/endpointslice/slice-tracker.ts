/**
 * Upstream's EndpointSliceTracker: which version of each slice the controller last wrote
 * (or that it expects to be deleted), per Service. It tells a stale cache (a slice older
 * than our own write, one we deleted still there, one we wrote not there yet) from a
 * change someone else made, so that a sync never acts on what it has not seen yet and our
 * own writes do not wake the Service again. Upstream tracks `generation`; EndpointSlices
 * have none here, so the resourceVersion (the store's revision) takes its place.
 */
import type { Service } from '@minik8s/api';
import { type EndpointSlice, LABEL_SERVICE_NAME } from './types.ts';

const DELETION_EXPECTED = 'deleted';

export class EndpointSliceTracker {
  /** Service key → slice uid → resourceVersion written, or DELETION_EXPECTED. */
  private readonly byService = new Map<string, Map<string, string>>();
  private readonly serviceUids = new Map<string, string>();

  has(s: EndpointSlice): boolean {
    return this.byService.get(serviceKeyOf(s))?.has(s.metadata.uid ?? '') ?? false;
  }

  /** Not one of ours, or changed since we wrote it. */
  shouldSync(s: EndpointSlice): boolean {
    const v = this.byService.get(serviceKeyOf(s))?.get(s.metadata.uid ?? '');
    return v === undefined || v === DELETION_EXPECTED || newer(s.metadata.resourceVersion ?? '', v);
  }

  /** True if the cache has not caught up with this controller's writes for the Service. */
  stale(svc: Service, slices: EndpointSlice[]): boolean {
    const key = `${svc.metadata.namespace}/${svc.metadata.name}`;
    const uid = svc.metadata.uid ?? '';
    const tracked = this.serviceUids.get(key);
    if (tracked && uid && tracked !== uid) this.byService.delete(key); // writes for a Service of the same name, since deleted
    this.serviceUids.set(key, uid);
    const versions = this.byService.get(key);
    if (!versions) return false;
    const seen = new Set<string>();
    for (const s of slices) {
      const sUid = s.metadata.uid ?? '';
      seen.add(sUid);
      const v = versions.get(sUid);
      if (v !== undefined && (v === DELETION_EXPECTED || newer(v, s.metadata.resourceVersion ?? ''))) return true;
    }
    for (const [sUid, v] of versions) if (v !== DELETION_EXPECTED && !seen.has(sUid)) return true;
    return false;
  }

  /** After a create or update. */
  update(s: EndpointSlice): void {
    this.versionsFor(s).set(s.metadata.uid ?? '', s.metadata.resourceVersion ?? '');
  }

  expectDeletion(s: EndpointSlice): void {
    this.versionsFor(s).set(s.metadata.uid ?? '', DELETION_EXPECTED);
  }

  /** Forgets a slice that is gone; true if its deletion was expected (or it was never tracked). */
  handleDeletion(s: EndpointSlice): boolean {
    const versions = this.byService.get(serviceKeyOf(s));
    const v = versions?.get(s.metadata.uid ?? '');
    versions?.delete(s.metadata.uid ?? '');
    return v === undefined || v === DELETION_EXPECTED;
  }

  deleteService(key: string): void {
    this.byService.delete(key);
    this.serviceUids.delete(key);
  }

  private versionsFor(s: EndpointSlice): Map<string, string> {
    const key = serviceKeyOf(s);
    let m = this.byService.get(key);
    if (!m) {
      m = new Map();
      this.byService.set(key, m);
    }
    return m;
  }
}

/** The key of the Service a slice is labelled for. */
export const serviceKeyOf = (s: EndpointSlice) => `${s.metadata.namespace}/${s.metadata.labels?.[LABEL_SERVICE_NAME] ?? ''}`;

/** Is resourceVersion `a` later than `b`? (Revisions compare as numbers; anything else: differs.) */
function newer(a: string, b: string): boolean {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) return BigInt(a) > BigInt(b);
  return a !== b;
}
