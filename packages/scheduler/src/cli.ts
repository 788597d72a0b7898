/**
 * `minik8s-scheduler`: assigns Pods to Nodes. Flag names follow kube-scheduler's where
 * there is one; with --leader-elect (the default) only the holder of the Lease
 * kube-system/kube-scheduler schedules, and losing it ends the process, as upstream.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { parseBool, parseDuration } from '@minik8s/client/flags';
import { KubeClient, LeaderElector } from '@minik8s/client/kube';
import { pino } from 'pino';
import { DEFAULT_SCHEDULER_NAME, type RunningScheduler, startScheduler } from './scheduler.ts';

const HELP = `Usage: minik8s-scheduler [flags]

Flags:
  --kubeconfig FILE                          (default: KUBECONFIG, ~/.kube/config, or in-cluster)
  --scheduler-name NAME                      Pods with this spec.schedulerName are ours (default ${DEFAULT_SCHEDULER_NAME})
  --leader-elect BOOL                        (default true)
  --leader-elect-resource-namespace NS       (default kube-system)
  --leader-elect-resource-name NAME          (default kube-scheduler)
  --leader-elect-lease-duration DURATION     (default 15s)
  --leader-elect-renew-deadline DURATION     (default 10s)
  --leader-elect-retry-period DURATION       (default 2s)
  --pod-initial-backoff-seconds N            (default 1)
  --pod-max-backoff-seconds N                (default 10)
  --pod-max-in-unschedulable-pods-duration DURATION  retry unschedulable Pods after this long anyway (default 5m)
  --log-level LEVEL                          (default warn)
  --help
`;

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    options: {
      kubeconfig: { type: 'string' },
      'scheduler-name': { type: 'string', default: DEFAULT_SCHEDULER_NAME },
      'leader-elect': { type: 'string', default: 'true' },
      'leader-elect-resource-namespace': { type: 'string', default: 'kube-system' },
      'leader-elect-resource-name': { type: 'string', default: 'kube-scheduler' },
      'leader-elect-lease-duration': { type: 'string', default: '15s' },
      'leader-elect-renew-deadline': { type: 'string', default: '10s' },
      'leader-elect-retry-period': { type: 'string', default: '2s' },
      'pod-initial-backoff-seconds': { type: 'string', default: '1' },
      'pod-max-backoff-seconds': { type: 'string', default: '10' },
      'pod-max-in-unschedulable-pods-duration': { type: 'string', default: '5m' },
      'log-level': { type: 'string', default: 'warn' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (v.help) return void process.stdout.write(HELP);
  const logger = pino({ level: v['log-level'] });
  const client = KubeClient.fromKubeconfig({ kubeconfig: v.kubeconfig }, { userAgent: 'minik8s-scheduler/0.1.0' });
  const options = {
    client,
    logger,
    schedulerName: v['scheduler-name'],
    podInitialBackoffMs: parseDuration('pod-initial-backoff-seconds', v['pod-initial-backoff-seconds']!),
    podMaxBackoffMs: parseDuration('pod-max-backoff-seconds', v['pod-max-backoff-seconds']!),
    podMaxInUnschedulablePodsDurationMs: parseDuration('pod-max-in-unschedulable-pods-duration', v['pod-max-in-unschedulable-pods-duration']!),
  };
  const leaderElect = parseBool('leader-elect', v['leader-elect']!);
  let running: RunningScheduler | undefined;
  let elector: LeaderElector | undefined;
  let exiting = false;
  const exit = (code: number) => {
    if (exiting) return;
    exiting = true;
    void (async () => {
      await elector?.stop().catch(() => {});
      await running?.stop().catch(() => {});
      await client.close().catch(() => {});
      process.exit(code);
    })();
  };
  process.once('SIGINT', () => exit(0));
  process.once('SIGTERM', () => exit(0));

  if (!leaderElect) {
    running = await startScheduler(options);
    logger.info('scheduling');
    return;
  }
  elector = new LeaderElector({
    client,
    namespace: v['leader-elect-resource-namespace']!,
    name: v['leader-elect-resource-name']!,
    identity: `${hostname()}_${randomUUID()}`,
    leaseDurationMs: parseDuration('leader-elect-lease-duration', v['leader-elect-lease-duration']!),
    renewDeadlineMs: parseDuration('leader-elect-renew-deadline', v['leader-elect-renew-deadline']!),
    retryPeriodMs: parseDuration('leader-elect-retry-period', v['leader-elect-retry-period']!),
    releaseOnCancel: true,
    onStartedLeading: async () => {
      logger.info('became leader, scheduling');
      running = await startScheduler(options);
    },
    onStoppedLeading: () => {
      if (exiting) return;
      logger.error('leaderelection lost');
      exit(1);
    },
    onNewLeader: (id) => logger.info({ leader: id }, 'new leader'),
    onError: (err) => logger.warn({ err }, 'leader election'),
  });
  void elector.run();
}

main().catch((e: Error) => {
  process.stderr.write(`minik8s-scheduler: ${e.message}\n`);
  process.exit(1);
});
