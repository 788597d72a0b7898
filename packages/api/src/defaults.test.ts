import { describe, expect, it } from 'vitest';
import { applyDefaults, defaultPullPolicy } from './defaults.ts';

describe('defaults', () => {
  it('pulls Always for :latest or no tag, IfNotPresent otherwise', () => {
    expect(defaultPullPolicy('nginx')).toBe('Always');
    expect(defaultPullPolicy('nginx:latest')).toBe('Always');
    expect(defaultPullPolicy('localhost:5000/app')).toBe('Always');
    expect(defaultPullPolicy('nginx:1.25')).toBe('IfNotPresent');
    expect(defaultPullPolicy('localhost:5000/app:v1')).toBe('IfNotPresent');
    expect(defaultPullPolicy('nginx@sha256:abc')).toBe('IfNotPresent');
  });

  it('fills a Deployment as upstream does, keeping what the user set', () => {
    // biome-ignore lint/suspicious/noExplicitAny: test objects
    const d: Record<string, any> = {
      spec: {
        strategy: { rollingUpdate: { maxSurge: 1 } },
        template: { spec: { containers: [{ name: 'c', image: 'app:v2', ports: [{ containerPort: 80 }] }] } },
      },
    };
    applyDefaults('apps', 'Deployment', d);
    expect(d.spec).toMatchObject({
      replicas: 1,
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: '25%' } },
    });
    expect(d.spec.template.spec).toMatchObject({
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      terminationGracePeriodSeconds: 30,
      schedulerName: 'default-scheduler',
    });
    expect(d.spec.template.spec.containers[0]).toMatchObject({
      imagePullPolicy: 'IfNotPresent',
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      ports: [{ containerPort: 80, protocol: 'TCP' }],
    });
  });

  it('gives Pods their service account and Jobs their limits', () => {
    // biome-ignore lint/suspicious/noExplicitAny: test objects
    const p: Record<string, any> = { spec: { containers: [{ name: 'c', image: 'busybox' }] } };
    applyDefaults('', 'Pod', p);
    expect(p.spec).toMatchObject({ serviceAccountName: 'default', priority: 0 });
    expect(p.spec.containers[0].imagePullPolicy).toBe('Always');
    // biome-ignore lint/suspicious/noExplicitAny: test objects
    const j: Record<string, any> = { spec: { template: { spec: { restartPolicy: 'Never', containers: [] } } } };
    applyDefaults('batch', 'Job', j);
    expect(j.spec).toMatchObject({
      completions: 1,
      parallelism: 1,
      backoffLimit: 6,
      completionMode: 'NonIndexed',
      podReplacementPolicy: 'TerminatingOrFailed',
    });
    expect(j.spec.template.spec.restartPolicy).toBe('Never');
  });

  it("replaces a Job's Pods only once they failed when it has a pod failure policy", () => {
    // biome-ignore lint/suspicious/noExplicitAny: test objects
    const j: Record<string, any> = { spec: { podFailurePolicy: { rules: [] }, template: { spec: { restartPolicy: 'Never', containers: [] } } } };
    applyDefaults('batch', 'Job', j);
    expect(j.spec.podReplacementPolicy).toBe('Failed');
  });
});

describe('network defaults', () => {
  it('EndpointSlice ports get name "" and protocol TCP; NodePort and LoadBalancer Services their traffic policy', () => {
    const slice = { ports: [{ port: 8080 }] };
    applyDefaults('discovery.k8s.io', 'EndpointSlice', slice);
    expect(slice.ports[0]).toEqual({ name: '', port: 8080, protocol: 'TCP' });
    const lb = { spec: { type: 'LoadBalancer' } };
    applyDefaults('', 'Service', lb);
    expect(lb.spec).toEqual({ type: 'LoadBalancer', externalTrafficPolicy: 'Cluster', allocateLoadBalancerNodePorts: true });
    const cip = { spec: { type: 'ClusterIP' } };
    applyDefaults('', 'Service', cip);
    expect(cip.spec).toEqual({ type: 'ClusterIP' });
  });
});
