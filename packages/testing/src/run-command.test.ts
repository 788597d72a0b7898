import { describe, expect, it } from 'vitest';
import { eventually } from './eventually.ts';
import { runCommand } from './run-command.ts';

describe('runCommand', () => {
  it('resolves with the exit code and output, passing stdin through', async () => {
    expect(await runCommand('sh', ['-c', 'cat; echo oops >&2; exit 3'], { input: 'hello\n' })).toEqual({ code: 3, stdout: 'hello\n', stderr: 'oops\n' });
  });

  it('shows stdout and stderr as they arrive, and kills the command after timeoutMs', async () => {
    let printed = '';
    let logged = '';
    const running = runCommand('sh', ['-c', 'echo ready; echo log >&2; sleep 30'], {
      timeoutMs: 2000,
      onStdout: (t) => (printed += t),
      onStderr: (t) => (logged += t),
    });
    await eventually(() => printed === 'ready\n' && logged === 'log\n', { message: 'the first lines' });
    expect(await running).toEqual({ code: 1, stdout: 'ready\n', stderr: 'log\n' });
  });

  it('answers a command that does not exist with code 1', async () => {
    expect((await runCommand('no-such-command-here', [])).code).toBe(1);
  });
});
