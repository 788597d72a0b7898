/** Flags several components share, with upstream's names and defaults. */
import type { FlagSpec, FlagValues } from './flag-table.ts';
import type { LeaderElectionConfig } from './leadership.ts';

export const KUBECONFIG_FLAG = {
  type: 'string',
  arg: 'FILE',
  help: 'how to reach the API server (default: $KUBECONFIG, ~/.kube/config, or the in-cluster config)',
} as const satisfies FlagSpec;

/** --leader-elect and its Lease, as kube-scheduler and kube-controller-manager take them. */
export function leaderElectionFlags(leaseName: string) {
  return {
    'leader-elect': { type: 'bool', default: 'true', help: 'campaign for the Lease; only the leader works' },
    'leader-elect-resource-namespace': { type: 'string', arg: 'NS', default: 'kube-system', help: "the Lease's namespace" },
    'leader-elect-resource-name': { type: 'string', arg: 'NAME', default: leaseName, help: "the Lease's name" },
    'leader-elect-lease-duration': { type: 'duration', default: '15s', help: 'how long a Lease lasts without renewal' },
    'leader-elect-renew-deadline': { type: 'duration', default: '10s', help: 'how long the leader tries to renew before it gives up' },
    'leader-elect-retry-period': { type: 'duration', default: '2s', help: 'how often to try to take or renew the Lease' },
  } as const satisfies Record<string, FlagSpec>;
}

type LeaderElectionFlags = FlagValues<ReturnType<typeof leaderElectionFlags>>;

/** The Manager's leaderElection option from those flags (false: --leader-elect=false). */
export function leaderElectionFrom(f: LeaderElectionFlags): LeaderElectionConfig | false {
  if (!f['leader-elect']) return false;
  return {
    namespace: f['leader-elect-resource-namespace'],
    name: f['leader-elect-resource-name'],
    leaseDurationMs: f['leader-elect-lease-duration'],
    renewDeadlineMs: f['leader-elect-renew-deadline'],
    retryPeriodMs: f['leader-elect-retry-period'],
  };
}
