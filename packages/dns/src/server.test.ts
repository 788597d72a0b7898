/**
 * The DNS server against a real in-process API server: Services and EndpointSlices are
 * created through the API (no controller runs, so slices are written by hand), and
 * every assertion is a real DNS query over loopback UDP or TCP, from dns-packet or from
 * Node's own resolver (c-ares).
 */
import { Resolver } from 'node:dns/promises';
import type { Service } from '@minik8s/api';
import { startTestApiServer, type TestApiServer } from '@minik8s/apiserver/testing';
import type { KubeClient, ListerWatcher } from '@minik8s/client/kube';
import { eventually } from '@minik8s/testing';
import dnsPacket, { type Answer } from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EndpointSlice } from './cluster-state.ts';
import { buildQuery, type FakeUpstream, queryTcp, queryUdp, rcodeOf, startFakeUpstream, tcpExchange, udpExchange } from './internal/test-dns.ts';
import { isOwnAddress, type RunningDnsServer, startDnsServer } from './server.ts';

const SERVICES = { version: 'v1', plural: 'services', namespace: 'default' } as const;
const SLICES = { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', namespace: 'default' } as const;
const ZONE = 'cluster.local';

let api: TestApiServer;
let client: KubeClient;
let upstream: FakeUpstream;
let dns: RunningDnsServer;
let webIP = '';

function resolver(): Resolver {
  const r = new Resolver({ timeout: 2000, tries: 1 });
  r.setServers([`127.0.0.1:${dns.port}`]);
  return r;
}

async function createService(name: string, spec: NonNullable<Service['spec']>): Promise<Service> {
  return client.create<Service>(SERVICES, { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec });
}

async function createSlice(name: string, service: string, slice: Partial<EndpointSlice>): Promise<void> {
  await client.create<EndpointSlice>(SLICES, {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    endpoints: [],
    ...slice,
  });
}

const data = (answers: Answer[] | undefined, type: string) => (answers ?? []).filter((a) => a.type === type).map((a) => (a as { data: unknown }).data);

beforeAll(async () => {
  api = await startTestApiServer();
  client = api.client;
  upstream = await startFakeUpstream(
    {
      'example.test': [{ name: 'example.test', type: 'A', ttl: 300, data: '192.0.2.1' }],
      'www.external.test': [{ name: 'www.external.test', type: 'A', ttl: 60, data: '192.0.2.10' }],
    },
    ['blackhole.test'],
  );

  const web = await createService('web', {
    selector: { app: 'web' },
    ports: [
      { name: 'http', port: 80, protocol: 'TCP' },
      { name: 'dns', port: 53, protocol: 'UDP' },
      { name: 'metrics', port: 9090, protocol: 'TCP' },
    ],
  });
  webIP = web.spec!.clusterIP!;

  await createService('db', { clusterIP: 'None', selector: { app: 'db' }, ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }] });
  await createSlice('db-abc', 'db', {
    ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
    endpoints: [
      { addresses: ['10.244.1.5'], hostname: 'db-0', conditions: { ready: true } },
      { addresses: ['10.244.2.6'], conditions: { ready: true } },
      { addresses: ['10.244.3.7'], hostname: 'db-2', conditions: { ready: false } },
    ],
  });
  await createService('db-all', { clusterIP: 'None', publishNotReadyAddresses: true, ports: [{ name: 'pg', port: 5432 }] });
  await createSlice('db-all-abc', 'db-all', {
    ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
    endpoints: [
      { addresses: ['10.244.1.5'], conditions: { ready: true } },
      { addresses: ['10.244.3.7'], conditions: { ready: false } },
    ],
  });
  await createService('empty-headless', { clusterIP: 'None', ports: [{ port: 80 }] });
  await createService('ext', { type: 'ExternalName', externalName: 'www.external.test' });
  await createService('ext-unknown', { type: 'ExternalName', externalName: 'nowhere.test' });

  dns = await startDnsServer({ client, address: '127.0.0.1', port: 0, upstream: [`127.0.0.1:${upstream.port}`], upstreamTimeoutMs: 300 });
});

