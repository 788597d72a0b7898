import { eventually } from '@minik8s/testing';
import { describe, expect, it } from 'vitest';
import { formatAccessLine, jsonLines } from './access-log.ts';

const entry = {
  remote_addr: '127.0.0.1',
  host: 'a.test',
  method: 'GET',
  path: '/x?q="1"\n',
  protocol: 'HTTP/1.1',
  status: 200,
  upstream_addr: '10.0.0.1:8080',
  request_time: 0.012,
  ingress: 'default/web',
  service: 'web:80',
};

describe('access log lines', () => {
  it('are one JSON object per line, with client-controlled strings escaped', () => {
    const line = formatAccessLine(entry, new Date('2026-01-02T03:04:05.678Z'));
    expect(line.endsWith('}\n')).toBe(true);
    expect(line.split('\n')).toHaveLength(2);
    expect(JSON.parse(line)).toEqual({ level: 30, time: '2026-01-02T03:04:05.678Z', ...entry });
  });

  it('go out in batches: when enough is pending, after a while, or on flush', async () => {
    const out: string[] = [];
    const log = jsonLines((s) => out.push(s), { flushMs: 20, maxBytes: 1000 });
    log.info(entry);
    log.info(entry);
    expect(out).toEqual([]);
    await eventually(() => out.length === 1, { message: 'the batch after flushMs' });
    expect(out).toHaveLength(1);
    expect(
      out[0]!
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l).status),
    ).toEqual([200, 200]);
    for (let i = 0; i < 5; i++) log.info(entry); // past 1000 bytes
    expect(out).toHaveLength(2);
    log.info({ ...entry, status: 404 });
    log.flush();
    expect(
      out
        .join('')
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l).status),
    ).toEqual([200, 200, 200, 200, 200, 200, 200, 404]);
  });
});
