import { describe, expect, it } from 'vitest';
import { OpenApi, strictDecodingMessage } from './index.ts';

const api = new OpenApi([]);
const DEPLOYMENT = { group: 'apps', version: 'v1', kind: 'Deployment' };
const POD = { group: '', version: 'v1', kind: 'Pod' };
const SERVICE = { group: '', version: 'v1', kind: 'Service' };
const STRICT = { unknownFields: 'Strict' } as const;

function deployment(spec: Record<string, unknown> = {}, container: Record<string, unknown> = {}) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' }, creationTimestamp: null },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'nginx', image: 'nginx:1.27', ports: [{ containerPort: 80 }], ...container }] },
      },
      ...spec,
    },
  };
}

function pod(container: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', ...metadata },
    spec: { containers: [{ name: 'c', image: 'busybox', ...container }], restartPolicy: 'Always' },
  };
}

function service(port: Record<string, unknown>) {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { selector: { app: 'web' }, ports: [port] } };
}

describe('validate: Deployments', () => {
  it('accepts a valid object', () => {
    expect(api.validate(DEPLOYMENT, deployment(), STRICT)).toEqual({ causes: [], warnings: [], unknownFields: [] });
  });

  it('reports a wrong type as upstream schema validation words it', () => {
    expect(api.validate(DEPLOYMENT, deployment({ replicas: 'three' }), STRICT).causes).toEqual([
      {
        reason: 'FieldValueTypeInvalid',
        field: 'spec.replicas',
        message: 'Invalid value: "string": spec.replicas in body must be of type integer: "string"',
      },
    ]);
  });

  it('reports missing required fields with upstream field paths', () => {
    const obj = deployment({}, { name: undefined });
    delete (obj.spec as Record<string, unknown>).selector;
    expect(api.validate(DEPLOYMENT, obj, STRICT).causes).toEqual([
      { reason: 'FieldValueRequired', field: 'spec.selector', message: 'Required value' },
      { reason: 'FieldValueRequired', field: 'spec.template.spec.containers[0].name', message: 'Required value' },
    ]);
  });

  it('takes an int or a string for int-or-string fields, nothing else', () => {
    const bad = deployment({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: true } } });
    expect(api.validate(DEPLOYMENT, bad, STRICT).causes).toEqual([
      {
        reason: 'FieldValueTypeInvalid',
        field: 'spec.strategy.rollingUpdate.maxSurge',
        message: 'Invalid value: "boolean": spec.strategy.rollingUpdate.maxSurge in body must be of type integer,string: "boolean"',
      },
    ]);
  });

  it('fails unknown fields under Strict with upstream strict decoding error', () => {
    const obj = deployment({ foo: 1 }, { bar: true });
    const r = api.validate(DEPLOYMENT, obj, STRICT);
    expect(r.unknownFields).toEqual(['spec.foo', 'spec.template.spec.containers[0].bar']);
    expect(r.strictError).toBe('strict decoding error: unknown field "spec.foo", unknown field "spec.template.spec.containers[0].bar"');
    expect(r.causes).toEqual([
      { reason: 'FieldValueInvalid', field: 'spec.foo', message: 'unknown field "spec.foo"' },
      {
        reason: 'FieldValueInvalid',
        field: 'spec.template.spec.containers[0].bar',
        message: 'unknown field "spec.template.spec.containers[0].bar"',
      },
    ]);
    expect(r.warnings).toEqual([]);
    expect(strictDecodingMessage(DEPLOYMENT, r.strictError!)).toBe(
      'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.foo", unknown field "spec.template.spec.containers[0].bar"',
    );
  });

  it('warns about unknown fields under Warn and says nothing under Ignore', () => {
    const warn = api.validate(DEPLOYMENT, deployment({ foo: 1 }), { unknownFields: 'Warn' });
    expect(warn).toEqual({ causes: [], warnings: ['unknown field "spec.foo"'], unknownFields: ['spec.foo'] });
    const ignore = api.validate(DEPLOYMENT, deployment({ foo: 1 }), { unknownFields: 'Ignore' });
    expect(ignore).toEqual({ causes: [], warnings: [], unknownFields: ['spec.foo'] });
  });

  it('drops unknown fields on request, as upstream stores objects', () => {
    const obj = deployment({ foo: 1 }, { bar: true });
    api.validate(DEPLOYMENT, obj, { unknownFields: 'Warn', dropUnknown: true });
    expect(obj).toEqual(deployment());
  });

  it('reports type errors and unknown fields together', () => {
    const r = api.validate(DEPLOYMENT, deployment({ replicas: '3', extra: {} }), STRICT);
    expect(r.causes.map((c) => `${c.field}: ${c.message}`)).toEqual([
      'spec.extra: unknown field "spec.extra"',
      'spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"',
    ]);
  });
});

