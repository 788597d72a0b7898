/**
 * `minik8s-scheduler`: assigns Pods to Nodes. Flag names follow kube-scheduler's where
 * there is one; with --leader-elect (the default) only the holder of the Lease
 * kube-system/kube-scheduler schedules, and losing it ends the process, as upstream.
 */
import { KUBECONFIG_FLAG, leaderElectionFlags, leaderElectionFrom, runComponent } from '@minik8s/client/runtime';
import { DEFAULT_SCHEDULER_NAME, startScheduler } from './scheduler.ts';

await runComponent({
  command: 'minik8s-scheduler',
  component: 'scheduler',
  logLevel: 'warn',
  flags: {
    kubeconfig: KUBECONFIG_FLAG,
    'scheduler-name': { type: 'string', arg: 'NAME', default: DEFAULT_SCHEDULER_NAME, help: 'Pods with this spec.schedulerName are ours' },
    ...leaderElectionFlags('kube-scheduler'),
    'pod-initial-backoff-seconds': { type: 'duration', arg: 'N', default: '1', help: 'back-off after a first failed attempt' },
    'pod-max-backoff-seconds': { type: 'duration', arg: 'N', default: '10', help: 'longest back-off' },
    'pod-max-in-unschedulable-pods-duration': { type: 'duration', default: '5m', help: 'retry unschedulable Pods after this long anyway' },
  },
  start: ({ flags: f, log, kubeClient }) =>
    startScheduler({
      client: kubeClient(),
      logger: log,
      schedulerName: f['scheduler-name'],
      podInitialBackoffMs: f['pod-initial-backoff-seconds'],
      podMaxBackoffMs: f['pod-max-backoff-seconds'],
      podMaxInUnschedulablePodsDurationMs: f['pod-max-in-unschedulable-pods-duration'],
      leaderElection: leaderElectionFrom(f),
    }),
});
