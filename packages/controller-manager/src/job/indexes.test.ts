import { describe, expect, it } from 'vitest';
import { formatIndexes, parseIndexes, pendingIndexes } from './indexes.ts';

describe('completed indexes', () => {
  it('writes intervals as upstream: ascending, runs as first-last', () => {
    expect(formatIndexes([5, 1, 3, 4, 7])).toBe('1,3-5,7');
    expect(formatIndexes([0, 1])).toBe('0-1');
    expect(formatIndexes([])).toBe('');
  });
  it('reads them back, dropping indexes past completions and garbage', () => {
    expect([...parseIndexes('1,3-5,7', 6)].sort()).toEqual([1, 3, 4, 5]);
    expect(parseIndexes('x,2', 3)).toEqual(new Set([2]));
    expect(parseIndexes(undefined, 3).size).toBe(0);
  });
  it('picks the lowest indexes neither done nor running', () => {
    expect(pendingIndexes(6, new Set([0, 2]), new Set([1]), 2)).toEqual([3, 4]);
    expect(pendingIndexes(2, new Set([0]), new Set([1]), 5)).toEqual([]);
  });
});
