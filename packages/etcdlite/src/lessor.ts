/**
 * Leases: a TTL and the keys attached to it. Expiry times live in memory only; on
 * restart every lease gets its full TTL again, as etcd does after a leader change.
 */
import type { BinKey } from './internal/key-range.ts';

/** etcd's smallest lease TTL with default election settings (ceil(1.5 election timeouts)). */
export const MIN_LEASE_TTL = 2;
/** etcd's MaxLeaseTTL. */
export const MAX_LEASE_TTL = 9_000_000_000;

export interface Lease {
  readonly id: bigint;
  readonly ttl: number;
  expiresAt: number;
  readonly keys: Set<BinKey>;
}

export class Lessor {
  private readonly leases = new Map<bigint, Lease>();

  constructor(
    private readonly now: () => number,
    readonly minTtl = MIN_LEASE_TTL,
  ) {}

  get size(): number {
    return this.leases.size;
  }

  all(): IterableIterator<Lease> {
    return this.leases.values();
  }

  /** The lease if it exists and has not expired. */
  lookup(id: bigint): Lease | undefined {
    const l = this.leases.get(id);
    return l && l.expiresAt > this.now() ? l : undefined;
  }

  /** The lease even if it has expired but not been revoked yet. */
  raw(id: bigint): Lease | undefined {
    return this.leases.get(id);
  }

  effectiveTtl(ttl: number): number {
    return Math.max(ttl, this.minTtl);
  }

  freeId(): bigint {
    for (;;) {
      // A random positive int63, as etcd's lease IDs are.
      const hi = BigInt(Math.floor(Math.random() * 0x7fff_ffff));
      const lo = BigInt(Math.floor(Math.random() * 0x1_0000_0000));
      const id = (hi << 32n) | lo;
      if (id !== 0n && !this.leases.has(id)) return id;
    }
  }

  add(id: bigint, ttl: number): Lease {
    const lease: Lease = { id, ttl, expiresAt: this.now() + ttl * 1000, keys: new Set() };
    this.leases.set(id, lease);
    return lease;
  }

  remove(id: bigint): void {
    this.leases.delete(id);
  }

  renew(lease: Lease): void {
    lease.expiresAt = this.now() + lease.ttl * 1000;
  }

  remainingSeconds(lease: Lease): number {
    return Math.max(0, Math.floor((lease.expiresAt - this.now()) / 1000));
  }

  attach(id: bigint, k: BinKey): void {
    this.leases.get(id)?.keys.add(k);
  }

  detach(id: bigint, k: BinKey): void {
    this.leases.get(id)?.keys.delete(k);
  }

  expired(): bigint[] {
    const now = this.now();
    const out: bigint[] = [];
    for (const l of this.leases.values()) if (l.expiresAt <= now) out.push(l.id);
    return out;
  }
}
