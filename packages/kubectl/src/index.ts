/**
 * mkctl: the minik8s kubectl-style CLI. `run(argv)` runs one command in-process and
 * returns its exit code and output (tests call it; `cli.ts` wires it to the process).
 */
import { Command, CommanderError, Option } from 'commander';
import { apply } from './cmd/apply.ts';
import { configView, currentContext, getContexts, useContext } from './cmd/config.ts';
import { createConfigMap, createCronJob, createDeployment, createFromFiles, createJob, createNamespace, createSecretGeneric } from './cmd/create.ts';
import { del } from './cmd/delete.ts';
import { describe } from './cmd/describe.ts';
import { expose } from './cmd/expose.ts';
import { get } from './cmd/get.ts';
import { labelOrAnnotate } from './cmd/label.ts';
import { logs } from './cmd/logs.ts';
import { apiResources, version } from './cmd/misc.ts';
import { cordon, drain, taint } from './cmd/nodes.ts';
import { history, patchRollout, status as rolloutStatus, undo } from './cmd/rollout.ts';
import { scale } from './cmd/scale.ts';
import { wait } from './cmd/wait.ts';
import { CliError, Ctx, type GlobalFlags, type Io } from './context.ts';
import { formatError } from './errors.ts';

export { CliError, Ctx, type Io } from './context.ts';
export { formatError } from './errors.ts';

export interface RunOptions {
  /** Standard input (for `-f -`): the text, or a function reading it. */
  stdin?: string | (() => Promise<string>);
  /** Environment (KUBECONFIG, HOME); defaults to process.env. */
  env?: Record<string, string | undefined>;
  /** Live sinks (the CLI streams to the process); output is collected either way. */
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
  /** Ends long-running commands (`get -w`) cleanly. */
  signal?: AbortSignal;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];

export async function run(argv: string[], o: RunOptions = {}): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    out: (t) => {
      stdout += t;
      o.stdout?.(t);
    },
    err: (t) => {
      stderr += t;
      o.stderr?.(t);
    },
    readStdin: async () => (typeof o.stdin === 'function' ? o.stdin() : (o.stdin ?? '')),
    env: o.env ?? process.env,
    signal: o.signal,
  };
  let ctx: Ctx | undefined;
  let code = 0;
  const program = buildProgram(
    io,
    (c) => {
      ctx = c;
    },
    (c) => {
      code = c;
    },
  );
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) code = e.exitCode;
    else {
      io.err(formatError(e, ctx?.verbosity ?? 0));
      code = e instanceof CliError ? e.exitCode : 1;
    }
  } finally {
    await ctx?.close();
  }
  return { code, stdout, stderr };
}