afterAll(async () => {
  await dns?.stop();
  await upstream?.close();
  await api?.close();
});

describe('Services', () => {
  it('answers A with the ClusterIP, authoritatively, TTL 5, keeping the query id', async () => {
    const r = await queryUdp(dns.port, `web.default.svc.${ZONE}`, 'A', { id: 4242 });
    expect(rcodeOf(r)).toBe('NOERROR');
    expect(r.id).toBe(4242);
    expect(r.flag_qr && r.flag_aa && r.flag_ra && r.flag_rd).toBe(true);
    expect(webIP).toMatch(/^10\.96\./);
    expect(r.answers).toEqual([expect.objectContaining({ name: `web.default.svc.${ZONE}`, type: 'A', ttl: 5, data: webIP })]);
    expect(await resolver().resolve4(`web.default.svc.${ZONE}`)).toEqual([webIP]);
  });

  it('matches names case-insensitively and echoes the question as asked', async () => {
    const r = await queryUdp(dns.port, 'WEB.Default.SVC.Cluster.Local', 'A');
    expect(rcodeOf(r)).toBe('NOERROR');
    expect(r.questions?.[0]?.name).toBe('WEB.Default.SVC.Cluster.Local');
    expect(data(r.answers, 'A')).toEqual([webIP]);
  });

  it('serves SRV for named ports with the Service address in the additional section', async () => {
    const r = await queryUdp(dns.port, `_http._tcp.web.default.svc.${ZONE}`, 'SRV');
    expect(rcodeOf(r)).toBe('NOERROR');
    expect(data(r.answers, 'SRV')).toEqual([{ priority: 0, weight: 100, port: 80, target: `web.default.svc.${ZONE}` }]);
    expect(r.additionals).toEqual([expect.objectContaining({ name: `web.default.svc.${ZONE}`, type: 'A', data: webIP })]);

    const udp = await queryUdp(dns.port, `_DNS._UDP.web.default.svc.${ZONE}`, 'SRV');
    expect(data(udp.answers, 'SRV')).toEqual([expect.objectContaining({ port: 53 })]);
    // The port is TCP only, and no port is called "nope".
    expect(rcodeOf(await queryUdp(dns.port, `_http._udp.web.default.svc.${ZONE}`, 'SRV'))).toBe('NXDOMAIN');
    expect(rcodeOf(await queryUdp(dns.port, `_nope._tcp.web.default.svc.${ZONE}`, 'SRV'))).toBe('NXDOMAIN');

    expect(await resolver().resolveSrv(`_metrics._tcp.web.default.svc.${ZONE}`)).toEqual([
      { name: `web.default.svc.${ZONE}`, port: 9090, priority: 0, weight: 100 },
    ]);
  });

  it('answers PTR for a ClusterIP', async () => {
    expect(await resolver().reverse(webIP)).toEqual([`web.default.svc.${ZONE}`]);
  });

  it('answers NXDOMAIN with the SOA for a Service that does not exist, and in a namespace that does not', async () => {
    for (const name of [`nope.default.svc.${ZONE}`, `web.nons.svc.${ZONE}`, `nons.svc.${ZONE}`, `web.default.nothing.${ZONE}`]) {
      const r = await queryUdp(dns.port, name, 'A');
      expect(rcodeOf(r), name).toBe('NXDOMAIN');
      expect(r.flag_aa).toBe(true);
      expect(r.answers).toEqual([]);
      expect(r.authorities).toEqual([
        expect.objectContaining({
          name: ZONE,
          type: 'SOA',
          ttl: 5,
          data: expect.objectContaining({ mname: `ns.dns.${ZONE}`, rname: `hostmaster.${ZONE}`, minimum: 5 }),
        }),
      ]);
    }
    await expect(resolver().resolve4(`nope.default.svc.${ZONE}`)).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it('answers NODATA (NOERROR, no answer, SOA) for a type the name does not have', async () => {
    for (const [name, type] of [
      [`web.default.svc.${ZONE}`, 'AAAA'],
      [`web.default.svc.${ZONE}`, 'MX'],
      [`default.svc.${ZONE}`, 'A'],
      [`_tcp.web.default.svc.${ZONE}`, 'A'],
    ] as const) {
      const r = await queryUdp(dns.port, name, type);
      expect(rcodeOf(r), `${name} ${type}`).toBe('NOERROR');
      expect(r.answers).toEqual([]);
      expect(r.authorities?.[0]).toMatchObject({ type: 'SOA', name: ZONE });
    }
    await expect(resolver().resolve6(`web.default.svc.${ZONE}`)).rejects.toMatchObject({ code: 'ENODATA' });
  });

  it('answers the schema version TXT record', async () => {
    expect(await resolver().resolveTxt(`dns-version.${ZONE}`)).toEqual([['1.1.0']]);
  });
});

describe('headless Services', () => {
  it('answers A with the ready endpoint addresses only', async () => {
    const r = await queryUdp(dns.port, `db.default.svc.${ZONE}`, 'A');
    expect(rcodeOf(r)).toBe('NOERROR');
    expect(data(r.answers, 'A').sort()).toEqual(['10.244.1.5', '10.244.2.6']);
    expect((await resolver().resolve4(`db.default.svc.${ZONE}`)).sort()).toEqual(['10.244.1.5', '10.244.2.6']);
  });

  it('answers each endpoint by hostname, or by dashed address without one', async () => {
    expect(data((await queryUdp(dns.port, `db-0.db.default.svc.${ZONE}`, 'A')).answers, 'A')).toEqual(['10.244.1.5']);
    expect(data((await queryUdp(dns.port, `10-244-2-6.db.default.svc.${ZONE}`, 'A')).answers, 'A')).toEqual(['10.244.2.6']);
    // db-2 is not ready.
    expect(rcodeOf(await queryUdp(dns.port, `db-2.db.default.svc.${ZONE}`, 'A'))).toBe('NXDOMAIN');
  });

  it('serves one SRV per ready endpoint, targets in the additional section', async () => {
    const r = await queryUdp(dns.port, `_pg._tcp.db.default.svc.${ZONE}`, 'SRV');
    const srv = data(r.answers, 'SRV') as Array<{ target: string; port: number }>;
    expect(srv.map((s) => `${s.target}:${s.port}`).sort()).toEqual([`10-244-2-6.db.default.svc.${ZONE}:5432`, `db-0.db.default.svc.${ZONE}:5432`]);
    expect(r.additionals?.map((a) => `${a.name}=${(a as { data: string }).data}`).sort()).toEqual([
      `10-244-2-6.db.default.svc.${ZONE}=10.244.2.6`,
      `db-0.db.default.svc.${ZONE}=10.244.1.5`,
    ]);
    const viaNode = await resolver().resolveSrv(`_pg._tcp.db.default.svc.${ZONE}`);
    expect(viaNode.map((s) => s.name).sort()).toEqual([`10-244-2-6.db.default.svc.${ZONE}`, `db-0.db.default.svc.${ZONE}`]);
  });

  it('includes not-ready addresses when the Service publishes them', async () => {
    const r = await queryUdp(dns.port, `db-all.default.svc.${ZONE}`, 'A');
    expect(data(r.answers, 'A').sort()).toEqual(['10.244.1.5', '10.244.3.7']);
  });

  it('answers NXDOMAIN for a headless Service without endpoints (the spec)', async () => {
    expect(rcodeOf(await queryUdp(dns.port, `empty-headless.default.svc.${ZONE}`, 'A'))).toBe('NXDOMAIN');
  });

  it('answers PTR for an endpoint address', async () => {
    expect(await resolver().reverse('10.244.2.6')).toEqual([`10-244-2-6.db.default.svc.${ZONE}`]);
  });

  it('truncates a UDP answer that does not fit, and answers it in full over TCP', async () => {
    await createService('big', { clusterIP: 'None', ports: [{ port: 80 }] });
    await createSlice('big-1', 'big', { endpoints: Array.from({ length: 20 }, (_, i) => ({ addresses: [`10.244.9.${i + 1}`] })) });
    const name = `big.default.svc.${ZONE}`;
    await eventually(async () => ((await queryTcp(dns.port, name, 'A')).answers?.length === 20 ? true : undefined), { message: 'big resolvable' });
    const udp = await queryUdp(dns.port, name, 'A');
    expect(udp.flag_tc).toBe(true);
    expect(udp.raw.length).toBeLessThanOrEqual(512);
    const edns = await queryUdp(dns.port, name, 'A', { edns: 4096 });
    expect(edns.flag_tc).toBe(false);
    expect(data(edns.answers, 'A')).toHaveLength(20);
    expect(edns.additionals?.some((a) => a.type === 'OPT')).toBe(true);
    // c-ares retries over TCP on TC.
    expect(await resolver().resolve4(name)).toHaveLength(20);
  });
});

describe('ExternalName Services', () => {
  it('answer a CNAME to the external name, followed by its addresses from upstream', async () => {
    const r = await queryUdp(dns.port, `ext.default.svc.${ZONE}`, 'A');
    expect(rcodeOf(r)).toBe('NOERROR');
    expect(r.answers).toEqual([
      expect.objectContaining({ name: `ext.default.svc.${ZONE}`, type: 'CNAME', ttl: 5, data: 'www.external.test' }),
      expect.objectContaining({ name: 'www.external.test', type: 'A', data: '192.0.2.10' }),
    ]);
    expect(await resolver().resolve4(`ext.default.svc.${ZONE}`)).toEqual(['192.0.2.10']);
    expect(await resolver().resolveCname(`ext.default.svc.${ZONE}`)).toEqual(['www.external.test']);
  });

  it('still answer the CNAME when upstream does not know the target', async () => {
    const r = await queryUdp(dns.port, `ext-unknown.default.svc.${ZONE}`, 'A');
    expect(rcodeOf(r)).toBe('NOERROR');
    expect(r.answers).toEqual([expect.objectContaining({ type: 'CNAME', data: 'nowhere.test' })]);
  });
});

describe('Pod records', () => {
  it('answer a dashed address with that address', async () => {
    const r = await queryUdp(dns.port, `10-244-1-5.default.pod.${ZONE}`, 'A');
    expect(rcodeOf(r)).toBe('NOERROR');
    expect(r.answers).toEqual([expect.objectContaining({ type: 'A', ttl: 5, data: '10.244.1.5' })]);
    expect(await resolver().resolve4(`172-17-0-3.kube-system.pod.${ZONE}`)).toEqual(['172.17.0.3']);
  });

  it('answer NXDOMAIN for a label that is not an address', async () => {
    for (const label of ['not-an-ip', '10-244-1-300', '10-244-1']) {
      expect(rcodeOf(await queryUdp(dns.port, `${label}.default.pod.${ZONE}`, 'A')), label).toBe('NXDOMAIN');
    }
  });
});

describe('forwarding', () => {
  it('relays names outside the cluster domain to the upstream, id and all', async () => {
    const r = await queryUdp(dns.port, 'example.test', 'A', { id: 777 });
    expect(r.id).toBe(777);
    expect(rcodeOf(r)).toBe('NOERROR');
    expect(r.flag_aa).toBe(false);
    expect(r.answers).toEqual([expect.objectContaining({ name: 'example.test', type: 'A', ttl: 300, data: '192.0.2.1' })]);
    expect(upstream.received).toContainEqual({ transport: 'udp', id: 777, name: 'example.test', type: 'A' });
    expect(await resolver().resolve4('example.test')).toEqual(['192.0.2.1']);
    // The upstream's NXDOMAIN is relayed as is.
    expect(rcodeOf(await queryUdp(dns.port, 'unknown.test', 'A'))).toBe('NXDOMAIN');
  });

  it('relays TCP queries over TCP', async () => {
    const r = await queryTcp(dns.port, 'example.test', 'A', { id: 778 });
    expect(r.id).toBe(778);
    expect(data(r.answers, 'A')).toEqual(['192.0.2.1']);
    expect(upstream.received).toContainEqual({ transport: 'tcp', id: 778, name: 'example.test', type: 'A' });
  });

  it('answers SERVFAIL when the upstream does not answer in time', async () => {
    const started = Date.now();
    const r = await queryUdp(dns.port, 'blackhole.test', 'A', { id: 999 });
    expect(r.id).toBe(999);
    expect(rcodeOf(r)).toBe('SERVFAIL');
    expect(r.questions?.[0]?.name).toBe('blackhole.test');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(upstream.received.some((q) => q.name === 'blackhole.test')).toBe(true);
  });

  it('answers SERVFAIL at once when no upstream is configured', async () => {
    const lonely = await startDnsServer({ client, address: '127.0.0.1', port: 0, upstream: [] });
    try {
      expect(rcodeOf(await queryUdp(lonely.port, 'example.test', 'A'))).toBe('SERVFAIL');
      expect(data((await queryUdp(lonely.port, `web.default.svc.${ZONE}`, 'A')).answers, 'A')).toEqual([webIP]);
    } finally {
      await lonely.stop();
    }
  });
  it('leaves itself out of the upstreams instead of forwarding in a loop', async () => {
    expect(isOwnAddress('127.0.0.1', '0.0.0.0')).toBe(true);
    expect(isOwnAddress('127.0.0.1', '127.0.0.1')).toBe(true);
    // Docker's embedded resolver is DNATed elsewhere, not an address of ours.
    expect(isOwnAddress('127.0.0.11', '0.0.0.0')).toBe(false);
    expect(isOwnAddress('127.0.0.1', '127.0.0.2')).toBe(false);

    const probe = await startDnsServer({ client, address: '127.0.0.1', port: 0, upstream: [] });
    const port = probe.port;
    await probe.stop();
    const self = await startDnsServer({ client, address: '127.0.0.1', port, upstream: [`127.0.0.1:${port}`, `127.0.0.1:${upstream.port}`] });
    try {
      expect(self.forwarder.upstreams).toEqual([{ host: '127.0.0.1', port: upstream.port }]);
      expect(data((await queryUdp(port, 'example.test', 'A')).answers, 'A')).toEqual(['192.0.2.1']);
    } finally {
      await self.stop();
    }
  });
});

describe('watching', () => {
  it('resolves a new Service within a second of its creation, and forgets a deleted one', async () => {
    const name = `late.default.svc.${ZONE}`;
    expect(rcodeOf(await queryUdp(dns.port, name, 'A'))).toBe('NXDOMAIN');
    const created = Date.now();
    const svc = await createService('late', { ports: [{ port: 8080 }] });
    const ip = await eventually(async () => data((await queryUdp(dns.port, name, 'A')).answers, 'A')[0] as string | undefined, {
      message: 'late resolvable',
      timeoutMs: 1000,
    });
    expect(Date.now() - created).toBeLessThan(1000);
    expect(ip).toBe(svc.spec!.clusterIP);

    await client.delete({ ...SERVICES, name: 'late' });
    await eventually(async () => (rcodeOf(await queryUdp(dns.port, name, 'A')) === 'NXDOMAIN' ? true : undefined), { message: 'late gone', timeoutMs: 1000 });
  });

  it('follows EndpointSlice changes of a headless Service', async () => {
    await client.patch(
      { ...SLICES, name: 'db-abc' },
      {
        endpoints: [
          { addresses: ['10.244.1.5'], hostname: 'db-0', conditions: { ready: true } },
          { addresses: ['10.244.3.7'], hostname: 'db-2', conditions: { ready: true } },
        ],
      },
      { type: 'merge' },
    );
    const ips = await eventually(
      async () => {
        const got = (data((await queryUdp(dns.port, `db.default.svc.${ZONE}`, 'A')).answers, 'A') as string[]).sort();
        return got.includes('10.244.3.7') ? got : undefined;
      },
      { message: 'db-2 ready', timeoutMs: 1000 },
    );
    expect(ips).toEqual(['10.244.1.5', '10.244.3.7']);
    expect(data((await queryUdp(dns.port, `db-2.db.default.svc.${ZONE}`, 'A')).answers, 'A')).toEqual(['10.244.3.7']);
  });
});

describe('TCP', () => {
  it('answers cluster names over TCP, several queries on one connection', async () => {
    const r = await queryTcp(dns.port, `web.default.svc.${ZONE}`, 'A', { id: 31 });
    expect(r.id).toBe(31);
    expect(r.flag_aa).toBe(true);
    expect(data(r.answers, 'A')).toEqual([webIP]);

    const replies = await tcpExchange(dns.port, [
      buildQuery(`web.default.svc.${ZONE}`, 'A', { id: 1 }),
      buildQuery(`_pg._tcp.db.default.svc.${ZONE}`, 'SRV', { id: 2 }),
      buildQuery('example.test', 'A', { id: 3 }),
    ]);
    const byId = new Map(replies.map((raw) => dnsPacket.decode(raw)).map((p) => [p.id, p]));
    expect(data(byId.get(1)?.answers, 'A')).toEqual([webIP]);
    expect(data(byId.get(2)?.answers, 'SRV').length).toBeGreaterThan(0);
    expect(data(byId.get(3)?.answers, 'A')).toEqual(['192.0.2.1']);
  });
});

describe('malformed and unusual messages', () => {
  it('answers FORMERR to garbage with a header, NOTIMP to other opcodes, and ignores responses', async () => {
    const garbage = Buffer.concat([Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0]), Buffer.from([0x3f, 0x41])]);
    const formerr = dnsPacket.decode(await udpExchange(dns.port, garbage));
    expect(formerr.id).toBe(0x1234);
    expect(rcodeOf(formerr)).toBe('FORMERR');

    const notify = buildQuery(`web.default.svc.${ZONE}`, 'SOA', { id: 5 });
    notify.writeUInt16BE((4 << 11) | notify.readUInt16BE(2), 2); // opcode NOTIFY
    const [notimp] = await tcpExchange(dns.port, [notify]);
    expect(rcodeOf(dnsPacket.decode(notimp!))).toBe('NOTIMP');

    const response = buildQuery(`web.default.svc.${ZONE}`, 'A', { id: 6 });
    response[2] = response[2]! | 0x80;
    await expect(udpExchange(dns.port, response, 300)).rejects.toThrow(/timed out/);
  });
});

describe('startup', () => {
  it('serves after a bounded wait when the API does not answer: SERVFAIL for cluster names, forwarding as usual', async () => {
    const silentApi: ListerWatcher = {
      list: (_ref, o) => new Promise((_, reject) => o.signal?.addEventListener('abort', () => reject(new Error('stopped')))),
      watch: () => {
        throw new Error('no watch');
      },
    };
    const started = Date.now();
    const s = await startDnsServer({ client: silentApi, address: '127.0.0.1', port: 0, upstream: [`127.0.0.1:${upstream.port}`], syncTimeoutMs: 200 });
    try {
      expect(Date.now() - started).toBeGreaterThanOrEqual(190);
      expect(rcodeOf(await queryUdp(s.port, `web.default.svc.${ZONE}`, 'A'))).toBe('SERVFAIL');
      expect(data((await queryUdp(s.port, 'example.test', 'A')).answers, 'A')).toEqual(['192.0.2.1']);
    } finally {
      await s.stop();
    }
  });
});
