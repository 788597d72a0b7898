/** Request paths; the client against a real API server is tested in @minik8s/apiserver (src/kube-client/). */
import { describe, expect, it } from 'vitest';
import { resourcePath } from './rest-client.ts';

describe('resourcePath', () => {
  it('builds core, group, namespaced, cluster-scoped and subresource paths', () => {
    expect(resourcePath({ version: 'v1', plural: 'pods' })).toBe('/api/v1/pods');
    expect(resourcePath({ version: 'v1', plural: 'pods', namespace: 'ns', name: 'p', subresource: 'status' })).toBe('/api/v1/namespaces/ns/pods/p/status');
    expect(resourcePath({ group: 'apps', version: 'v1', plural: 'deployments', namespace: 'ns' })).toBe('/apis/apps/v1/namespaces/ns/deployments');
    expect(resourcePath({ version: 'v1', plural: 'nodes', name: 'n1' })).toBe('/api/v1/nodes/n1');
  });
});
