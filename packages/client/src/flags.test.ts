import { describe, expect, it } from 'vitest';
import { parseBool, parseDuration, parseInteger, parsePort } from './flags.ts';

describe('flags', () => {
  it('parses durations, booleans, integers and ports, naming the flag when it cannot', () => {
    expect([parseDuration('t', '15s'), parseDuration('t', '500ms'), parseDuration('t', '2'), parseDuration('t', '1.5m')]).toEqual([15_000, 500, 2000, 90_000]);
    expect(() => parseDuration('sync-period', 'soon')).toThrow('--sync-period: "soon" is not a duration (10s, 500ms, 1m)');
    expect([parseBool('b', 'true'), parseBool('b', ''), parseBool('b', 'NO')]).toEqual([true, true, false]);
    expect(() => parseBool('leader-elect', 'maybe')).toThrow('--leader-elect: "maybe" is not a boolean');
    expect(parseInteger('n', '5', 1)).toBe(5);
    expect(() => parseInteger('workers', '0', 1, 64)).toThrow('--workers: "0" is not a number from 1 to 64');
    expect(parsePort('port', '0')).toBe(0);
    expect(() => parsePort('http-port', 'eighty')).toThrow('--http-port: "eighty" is not a port');
    expect(() => parsePort('http-port', '70000')).toThrow('is not a port');
  });
});
