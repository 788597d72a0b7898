import { describe, expect, it } from 'vitest';
import { AddressPool } from './sandbox.ts';

describe('AddressPool', () => {
  it('hands out distinct addresses to sandboxes started at the same time', async () => {
    const onNetwork = new Set(['10.244.1.2']);
    const pool = new AddressPool('10.244.1.0/24', async () => new Set(onNetwork));
    const got = await Promise.all(Array.from({ length: 5 }, () => pool.reserve()));
    expect(got.map((a) => a.ip)).toEqual(['10.244.1.3', '10.244.1.4', '10.244.1.5', '10.244.1.6', '10.244.1.7']);
  });

  it('gives an address back on release, and keeps one that is on the network', async () => {
    const onNetwork = new Set<string>();
    const pool = new AddressPool('10.244.1.0/30', async () => new Set(onNetwork));
    const a = await pool.reserve();
    expect(a.ip).toBe('10.244.1.2');
    await expect(pool.reserve()).rejects.toThrow('no free address left in 10.244.1.0/30');
    a.release();
    const b = await pool.reserve();
    expect(b.ip).toBe('10.244.1.2');
    onNetwork.add(b.ip);
    b.release();
    await expect(pool.reserve()).rejects.toThrow('no free address left');
  });
});