function buildProgram(io: Io, onCtx: (c: Ctx) => void, setCode: (c: number) => void): Command {
  const program = new Command('mkctl');
  program
    .description('mkctl controls the minik8s cluster manager (a kubectl-style CLI).')
    .option('--kubeconfig <path>', 'Path to the kubeconfig file to use for CLI requests.')
    .option('--context <name>', 'The name of the kubeconfig context to use')
    .option('--cluster <name>', 'The name of the kubeconfig cluster to use')
    .option('--user <name>', 'The name of the kubeconfig user to use')
    .option('-s, --server <url>', 'The address and port of the Kubernetes API server')
    .option('-n, --namespace <ns>', 'If present, the namespace scope for this CLI request')
    .option('-v, --v <level>', 'number for the log level verbosity')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError(false)
    .allowExcessArguments(false);

  /** Wraps an action: builds the context from the global flags, runs, records the exit code. */
  const action =
    <A extends unknown[]>(fn: (ctx: Ctx, ...args: A) => Promise<number> | number) =>
    async (...args: unknown[]) => {
      const cmd = args[args.length - 1] as Command;
      const all = cmd.optsWithGlobals();
      const ctx = new Ctx(io, all as GlobalFlags);
      onCtx(ctx);
      // A subcommand sees the options its parents parsed too (`create -o json deployment ...`).
      const rest = args.slice(0, -2);
      setCode(await fn(ctx, ...([...rest, all] as unknown as A)));
    };
  const outputOpt = () => new Option('-o, --output <format>', 'Output format: json|yaml|name|wide|jsonpath=...');
  const dryRunOpt = () => new Option('--dry-run [strategy]', 'none, server, or client').preset('client');
  const fileOpt = () => new Option('-f, --filename <file>', 'Files, folders or - for stdin').argParser(collect);

  program
    .command('get')
    .description('Display one or many resources')
    .argument('[args...]', 'TYPE[,TYPE...] [NAME...] or TYPE/NAME...')
    .addOption(outputOpt())
    .option('-l, --selector <selector>', 'Label selector')
    .option('--field-selector <selector>', 'Field selector')
    .option('-A, --all-namespaces', 'List across all namespaces')
    .option('-w, --watch', 'Watch for changes after listing')
    .option('--watch-only', 'Watch for changes without listing first')
    .option('--no-headers', 'Print no headers')
    .option('--show-labels', 'Show labels as the last column')
    .option('--ignore-not-found', 'Treat "resource not found" as success')
    .action(action((ctx, args: string[], opts: Record<string, unknown>) => get(ctx, args, { ...opts, noHeaders: opts.headers === false })));

  program
    .command('apply')
    .description('Apply a configuration to a resource by file name or stdin')
    .addOption(fileOpt())
    .option('-R, --recursive', 'Process folders recursively')
    .option('--server-side', 'Server-side apply')
    .option('--force-conflicts', 'Take ownership of conflicting fields (server-side apply)')
    .option('--field-manager <name>', 'Name of the manager')
    .addOption(dryRunOpt())
    .action(action((ctx, opts: Record<string, unknown>) => apply(ctx, opts)));

  program
    .command('delete')
    .description('Delete resources by file names, stdin, resources and names, or by resources and label selector')
    .argument('[args...]')
    .addOption(fileOpt())
    .option('-R, --recursive', 'Process folders recursively')
    .option('-l, --selector <selector>', 'Label selector')
    .option('--field-selector <selector>', 'Field selector')
    .option('--all', 'Delete all resources of the type in the namespace')
    .option('-A, --all-namespaces', 'Across all namespaces')
    .addOption(new Option('--wait [bool]', 'Wait for the resources to be gone').default(true).argParser((v) => v !== 'false'))
    .option('--timeout <duration>', 'How long to wait (default 60s)')
    .option('--ignore-not-found', 'Treat "resource not found" as success')
    .option('--cascade <policy>', 'background, foreground or orphan')
    .option('--grace-period <seconds>', 'Seconds given to the resource to terminate gracefully')
    .option('--now', 'Immediate shutdown (grace period 1)')
    .option('--force', 'Grace period 0')
    .addOption(dryRunOpt())
    .action(action((ctx, args: string[], opts: Record<string, unknown>) => del(ctx, args, opts)));

  const create = program
    .command('create')
    .description('Create a resource from a file or from stdin, or with a generator')
    .addOption(fileOpt())
    .option('-R, --recursive', 'Process folders recursively')
    .addOption(outputOpt())
    .addOption(dryRunOpt())
    .action(action((ctx, opts: Record<string, unknown>) => createFromFiles(ctx, opts)));
  const withCommon = (c: Command) => c.addOption(outputOpt()).addOption(dryRunOpt());
  withCommon(create.command('namespace').alias('ns').argument('<name>')).action(
    action((ctx, name: string, opts: Record<string, unknown>) => createNamespace(ctx, name, opts)),
  );
  withCommon(
    create
      .command('deployment')
      .alias('deploy')
      .argument('<name>')
      .addOption(new Option('--image <image>', 'Image name (repeatable)').argParser(collect))
      .option('-r, --replicas <n>', 'Number of replicas')
      .option('--port <port>', 'The containerPort'),
  ).action(action((ctx, name: string, opts: Record<string, unknown>) => createDeployment(ctx, name, opts)));
  withCommon(
    create
      .command('job')
      .argument('<name>')
      .argument('[command...]', 'after --: the command to run')
      .option('--image <image>', 'Image name to run')
      .option('--from <resource>', 'The CronJob to make the Job from (cronjob/NAME)'),
  ).action(action((ctx, name: string, command: string[], opts: Record<string, unknown>) => createJob(ctx, name, command, opts)));
  withCommon(
    create
      .command('cronjob')
      .alias('cj')
      .argument('<name>')
      .argument('[command...]', 'after --: the command to run')
      .option('--image <image>', 'Image name to run')
      .option('--schedule <schedule>', 'A schedule in the Cron format the job should be run with')
      .option('--restart <policy>', 'OnFailure (default) or Never'),
  ).action(action((ctx, name: string, command: string[], opts: Record<string, unknown>) => createCronJob(ctx, name, command, opts)));
  const dataOpts = (c: Command) =>
    withCommon(c)
      .addOption(new Option('--from-literal <kv>', 'key=value (repeatable)').argParser(collect))
      .addOption(new Option('--from-file <source>', '[key=]path (repeatable)').argParser(collect));
  dataOpts(create.command('configmap').alias('cm').argument('<name>')).action(
    action((ctx, name: string, opts: Record<string, unknown>) => createConfigMap(ctx, name, opts)),
  );
  const secret = create.command('secret').description('Create a secret');
  dataOpts(secret.command('generic').argument('<name>').option('--type <type>', 'The type of secret')).action(
    action((ctx, name: string, opts: Record<string, unknown>) => createSecretGeneric(ctx, name, opts)),
  );

  for (const [verb, which] of [
    ['label', 'labels'],
    ['annotate', 'annotations'],
  ] as const) {
    program
      .command(verb)
      .description(`Update the ${which} on a resource`)
      .argument('[args...]', `TYPE NAME KEY=VAL... KEY-...`)
      .option('--overwrite', 'Allow overwriting existing values')
      .option('-l, --selector <selector>', 'Label selector')
      .option('--all', 'Every resource of the type in the namespace')
      .option('-A, --all-namespaces', 'Across all namespaces')
      .addOption(dryRunOpt())
      .action(action((ctx, args: string[], opts: Record<string, unknown>) => labelOrAnnotate(ctx, which, args, opts)));
  }

  program
    .command('describe')
    .description('Show details of a specific resource or group of resources')
    .argument('[args...]', 'TYPE [NAME...] or TYPE/NAME')
    .option('-l, --selector <selector>', 'Label selector')
    .option('-A, --all-namespaces', 'Across all namespaces')
    .action(action((ctx, args: string[], opts: Record<string, unknown>) => describe(ctx, args, opts)));

  program
    .command('expose')
    .description('Take a replication controller, service, deployment or pod and expose it as a new Kubernetes service')
    .argument('[args...]', 'TYPE NAME or TYPE/NAME')
    .addOption(fileOpt())
    .option('-R, --recursive', 'Process folders recursively')
    .option('--port <port>', 'The port that the service should serve on (copied from the resource if unspecified)')
    .option('--target-port <port>', 'Name or number for the port on the container that the service should direct traffic to')
    .option('--protocol <protocol>', "The network protocol for the service to be created (default 'TCP')")
    .option('--name <name>', 'The name for the newly created object')
    .option('--type <type>', 'ClusterIP, NodePort, LoadBalancer, or ExternalName (default ClusterIP)')
    .option('--selector <selector>', 'A label selector (k=v,...) to use for this service')
    .option('-l, --labels <labels>', 'Labels to apply to the service created by this call')
    .option('--external-ip <ip>', 'Additional external IP address to accept for the service')
    .option('--load-balancer-ip <ip>', 'IP to assign to the LoadBalancer')
    .option('--session-affinity <affinity>', 'None or ClientIP')
    .option('--cluster-ip <ip>', "ClusterIP to be assigned to the service ('None': headless)")
    .option('--field-manager <name>', 'Name of the manager', 'kubectl-expose')
    .addOption(outputOpt())
    .addOption(dryRunOpt())
    .action(action((ctx, args: string[], opts: Record<string, unknown>) => expose(ctx, args, opts)));

  program
    .command('logs')
    .description('Print the logs for a container in a pod')
    .argument('[args...]', 'POD [CONTAINER] or TYPE/NAME')
    .option('-c, --container <name>', 'Print the logs of this container')
    .option('-f, --follow', 'Specify if the logs should be streamed')
    .option('-p, --previous', 'Print the logs for the previous instance of the container')
    .option('--timestamps', 'Include timestamps on each line')
    .option('--since <duration>', 'Only logs newer than a relative duration like 5s, 2m, or 3h')
    .option('--since-time <time>', 'Only logs after a date (RFC3339)')
    .option('--tail <lines>', 'Lines of recent log file to display (-1: all)')
    .option('--limit-bytes <bytes>', 'Maximum bytes of logs to return')
    .option('--all-containers', "Get all containers' logs in the pod(s)")
    .option('--prefix', 'Prefix each log line with the log source (pod name and container name)')
    .option('-l, --selector <selector>', 'Label selector')
    .option('--pod-running-timeout <duration>', 'How long to wait for at least one pod (default 20s)')
    .option('--ignore-errors', 'When watching / following pod logs, allow for any errors to be non-fatal')
    .option('--insecure-skip-tls-verify-backend', 'Skip verifying the identity of the kubelet that logs are requested from')
    .action(action((ctx, args: string[], opts: Record<string, unknown>) => logs(ctx, args, opts)));

  program
    .command('scale')
    .description('Set a new size for a deployment, replica set or stateful set')
    .argument('[args...]', 'TYPE NAME or TYPE/NAME')
    .option('--replicas <count>', 'The new desired number of replicas')
    .option('--current-replicas <count>', 'Precondition for current size')
    .option('--resource-version <version>', 'Precondition for resource version')
    .option('-l, --selector <selector>', 'Label selector')
    .option('--all', 'Select all resources in the namespace of the specified resource types')
    .addOption(dryRunOpt())
    .action(action((ctx, args: string[], opts: Record<string, unknown>) => scale(ctx, args, opts)));

  program
    .command('wait')
    .description('Wait for a specific condition on one or many resources')
    .argument('[args...]', 'TYPE NAME or TYPE/NAME')
    .option('--for <condition>', 'condition=TYPE[=VALUE], delete, or jsonpath={.field}[=VALUE]')
    .option('--timeout <duration>', 'The length of time to wait before giving up (default 30s)')
    .option('-l, --selector <selector>', 'Label selector')
    .option('--all', 'Select all resources in the namespace of the specified resource types')
    .action(action((ctx, args: string[], opts: Record<string, unknown>) => wait(ctx, args, opts)));

  for (const [verb, on, text] of [
    ['cordon', true, 'Mark node as unschedulable'],
    ['uncordon', false, 'Mark node as schedulable'],
  ] as const) {
    program
      .command(verb)
      .description(text)
      .argument('[nodes...]', 'NODE')
      .option('-l, --selector <selector>', 'Label selector')
      .addOption(dryRunOpt())
      .action(action((ctx, args: string[], opts: Record<string, unknown>) => cordon(ctx, args, opts, on)));
  }
  program
    .command('taint')
    .description('Update the taints on one or more nodes')
    .argument('[args...]', 'node NODE KEY_1=VAL_1:TAINT_EFFECT_1 ... | KEY:EFFECT-')
    .option('-l, --selector <selector>', 'Label selector')
    .option('--all', 'Select all nodes in the cluster')
    .option('--overwrite', 'Allow taints to be overwritten')
    .action(action((ctx, args: string[], opts: Record<string, unknown>) => taint(ctx, args, opts)));
  program
    .command('drain')
    .description('Drain node in preparation for maintenance')
    .argument('[nodes...]', 'NODE')
    .option('--ignore-daemonsets', 'Ignore DaemonSet-managed pods')
    .option('--delete-emptydir-data', 'Continue even if there are pods using emptyDir (local data that will be deleted when the node is drained)')
    .option('--force', 'Continue even if there are pods that do not declare a controller')
    .option('--pod-selector <selector>', 'Label selector to filter pods on the node')
    .option('-l, --selector <selector>', 'Selector (label query) to filter on nodes')
    .option('--grace-period <seconds>', "Period of time in seconds given to each pod to terminate gracefully (-1: the pod's own)")
    .option('--timeout <duration>', 'The length of time to wait before giving up, zero means infinite')
    .option('--disable-eviction', 'Force drain to use delete, even if eviction is supported')
    .addOption(dryRunOpt())
    .action(action((ctx, args: string[], opts: Record<string, unknown>) => drain(ctx, args, opts)));

  const rollout = program.command('rollout').description('Manage the rollout of a resource');
  rollout
    .command('status')
    .description('Show the status of the rollout')
    .argument('[args...]', 'TYPE NAME or TYPE/NAME')
    .addOption(new Option('-w, --watch [bool]', 'Watch the status of the rollout until it is done').default(true).argParser((v) => v !== 'false'))
    .option('--timeout <duration>', 'The length of time to wait before ending watch (0: forever)')
    .option('--revision <n>', 'Pin to a specific revision')
    .action(action((ctx, args: string[], opts: Record<string, unknown>) => rolloutStatus(ctx, args, opts)));
  rollout
    .command('history')
    .description('View rollout history')
    .argument('[args...]', 'TYPE NAME or TYPE/NAME')
    .option('--revision <n>', 'See the details of this revision')
    .action(action((ctx, args: string[], opts: Record<string, unknown>) => history(ctx, args, opts)));
  rollout
    .command('undo')
    .description('Undo a previous rollout')
    .argument('[args...]', 'TYPE NAME or TYPE/NAME')
    .option('--to-revision <n>', 'The revision to roll back to (0: the last one)')
    .action(action((ctx, args: string[], opts: Record<string, unknown>) => undo(ctx, args, opts)));
  for (const [verb, text] of [
    ['restart', 'Restart a resource'],
    ['pause', 'Mark the provided resource as paused'],
    ['resume', 'Resume a paused resource'],
  ] as const) {
    rollout
      .command(verb)
      .description(text)
      .argument('[args...]', 'TYPE NAME or TYPE/NAME')
      .action(action((ctx, args: string[]) => patchRollout(ctx, verb, args)));
  }

  program
    .command('api-resources')
    .description('Print the supported API resources on the server')
    .addOption(outputOpt())
    .option('--no-headers', 'Print no headers')
    .option('--namespaced <bool>', 'Only namespaced (true) or cluster-scoped (false) resources')
    .option('--api-group <group>', 'Only resources of this group')
    .addOption(
      new Option('--verbs <verb>', 'Only resources that support these verbs').argParser((v, p: string[] | undefined) => [...(p ?? []), ...v.split(',')]),
    )
    .action(action((ctx, opts: Record<string, unknown>) => apiResources(ctx, { ...opts, noHeaders: opts.headers === false })));

  program
    .command('version')
    .description('Print the client and server version information')
    .option('--client', 'Client version only')
    .addOption(outputOpt())
    .action(action((ctx, opts: Record<string, unknown>) => version(ctx, opts)));

  const config = program.command('config').description('Modify kubeconfig files');
  config
    .command('view')
    .option('--raw', 'Show certificates and tokens')
    .option('--minify', 'Only the current context')
    .addOption(outputOpt())
    .action(action((ctx, opts: Record<string, unknown>) => configView(ctx, opts)));
  config
    .command('use-context')
    .alias('use')
    .argument('<name>')
    .action(action((ctx, name: string) => useContext(ctx, name)));
  config
    .command('get-contexts')
    .argument('[names...]')
    .addOption(outputOpt())
    .option('--no-headers', 'Print no headers')
    .action(action((ctx, names: string[], opts: Record<string, unknown>) => getContexts(ctx, names, { ...opts, noHeaders: opts.headers === false })));
  config.command('current-context').action(action((ctx) => currentContext(ctx)));

  return program;
}
