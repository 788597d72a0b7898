/**
 * Defaulting, as upstream's SetDefaults_* functions: what the API server fills in when a
 * client leaves it out. Applied on every write, before the object is stored.
 */
import { isObject } from './meta.ts';

// biome-ignore lint/suspicious/noExplicitAny: defaulting walks loosely typed objects
type Any = any;

const obj = (parent: Any, key: string): Any => {
  if (!isObject(parent[key])) parent[key] = {};
  return parent[key];
};

/** `nginx`, `nginx:latest` and digest-less images without a tag pull Always; others IfNotPresent. */
export function defaultPullPolicy(image: string | undefined): 'Always' | 'IfNotPresent' {
  if (!image) return 'IfNotPresent';
  if (image.includes('@')) return 'IfNotPresent';
  const lastSlash = image.lastIndexOf('/');
  const tagAt = image.indexOf(':', lastSlash + 1);
  const tag = tagAt < 0 ? '' : image.slice(tagAt + 1);
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

/**
 * The items of a list of structs, to default. A null item becomes `{}`, as upstream's
 * decoder makes it an empty struct (which validation then refuses for its missing fields);
 * a list that is not one, or an item of another type, is left to validation.
 */
function objects(v: unknown): Any[] {
  if (!Array.isArray(v)) return [];
  for (let i = 0; i < v.length; i++) if (v[i] === null) v[i] = {};
  return v.filter(isObject);
}

function defaultContainer(c: Any): void {
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  c.imagePullPolicy ??= defaultPullPolicy(c.image);
  if (!isObject(c.resources)) c.resources = {};
  for (const p of objects(c.ports)) p.protocol ??= 'TCP';
  for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) if (isObject(probe)) defaultProbe(probe);
}

function defaultProbe(p: Any): void {
  p.timeoutSeconds ??= 1;
  p.periodSeconds ??= 10;
  p.successThreshold ??= 1;
  p.failureThreshold ??= 3;
  if (isObject(p.httpGet)) {
    p.httpGet.path ??= '/';
    p.httpGet.scheme ??= 'HTTP';
  }
}

export function defaultPodSpec(spec: Any): void {
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.enableServiceLinks ??= true;
  if (!isObject(spec.securityContext)) spec.securityContext = {};
  for (const c of [...objects(spec.containers), ...objects(spec.initContainers)]) defaultContainer(c);
  for (const v of objects(spec.volumes)) {
    for (const src of ['configMap', 'secret'] as const) if (isObject(v[src])) v[src].defaultMode ??= 420;
    if (isObject(v.projected)) v.projected.defaultMode ??= 420;
  }
}

function defaultTemplate(spec: Any): void {
  defaultPodSpec(obj(obj(spec, 'template'), 'spec'));
}

/** A Pod, with what the ServiceAccount and Priority admission plugins add to every Pod. */
export function defaultPod(o: Any): void {
  const spec = obj(o, 'spec');
  defaultPodSpec(spec);
  spec.serviceAccountName ??= spec.serviceAccount ?? 'default';
  spec.serviceAccount ??= spec.serviceAccountName;
  spec.priority ??= 0;
}

export function defaultSecret(o: Any): void {
  o.type ??= 'Opaque';
  // stringData is write-only: as upstream's conversion, each value goes into data (base64),
  // over a key data already has, and stringData itself is neither stored nor returned.
  if (o.stringData && typeof o.stringData === 'object' && !Array.isArray(o.stringData)) {
    const data: Record<string, string> = { ...(o.data && typeof o.data === 'object' ? o.data : {}) };
    for (const [k, v] of Object.entries(o.stringData)) if (typeof v === 'string') data[k] = Buffer.from(v, 'utf8').toString('base64');
    o.data = data;
  }
  delete o.stringData;
}

export function defaultPersistentVolumeClaim(o: Any): void {
  obj(o, 'spec').volumeMode ??= 'Filesystem';
}

export function defaultService(o: Any): void {
  const spec = obj(o, 'spec');
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') spec.externalTrafficPolicy ??= 'Cluster';
  if (spec.type === 'LoadBalancer') spec.allocateLoadBalancerNodePorts ??= true;
}