describe('validate: Pods', () => {
  it('accepts Quantities as strings or numbers and int-or-string probe ports', () => {
    const obj = pod({
      resources: { limits: { cpu: 1, memory: '128Mi' }, requests: { cpu: '100m' } },
      livenessProbe: { httpGet: { path: '/', port: 'http' } },
      readinessProbe: { tcpSocket: { port: 8080 } },
      ports: [{ name: 'http', containerPort: 8080 }],
    });
    expect(api.validate(POD, obj, STRICT).causes).toEqual([]);
    const bad = api.validate(POD, pod({ resources: { limits: { cpu: true } } }), STRICT);
    expect(bad.causes).toEqual([
      {
        reason: 'FieldValueTypeInvalid',
        field: 'spec.containers[0].resources.limits.cpu',
        message: 'Invalid value: "boolean": spec.containers[0].resources.limits.cpu in body must be of type string,number: "boolean"',
      },
    ]);
  });

  it('reports a wrong type inside a list element', () => {
    expect(api.validate(POD, pod({ image: 5 }), STRICT).causes).toEqual([
      {
        reason: 'FieldValueTypeInvalid',
        field: 'spec.containers[0].image',
        message: 'Invalid value: "integer": spec.containers[0].image in body must be of type string: "integer"',
      },
    ]);
  });

  it('handles metadata: null timestamps, typed labels, free-form managed fields, unknown keys', () => {
    const managedFields = [
      {
        manager: 'kubectl',
        operation: 'Apply',
        apiVersion: 'v1',
        time: '2024-01-01T00:00:00Z',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:spec': { 'f:containers': { 'k:{"name":"c"}': { '.': {}, 'f:image': {} } } } },
      },
    ];
    expect(api.validate(POD, pod({}, { creationTimestamp: null, managedFields }), STRICT).causes).toEqual([]);
    expect(api.validate(POD, pod({}, { labels: { tier: 1 } }), STRICT).causes).toEqual([
      {
        reason: 'FieldValueTypeInvalid',
        field: 'metadata.labels.tier',
        message: 'Invalid value: "integer": metadata.labels.tier in body must be of type string: "integer"',
      },
    ]);
    expect(api.validate(POD, pod({}, { lables: { a: 'b' } }), STRICT).strictError).toBe('strict decoding error: unknown field "metadata.lables"');
  });

  it('finds unknown fields deep in lists', () => {
    const r = api.validate(POD, pod({ env: [{ name: 'A', valu: 'x' }] }), { unknownFields: 'Warn' });
    expect(r.warnings).toEqual(['unknown field "spec.containers[0].env[0].valu"']);
  });

  it('accepts null for optional fields, as the decoder does', () => {
    expect(api.validate(POD, pod({ resources: null, command: null }), STRICT).causes).toEqual([]);
  });
});

describe('validate: Services', () => {
  it('accepts named and numbered target ports', () => {
    expect(api.validate(SERVICE, service({ port: 80, targetPort: 'http' }), STRICT).causes).toEqual([]);
    expect(api.validate(SERVICE, service({ port: 80, targetPort: 8080, protocol: 'TCP' }), STRICT).causes).toEqual([]);
  });

  it('reports a string port, a missing port and an unknown port field', () => {
    expect(api.validate(SERVICE, service({ port: '80' }), STRICT).causes).toEqual([
      {
        reason: 'FieldValueTypeInvalid',
        field: 'spec.ports[0].port',
        message: 'Invalid value: "string": spec.ports[0].port in body must be of type integer: "string"',
      },
    ]);
    const r = api.validate(SERVICE, service({ targetPort: 80, nodeport: 30000 }), STRICT);
    expect(r.causes).toEqual([
      { reason: 'FieldValueInvalid', field: 'spec.ports[0].nodeport', message: 'unknown field "spec.ports[0].nodeport"' },
      { reason: 'FieldValueRequired', field: 'spec.ports[0].port', message: 'Required value' },
    ]);
  });
});

