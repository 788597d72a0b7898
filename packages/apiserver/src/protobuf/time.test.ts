import { describe, expect, it } from 'vitest';
import { formatGoDuration, formatMicroTime, formatTime, parseGoDuration, parseTime } from './time.ts';

describe('Time and MicroTime', () => {
  it('prints whole seconds for Time and six digits for MicroTime, in UTC', () => {
    expect(formatTime(1_709_208_000)).toBe('2024-02-29T12:00:00Z');
    expect(formatMicroTime(1_709_208_000, 123_456_789)).toBe('2024-02-29T12:00:00.123456Z');
    expect(formatMicroTime(1_709_208_000, 5_000)).toBe('2024-02-29T12:00:00.000005Z');
    expect(formatTime(-1)).toBe('1969-12-31T23:59:59Z');
  });

  it('parses RFC 3339 with offsets and fractions', () => {
    expect(parseTime('2024-02-29T12:00:00Z')).toEqual({ seconds: 1_709_208_000, nanos: 0 });
    expect(parseTime('2024-02-29T13:00:00.25+01:00')).toEqual({ seconds: 1_709_208_000, nanos: 250_000_000 });
    expect(() => parseTime('yesterday')).toThrow('not an RFC 3339 time');
  });
});

describe('Duration', () => {
  it.each([
    [0, '0s'],
    [1, '1ns'],
    [1_500, '1.5µs'],
    [2_000_000, '2ms'],
    [1_500_000_000, '1.5s'],
    [90_000_000_000, '1m30s'],
    [3_600_000_000_000, '1h0m0s'],
    [3_661_500_000_000, '1h1m1.5s'],
    [-30_000_000_000, '-30s'],
  ])('%d ns is %s, and back', (ns, text) => {
    expect(formatGoDuration(ns)).toBe(text);
    expect(parseGoDuration(text)).toBe(ns);
  });

  it('parses what Go parses', () => {
    expect(parseGoDuration('2h45m')).toBe(9_900_000_000_000);
    expect(parseGoDuration('.5s')).toBe(500_000_000);
    expect(parseGoDuration('300us')).toBe(300_000);
    expect(() => parseGoDuration('5 minutes')).toThrow('not a duration');
  });
});
