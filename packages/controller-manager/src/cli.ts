/**
 * `minik8s-controller-manager`: the controllers in one process, leader-elected on the
 * Lease kube-system/kube-controller-manager. Flag names follow kube-controller-manager's.
 */
import { parseArgs } from 'node:util';
import { parseBool, parseInteger } from '@minik8s/client/flags';
import { KubeClient } from '@minik8s/client/kube';
import { pino } from 'pino';
import { CONTROLLERS, runControllerManager, selectControllers } from './controller-manager.ts';

const HELP = `Usage: minik8s-controller-manager [flags]

Flags:
  --kubeconfig FILE               (default: KUBECONFIG, ~/.kube/config, or the in-cluster config)
  --leader-elect BOOL             campaign for the Lease before running (default true)
  --leader-elect-resource-namespace NS   (default kube-system)
  --leader-elect-resource-name NAME      (default kube-controller-manager)
  --controllers LIST              '*' for all, a name to enable, '-name' to disable (default '*')
                                  known: ${Object.entries(CONTROLLERS)
                                    .map(([n, c]) => `${n} (${c.aliases.join(', ')})`)
                                    .join(', ')}
  --concurrent-syncs N            workers per controller (default 5)
  --kube-api-qps N                (default 20)
  --kube-api-burst N              (default 30)
  --log-level LEVEL               (default info)
  --help
`;

const bool = (name: string, v: string | undefined, dflt: boolean) => (v === undefined ? dflt : parseBool(name, v));
const int = (name: string, v: string | undefined, dflt: number) => (v === undefined ? dflt : parseInteger(name, v, 1));

async function main(): Promise<void> {
  // `--leader-elect` alone means true; `--leader-elect=false` turns it off.
  const args = process.argv.slice(2).map((a) => (a === '--leader-elect' ? '--leader-elect=true' : a));
  const { values: v } = parseArgs({
    args,
    options: {
      kubeconfig: { type: 'string' },
      'leader-elect': { type: 'string' },
      'leader-elect-resource-namespace': { type: 'string', default: 'kube-system' },
      'leader-elect-resource-name': { type: 'string', default: 'kube-controller-manager' },
      controllers: { type: 'string', multiple: true, default: ['*'] },
      'concurrent-syncs': { type: 'string' },
      'kube-api-qps': { type: 'string' },
      'kube-api-burst': { type: 'string' },
      'log-level': { type: 'string', default: 'info' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (v.help) return void process.stdout.write(HELP);
  const controllers = selectControllers(v.controllers);
  const log = pino({ level: v['log-level'] }).child({ component: 'kube-controller-manager' });
  const client = KubeClient.fromKubeconfig(
    { kubeconfig: v.kubeconfig },
    { userAgent: 'minik8s-controller-manager/0.1.0', qps: int('kube-api-qps', v['kube-api-qps'], 20), burst: int('kube-api-burst', v['kube-api-burst'], 30) },
  );
  const running = runControllerManager({
    client,
    controllers,
    log,
    workers: int('concurrent-syncs', v['concurrent-syncs'], 5),
    leaderElection: bool('leader-elect', v['leader-elect'], true)
      ? { namespace: v['leader-elect-resource-namespace'], name: v['leader-elect-resource-name'] }
      : false,
    onLost: () => process.exit(1),
  });
  log.info({ controllers }, 'started');
  const stop = () =>
    running
      .stop()
      .then(() => client.close())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((e: Error) => {
  process.stderr.write(`minik8s-controller-manager: ${e.message}\n`);
  process.exit(1);
});
