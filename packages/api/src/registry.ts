/**
 * The resource registry: every kind the API server serves, with the facts discovery,
 * routing, storage and kubectl need (group/version/kind/plural, scope, short names,
 * categories, subresources). Adding a kind is one entry here plus its schema.
 */

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface SubresourceInfo {
  name: 'status' | 'scale' | 'binding' | 'log' | 'exec' | 'portforward' | 'eviction' | 'attach' | 'proxy';
  /** The kind the subresource answers with. */
  kind: GroupVersionKind;
  verbs: string[];
}

export interface ResourceInfo {
  group: string;
  version: string;
  kind: string;
  /** Lower-case plural: the path segment and storage name. */
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  subresources: SubresourceInfo[];
  /** Objects have a spec whose changes bump metadata.generation. */
  hasSpec: boolean;
}

/** `apps/v1`, or `v1` for the core group. */
export const apiVersionOf = (r: { group: string; version: string }) => (r.group ? `${r.group}/${r.version}` : r.version);

/** `deployments.apps`, or `pods` for the core group: the name upstream errors use. */
export const groupResource = (r: { group: string; plural: string }) => (r.group ? `${r.plural}.${r.group}` : r.plural);

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

interface Entry {
  kind: string;
  plural?: string;
  namespaced?: boolean;
  shortNames?: string[];
  categories?: string[];
  subresources?: Array<SubresourceInfo['name']>;
  verbs?: string[];
  hasSpec?: boolean;
}

function group(group: string, version: string, entries: Entry[]): ResourceInfo[] {
  return entries.map((e) => {
    const plural = e.plural ?? `${e.kind.toLowerCase()}s`;
    const self = { group, version, kind: e.kind };
    return {
      group,
      version,
      kind: e.kind,
      plural,
      singular: e.kind.toLowerCase(),
      namespaced: e.namespaced ?? true,
      shortNames: e.shortNames ?? [],
      categories: e.categories ?? [],
      verbs: e.verbs ?? ALL_VERBS,
      hasSpec: e.hasSpec ?? true,
      subresources: (e.subresources ?? []).map((name) => subresource(name, self)),
    };
  });
}

