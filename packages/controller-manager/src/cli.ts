/**
 * `minik8s-controller-manager`: the controllers in one process, leader-elected on the
 * Lease kube-system/kube-controller-manager. Flag names follow kube-controller-manager's.
 */
import { KUBECONFIG_FLAG, leaderElectionFlags, leaderElectionFrom, runComponent } from '@minik8s/client/runtime';
import { CONTROLLERS, selectControllers, startControllerManager } from './controller-manager.ts';

const known = Object.entries(CONTROLLERS).map(([n, c]) => `${n} (${c.aliases.join(', ')})`);

await runComponent({
  command: 'minik8s-controller-manager',
  component: 'kube-controller-manager',
  flags: {
    kubeconfig: KUBECONFIG_FLAG,
    ...leaderElectionFlags('kube-controller-manager'),
    controllers: { type: 'list', default: ['*'], help: `'*' for all, a name to enable, '-name' to disable\nknown: ${known.join(', ')}` },
    'concurrent-syncs': { type: 'int', min: 1, default: '5', help: 'workers per controller' },
    'job-backoff-initial-delay': {
      type: 'duration',
      default: '10s',
      help: 'first back-off before a failed Job Pod is replaced, e.g. 10s, 500ms (doubling to 10m)',
    },
    'node-monitor-period': { type: 'duration', default: '5s', help: 'how often the node lifecycle controller looks at each node' },
    'node-monitor-grace-period': {
      type: 'duration',
      default: '40s',
      help: "how long a node's kubelet may stay silent (Lease and status) before the node is Unknown and tainted unreachable",
    },
    'node-startup-grace-period': { type: 'duration', default: '1m', help: 'the same for a node that never posted its status' },
    'terminated-pod-gc-threshold': {
      type: 'int',
      min: 0,
      default: '12500',
      help: 'terminated Pods kept before the Pod garbage collector deletes the oldest (0: no limit)',
    },
    'kube-api-qps': { type: 'int', min: 1, default: '20', help: 'requests per second to the API server' },
    'kube-api-burst': { type: 'int', min: 1, default: '30', help: 'requests in a burst' },
  },
  async start({ flags: f, log, kubeClient }) {
    const controllers = selectControllers(f.controllers);
    const client = kubeClient({ qps: f['kube-api-qps'], burst: f['kube-api-burst'] });
    return startControllerManager({
      client,
      controllers,
      log,
      workers: f['concurrent-syncs'],
      leaderElection: leaderElectionFrom(f),
      job: { podFailureBackoffMs: f['job-backoff-initial-delay'] },
      nodeLifecycle: {
        monitorPeriodMs: f['node-monitor-period'],
        gracePeriodMs: f['node-monitor-grace-period'],
        startupGracePeriodMs: f['node-startup-grace-period'],
      },
      podGC: { terminatedPodThreshold: f['terminated-pod-gc-threshold'] },
    });
  },
});
