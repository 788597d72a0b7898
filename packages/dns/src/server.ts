/**
 * `startDnsServer`: the cluster DNS server. Informers on Services, EndpointSlices and
 * Namespaces keep the zone current (watch-driven: a change answers at once); UDP and
 * TCP (two-byte length prefix, several queries per connection, answered as they are
 * ready) listen on one address and port; whatever is outside the cluster domain goes to
 * the upstream resolvers (by default the nameservers of /etc/resolv.conf).
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { ListerWatcher } from '@minik8s/client/kube';
import { Manager, type Runnable, withComponent } from '@minik8s/client/runtime';
import { type Logger, pino } from 'pino';
import { ClusterState } from './cluster-state.ts';
import { Forwarder, formatUpstream, parseUpstream } from './forwarder.ts';
import { createQueryHandler, type QueryHandler } from './handler.ts';
import { canonicalIp, ipFamily } from './internal/names.ts';
import { nameserversFromResolvConf, RESOLV_CONF } from './resolv-conf.ts';
import { ClusterZone, DEFAULT_CLUSTER_DOMAIN, DEFAULT_TTL } from './zone.ts';

export interface DnsServerOptions {
  /** Lists and watches Services, EndpointSlices and Namespaces (a KubeClient). */
  client: ListerWatcher;
  /** Default 0.0.0.0. */
  address?: string;
  /** Default 53; 0 picks a free port (the same one for UDP and TCP). */
  port?: number;
  /** Default cluster.local. */
  clusterDomain?: string;
  /** `IP`, `IP:port` or `[IPv6]:port`. Default: the nameservers in `resolvConf`. */
  upstream?: string[];
  /** Where the default upstreams come from. Default /etc/resolv.conf. */
  resolvConf?: string;
  /** Per-upstream attempt timeout in ms; when every upstream has timed out the client gets SERVFAIL. Default 2000. */
  upstreamTimeoutMs?: number;
  /** TTL of cluster records, in seconds. Default 5 (CoreDNS's). */
  ttl?: number;
  /** How long to wait for the first Service and EndpointSlice lists before serving anyway. Default 5000 ms (CoreDNS's). */
  syncTimeoutMs?: number;
  /** An idle TCP connection is closed after this long. Default 10 000 ms. */
  tcpIdleTimeoutMs?: number;
  logger?: Logger;
}

export interface RunningDnsServer {
  /** The bound port (UDP and TCP). */
  port: number;
  address: string;
  zone: ClusterZone;
  state: ClusterState;
  forwarder: Forwarder;
  /** The component runtime the server runs on (informers, the sockets' runnable, readiness). */
  manager: Manager;
  /** Closes the sockets and stops the informers. */
  stop(): Promise<void>;
}

/** Starts watching, waits (bounded) for the first lists, then listens; resolves once both sockets are bound. */
export async function startDnsServer(o: DnsServerOptions): Promise<RunningDnsServer> {
  const log = withComponent(o.logger ?? pino({ level: 'silent' }), 'dns');
  const address = o.address ?? '0.0.0.0';
  const family = ipFamily(address);
  if (!family) throw new Error(`address "${address}" is not an IP address`);
  const configured = (o.upstream ?? nameserversFromResolvConf(o.resolvConf ?? RESOLV_CONF)).map(parseUpstream);
  const manager = new Manager({ client: o.client, log, informers: { onError: (err) => log.warn({ err }, 'list/watch failed') } });
  const state = new ClusterState(manager.informers);
  const zone = new ClusterZone(state, { domain: o.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN, ttl: o.ttl ?? DEFAULT_TTL });
  manager.addReadyzCheck('cluster-state', () => state.synced()).start();
  await waitBounded(manager, o.syncTimeoutMs ?? 5000, log);

  let bound: { udp: UdpSocket; tcp: Server; port: number };
  try {
    bound = await bindUdpAndTcp(address, family, o.port ?? 53);
  } catch (e) {
    await manager.stop();
    throw e;
  }
  // Forwarding to ourselves would loop (CoreDNS's `loop` plugin exits instead): leave such upstreams out.
  const upstreams = configured.filter((u) => {
    const self = u.port === bound.port && isOwnAddress(u.host, address);
    if (self) log.warn({ upstream: formatUpstream(u) }, 'upstream is this server itself: left out');
    return !self;
  });
  if (upstreams.length === 0)
    log.warn({ resolvConf: o.upstream ? undefined : (o.resolvConf ?? RESOLV_CONF) }, 'no upstream resolvers: names outside the cluster get SERVFAIL');
  const forwarder = new Forwarder({ upstreams, timeoutMs: o.upstreamTimeoutMs });
  const handle = createQueryHandler({ zone, forwarder, logger: log });
  manager.add(serving(bound, handle, o.tcpIdleTimeoutMs ?? 10_000, log));
  log.info({ address, port: bound.port, domain: zone.domain, upstreams: upstreams.map(formatUpstream) }, 'serving DNS');
  return { port: bound.port, address, zone, state, forwarder, manager, stop: () => manager.stop() };
}

