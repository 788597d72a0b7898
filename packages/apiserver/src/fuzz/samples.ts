/**
 * A small valid object of each kind the registry serves, the fuzzer's starting points:
 * hand-written for the kinds below, and a bare object (apiVersion, kind, metadata) for
 * any kind added to the registry later, which most kinds without required fields accept.
 */
import { apiVersionOf, type ResourceInfo } from '@minik8s/api';

type Json = Record<string, unknown>;

const labels = { app: 'fuzz' };
const podSpec = (restartPolicy?: string) => ({
  ...(restartPolicy ? { restartPolicy } : {}),
  containers: [{ name: 'c', image: 'busybox:1.36', command: ['sleep', '3600'], ports: [{ containerPort: 80 }], resources: { requests: { cpu: '10m' } } }],
});
const template = (restartPolicy?: string) => ({ metadata: { labels }, spec: podSpec(restartPolicy) });
const selector = { matchLabels: labels };

const SPECS: Record<string, () => Json> = {
  Namespace: () => ({}),
  Pod: () => ({ spec: podSpec() }),
  Service: () => ({ spec: { selector: labels, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } }),
  Endpoints: () => ({ subsets: [{ addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80 }] }] }),
  ConfigMap: () => ({ data: { key: 'value', 'file.txt': 'line\n' } }),
  Secret: () => ({ type: 'Opaque', data: { password: 'cGFzc3dvcmQ=' }, stringData: { user: 'admin' } }),
  Node: () => ({ metadata: { labels: { 'kubernetes.io/hostname': 'fz' } }, spec: { podCIDR: '10.244.1.0/24' } }),
  Event: () => ({
    involvedObject: { kind: 'Pod', name: 'fz-0', namespace: 'fuzz', apiVersion: 'v1' },
    reason: 'Fuzzed',
    message: 'a fuzzed event',
    type: 'Normal',
    source: { component: 'fuzz' },
    count: 1,
  }),
  ServiceAccount: () => ({ automountServiceAccountToken: false }),
  PersistentVolume: () => ({ spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/tmp/fz' } } }),
  PersistentVolumeClaim: () => ({ spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }),
  Deployment: () => ({ spec: { replicas: 1, selector, template: template() } }),
  ReplicaSet: () => ({ spec: { replicas: 1, selector, template: template() } }),
  StatefulSet: () => ({ spec: { replicas: 1, serviceName: 'fz', selector, template: template() } }),
  DaemonSet: () => ({ spec: { selector, template: template() } }),
  Job: () => ({ spec: { backoffLimit: 1, template: template('Never') } }),
  CronJob: () => ({ spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: template('OnFailure') } } } }),
  Ingress: () => ({
    spec: {
      rules: [{ host: 'fz.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'fz', port: { number: 80 } } } }] } }],
    },
  }),
  IngressClass: () => ({ spec: { controller: 'example.com/fuzz' } }),
  EndpointSlice: () => ({
    metadata: { labels: { 'kubernetes.io/service-name': 'fz' } },
    addressType: 'IPv4',
    endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready: true } }],
    ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
  }),
  Lease: () => ({ spec: { holderIdentity: 'fz', leaseDurationSeconds: 15 } }),
  Role: () => ({ rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }] }),
  RoleBinding: () => ({
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'fz' },
    subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: 'fuzz' }],
  }),
  ClusterRole: () => ({ rules: [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['*'] }] }),
  ClusterRoleBinding: () => ({
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'fz' },
    subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'fz' }],
  }),
  StorageClass: () => ({ provisioner: 'example.com/fuzz', reclaimPolicy: 'Delete' }),
};

/** The kinds with a hand-written sample (the others get a bare object). */
export const SAMPLED_KINDS = Object.keys(SPECS);

/** A valid object of the resource's kind, named `name` (in `namespace` when namespaced). */
export function sampleObject(r: ResourceInfo, name: string, namespace?: string): Json {
  const { metadata, ...rest } = (SPECS[r.kind]?.() ?? {}) as Json & { metadata?: Json };
  return {
    apiVersion: apiVersionOf(r),
    kind: r.kind,
    metadata: { name, ...(r.namespaced && namespace ? { namespace } : {}), labels: { fuzz: 'true' }, ...metadata },
    ...rest,
  };
}

/** A valid body for a subresource write: the object itself (status), a Scale, or a Binding. */
export function sampleSubresourceBody(r: ResourceInfo, sub: string, name: string, namespace?: string): Json {
  const meta = { name, ...(r.namespaced && namespace ? { namespace } : {}) };
  switch (sub) {
    case 'scale':
      return { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: meta, spec: { replicas: 2 } };
    case 'binding':
      return { apiVersion: 'v1', kind: 'Binding', metadata: meta, target: { apiVersion: 'v1', kind: 'Node', name: 'fz-0' } };
    case 'eviction':
      return { apiVersion: 'policy/v1', kind: 'Eviction', metadata: meta };
    default: {
      const o = sampleObject(r, name, namespace);
      o.status =
        r.kind === 'Pod'
          ? { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] }
          : r.kind === 'Deployment'
            ? { replicas: 1, readyReplicas: 1 }
            : {};
      return o;
    }
  }
}