describe('validate: schema features and edges', () => {
  const widgets = new OpenApi([], {
    extraSchemas: {
      'com.example.v1.Widget': {
        type: 'object',
        properties: {
          apiVersion: { type: 'string' },
          kind: { type: 'string' },
          metadata: { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' },
          spec: {
            type: 'object',
            properties: {
              size: { type: 'string', enum: ['S', 'M', 'L'] },
              count: { type: 'integer', minimum: 1 },
              config: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { mode: { type: 'string' } } },
              template: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true },
            },
          },
        },
        'x-kubernetes-group-version-kind': [{ group: 'example.com', version: 'v1', kind: 'Widget' }],
      },
    },
  });
  const WIDGET = { group: 'example.com', version: 'v1', kind: 'Widget' };
  const widget = (spec: Record<string, unknown>) => ({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec });

  it('reports enum and bound violations in upstream words', () => {
    expect(widgets.validate(WIDGET, widget({ size: 'XL', count: 0 }), STRICT).causes).toEqual([
      { reason: 'FieldValueNotSupported', field: 'spec.size', message: 'Unsupported value: "XL": supported values: "S", "M", "L"' },
      {
        reason: 'FieldValueInvalid',
        field: 'spec.count',
        message: 'Invalid value: 0: spec.count in body should be greater than or equal to 1',
      },
    ]);
  });

  it('keeps unknown fields under x-kubernetes-preserve-unknown-fields but checks known ones', () => {
    expect(widgets.validate(WIDGET, widget({ config: { anything: [1, 2] } }), STRICT).causes).toEqual([]);
    expect(widgets.validate(WIDGET, widget({ config: { mode: 3 } }), STRICT).causes).toMatchObject([{ field: 'spec.config.mode' }]);
  });

  it('requires apiVersion and kind of an embedded resource and checks its metadata', () => {
    const r = widgets.validate(WIDGET, widget({ template: { metadata: { name: 1 }, spec: {} } }), STRICT);
    expect(r.causes.map((c) => `${c.field}: ${c.message}`)).toEqual([
      'spec.template.apiVersion: Required value',
      'spec.template.kind: Required value',
      'spec.template.metadata.name: Invalid value: "integer": spec.template.metadata.name in body must be of type string: "integer"',
    ]);
  });

  it('rejects a body that is not an object, and passes kinds without a schema', () => {
    expect(api.validate(POD, [1], STRICT).causes).toEqual([
      { reason: 'FieldValueTypeInvalid', field: '', message: 'Invalid value: "array": body must be of type object: "array"' },
    ]);
    expect(api.validate({ group: 'metrics.k8s.io', version: 'v1beta1', kind: 'PodMetrics' }, { foo: 1 }, STRICT)).toEqual({
      causes: [],
      warnings: [],
      unknownFields: [],
    });
  });

  it('compiles recursive schemas (CustomResourceDefinition)', () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        names: { plural: 'widgets', kind: 'Widget' },
        scope: 'Namespaced',
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'string' } } } } } },
          },
        ],
      },
    };
    const gvk = { group: 'apiextensions.k8s.io', version: 'v1', kind: 'CustomResourceDefinition' };
    expect(api.validate(gvk, crd, STRICT).causes).toEqual([]);
  });
});

describe('validate: cost', () => {
  it('compiles a kind once and then validates in well under a millisecond', () => {
    api.compile(DEPLOYMENT);
    const obj = deployment();
    const n = 2000;
    const t = performance.now();
    for (let i = 0; i < n; i++) api.validate(DEPLOYMENT, obj, STRICT);
    expect((performance.now() - t) / n).toBeLessThan(0.5);
  });
});
