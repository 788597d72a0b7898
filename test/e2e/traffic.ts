/**
 * Traffic through the compose cluster: Services by ClusterIP and by DNS name from Pods on
 * both nodes, NodePorts on each node's address and LoadBalancer addresses from the host,
 * and the ingress on 127.0.0.1:8080/8443: host and path routing, balancing over every
 * replica, TLS with SNI, the default backend, 503 with no endpoint, route removal, and no
 * failed request during a rolling update. Registered by the suite that owns the cluster.
 * All traffic goes to loopback and the cluster's own containers; every loop is bounded.
 */
import { request as httpRequest } from 'node:http';
import { connect as tlsConnect } from 'node:tls';
import { createCa, issueCertificate } from '@minik8s/client/pki';
import { eventually } from '@minik8s/testing';
import { describe, expect, it } from 'vitest';
import { type Cluster, must, ON_CLUSTER } from './harness.ts';

const NS = 'traffic';
const INGRESS_HTTP = 8080;
const INGRESS_HTTPS = 8443;

interface Reply {
  status: number;
  body: string;
}

/** One HTTP request from the host, new connection, with a Host header. */
export function httpGet(url: string, host?: string, timeoutMs = 5000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers: host ? { host } : {}, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timed out: ${url}`)));
    req.on('error', reject);
    req.end();
  });
}

/** The certificate the ingress presents for `servername` (SNI). */
function peerCertificate(servername: string): Promise<{ cn: string; issuer: string }> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port: INGRESS_HTTPS, servername, rejectUnauthorized: false }, () => {
      const c = s.getPeerCertificate();
      s.end();
      resolve({ cn: String(c.subject?.CN ?? ''), issuer: String(c.issuer?.CN ?? '') });
    });
    s.on('error', reject);
  });
}

const deployment = (name: string, replicas: number, image = 'minik8s/echo:v1') => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${NS}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  strategy: {rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      terminationGracePeriodSeconds: 5
      containers:
      - name: app
        image: ${image}
        ports: [{name: http, containerPort: 8080}]
        env: [{name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]
        readinessProbe: {httpGet: {path: /healthz, port: http}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${NS}}
spec:
  selector: {app: ${name}}
  ports: [{name: http, port: 80, targetPort: http}]
`;

const clientPod = (node: string) => `apiVersion: v1
kind: Pod
metadata: {name: client-${node}, namespace: ${NS}}
spec:
  nodeName: ${node}
  terminationGracePeriodSeconds: 0
  containers:
  - {name: c, image: minik8s/busybox:latest, imagePullPolicy: IfNotPresent, command: [sleep, '3600']}
`;

export function describeTraffic(cluster: () => Cluster): void {
  const c = () => cluster();
  const apply = async (yaml: string) => {
    const r = await c().kubectl(['apply', '-f', '-'], yaml);
    expect(r.code, r.stderr).toBe(0);
  };
  const kubectl = async (args: string[]) => {
    const r = await c().kubectl(args);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  };
  /** An HTTP GET from inside a client Pod (busybox nc), by name or address. */
  const fromPod = async (node: string, host: string, port = 80): Promise<string> => {
    const id = (
      await must('docker', ['ps', '-q', '--filter', `label=io.kubernetes.pod.name=client-${node}`, '--filter', 'label=io.kubernetes.docker.type=container'])
    ).stdout.trim();
    const r = await c().docker(['exec', id, 'sh', '-c', `printf 'GET / HTTP/1.0\\r\\nHost: ${host}\\r\\n\\r\\n' | nc -w 3 ${host} ${port} | tail -n 1`]);
    return r.stdout.trim();
  };
  const replicasOf = async (app: string) =>
    new Set((await kubectl(['get', 'pods', '-n', NS, '-l', `app=${app}`, '-o', 'jsonpath={.items[*].metadata.name}'])).split(' ').filter(Boolean));
  const ingressOk = async (host: string, path = '/') => {
    const r = await httpGet(`http://127.0.0.1:${INGRESS_HTTP}${path}`, host).catch(() => undefined);
    return r?.status === 200 ? r : undefined;
  };

  describe('traffic', () => {
    it('sets up two echo Deployments and a client Pod on each node', async () => {
      await kubectl(['create', 'namespace', NS]);
      await apply(deployment('hello', 3));
      await apply(deployment('other', 1));
      await apply(clientPod('node-1'));
      await apply(clientPod('node-2'));
      await kubectl(['rollout', 'status', '-n', NS, 'deployment/hello', '--timeout=90s']);
      await kubectl(['rollout', 'status', '-n', NS, 'deployment/other', '--timeout=90s']);
      await kubectl(['wait', '-n', NS, '--for=condition=Ready', 'pod/client-node-1', 'pod/client-node-2', '--timeout=60s']);
    });

    it('a Pod on either node reaches a Service by ClusterIP and by DNS name (short and fully qualified)', async () => {
      const ip = await kubectl(['get', 'svc', '-n', NS, 'hello', '-o', 'jsonpath={.spec.clusterIP}']);
      const pods = await replicasOf('hello');
      for (const node of ['node-1', 'node-2']) {
        for (const host of [ip, 'hello', `hello.${NS}`, `hello.${NS}.svc.cluster.local`]) {
          const answer = await eventually(async () => (await fromPod(node, host)) || undefined, {
            ...ON_CLUSTER,
            message: `${host} from ${node}`,
            timeoutMs: 20_000,
          });
          expect(pods.has(answer.split(' ')[0] ?? ''), `${host} from ${node}: ${answer}`).toBe(true);
        }
      }
    });

    it('a NodePort answers on each node address, a LoadBalancer Service from the host', async () => {
      await kubectl(['expose', 'deployment', 'hello', '-n', NS, '--name', 'hello-np', '--type', 'NodePort', '--port', '80', '--target-port', '8080']);
      await kubectl(['expose', 'deployment', 'hello', '-n', NS, '--name', 'hello-lb', '--type', 'LoadBalancer', '--port', '9090', '--target-port', '8080']);
      const nodePort = await kubectl(['get', 'svc', '-n', NS, 'hello-np', '-o', 'jsonpath={.spec.ports[0].nodePort}']);
      for (const node of ['10.244.0.11', '10.244.0.12']) {
        const r = await eventually(() => httpGet(`http://${node}:${nodePort}/`), { ...ON_CLUSTER, message: `NodePort on ${node}`, timeoutMs: 20_000 });
        expect(r.body).toMatch(/^hello-/);
      }
      const lbIP = await eventually(
        async () => (await kubectl(['get', 'svc', '-n', NS, 'hello-lb', '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}'])) || undefined,
        { ...ON_CLUSTER, message: 'a LoadBalancer address', timeoutMs: 20_000 },
      );
      const r = await eventually(() => httpGet(`http://${lbIP}:9090/`), { ...ON_CLUSTER, message: 'the LoadBalancer answering', timeoutMs: 20_000 });
      expect(r.body).toMatch(/^hello-/);
    });

    it('the ingress reaches every replica by Host, routes two hosts and two paths, and sends unknown hosts to the default backend', async () => {
      await apply(`apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: ${NS}}
spec:
  rules:
  - host: hello.local
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: hello, port: {number: 80}}}}
      - {path: /other, pathType: Prefix, backend: {service: {name: other, port: {name: http}}}}
  - host: other.local
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: other, port: {number: 80}}}}
`);
      await eventually(() => ingressOk('hello.local'), { ...ON_CLUSTER, message: 'the route', timeoutMs: 20_000 });
      const pods = await replicasOf('hello');
      const seen = new Set<string>();
      for (let i = 0; i < 100 && seen.size < pods.size; i++)
        seen.add((await httpGet(`http://127.0.0.1:${INGRESS_HTTP}/`, 'hello.local')).body.split(' ')[0] ?? '');
      expect(seen).toEqual(pods);
      expect((await httpGet(`http://127.0.0.1:${INGRESS_HTTP}/other/x`, 'hello.local')).body).toMatch(/^other-/);
      expect((await httpGet(`http://127.0.0.1:${INGRESS_HTTP}/`, 'other.local')).body).toMatch(/^other-/);
      const unknown = await httpGet(`http://127.0.0.1:${INGRESS_HTTP}/`, 'nobody.local');
      expect(unknown.status).toBe(404);
      const address = await eventually(
        async () => (await kubectl(['get', 'ingress', '-n', NS, 'web', '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}'])) || undefined,
        { ...ON_CLUSTER, message: 'the Ingress address', timeoutMs: 20_000 },
      );
      expect(address).toBe('127.0.0.1');
    });

    it('terminates TLS with the certificate of each host (SNI), a default one otherwise', async () => {
      const ca = await createCa('e2e-ca');
      for (const host of ['hello.local', 'other.local']) {
        const cert = await issueCertificate(ca, { cn: host, dns: [host], usage: ['server'] });
        await apply(`apiVersion: v1
kind: Secret
metadata: {name: ${host}-tls, namespace: ${NS}}
type: kubernetes.io/tls
data:
  tls.crt: ${Buffer.from(cert.cert).toString('base64')}
  tls.key: ${Buffer.from(cert.key).toString('base64')}
`);
      }
      await kubectl([
        'patch',
        'ingress',
        '-n',
        NS,
        'web',
        '--type=merge',
        '-p',
        JSON.stringify({
          spec: {
            tls: [
              { hosts: ['hello.local'], secretName: 'hello.local-tls' },
              { hosts: ['other.local'], secretName: 'other.local-tls' },
            ],
          },
        }),
      ]);
      await eventually(async () => (await peerCertificate('hello.local')).cn === 'hello.local', {
        ...ON_CLUSTER,
        message: 'hello.local served with its certificate',
        timeoutMs: 20_000,
      });
      expect(await peerCertificate('other.local')).toEqual({ cn: 'other.local', issuer: 'e2e-ca' });
      expect((await peerCertificate('nobody.local')).cn).toBe('Kubernetes Ingress Controller Fake Certificate');
      // With TLS for the host, plain HTTP is redirected.
      const r = await httpGet(`http://127.0.0.1:${INGRESS_HTTP}/`, 'hello.local');
      expect(r.status).toBe(308);
    });

    it('keeps answering through a rolling update: 0 failed requests', async () => {
      await kubectl(['patch', 'ingress', '-n', NS, 'web', '--type=json', '-p', '[{"op":"remove","path":"/spec/tls"}]']);
      await eventually(() => ingressOk('hello.local'), { ...ON_CLUSTER, message: 'plain HTTP again', timeoutMs: 20_000 });
      const failures: string[] = [];
      let total = 0;
      let rolling = true;
      const load = (async () => {
        const end = Date.now() + 120_000;
        while (rolling && Date.now() < end && total < 20_000) {
          total++;
          const r = await httpGet(`http://127.0.0.1:${INGRESS_HTTP}/`, 'hello.local').catch((e: Error) => ({ status: 0, body: e.message }));
          if (r.status !== 200) failures.push(`${r.status} ${r.body.trim()}`);
        }
      })();
      await kubectl(['set', 'image', '-n', NS, 'deployment/hello', 'app=minik8s/echo:v2']);
      await kubectl(['rollout', 'status', '-n', NS, 'deployment/hello', '--timeout=120s']);
      await new Promise((r) => setTimeout(r, 1000));
      rolling = false;
      await load;
      expect(total).toBeGreaterThan(50);
      expect(failures).toEqual([]);
      expect((await httpGet(`http://127.0.0.1:${INGRESS_HTTP}/`, 'hello.local')).body).toMatch(/ v2$/m);
    }, 180_000);

    it('scaled to 0 the ingress answers 503; a deleted Ingress stops routing within 1 s', async () => {
      await kubectl(['scale', '-n', NS, 'deployment/other', '--replicas=0']);
      const r = await eventually(
        async () => {
          const x = await httpGet(`http://127.0.0.1:${INGRESS_HTTP}/`, 'other.local');
          return x.status === 503 ? x : undefined;
        },
        { ...ON_CLUSTER, message: '503', timeoutMs: 30_000 },
      );
      expect(r.status).toBe(503);
      await kubectl(['delete', 'ingress', '-n', NS, 'web']);
      const t0 = Date.now();
      await eventually(async () => (await httpGet(`http://127.0.0.1:${INGRESS_HTTP}/`, 'hello.local')).status === 404 || undefined, {
        ...ON_CLUSTER,
        message: 'the route gone',
        timeoutMs: 5000,
        intervalMs: 50,
      });
      expect(Date.now() - t0).toBeLessThan(1000);
      await kubectl(['delete', 'namespace', NS, '--wait=false']);
    });
  });
}
