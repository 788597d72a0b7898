/** Test fixtures: schema metadata as the server's OpenAPI gives it, and object builders. */
import type { ListMeta } from './schema.ts';

type Meta = NonNullable<ReturnType<ListMeta>>;

const CONTAINERS: Meta = { mergeKey: 'name', strategy: ['merge'], listType: 'map', listMapKeys: ['name'] };
const META: Record<string, Meta> = {
  'metadata.finalizers': { strategy: ['merge'], listType: 'set' },
  'metadata.ownerReferences': { mergeKey: 'uid', strategy: ['merge'], listType: 'map', listMapKeys: ['uid'] },
  'spec.selector': { mapType: 'atomic' },
  'spec.template.spec.containers': CONTAINERS,
  'spec.template.spec.initContainers': CONTAINERS,
  'spec.template.spec.containers.ports': {
    mergeKey: 'containerPort',
    strategy: ['merge'],
    listType: 'map',
    listMapKeys: ['containerPort', 'protocol'],
  },
  'spec.template.spec.containers.env': { mergeKey: 'name', strategy: ['merge'] },
  'spec.template.spec.containers.args': { listType: 'atomic' },
  'spec.template.spec.tolerations': { listType: 'atomic' },
  'status.conditions': { mergeKey: 'type', strategy: ['merge'], listType: 'map', listMapKeys: ['type'] },
};

/** `openapi.patchMeta` for a Deployment: `{}` for fields without list metadata. */
export const listMeta: ListMeta = (path) => META[path.join('.')] ?? {};

export const NOW = new Date('2024-05-01T10:00:00.123Z');
export const LATER = new Date('2024-05-01T10:05:00Z');
export const T0 = '2024-05-01T10:00:00Z';
export const T1 = '2024-05-01T10:05:00Z';

export interface DeploymentSpec {
  name?: string;
  replicas?: number;
  labels?: Record<string, string>;
  containers?: Record<string, unknown>[];
  extra?: Record<string, unknown>;
  meta?: Record<string, unknown>;
}

/** A Deployment configuration as a user would apply it. */
export function deployment(o: DeploymentSpec = {}): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: o.name ?? 'web', namespace: 'default', ...(o.labels ? { labels: o.labels } : {}), ...o.meta },
    spec: {
      ...(o.replicas !== undefined ? { replicas: o.replicas } : {}),
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: o.containers ?? [{ name: 'nginx', image: 'nginx:1.25' }] },
      },
      ...o.extra,
    },
  };
}
