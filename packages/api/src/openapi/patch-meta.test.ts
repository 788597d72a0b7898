import { describe, expect, it } from 'vitest';
import { OpenApi } from './index.ts';

const api = new OpenApi([]);
const DEPLOYMENT = { group: 'apps', version: 'v1', kind: 'Deployment' };
const POD = { group: '', version: 'v1', kind: 'Pod' };
const SERVICE = { group: '', version: 'v1', kind: 'Service' };
const podSpec = ['spec', 'template', 'spec'];

describe('patchMeta', () => {
  it('gives the merge key and strategy of pod template lists', () => {
    expect(api.patchMeta(DEPLOYMENT, [...podSpec, 'containers'])).toEqual({ mergeKey: 'name', strategy: ['merge'] });
    expect(api.patchMeta(DEPLOYMENT, [...podSpec, 'initContainers'])).toEqual({ mergeKey: 'name', strategy: ['merge'] });
    expect(api.patchMeta(DEPLOYMENT, [...podSpec, 'volumes'])).toEqual({ mergeKey: 'name', strategy: ['merge', 'retainKeys'] });
  });

  it('steps into list elements, implicitly or by index', () => {
    const ports = {
      mergeKey: 'containerPort',
      strategy: ['merge'],
      listType: 'map',
      listMapKeys: ['containerPort', 'protocol'],
    };
    expect(api.patchMeta(DEPLOYMENT, [...podSpec, 'containers', 'ports'])).toEqual(ports);
    expect(api.patchMeta(POD, ['spec', 'containers', '0', 'ports'])).toEqual(ports);
    expect(api.patchMeta(POD, ['spec', 'containers', '*', 'env'])).toEqual({ mergeKey: 'name', strategy: ['merge'] });
    expect(api.patchMeta(POD, ['spec', 'containers', 'volumeMounts'])).toEqual({ mergeKey: 'mountPath', strategy: ['merge'] });
  });

  it('gives Service ports both the patch merge key and the SSA list-map keys', () => {
    expect(api.patchMeta(SERVICE, ['spec', 'ports'])).toEqual({
      mergeKey: 'port',
      strategy: ['merge'],
      listType: 'map',
      listMapKeys: ['port', 'protocol'],
    });
  });

  it('keeps the retainKeys strategy of a Deployment strategy and metadata list strategies', () => {
    expect(api.patchMeta(DEPLOYMENT, ['spec', 'strategy'])).toEqual({ strategy: ['retainKeys'] });
    expect(api.patchMeta(DEPLOYMENT, ['metadata', 'finalizers'])).toEqual({ strategy: ['merge'] });
    expect(api.patchMeta(DEPLOYMENT, ['metadata', 'ownerReferences'])).toEqual({ mergeKey: 'uid', strategy: ['merge'] });
  });

  it('reports map types, from the field or from its type, and steps into map values', () => {
    expect(api.patchMeta(POD, ['spec', 'nodeSelector'])).toEqual({ mapType: 'atomic' });
    expect(api.patchMeta(DEPLOYMENT, ['spec', 'selector'])).toEqual({ mapType: 'atomic' });
    expect(api.patchMeta(POD, ['metadata', 'labels'])).toEqual({});
    expect(api.patchMeta(POD, ['metadata', 'labels', 'app.kubernetes.io/name'])).toEqual({});
    expect(api.patchMeta(POD, ['spec', 'containers', 'resources', 'limits', 'cpu'])).toEqual({});
  });

  it('is undefined for unknown fields and kinds', () => {
    expect(api.patchMeta(DEPLOYMENT, ['spec', 'nope'])).toBeUndefined();
    expect(api.patchMeta(DEPLOYMENT, ['spec', 'replicas', 'deeper'])).toBeUndefined();
    expect(api.patchMeta({ group: 'example.com', version: 'v1', kind: 'Widget' }, ['spec'])).toBeUndefined();
  });
});

describe('schemaCursor', () => {
  it('walks a kind alongside an object', () => {
    const containers = api.schemaCursor(DEPLOYMENT)?.field('spec')?.field('template')?.field('spec')?.field('containers');
    expect(containers?.meta).toEqual({ mergeKey: 'name', strategy: ['merge'] });
    const container = containers?.items();
    expect(container?.field('image')?.resolved.type).toBe('string');
    expect(container?.field('nope')).toBeUndefined();
    expect(container?.field('resources')?.field('limits')?.values()).toBeDefined();
    expect(api.schemaCursor({ group: 'example.com', version: 'v1', kind: 'Widget' })).toBeUndefined();
  });
});
