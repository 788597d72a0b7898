import { availableParallelism } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * Test tiers, by what a test file needs beyond Node (its name says so):
 * - unit:     `*.test.ts` — nothing else; in-process API servers and stores on loopback.
 * - upstream: `*.kubectl.test.ts` (the stock kubectl 1.32 on the PATH) and `*.etcd.test.ts`
 *             (a real etcd, /usr/bin/etcd or $ETCD_BIN).
 * - root:     `*.root.test.ts` — root, iptables, iproute2 and curl (kube-proxy's rules in a
 *             network namespace).
 * - docker:   `*.docker.test.ts` — a Docker engine (the kubelet on real containers).
 * - e2e:      test/e2e — the compose cluster on Docker, images built offline.
 * `pnpm test` runs them all (docker, then e2e, after the others, one file at a time);
 * `pnpm test:<tier>` one of them.
 */
const SOURCES = ['packages/*/src/**/', 'deploy/src/**/'];
const tier = (suffix: string) => SOURCES.map((dir) => `${dir}*.${suffix}.test.ts`);
const UPSTREAM = [...tier('kubectl'), ...tier('etcd')];
const ROOT = tier('root');
const DOCKER = tier('docker');
const E2E = ['test/e2e/**/*.test.ts'];
const UNIT = SOURCES.map((dir) => `${dir}*.test.ts`);
/** kubectl, etcd, docker, ip and iptables that refuse, first on the unit tier's PATH, so a test that needs one fails even where it is installed. */
const REFUSE = fileURLToPath(new URL('./test/unit-tier/bin', import.meta.url));
const UNIT_ENV = { PATH: `${REFUSE}${delimiter}${process.env.PATH ?? ''}`, ETCD_BIN: join(REFUSE, 'etcd'), DOCKER_HOST: 'unix:///nonexistent/docker.sock' };

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most tests wait on servers and timers, not the CPU: on a small machine (2 cores, where
    // vitest's default is one fork) four forks overlap that waiting.
    maxWorkers: Math.max(4, availableParallelism() - 1),
    reporters: ['default', './test/summary-reporter.ts'],
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT, exclude: [...UPSTREAM, ...ROOT, ...DOCKER, '**/node_modules/**'], env: UNIT_ENV } },
      { extends: true, test: { name: 'upstream', include: UPSTREAM } },
      { extends: true, test: { name: 'root', include: ROOT } },
      { extends: true, test: { name: 'docker', include: DOCKER, sequence: { groupOrder: 1 }, poolOptions: { forks: { singleFork: true } } } },
      { extends: true, test: { name: 'e2e', include: E2E, sequence: { groupOrder: 2 }, poolOptions: { forks: { singleFork: true } } } },
    ],
  },
});
