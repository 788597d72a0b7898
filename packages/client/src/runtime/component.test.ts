/** runComponent with the process's seams faked: argv, streams, signals, exit. */
import { EventEmitter } from 'node:events';
import { eventually } from '@minik8s/testing';
import { describe, expect, it } from 'vitest';
import { type ComponentProcess, type ComponentSpec, runComponent } from './component.ts';
import type { FlagTable } from './flag-table.ts';
import { parseFlags } from './flag-table.ts';

function fakeProcess(argv: string[]) {
  const signals = new EventEmitter();
  const out = { stdout: '', stderr: '', code: undefined as number | undefined };
  const proc: ComponentProcess = {
    argv,
    stdout: async (t) => {
      out.stdout += t;
    },
    stderr: async (t) => {
      out.stderr += t;
    },
    once: (s, fn) => void signals.once(s, fn),
    exit: (code) => {
      out.code = code;
    },
    logDestination: { write: () => {} },
  };
  return { proc, out, signals };
}

const FLAGS = {
  port: { type: 'port', arg: 'N', default: '53', help: 'UDP and TCP port' },
  timeout: { type: 'duration', default: '2s', help: 'per attempt' },
  upstream: { type: 'list', arg: 'IP', help: 'repeatable' },
  verbose: { type: 'bool', default: 'false', help: 'say more' },
  name: { type: 'string', help: 'who (default: the hostname)' },
} as const satisfies FlagTable;

function spec(start: ComponentSpec<typeof FLAGS>['start']): ComponentSpec<typeof FLAGS> {
  return { command: 'minik8s-test', component: 'test', summary: 'A test component.', flags: FLAGS, start };
}

describe('runComponent', () => {
  it('prints --help generated from the flag table, with every flag and its default', async () => {
    const { proc, out } = fakeProcess(['--help']);
    let started = false;
    await runComponent(
      spec(async () => {
        started = true;
      }),
      proc,
    );
    expect(out.code).toBe(0);
    expect(started).toBe(false);
    expect(out.stdout).toBe(
      [
        'Usage: minik8s-test [flags]',
        '',
        'A test component.',
        '',
        'Flags:',
        '  --port N            UDP and TCP port (default 53)',
        '  --timeout DURATION  per attempt (default 2s)',
        '  --upstream IP       repeatable',
        '  --verbose BOOL      say more (default false)',
        '  --name VALUE        who (default: the hostname)',
        '  --log-level LEVEL   fatal, error, warn, info, debug (default info)',
        '  --help              this text',
        '',
      ].join('\n'),
    );
  });

  it('refuses a bad value with a message naming the flag, and exits 1', async () => {
    const { proc, out } = fakeProcess(['--port', 'eighty']);
    await runComponent(
      spec(async () => undefined),
      proc,
    );
    expect(out.code).toBe(1);
    expect(out.stderr).toBe('minik8s-test: --port: "eighty" is not a port\n');
  });

  it('refuses an unknown flag and a bad log level', async () => {
    const unknown = fakeProcess(['--bogus']);
    await runComponent(
      spec(async () => undefined),
      unknown.proc,
    );
    expect(unknown.out.code).toBe(1);
    expect(unknown.out.stderr).toMatch(/^minik8s-test: Unknown option '--bogus'/);
    const level = fakeProcess(['--log-level', 'loud']);
    await runComponent(
      spec(async () => undefined),
      level.proc,
    );
    expect(level.out.stderr).toMatch(/^minik8s-test: --log-level: "loud" is not one of/);
  });

  it('hands start typed values, then on SIGTERM stops it and exits 0', async () => {
    const { proc, out, signals } = fakeProcess(['--port=0', '--upstream', '10.0.0.1,10.0.0.2', '--upstream', '10.0.0.3', '--verbose', '--timeout', '500ms']);
    let seen: unknown;
    let stopped = false;
    const done = runComponent(
      spec(async ({ flags }) => {
        seen = flags;
        return {
          stop: async () => {
            stopped = true;
          },
        };
      }),
      proc,
    );
    await eventually(() => seen !== undefined && signals.listenerCount('SIGTERM') > 0, { message: 'started, listening for SIGTERM' });
    expect(seen).toEqual({ port: 0, timeout: 500, upstream: ['10.0.0.1', '10.0.0.2', '10.0.0.3'], verbose: true, name: undefined, 'log-level': 'info' });
    expect(out.code).toBeUndefined();
    signals.emit('SIGTERM');
    await done;
    expect(stopped).toBe(true);
    expect(out.code).toBe(0);
  });

  it('exits 1 with the message when the start fails', async () => {
    const { proc, out } = fakeProcess([]);
    await runComponent(
      spec(async () => {
        throw new Error('--name needs --port');
      }),
      proc,
    );
    expect(out.code).toBe(1);
    expect(out.stderr).toBe('minik8s-test: --name needs --port\n');
  });

  it('stops and exits 1 when the running component fails (a lost Lease)', async () => {
    const { proc, out } = fakeProcess([]);
    let stopped = false;
    await runComponent(
      spec(async () => ({
        done: new Promise<void>((_, reject) => setTimeout(() => reject(new Error('leader election lost')), 10)),
        stop: async () => {
          stopped = true;
        },
      })),
      proc,
    );
    expect(stopped).toBe(true);
    expect(out.code).toBe(1);
    expect(out.stderr).toBe('minik8s-test: leader election lost\n');
  });
});

describe('parseFlags', () => {
  it('takes bools alone, with = and as the next word', () => {
    const table = { a: { type: 'bool', default: 'true', help: '' }, b: { type: 'bool', help: '' }, n: { type: 'int', min: 1, help: '' } } as const;
    expect(parseFlags(table, ['--a', 'false', '--b', '--n', '3']).values).toEqual({ a: false, b: true, n: 3 });
    expect(parseFlags(table, ['--a=no', '--b=1']).values).toEqual({ a: false, b: true, n: undefined });
    expect(() => parseFlags(table, ['--a=maybe'])).toThrow('--a: "maybe" is not a boolean');
    expect(() => parseFlags(table, ['--n', '0'])).toThrow('--n: "0" is not a number from 1');
    expect(parseFlags(table, ['-h']).help).toBe(true);
  });
});
