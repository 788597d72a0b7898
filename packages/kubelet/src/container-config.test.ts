import type { Pod } from '@minik8s/api';
import { describe, expect, it } from 'vitest';
import { buildCommand, buildEnv, buildResources, expand } from './container-config.ts';

const pod: Pod = {
  metadata: { name: 'web', namespace: 'prod', uid: 'u-1', labels: { app: 'x' } },
  spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'i' }] },
};

describe('container config', () => {
  it('takes env values, field references and $(VAR) expansion', async () => {
    const env = await buildEnv(
      pod,
      {
        name: 'c',
        env: [
          { name: 'A', value: 'a' },
          { name: 'B', value: '$(A)-b-$$(A)-$(NOPE)' },
          { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
          { name: 'UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
          { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
          { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
          { name: 'CM', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'k' } } },
        ],
      },
      { podIP: '10.244.1.2', lookup: async (kind, ns, name) => (kind === 'ConfigMap' && ns === 'prod' && name === 'cfg' ? { k: 'v' } : undefined) },
    );
    expect(env).toEqual(['A=a', 'B=a-b-$(A)-$(NOPE)', 'POD=web', 'NS=prod', 'UID=u-1', 'NODE=node-1', 'IP=10.244.1.2', 'APP=x', 'CM=v']);
  });

  it('fails on a missing config map key unless optional', async () => {
    const lookup = async () => ({ other: '1' });
    await expect(buildEnv(pod, { name: 'c', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'k' } } }] }, { lookup })).rejects.toThrow(
      "couldn't find key k in ConfigMap prod/cfg",
    );
    await expect(
      buildEnv(pod, { name: 'c', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'k', optional: true } } }] }, { lookup }),
    ).resolves.toEqual([]);
  });

  it('maps command to Entrypoint and args to Cmd', () => {
    expect(buildCommand({ name: 'c', command: ['sh', '-c'], args: ['echo $(A)'] }, ['A=1'])).toEqual({ entrypoint: ['sh', '-c'], cmd: ['echo 1'] });
    expect(buildCommand({ name: 'c', args: ['x'] }, [])).toEqual({ cmd: ['x'] });
    expect(buildCommand({ name: 'c' }, [])).toEqual({});
  });

  it('turns limits into NanoCpus, CpuShares and Memory', () => {
    expect(buildResources({ name: 'c', resources: { limits: { cpu: '500m', memory: '64Mi' }, requests: { cpu: '250m' } } })).toEqual({
      nanoCpus: 500_000_000,
      cpuShares: 256,
      memory: 64 * 1024 * 1024,
    });
    expect(buildResources({ name: 'c' })).toEqual({});
  });

  it('leaves unknown references alone', () => {
    expect(expand('$(X) $(Y)', new Map([['X', '1']]))).toBe('1 $(Y)');
  });
});
