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
  const table = {
    ...spec.flags,
    'log-level': { type: 'string', arg: 'LEVEL', default: spec.logLevel ?? 'info', help: LOG_LEVELS.slice(0, 5).join(', ') },
  } as F;
  const exits = new Promise<number>((resolve) => {
    const clients: KubeClient[] = [];
    const atExit: Array<() => void | Promise<void>> = [];
    const end = async (code: number) => {
      for (const c of clients) await c.close().catch(() => {});
      for (const fn of atExit) await Promise.resolve(fn()).catch(() => {});
      resolve(code);
    };
    const failed = async (e: unknown, running?: RunningComponent) => {
      await running?.stop().catch(() => {});
      await proc.stderr(`${spec.command}: ${(e as Error)?.message ?? String(e)}\n`);
      await end(1);
    };
    void (async () => {
      let parsed: ReturnType<typeof parseFlags<F>>;
      try {
        parsed = parseFlags(table, proc.argv);
        const level = parsed.values['log-level'] as string;
        if (!LOG_LEVELS.includes(level)) throw new Error(`--log-level: "${level}" is not one of ${LOG_LEVELS.join(', ')}`);
      } catch (e) {
        return failed(e);
      }
      if (parsed.help) {
        await proc.stdout(helpText(spec.command, spec.summary, table));
        return end(0);
      }
      const dest = proc.logDestination ?? (spec.logTo === 'stderr' ? pino.destination(2) : undefined);
      const log = pino({ level: parsed.values['log-level'] as string }, dest).child({ component: spec.component });
      const ctx: ComponentContext<F> = {
        flags: parsed.values,
        log,
        kubeClient: (o = {}) => {
          const kubeconfig = parsed.values.kubeconfig as string | undefined;
          const c = KubeClient.fromKubeconfig(kubeconfig ? { kubeconfig } : {}, { ...o, userAgent: `${spec.command}/0.1.0` });
          clients.push(c);
          return c;
        },
        onExit: (fn) => atExit.push(fn),
      };
      let stopping = false;
      let running: RunningComponent | undefined;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        log.info({ signal }, 'stopping');
        void (async () => {
          try {
            await running?.stop();
            await end(0);
          } catch (e) {
            await failed(e);
          }
        })();
      };
      proc.once('SIGINT', () => stop('SIGINT'));
      proc.once('SIGTERM', () => stop('SIGTERM'));
      try {
        running = (await spec.start(ctx)) ?? undefined;
      } catch (e) {
        if (!stopping) return failed(e);
        return;
      }
      if (!running) {
        if (!stopping) await end(0);
        return;
      }
      if (stopping) return void (await running.stop().catch(() => {}));
      running.done?.catch((e: unknown) => {
        if (stopping) return;
        stopping = true;
        log.error({ err: e }, 'stopping after a failure');
        void failed(e, running);
      });
    })();
  });
  proc.exit(await exits);
}

/** `log` bound to `component`, unless it already is (runComponent's logger is). */
export function withComponent(log: Logger, component: string): Logger {
  return log.bindings().component ? log : log.child({ component });
}
