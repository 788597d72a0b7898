/**
 * Running a command and collecting what it prints: the cluster wrapper, the end-to-end
 * tests and the benchmarks drive docker, compose and kubectl through these.
 */
import { spawn } from 'node:child_process';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Added to this process's environment. */
  env?: NodeJS.ProcessEnv;
  /** Written to the command's standard input (none if absent). */
  input?: string;
  cwd?: string;
  /** Killed (SIGKILL) after this long. */
  timeoutMs?: number;
  /** Also copy the output to this process's as it comes. */
  show?: boolean;
}

/** Runs a command; resolves with its exit code and output whatever the code. */
export function run(cmd: string, args: string[], o: RunOptions = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: o.cwd, env: { ...process.env, ...o.env }, stdio: [o.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = o.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), o.timeoutMs);
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d;
      if (o.show) process.stdout.write(d);
    });
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d;
      if (o.show) process.stderr.write(d);
    });
    if (o.input !== undefined) child.stdin?.end(o.input);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

/** Runs a command that must succeed: a non-zero exit throws, with the output (unless it was shown). */
export async function must(cmd: string, args: string[], o: RunOptions = {}): Promise<Run> {
  const r = await run(cmd, args, o);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}${o.show ? '' : `\n${r.stdout}${r.stderr}`}`);
  return r;
}
