/**
 * The iptables commands kube-proxy needs, run as child processes (never blocking the
 * event loop): `iptables-restore --noflush` to load a table atomically, `iptables-save`
 * to read what is there, and `-C` / `-I` to hook our chains into the built-in ones once.
 * `prefix` runs them somewhere else (tests: `ip netns exec <ns>`).
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { JUMPS } from './rules.ts';

const run = promisify(execFile);

export class Iptables {
  constructor(private readonly prefix: string[] = []) {}

  private cmd(bin: string, args: string[]): [string, string[]] {
    const [head, ...rest] = [...this.prefix, bin, ...args];
    return [head as string, rest];
  }

  async save(table: 'nat' | 'filter'): Promise<string> {
    const [c, a] = this.cmd('iptables-save', ['-t', table]);
    return (await run(c, a, { maxBuffer: 64 * 1024 * 1024 })).stdout;
  }

  /** Loads `input` (one or more tables) atomically, keeping chains it does not name. */
  restore(input: string): Promise<void> {
    const [c, a] = this.cmd('iptables-restore', ['--noflush', '-w', '5']);
    return new Promise((resolve, reject) => {
      const p = spawn(c, a, { stdio: ['pipe', 'ignore', 'pipe'] });
      let err = '';
      p.stderr.on('data', (d: Buffer) => {
        err += d.toString();
      });
      p.on('error', reject);
      p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`iptables-restore failed (exit ${code}): ${err.trim()}`))));
      p.stdin.end(input);
    });
  }

  /** The per-Service chains (KUBE-SVC-, KUBE-SEP-, KUBE-EXT-) in the nat table now. */
  async serviceChains(): Promise<Set<string>> {
    const out = await this.save('nat');
    return new Set([...out.matchAll(/^:(KUBE-(?:SVC|SEP|EXT)-\S+)/gm)].map((m) => m[1] as string));
  }

  /** Makes our top-level chains exist and hooks them into the built-in chains, once (keeping their rules). */
  async ensureJumps(): Promise<void> {
    const ok = (c: string, a: string[]) =>
      run(c, a).then(
        () => true,
        () => false,
      );
    for (const j of JUMPS) {
      await ok(...this.cmd('iptables', ['-w', '5', '-t', j.table, '-N', j.target])); // exists already: fine
      const rule = [j.chain, '-m', 'comment', '--comment', j.comment, '-j', j.target];
      if (await ok(...this.cmd('iptables', ['-w', '5', '-t', j.table, '-C', ...rule]))) continue;
      await run(...this.cmd('iptables', ['-w', '5', '-t', j.table, '-I', ...rule]));
    }
  }
}
