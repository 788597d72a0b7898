/**
 * Running a command-line tool from a test (the stock kubectl, docker, the CLIs under
 * test) and looking at what it printed: the exit code and output, never an exception.
 */
import { execFile } from 'node:child_process';

export interface CommandResult {
  /** The exit code; 1 when the process could not start or was killed (after `timeoutMs`). */
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunCommandOptions {
  /** The whole environment of the command (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Written to stdin, which is then closed. */
  input?: string;
  /** Kill the command after this long (default 20 s). */
  timeoutMs?: number;
  /** See stdout and stderr as they arrive, for a test that waits on what a long-running command printed. */
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
}

export function runCommand(command: string, args: string[], o: RunCommandOptions = {}): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = execFile(command, args, { env: o.env ?? process.env, timeout: o.timeoutMs ?? 20_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    if (o.onStdout) child.stdout?.on('data', (chunk) => o.onStdout?.(String(chunk)));
    if (o.onStderr) child.stderr?.on('data', (chunk) => o.onStderr?.(String(chunk)));
    if (o.input !== undefined) child.stdin?.end(o.input);
  });
}
