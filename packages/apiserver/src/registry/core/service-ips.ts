/**
 * Service admission: ClusterIPs from the service CIDR and node ports from their range,
 * both read back from the Services that exist (so deleting a Service releases them),
 * and refused when already taken.
 */
import { apiErrors, type KubeObject, type StatusCause } from '@minik8s/api';
import type { WatchCache } from '../../storage/watch-cache.ts';

// biome-ignore lint/suspicious/noExplicitAny: Service fields are read loosely
type Any = any;

export interface ServiceIpOptions {
  /** e.g. 10.96.0.0/16 */
  serviceCidr: string;
  nodePortRange: [number, number];
}

export const DEFAULT_SERVICE_IPS: ServiceIpOptions = { serviceCidr: '10.96.0.0/16', nodePortRange: [30000, 32767] };

const ipToInt = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
const intToIp = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
const isIPv4 = (s: string) => /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(s) && s.split('.').every((o) => Number(o) <= 255);

export class ServiceAllocator {
  private readonly base: number;
  private readonly size: number;

  constructor(
    private readonly cache: WatchCache,
    private readonly o: ServiceIpOptions = DEFAULT_SERVICE_IPS,
  ) {
    const [ip, bits] = o.serviceCidr.split('/');
    this.size = 2 ** (32 - Number(bits));
    this.base = ipToInt(ip!) - (ipToInt(ip!) % this.size);
  }

  private taken(except?: KubeObject): { ips: Set<string>; ports: Set<number> } {
    const ips = new Set<string>();
    const ports = new Set<number>();
    for (const s of this.cache.list('/registry/services/').items as Any[]) {
      if (except && s.metadata.uid === except.metadata.uid) continue;
      for (const ip of s.spec?.clusterIPs ?? [s.spec?.clusterIP]) if (ip && ip !== 'None') ips.add(ip);
      for (const p of s.spec?.ports ?? []) if (p?.nodePort) ports.add(p.nodePort);
    }
    return { ips, ports };
  }

  /** Defaults and allocations for a Service being created or updated. */
  admit(svc: KubeObject, old: KubeObject | undefined): void {
    if (!(svc as Any).spec) (svc as Any).spec = {};
    const spec: Any = (svc as Any).spec;
    const oldSpec: Any = (old as Any)?.spec;
    spec.type ??= 'ClusterIP';
    spec.sessionAffinity ??= 'None';
    // A null port decodes upstream to a zero ServicePort, whose port 0 validation refuses.
    const nullPort = Array.isArray(spec.ports) ? spec.ports.findIndex((p: unknown) => p === null || typeof p !== 'object') : -1;
    if (nullPort >= 0) {
      throw apiErrors.invalid({ group: '', kind: 'Service' }, typeof svc.metadata.name === 'string' ? svc.metadata.name : '', [
        { reason: 'FieldValueInvalid', field: `spec.ports[${nullPort}].port`, message: 'Invalid value: 0: must be between 1 and 65535, inclusive' },
      ]);
    }
    for (const p of spec.ports ?? []) {
      p.protocol ??= 'TCP';
      p.targetPort ??= p.port;
    }
    const causes: StatusCause[] = [];
    const { ips, ports } = this.taken(svc);
    if (spec.type !== 'ExternalName') {
      spec.internalTrafficPolicy ??= 'Cluster';
      spec.ipFamilies ??= ['IPv4'];
      spec.ipFamilyPolicy ??= 'SingleStack';
      if (oldSpec?.clusterIP && spec.clusterIP !== undefined && spec.clusterIP !== oldSpec.clusterIP) {
        causes.push({
          reason: 'FieldValueInvalid',
          field: 'spec.clusterIPs[0]',
          message: `Invalid value: ${JSON.stringify([spec.clusterIP])}: may not change once set`,
        });
      } else if (oldSpec?.clusterIP) {
        spec.clusterIP = oldSpec.clusterIP;
      } else if (spec.clusterIP === 'None') {
        // headless: no address
      } else if (spec.clusterIP) {
        const ip: string = spec.clusterIP;
        const n = isIPv4(ip) ? ipToInt(ip) : Number.NaN;
        if (!(n > this.base && n < this.base + this.size - 1)) {
          causes.push({
            reason: 'FieldValueInvalid',
            field: 'spec.clusterIPs',
            message: `Invalid value: ${JSON.stringify([ip])}: failed to allocate IP ${ip}: the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${this.o.serviceCidr}`,
          });
        } else if (ips.has(ip)) {
          causes.push({
            reason: 'FieldValueInvalid',
            field: 'spec.clusterIPs',
            message: `Invalid value: ${JSON.stringify([ip])}: failed to allocate IP ${ip}: provided IP is already allocated`,
          });
        }
      } else {
        spec.clusterIP = this.freeIp(ips);
      }
      if (spec.clusterIP) spec.clusterIPs = [spec.clusterIP];
    }
    if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') {
      const [lo, hi] = this.o.nodePortRange;
      (spec.ports ?? []).forEach((p: Any, i: number) => {
        const before = (oldSpec?.ports ?? []).find((q: Any) => q.port === p.port && q.protocol === p.protocol)?.nodePort;
        if (p.nodePort === undefined && before) p.nodePort = before;
        if (p.nodePort === undefined) {
          p.nodePort = this.freePort(ports);
        } else if (p.nodePort < lo || p.nodePort > hi) {
          causes.push({
            reason: 'FieldValueInvalid',
            field: `spec.ports[${i}].nodePort`,
            message: `Invalid value: ${p.nodePort}: provided port is not in the valid range. The range of valid ports is ${lo}-${hi}`,
          });
        } else if (ports.has(p.nodePort) && p.nodePort !== before) {
          causes.push({
            reason: 'FieldValueInvalid',
            field: `spec.ports[${i}].nodePort`,
            message: `Invalid value: ${p.nodePort}: provided port is already allocated`,
          });
        }
        ports.add(p.nodePort);
      });
    } else {
      for (const p of spec.ports ?? []) delete p.nodePort;
    }
    if (causes.length) throw apiErrors.invalid({ group: '', kind: 'Service' }, svc.metadata.name ?? '', causes);
  }

  private freeIp(taken: Set<string>): string {
    // Not the network or broadcast address, nor the two well-known ones (the kubernetes
    // Service at .1, cluster DNS at .10); from a random start, as upstream.
    const reserved = new Set([intToIp(this.base + 1), intToIp(this.base + 10)]);
    const span = this.size - 2;
    const start = Math.floor(Math.random() * span);
    for (let i = 0; i < span; i++) {
      const ip = intToIp(this.base + 1 + ((start + i) % span));
      if (!taken.has(ip) && !reserved.has(ip)) return ip;
    }
    throw apiErrors.internal(new Error(`failed to allocate a service IP: range ${this.o.serviceCidr} is full`));
  }

  private freePort(taken: Set<number>): number {
    const [lo, hi] = this.o.nodePortRange;
    const span = hi - lo + 1;
    const start = Math.floor(Math.random() * span);
    for (let i = 0; i < span; i++) {
      const p = lo + ((start + i) % span);
      if (!taken.has(p)) return p;
    }
    throw apiErrors.internal(new Error(`failed to allocate a node port: range ${lo}-${hi} is full`));
  }
}
