import { createSocket, type Socket } from 'node:dgram';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Forwarder, formatUpstream, parseUpstream } from './forwarder.ts';
import { buildQuery, type FakeUpstream, rcodeOf, startFakeUpstream } from './internal/test-dns.ts';

describe('parseUpstream', () => {
  it('reads IP, IP:port and [IPv6]:port', () => {
    expect(parseUpstream('10.0.0.2')).toEqual({ host: '10.0.0.2', port: 53 });
    expect(parseUpstream('10.0.0.2:5353')).toEqual({ host: '10.0.0.2', port: 5353 });
    expect(parseUpstream('::1')).toEqual({ host: '::1', port: 53 });
    expect(parseUpstream('[fd00::1]:5353')).toEqual({ host: 'fd00::1', port: 5353 });
    expect(formatUpstream({ host: 'fd00::1', port: 53 })).toBe('[fd00::1]:53');
    expect(() => parseUpstream('dns.google')).toThrow(/not an IP/);
    expect(() => parseUpstream('10.0.0.2:0')).toThrow(/bad port/);
  });
});

describe('Forwarder', () => {
  let live: FakeUpstream;
  let silent: Socket;
  let silentPort = 0;

  beforeAll(async () => {
    live = await startFakeUpstream({ 'a.test': [{ name: 'a.test', type: 'A', ttl: 30, data: '192.0.2.7' }] });
    silent = createSocket('udp4');
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
    silentPort = silent.address().port;
  });
  afterAll(async () => {
    await live?.close();
    await new Promise<void>((r) => silent.close(() => r()));
  });

  it('returns the upstream reply byte for byte with the same id, over UDP and TCP', async () => {
    const f = new Forwarder({ upstreams: [{ host: '127.0.0.1', port: live.port }] });
    for (const transport of ['udp', 'tcp'] as const) {
      const q = buildQuery('a.test', 'A', { id: 321 });
      const r = dnsPacket.decode(await f.exchange(q, transport));
      expect(r.id).toBe(321);
      expect(r.answers?.[0]).toMatchObject({ type: 'A', data: '192.0.2.7' });
      expect(live.received.at(-1)).toEqual({ transport, id: 321, name: 'a.test', type: 'A' });
    }
  });

  it('moves on to the next upstream when one does not answer, and tries the healthy one first afterwards', async () => {
    const f = new Forwarder({
      upstreams: [
        { host: '127.0.0.1', port: silentPort },
        { host: '127.0.0.1', port: live.port },
      ],
      timeoutMs: 200,
    });
    const first = Date.now();
    expect(rcodeOf(dnsPacket.decode(await f.exchange(buildQuery('a.test', 'A'), 'udp')))).toBe('NOERROR');
    expect(Date.now() - first).toBeGreaterThanOrEqual(150);
    for (let i = 0; i < 3; i++) {
      const t = Date.now();
      await f.exchange(buildQuery('a.test', 'A'), 'udp');
      expect(Date.now() - t).toBeLessThan(150);
    }
  });

  it('fails when no upstream answers in time', async () => {
    const f = new Forwarder({ upstreams: [{ host: '127.0.0.1', port: silentPort }], timeoutMs: 100 });
    await expect(f.exchange(buildQuery('a.test', 'A'), 'udp')).rejects.toThrow(/no answer within 100 ms/);
    await expect(new Forwarder({ upstreams: [] }).exchange(buildQuery('a.test', 'A'), 'udp')).rejects.toThrow(/no upstream/);
  });
});