/** CoreDNS's behaviour: wait for the first Service and EndpointSlice lists, but serve anyway after the timeout. */
async function waitBounded(manager: Manager, timeoutMs: number, log: Logger): Promise<void> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new Error('sync timeout')), timeoutMs);
  try {
    await manager.waitForCacheSync(abort.signal);
  } catch {
    log.warn({ timeoutMs }, 'starting with unsynced Kubernetes API: cluster names get SERVFAIL until it syncs');
  } finally {
    clearTimeout(timer);
  }
}

/** The sockets as a runnable: answers queries until stopped, then closes them. */
function serving(bound: { udp: UdpSocket; tcp: Server }, handle: QueryHandler, tcpIdleMs: number, log: Logger): Runnable {
  const { udp, tcp } = bound;
  const connections = new Set<Socket>();
  udp.on('message', (msg, rinfo) => {
    void handle(msg, 'udp').then(
      (out) => {
        if (out) udp.send(out, rinfo.port, rinfo.address, (err) => err && log.debug({ err }, 'udp send failed'));
      },
      (err) => log.warn({ err }, 'query failed'),
    );
  });
  udp.on('error', (err) => log.warn({ err }, 'udp socket error'));
  tcp.on('connection', (socket) => serveTcp(socket, handle, connections, tcpIdleMs, log));
  tcp.on('error', (err) => log.warn({ err }, 'tcp server error'));
  return {
    name: 'dns-server',
    async run(signal) {
      await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
      for (const c of connections) c.destroy();
      await Promise.all([new Promise<void>((r) => udp.close(() => r())), new Promise<void>((r) => tcp.close(() => r()))]);
    },
  };
}

/** True if `host` reaches this server's socket bound to `address` (the address itself, or any local one for a wildcard bind). */
export function isOwnAddress(host: string, address: string): boolean {
  const h = canonicalIp(host.replace(/%.*$/, ''));
  if (!h) return false;
  if (h === canonicalIp(address)) return true;
  if (address !== '0.0.0.0' && address !== '::') return false;
  const local = Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => canonicalIp(i.address.replace(/%.*$/, ''))));
  return h === canonicalIp('0.0.0.0') || h === canonicalIp('::') || local.includes(h);
}

/** Binds UDP and then TCP on the same port; with port 0, retries a few times if TCP finds UDP's port taken. */
export async function bindUdpAndTcp(address: string, family: 4 | 6, port: number): Promise<{ udp: UdpSocket; tcp: Server; port: number }> {
  for (let attempt = 0; ; attempt++) {
    const udp = createSocket({ type: family === 6 ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, address, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    const actual = udp.address().port;
    const tcp = createServer({ pauseOnConnect: false });
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen({ port: actual, host: address }, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
      return { udp, tcp, port: actual };
    } catch (e) {
      udp.close();
      if (port !== 0 || attempt >= 10 || (e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    }
  }
}

/** Length-prefixed messages on one connection; replies go out as each is ready (RFC 7766 allows any order). */
function serveTcp(socket: Socket, handle: QueryHandler, connections: Set<Socket>, idleMs: number, log: Logger): void {
  connections.add(socket);
  socket.setTimeout(idleMs, () => socket.destroy());
  socket.on('close', () => connections.delete(socket));
  socket.on('error', (err) => log.debug({ err }, 'tcp connection error'));
  let buf: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    while (buf.length >= 2) {
      const n = buf.readUInt16BE(0);
      if (buf.length < 2 + n) break;
      const msg = Buffer.from(buf.subarray(2, 2 + n));
      buf = buf.subarray(2 + n);
      void handle(msg, 'tcp').then(
        (out) => {
          if (!out || socket.destroyed) return;
          const len = Buffer.alloc(2);
          len.writeUInt16BE(out.length);
          socket.write(Buffer.concat([len, out]));
        },
        (err) => log.warn({ err }, 'query failed'),
      );
    }
  });
}
