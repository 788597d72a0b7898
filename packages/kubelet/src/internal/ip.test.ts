import { describe, expect, it } from 'vitest';
import { cidrContains, firstFree } from './ip.ts';

describe('pod addresses', () => {
  it('hands out .2 upwards, skipping used ones', () => {
    expect(firstFree('10.244.1.0/24', new Set())).toBe('10.244.1.2');
    expect(firstFree('10.244.1.0/24', new Set(['10.244.1.2', '10.244.1.3']))).toBe('10.244.1.4');
    expect(firstFree('10.244.1.0/30', new Set(['10.244.1.2']))).toBeUndefined();
  });
  it('knows which addresses a CIDR holds', () => {
    expect(cidrContains('10.244.1.0/24', '10.244.1.77')).toBe(true);
    expect(cidrContains('10.244.1.0/24', '10.244.2.1')).toBe(false);
  });
});
