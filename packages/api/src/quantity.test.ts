import { describe, expect, it } from 'vitest';
import { bytes, formatBytes, formatMilli, isQuantity, milliCpu, parseMilli, parseUnits, QuantityError } from './quantity.ts';

describe('quantities', () => {
  it.each([
    ['500m', 500n],
    ['1', 1000n],
    ['1.5', 1500n],
    ['.5', 500n],
    ['0.1m', 1n],
    ['1k', 1_000_000n],
    ['1Ki', 1_024_000n],
    ['128Mi', 134_217_728_000n],
    ['1e3', 1_000_000n],
    ['2E-3', 2n],
    ['-2', -2000n],
    ['100n', 1n],
  ])('parses %s to %s milli-units', (q, milli) => {
    expect(parseMilli(q)).toBe(milli);
  });

  it('rounds whole units up and reads numbers', () => {
    expect(parseUnits('2.5')).toBe(3n);
    expect(parseUnits(3)).toBe(3n);
    expect(milliCpu('250m')).toBe(250);
    expect(milliCpu(undefined)).toBe(0);
    expect(bytes('64Mi')).toBe(64 * 1024 * 1024);
  });

  it.each(['', 'abc', '1Xi', '1.2.3', 'Mi', '1 Mi'])('refuses %j', (q) => {
    expect(() => parseMilli(q)).toThrow(QuantityError);
    expect(isQuantity(q)).toBe(false);
  });

  it('formats as upstream prints', () => {
    expect(formatMilli(250n)).toBe('250m');
    expect(formatMilli(2000)).toBe('2');
    expect(formatBytes(134_217_728)).toBe('128Mi');
    expect(formatBytes(1000)).toBe('1000');
    expect(formatBytes(0)).toBe('0');
  });
});