function subresource(name: SubresourceInfo['name'], self: GroupVersionKind): SubresourceInfo {
  switch (name) {
    case 'status':
      return { name, kind: self, verbs: ['get', 'patch', 'update'] };
    case 'scale':
      return { name, kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get', 'patch', 'update'] };
    case 'binding':
      return { name, kind: { group: '', version: 'v1', kind: 'Binding' }, verbs: ['create'] };
    case 'eviction':
      return { name, kind: { group: 'policy', version: 'v1', kind: 'Eviction' }, verbs: ['create'] };
    case 'log':
      return { name, kind: { group: '', version: 'v1', kind: 'Pod' }, verbs: ['get'] };
    case 'exec':
    case 'attach':
    case 'portforward':
      return {
        name,
        kind: { group: '', version: 'v1', kind: `Pod${name === 'portforward' ? 'PortForwardOptions' : `${name[0]!.toUpperCase()}${name.slice(1)}Options`}` },
        verbs: ['create', 'get'],
      };
    case 'proxy':
      return { name, kind: { group: '', version: 'v1', kind: 'PodProxyOptions' }, verbs: ['create', 'delete', 'get', 'patch', 'update'] };
  }
}

export const RESOURCES: ResourceInfo[] = [
  ...group('', 'v1', [
    {
      kind: 'Namespace',
      namespaced: false,
      shortNames: ['ns'],
      subresources: ['status'],
      verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    },
    { kind: 'Pod', shortNames: ['po'], categories: ['all'], subresources: ['status', 'binding', 'log', 'exec', 'portforward', 'eviction'] },
    {
      kind: 'Service',
      shortNames: ['svc'],
      categories: ['all'],
      subresources: ['status'],
      verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    },
    { kind: 'Endpoints', plural: 'endpoints', shortNames: ['ep'], hasSpec: false },
    { kind: 'ConfigMap', shortNames: ['cm'], hasSpec: false },
    { kind: 'Secret', hasSpec: false },
    { kind: 'Node', namespaced: false, shortNames: ['no'], subresources: ['status'] },
    { kind: 'Event', shortNames: ['ev'], hasSpec: false },
    { kind: 'ServiceAccount', shortNames: ['sa'], hasSpec: false },
    { kind: 'PersistentVolume', namespaced: false, shortNames: ['pv'], subresources: ['status'] },
    { kind: 'PersistentVolumeClaim', shortNames: ['pvc'], subresources: ['status'] },
  ]),
  ...group('apps', 'v1', [
    { kind: 'Deployment', shortNames: ['deploy'], categories: ['all'], subresources: ['status', 'scale'] },
    { kind: 'ReplicaSet', shortNames: ['rs'], categories: ['all'], subresources: ['status', 'scale'] },
    { kind: 'StatefulSet', shortNames: ['sts'], categories: ['all'], subresources: ['status', 'scale'] },
    { kind: 'DaemonSet', shortNames: ['ds'], categories: ['all'], subresources: ['status'] },
    { kind: 'ControllerRevision', hasSpec: false },
  ]),
  ...group('batch', 'v1', [
    { kind: 'Job', categories: ['all'], subresources: ['status'] },
    { kind: 'CronJob', shortNames: ['cj'], categories: ['all'], subresources: ['status'] },
  ]),
  ...group('policy', 'v1', [{ kind: 'PodDisruptionBudget', shortNames: ['pdb'], subresources: ['status'] }]),
  ...group('networking.k8s.io', 'v1', [
    { kind: 'Ingress', plural: 'ingresses', shortNames: ['ing'], subresources: ['status'] },
    { kind: 'IngressClass', plural: 'ingressclasses', namespaced: false },
  ]),
  ...group('discovery.k8s.io', 'v1', [{ kind: 'EndpointSlice', hasSpec: false }]),
  ...group('coordination.k8s.io', 'v1', [{ kind: 'Lease', hasSpec: false }]),
  ...group('rbac.authorization.k8s.io', 'v1', [
    { kind: 'Role', hasSpec: false },
    { kind: 'RoleBinding', hasSpec: false },
    { kind: 'ClusterRole', namespaced: false, hasSpec: false },
    { kind: 'ClusterRoleBinding', namespaced: false, hasSpec: false },
  ]),
  ...group('storage.k8s.io', 'v1', [{ kind: 'StorageClass', plural: 'storageclasses', namespaced: false, shortNames: ['sc'], hasSpec: false }]),
];

/** Looks resources up by group/version and plural, by kind, or by any name kubectl accepts. */
export class Registry {
  private readonly byPath = new Map<string, ResourceInfo>();
  private readonly byKind = new Map<string, ResourceInfo>();

  constructor(readonly resources: ResourceInfo[] = RESOURCES) {
    for (const r of resources) {
      this.byPath.set(`${r.group}/${r.version}/${r.plural}`, r);
      this.byKind.set(`${r.group}/${r.version}/${r.kind}`, r);
    }
  }

  resource(group: string, version: string, plural: string): ResourceInfo | undefined {
    return this.byPath.get(`${group}/${version}/${plural}`);
  }

  kind(gvk: GroupVersionKind): ResourceInfo | undefined {
    return this.byKind.get(`${gvk.group}/${gvk.version}/${gvk.kind}`);
  }

  /** From an object's apiVersion and kind. */
  forObject(apiVersion: string, kind: string): ResourceInfo | undefined {
    const slash = apiVersion.indexOf('/');
    const [g, v] = slash < 0 ? ['', apiVersion] : [apiVersion.slice(0, slash), apiVersion.slice(slash + 1)];
    return this.kind({ group: g, version: v, kind });
  }

  /** Group/versions served, core first, then groups in registry order. */
  groupVersions(): Array<{ group: string; version: string }> {
    const seen = new Set<string>();
    const out: Array<{ group: string; version: string }> = [];
    for (const r of this.resources) {
      const k = `${r.group}/${r.version}`;
      if (!seen.has(k)) {
        seen.add(k);
        out.push({ group: r.group, version: r.version });
      }
    }
    return out;
  }

  inGroupVersion(group: string, version: string): ResourceInfo[] {
    return this.resources.filter((r) => r.group === group && r.version === version);
  }

  /** What `kubectl get <name>` may say: plural, singular, short name, kind, or `plural.group`. */
  lookup(name: string): ResourceInfo | undefined {
    const n = name.toLowerCase();
    const dot = n.indexOf('.');
    const [base, grp] = dot < 0 ? [n, undefined] : [n.slice(0, dot), n.slice(dot + 1)];
    return this.resources.find(
      (r) =>
        (grp === undefined || r.group === grp || `${r.version}.${r.group}` === grp) &&
        (r.plural === base || r.singular === base || r.kind.toLowerCase() === base || r.shortNames.includes(base)),
    );
  }
}
