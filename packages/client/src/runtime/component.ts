/**
 * `runComponent`: the one entry point of every component's command. From a flag table
 * it parses the command line (`--help` is generated from it; a bad value prints
 * `<command>: --flag: ...` and exits 1), adds `--log-level`, makes a pino logger bound
 * to the component, starts the component, and on SIGINT/SIGTERM stops it gracefully and
 * exits 0. A failed start exits 1 with the message; so does a failure after the start
 * (a runnable that failed, a lost Lease), after a graceful stop.
 */
import { type DestinationStream, type Logger, pino } from 'pino';
import { KubeClient, type KubeClientOptions } from '../kube/index.ts';
import { type FlagTable, type FlagValues, helpText, parseFlags } from './flag-table.ts';

/** What a component's start returns: something to stop, maybe a `done` that rejects on failure (a Manager). */
export interface RunningComponent {
  stop(): Promise<void>;
  readonly done?: Promise<void>;
}

export interface ComponentContext<F extends FlagTable> {
  flags: FlagValues<F>;
  log: Logger;
  /** A client from `--kubeconfig` (if the table has it) with this command's user agent; closed after the stop. */
  kubeClient(o?: Omit<KubeClientOptions, 'userAgent'>): KubeClient;
  /** Called after the component stopped, before exit (flush a buffer). */
  onExit(fn: () => void | Promise<void>): void;
}

export interface ComponentSpec<F extends FlagTable> {
  /** The command: `minik8s-scheduler`. Prefixes errors and the usage line. */
  command: string;
  /** The `component` of every log line: `scheduler`. */
  component: string;
  summary?: string;
  flags: F;
  /** Default of --log-level. Default info. */
  logLevel?: string;
  /** Where logs go. Default stdout. */
  logTo?: 'stdout' | 'stderr';
  /** Starts the component; nothing returned: it has done its work (exit 0). */
  // biome-ignore lint/suspicious/noConfusingVoidType: a start may have nothing to stop
  start(ctx: ComponentContext<F>): Promise<RunningComponent | void>;
}

/** Seams for tests: the process's arguments, streams, signals and exit. */
export interface ComponentProcess {
  argv: string[];
  stdout(text: string): Promise<void>;
  stderr(text: string): Promise<void>;
  once(signal: 'SIGINT' | 'SIGTERM', fn: () => void): void;
  exit(code: number): void;
  logDestination?: DestinationStream;
}

const write = (stream: NodeJS.WriteStream) => (text: string) => new Promise<void>((r) => stream.write(text, () => r()));

export const realProcess = (): ComponentProcess => ({
  argv: process.argv.slice(2),
  stdout: write(process.stdout),
  stderr: write(process.stderr),
  once: (signal, fn) => process.once(signal, fn),
  exit: (code) => process.exit(code),
});

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Runs a component as its command; resolves once `exit` was called. */
export async function runComponent<F extends FlagTable>(spec: ComponentSpec<F>, proc: ComponentProcess = realProcess()): Promise<void> {
  proc.exit(await new ComponentRun(spec, proc).main());
}

/** One run of a command: parse, start, wait for a signal or a failure, stop, and the exit code. */
class ComponentRun<F extends FlagTable> {
  private readonly table: F;
  private readonly clients: KubeClient[] = [];
  private readonly atExit: Array<() => void | Promise<void>> = [];
  private running: RunningComponent | undefined;
  private stopping = false;
  private log: Logger | undefined;
  private finish!: (code: number) => void;
  private readonly exitCode = new Promise<number>((r) => {
    this.finish = r;
  });

  constructor(
    private readonly spec: ComponentSpec<F>,
    private readonly proc: ComponentProcess,
  ) {
    const logLevel = { type: 'string', arg: 'LEVEL', default: spec.logLevel ?? 'info', help: LOG_LEVELS.slice(0, 5).join(', ') } as const;
    this.table = { ...spec.flags, 'log-level': logLevel };
  }

  async main(): Promise<number> {
    let parsed: { help: boolean; values: FlagValues<F> };
    try {
      parsed = parseFlags(this.table, this.proc.argv);
      const level = parsed.values['log-level'] as string;
      if (!LOG_LEVELS.includes(level)) throw new Error(`--log-level: "${level}" is not one of ${LOG_LEVELS.join(', ')}`);
    } catch (e) {
      void this.failed(e);
      return this.exitCode;
    }
    if (parsed.help) {
      await this.proc.stdout(helpText(this.spec.command, this.spec.summary, this.table));
      void this.end(0);
      return this.exitCode;
    }
    this.proc.once('SIGINT', () => this.stop('SIGINT'));
    this.proc.once('SIGTERM', () => this.stop('SIGTERM'));
    try {
      this.running = (await this.spec.start(this.context(parsed.values))) ?? undefined;
    } catch (e) {
      if (!this.stopping) void this.failed(e);
      return this.exitCode;
    }
    if (this.stopping)
      await this.running?.stop().catch(() => {}); // a signal came during the start
    else if (!this.running)
      void this.end(0); // nothing keeps running: done
    else this.running.done?.catch((e: unknown) => this.failedRunning(e));
    return this.exitCode;
  }

  private context(flags: FlagValues<F>): ComponentContext<F> {
    const dest = this.proc.logDestination ?? (this.spec.logTo === 'stderr' ? pino.destination(2) : undefined);
    const log = pino({ level: flags['log-level'] as string }, dest).child({ component: this.spec.component });
    this.log = log;
    return {
      flags,
      log,
      kubeClient: (o = {}) => {
        const kubeconfig = flags.kubeconfig as string | undefined;
        const c = KubeClient.fromKubeconfig(kubeconfig ? { kubeconfig } : {}, { ...o, userAgent: `${this.spec.command}/0.1.0` });
        this.clients.push(c);
        return c;
      },
      onExit: (fn) => this.atExit.push(fn),
    };
  }

  /** SIGINT or SIGTERM: a graceful stop, then exit 0 (1 if the stop failed). */
  private stop(signal: string): void {
    if (this.stopping) return;
    this.stopping = true;
    this.log?.info({ signal }, 'stopping');
    void (async () => {
      try {
        await this.running?.stop();
        await this.end(0);
      } catch (e) {
        await this.failed(e);
      }
    })();
  }

  /** The running component failed (a runnable, a lost Lease): stop what is left, exit 1. */
  private failedRunning(e: unknown): void {
    if (this.stopping) return;
    this.stopping = true;
    this.log?.error({ err: e }, 'stopping after a failure');
    void this.running
      ?.stop()
      .catch(() => {})
      .then(() => this.failed(e));
  }

  private async failed(e: unknown): Promise<void> {
    await this.proc.stderr(`${this.spec.command}: ${(e as Error)?.message ?? String(e)}\n`);
    await this.end(1);
  }

  private async end(code: number): Promise<void> {
    for (const c of this.clients) await c.close().catch(() => {});
    for (const fn of this.atExit) await Promise.resolve(fn()).catch(() => {});
    this.finish(code);
  }
}

/** `log` bound to `component`, unless it already is (runComponent's logger is). */
export function withComponent(log: Logger, component: string): Logger {
  return log.bindings().component ? log : log.child({ component });
}
