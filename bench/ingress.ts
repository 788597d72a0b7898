/**
 * `pnpm bench:ingress`: the ingress next to a real nginx, and a ClusterIP next to a Pod IP.
 *   (a) wrk through our ingress (127.0.0.1:8080, Host header) to 3 echo Pods, and to
 *       the ingress container's own address (without Docker's port-publishing proxy);
 *   (b) wrk through a real nginx (Debian's nginx-light) on the host, proxying to the
 *       same Pod IPs with keep-alive, one after the other in the same run;
 *   (c) from inside a Pod, keep-alive HTTP requests to the Service's ClusterIP (through
 *       the node and kube-proxy's rules) next to the same requests to a Pod IP.
 * Prints a table, then one JSON line last. Needs `apt-get install nginx-light wrk`.
 * Every load is bounded in time; all traffic goes to 127.0.0.1 and the cluster's own
 * containers.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { must as mustRun, run } from '@minik8s/deploy';

const ROOT = join(import.meta.dirname, '..');
const STATE = process.env.MINIK8S_STATE ?? '/var/lib/minik8s';
const KUBECONFIG = join(STATE, 'pki', 'admin.kubeconfig');
const NS = 'bench-ingress';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const NGINX_PORT = 18080;
/** The ingress container on the pod network (deploy/docker-compose.yml). */
const INGRESS_ADDRESS = '10.244.0.7';

const must = async (cmd: string, args: string[], input?: string): Promise<string> =>
  (await mustRun(cmd, args, { cwd: ROOT, env: { KUBECONFIG }, input, timeoutMs: 300_000 })).stdout;
const kubectl = (args: string[], input?: string) => must('kubectl', args, input);
const log = (s: string) => process.stderr.write(`${s}\n`);

const MANIFESTS = `apiVersion: v1
kind: Namespace
metadata: {name: ${NS}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: echo, namespace: ${NS}}
spec:
  replicas: 3
  selector: {matchLabels: {app: echo}}
  template:
    metadata: {labels: {app: echo}}
    spec:
      containers:
      - name: app
        image: minik8s/echo:v1
        imagePullPolicy: IfNotPresent
        ports: [{containerPort: 8080}]
        readinessProbe: {httpGet: {path: /healthz, port: 8080}, periodSeconds: 1}
---
apiVersion: v1
kind: Pod
metadata: {name: loadgen, namespace: ${NS}}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - {name: c, image: minik8s/echo:v1, imagePullPolicy: IfNotPresent, command: [sleep, '3600']}
---
apiVersion: v1
kind: Service
metadata: {name: echo, namespace: ${NS}}
spec:
  selector: {app: echo}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: echo, namespace: ${NS}}
spec:
  rules:
  - host: bench.local
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: echo, port: {number: 80}}}}
`;

interface WrkResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

function ms(v: string, unit: string): number {
  return Number(v) * ({ us: 0.001, ms: 1, s: 1000 }[unit] ?? 1);
}

