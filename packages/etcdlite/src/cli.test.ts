import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { EtcdClient } from '@minik8s/client/etcd';
import { describe, expect, it } from 'vitest';
import { startEtcdliteProcess } from './testing/processes.ts';

const cli = join(import.meta.dirname, 'cli.ts');
const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], { encoding: 'utf8', timeout: 20_000 });

describe('etcdlite command', () => {
  it('serves the etcd gateway with the flags it is given', async () => {
    const server = await startEtcdliteProcess(['--auto-compaction-mode=revision', '--auto-compaction-retention=5']);
    const c = new EtcdClient({ endpoint: server.url });
    try {
      for (let i = 0; i < 10; i++) await c.put('k', String(i));
      expect((await c.get('k'))?.value.toString()).toBe('9');
      expect((await c.status()).version).toBe('3.4.0');
    } finally {
      await c.close();
      await server.close();
    }
  });

  it('refuses unknown flags and inconsistent TLS settings with a clear message', () => {
    const bogus = run('--bogus');
    expect(bogus.status).toBe(1);
    expect(bogus.stderr).toMatch(/etcdlite: Unknown option '--bogus'/);
    const tls = run('--listen-client-urls=https://127.0.0.1:0');
    expect(tls.status).toBe(1);
    expect(tls.stderr).toMatch(/needs --cert-file and --key-file/);
    const compaction = run('--auto-compaction-mode=revision', '--auto-compaction-retention=1h');
    expect(compaction.status).toBe(1);
    expect(compaction.stderr).toMatch(/not a positive revision count/);
    expect(run('--help').stdout).toMatch(/--data-dir DIR/);
  });
});