export function defaultDeployment(o: Any): void {
  const spec = obj(o, 'spec');
  spec.replicas ??= 1;
  const strategy = obj(spec, 'strategy');
  strategy.type ??= 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const ru = obj(strategy, 'rollingUpdate');
    ru.maxUnavailable ??= '25%';
    ru.maxSurge ??= '25%';
  }
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  defaultTemplate(spec);
}

export function defaultReplicaSet(o: Any): void {
  const spec = obj(o, 'spec');
  spec.replicas ??= 1;
  defaultTemplate(spec);
}

export function defaultStatefulSet(o: Any): void {
  const spec = obj(o, 'spec');
  spec.replicas ??= 1;
  spec.podManagementPolicy ??= 'OrderedReady';
  // As upstream's SetDefaults_StatefulSet: rollingUpdate (partition 0) comes with a defaulted
  // type; an explicit `type: RollingUpdate` without it stays so (no partition).
  const us = obj(spec, 'updateStrategy');
  if (!us.type) {
    us.type = 'RollingUpdate';
    us.rollingUpdate ??= {};
  }
  if (us.type === 'RollingUpdate' && us.rollingUpdate) us.rollingUpdate.partition ??= 0;
  spec.revisionHistoryLimit ??= 10;
  const retention = obj(spec, 'persistentVolumeClaimRetentionPolicy');
  retention.whenDeleted ??= 'Retain';
  retention.whenScaled ??= 'Retain';
  defaultTemplate(spec);
}

export function defaultDaemonSet(o: Any): void {
  const spec = obj(o, 'spec');
  const us = obj(spec, 'updateStrategy');
  us.type ??= 'RollingUpdate';
  if (us.type === 'RollingUpdate') {
    const ru = obj(us, 'rollingUpdate');
    ru.maxUnavailable ??= 1;
    ru.maxSurge ??= 0;
  }
  spec.revisionHistoryLimit ??= 10;
  defaultTemplate(spec);
}

export function defaultJob(o: Any): void {
  defaultJobSpec(obj(o, 'spec'));
}

export function defaultCronJob(o: Any): void {
  const spec = obj(o, 'spec');
  spec.concurrencyPolicy ??= 'Allow';
  spec.suspend ??= false;
  spec.successfulJobsHistoryLimit ??= 3;
  spec.failedJobsHistoryLimit ??= 1;
  defaultJobSpec(obj(obj(spec, 'jobTemplate'), 'spec'));
}

export function defaultEndpointSlice(o: Any): void {
  for (const p of objects(o.ports)) {
    p.name ??= '';
    p.protocol ??= 'TCP';
  }
}

const DEFAULTERS: Record<string, (o: Any) => void> = {
  '/Pod': defaultPod,
  '/Secret': defaultSecret,
  '/PersistentVolumeClaim': defaultPersistentVolumeClaim,
  '/Service': defaultService,
  'apps/Deployment': defaultDeployment,
  'apps/ReplicaSet': defaultReplicaSet,
  'apps/StatefulSet': defaultStatefulSet,
  'apps/DaemonSet': defaultDaemonSet,
  'batch/Job': defaultJob,
  'batch/CronJob': defaultCronJob,
  'discovery.k8s.io/EndpointSlice': defaultEndpointSlice,
};

/** Fills in upstream's defaults for an object of `group/kind`, in place (the API server's kind strategies call the functions above). */
export function applyDefaults(group: string, kind: string, o: Any): void {
  DEFAULTERS[`${group}/${kind}`]?.(o);
}

function defaultJobSpec(spec: Any): void {
  if (spec.completions === undefined && spec.parallelism === undefined) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  spec.parallelism ??= 1;
  spec.backoffLimit ??= 6;
  spec.completionMode ??= 'NonIndexed';
  spec.suspend ??= false;
  // 1.29+: a Job with a pod failure policy waits for failed Pods to terminate before replacing them.
  spec.podReplacementPolicy ??= spec.podFailurePolicy ? 'Failed' : 'TerminatingOrFailed';
  defaultTemplate(spec);
}