async function wrk(url: string, host: string, seconds = SECONDS): Promise<WrkResult> {
  const out = await must('wrk', ['-t2', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', '-H', `Host: ${host}`, url]);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  const lat = (q: string) => {
    const m = new RegExp(`\\s${q}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
    return m ? ms(m[1]!, m[2]!) : Number.NaN;
  };
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = non2xx + (sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
  return { rps, p50: lat('50'), p99: lat('99'), errors };
}

/** nginx on the host proxying to the Pods, configured as an ingress would be: keep-alive upstream. */
function startNginx(podIPs: string[]): { stop(): Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'minik8s-bench-nginx-'));
  writeFileSync(
    join(dir, 'nginx.conf'),
    `worker_processes auto;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
daemon off;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream echo { ${podIPs.map((ip) => `server ${ip}:8080;`).join(' ')} keepalive 64; }
  server {
    listen 127.0.0.1:${NGINX_PORT};
    location / {
      proxy_pass http://echo;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
  }
}
`,
  );
  const p = spawn('nginx', ['-c', join(dir, 'nginx.conf')], { stdio: 'ignore' });
  return {
    async stop() {
      p.kill('SIGQUIT');
      await new Promise((r) => p.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Keep-alive HTTP GETs from inside the loadgen Pod for `seconds`, 16 at a time; requests per second. */
async function fromPod(url: string, seconds: number): Promise<number> {
  const id = (
    await must('docker', [
      'ps',
      '-q',
      '--filter',
      `label=io.kubernetes.pod.name=loadgen`,
      '--filter',
      `label=io.kubernetes.pod.namespace=${NS}`,
      '--filter',
      'label=io.kubernetes.docker.type=container',
    ])
  ).trim();
  const script = `
const http = require('node:http');
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
const end = Date.now() + ${seconds * 1000};
let n = 0;
const one = () => new Promise((resolve, reject) => {
  http.get(${JSON.stringify(url)}, { agent }, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject);
});
(async () => {
  const t0 = Date.now();
  await Promise.all(Array.from({ length: 16 }, async () => { while (Date.now() < end) { await one(); n++; } }));
  console.log(JSON.stringify({ rps: n / ((Date.now() - t0) / 1000) }));
  agent.destroy();
})().catch((e) => { console.error(e.message); process.exit(1); });`;
  const out = await must('docker', ['exec', id, 'node', '-e', script]);
  return JSON.parse(out.trim().split('\n').pop() ?? '{}').rps as number;
}

async function main(): Promise<void> {
  for (const tool of ['wrk', 'nginx']) {
    if ((await run('sh', ['-c', `command -v ${tool}`])).code !== 0) throw new Error(`${tool} is missing: apt-get install nginx-light wrk`);
  }
  log('starting the cluster (pnpm cluster up)...');
  await must(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'deploy', 'src', 'cluster.ts'), 'up']);
  log('building minik8s/echo:v1...');
  const base = (await must('docker', ['images', '-q', 'node:20-bookworm-slim'])).trim() ? 'node:20-bookworm-slim' : 'minik8s/node-base:20';
  await must('docker', [
    'build',
    '-q',
    '-t',
    'minik8s/echo:v1',
    '--build-arg',
    `BASE=${base}`,
    '--build-arg',
    'VERSION=v1',
    join(ROOT, 'test', 'e2e', 'images', 'echo'),
  ]);
  let nginx: { stop(): Promise<void> } | undefined;
  try {
    await kubectl(['apply', '-f', '-'], MANIFESTS);
    await kubectl(['rollout', 'status', '-n', NS, 'deployment/echo', '--timeout=120s']);
    await kubectl(['wait', '-n', NS, '--for=condition=Ready', 'pod/loadgen', '--timeout=60s']);
    const podIPs = (await kubectl(['get', 'pods', '-n', NS, '-l', 'app=echo', '-o', 'jsonpath={.items[*].status.podIP}'])).split(' ').filter(Boolean);
    const clusterIP = (await kubectl(['get', 'svc', '-n', NS, 'echo', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    const ingressUrl = 'http://127.0.0.1:8080/';
    for (let i = 0; i < 100; i++) {
      const r = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-H', 'Host: bench.local', ingressUrl]);
      if (r.stdout === '200') break;
      await new Promise((r) => setTimeout(r, 200));
    }

    log(`(a) wrk -c${CONNECTIONS} ${SECONDS}s through the ingress...`);
    await wrk(ingressUrl, 'bench.local', 2);
    const ours = await wrk(ingressUrl, 'bench.local');
    // The same controller at its own address on the pod network, without Docker's
    // userland proxy for the published port in between.
    log(`(a') wrk -c${CONNECTIONS} ${SECONDS}s to the ingress container's address...`);
    const direct80 = await wrk(`http://${INGRESS_ADDRESS}/`, 'bench.local');
    log(`(b) wrk -c${CONNECTIONS} ${SECONDS}s through nginx to the same Pods...`);
    nginx = startNginx(podIPs);
    await new Promise((r) => setTimeout(r, 500));
    await wrk(`http://127.0.0.1:${NGINX_PORT}/`, 'bench.local', 2);
    const theirs = await wrk(`http://127.0.0.1:${NGINX_PORT}/`, 'bench.local');
    await nginx.stop();
    nginx = undefined;
    log('(c) from a Pod: ClusterIP, then a Pod IP...');
    await fromPod(`http://${clusterIP}/`, 2);
    const viaClusterIP = await fromPod(`http://${clusterIP}/`, SECONDS);
    const direct = await fromPod(`http://${podIPs[0]}:8080/`, SECONDS);

    const rows: Array<[string, string, string]> = [
      ['ingress req/s', ours.rps.toFixed(0), `>= ${(theirs.rps * 0.5).toFixed(0)} (0.5x nginx)`],
      ['nginx req/s', theirs.rps.toFixed(0), ''],
      ['ingress / nginx', (ours.rps / theirs.rps).toFixed(2), '>= 0.5'],
      [`ingress at ${INGRESS_ADDRESS} req/s`, direct80.rps.toFixed(0), `(no docker-proxy; p99 ${direct80.p99.toFixed(2)} ms)`],
      ['ingress p50 / p99 (ms)', `${ours.p50.toFixed(2)} / ${ours.p99.toFixed(2)}`, `p99 <= ${(theirs.p99 * 2).toFixed(2)} (2x nginx)`],
      ['nginx p50 / p99 (ms)', `${theirs.p50.toFixed(2)} / ${theirs.p99.toFixed(2)}`, ''],
      ['errors (ingress, nginx)', `${ours.errors}, ${theirs.errors}`, '0'],
      ['from a Pod: ClusterIP req/s', viaClusterIP.toFixed(0), ''],
      ['from a Pod: Pod IP req/s', direct.toFixed(0), ''],
      ['ClusterIP / Pod IP', (viaClusterIP / direct).toFixed(2), '>= 0.9'],
    ];
    for (const [k, v, t] of rows) process.stdout.write(`${k.padEnd(30)} ${v.padStart(16)}   ${t}\n`);
    process.stdout.write(
      `${JSON.stringify({
        ingress_rps: Math.round(ours.rps),
        nginx_rps: Math.round(theirs.rps),
        rps_ratio: Number((ours.rps / theirs.rps).toFixed(2)),
        ingress_p99_ms: Number(ours.p99.toFixed(2)),
        nginx_p99_ms: Number(theirs.p99.toFixed(2)),
        clusterip_ratio: Number((viaClusterIP / direct).toFixed(2)),
      })}\n`,
    );
  } finally {
    await nginx?.stop();
    await kubectl(['delete', 'namespace', NS, '--wait=false']).catch(() => '');
    // Leave the machine as the bench found it: the cluster stopped (its objects kept).
    await must(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'deploy', 'src', 'cluster.ts'), 'down']).catch(() => '');
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
