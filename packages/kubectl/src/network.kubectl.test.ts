/**
 * Services, Endpoints, EndpointSlices and Ingresses side by side with the stock kubectl:
 * the server's Table columns (`get`), `expose`, and `describe`. No controllers run: the
 * tests write the EndpointSlices and Endpoints an endpoints controller would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness, withoutAges } from './testing/harness.ts';

const NETWORK = `apiVersion: v1
kind: Service
metadata: {name: web, labels: {app: web}}
spec:
  selector: {tier: front, app: web}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: lb, annotations: {team: edge}}
spec:
  type: LoadBalancer
  externalIPs: [1.2.3.4]
  externalTrafficPolicy: Local
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}, {name: metrics, port: 9090, protocol: TCP}]
---
apiVersion: v1
kind: Service
metadata: {name: headless}
spec:
  clusterIP: None
  ports: [{port: 5432}]
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec: {type: ExternalName, externalName: db.example.com}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-x1, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{name: http, port: 8080, protocol: TCP}]
endpoints:
- {addresses: [10.244.0.1], conditions: {ready: true}, nodeName: node-1, targetRef: {kind: Pod, name: web-1, namespace: default}}
- {addresses: [10.244.0.2], conditions: {ready: false}}
- {addresses: [10.244.0.3], hostname: web-3, zone: z1}
- {addresses: [10.244.0.4], conditions: {ready: true}}
- {addresses: [10.244.0.5], conditions: {ready: true}}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: lb-x1, labels: {kubernetes.io/service-name: lb}}
addressType: IPv6
ports: [{name: metrics, port: 9090, protocol: TCP}, {name: http, port: 8080, protocol: TCP}]
endpoints:
- {addresses: ["fd00::1"], conditions: {ready: true}}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: headless-x1, labels: {kubernetes.io/service-name: headless}}
addressType: IPv4
endpoints:
- {addresses: [10.244.1.1, 10.244.1.9]}
- {addresses: [10.244.1.2]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: empty}
addressType: IPv6
endpoints: []
---
apiVersion: v1
kind: Endpoints
metadata: {name: web, labels: {app: web}}
subsets:
- addresses: [{ip: 10.244.0.1}, {ip: 10.244.0.3}, {ip: 10.244.0.4}, {ip: 10.244.0.5}]
  notReadyAddresses: [{ip: 10.244.0.2}]
  ports: [{name: http, port: 8080, protocol: TCP}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: headless}
subsets:
- addresses: [{ip: 10.244.1.1}, {ip: 10.244.1.2}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: none}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: site, labels: {app: web}, annotations: {nginx.ingress.kubernetes.io/rewrite-target: /}}
spec:
  ingressClassName: nginx
  tls: [{hosts: [site.example.com], secretName: site-tls}, {hosts: [sni.example.com]}]
  defaultBackend: {service: {name: web, port: {number: 80}}}
  rules:
  - host: site.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {name: http}}}}
      - {path: /metrics, pathType: Exact, backend: {service: {name: lb, port: {number: 9090}}}}
  - host: other.example.com
  - http:
      paths:
      - {path: /docs, pathType: Prefix, backend: {service: {name: missing, port: {number: 80}}}}
      - {path: /bucket, pathType: Prefix, backend: {resource: {apiGroup: storage.example.com, kind: Bucket, name: b1}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: bare}
spec:
  defaultBackend: {service: {name: web, port: {number: 80}}}
`;

const WORKLOADS = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web, tier: front}}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:1.25", ports: [{containerPort: 8080}]}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: dns}
spec:
  selector: {matchLabels: {app: dns}}
  template:
    metadata: {labels: {app: dns}}
    spec:
      containers:
      - {name: a, image: coredns, ports: [{containerPort: 80}, {containerPort: 53, protocol: UDP}]}
      - {name: b, image: coredns, ports: [{containerPort: 53, protocol: TCP}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: expr}
spec:
  selector:
    matchLabels: {app: expr}
    matchExpressions: [{key: tier, operator: In, values: [a, b]}]
  template:
    metadata: {labels: {app: expr, tier: a}}
    spec: {containers: [{name: c, image: busybox, ports: [{containerPort: 80}]}]}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: rs1, labels: {app: rs1}}
spec:
  replicas: 0
  selector: {matchLabels: {app: rs1}}
  template:
    metadata: {labels: {app: rs1}}
    spec: {containers: [{name: c, image: busybox}]}
---
apiVersion: v1
kind: Pod
metadata: {name: p1, labels: {run: p1, x: "y"}}
spec: {containers: [{name: c, image: busybox, ports: [{containerPort: 9000, protocol: UDP}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: nolabels}
spec: {containers: [{name: c, image: busybox, ports: [{containerPort: 9000}]}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cm1}
`;

/** Cells of a table with ages and alignment left out, for comparing with an expected layout. */
const cells = (text: string) => withoutAges(text).trimEnd().split('\n');

describe('mkctl and kubectl on Services, EndpointSlices and Ingresses', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    const ns = 'apiVersion: v1\nkind: Namespace\nmetadata: {name: NS}\n';
    const manifests = [NETWORK, ns.replace('NS', 'ka'), ns.replace('NS', 'mk')].join('---\n');
    expect((await h.kubectl(['apply', '-f', '-'], manifests)).stderr).toBe('');
    for (const n of ['ka', 'mk']) expect((await h.kubectl(['apply', '-n', n, '-f', '-'], WORKLOADS)).stderr).toBe('');
    const lb = { loadBalancer: { ingress: [{ ip: '5.5.5.5' }, { hostname: 'lb.example.com' }] } };
    for (const [kind, name] of [
      ['svc', 'lb'],
      ['ing', 'site'],
    ]) {
      const r = await h.kubectl(['patch', kind!, name!, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: lb })]);
      expect(r.stderr).toBe('');
    }
  });
  afterAll(async () => {
    await h?.close();
  });

  /** Same exit code and output as kubectl; ages and runs of spaces aside unless `exact`. */
  async function same(args: string[], exact = false) {
    const [a, b] = await Promise.all([h.mk(args), h.kubectl(args)]);
    const norm = (r: { code: number; stdout: string; stderr: string }) =>
      exact ? { args, ...r } : { args, code: r.code, stdout: withoutAges(r.stdout), stderr: withoutAges(r.stderr) };
    expect(norm(a)).toEqual(norm(b));
    return b;
  }

  it('get svc -o wide: cluster IP, external IPs by type, ports, the sorted Selector', async () => {
    const r = await same(['get', 'svc', '-o', 'wide']);
    expect(cells(r.stdout).map((l) => l.replace(/ 10\.96\.\d+\.\d+ /, ' <ip> ').replace(/:3\d{4}\//g, ':<np>/'))).toEqual([
      'NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE SELECTOR',
      'db ExternalName <none> db.example.com <none> <age> <none>',
      'headless ClusterIP None <none> 5432/TCP <age> <none>',
      'kubernetes ClusterIP <ip> <none> 443/TCP <age> <none>',
      'lb LoadBalancer <ip> 5.5.5.5,lb.example.com,1.2.3.4 80:<np>/TCP,9090:<np>/TCP <age> app=web',
      'web ClusterIP <ip> <none> 80/TCP <age> app=web,tier=front',
    ]);
    await same(['get', 'svc']);
  });

  it('get endpointslices, endpoints and ingress: upstream columns, three addresses then "+ N more..."', async () => {
    expect(cells((await same(['get', 'endpointslices'])).stdout)).toEqual([
      'NAME ADDRESSTYPE PORTS ENDPOINTS AGE',
      'empty IPv6 <unset> <unset> <age>',
      'headless-x1 IPv4 <unset> 10.244.1.1,10.244.1.9,10.244.1.2 <age>',
      'lb-x1 IPv6 9090,8080 fd00::1 <age>',
      'web-x1 IPv4 8080 10.244.0.1,10.244.0.2,10.244.0.3 + 2 more... <age>',
    ]);
    expect(cells((await same(['get', 'endpoints'])).stdout)).toEqual([
      'NAME ENDPOINTS AGE',
      'headless 10.244.1.1,10.244.1.2 <age>',
      'none <none> <age>',
      'web 10.244.0.1:8080,10.244.0.3:8080,10.244.0.4:8080 + 1 more... <age>',
    ]);
    expect(cells((await same(['get', 'ingress'])).stdout)).toEqual([
      'NAME CLASS HOSTS ADDRESS PORTS AGE',
      'bare <none> * 80 <age>',
      'site nginx site.example.com,other.example.com 5.5.5.5,lb.example.com 80, 443 <age>',
    ]);
    await same(['get', 'svc,ep,endpointslices,ing', '-A', '-o', 'wide']);
  });

  it('describe services: endpoints from their EndpointSlices, per port name', async () => {
    const web = await same(['describe', 'svc', 'web'], true);
    expect(web.stdout).toContain(
      '\nPort:                     http  80/TCP\nTargetPort:               8080/TCP\nEndpoints:                10.244.0.1:8080,10.244.0.3:8080,10.244.0.4:8080 + 1 more...\n',
    );
    const lb = await same(['describe', 'svc', 'lb'], true);
    expect(lb.stdout).toContain('\nLoadBalancer Ingress:     5.5.5.5, lb.example.com\n');
    expect(lb.stdout).toContain('\nEndpoints:                [fd00::1]:9090\n');
    await same(['describe', 'svc'], true);
  });

  it("describe ingresses: TLS, rules with their backends' endpoints, errors, resource backends", async () => {
    const site = await same(['describe', 'ingress', 'site'], true);
    expect(site.stdout).toContain(
      [
        'Rules:',
        '  Host              Path  Backends',
        '  ----              ----  --------',
        '  site.example.com  ',
        '                    /          web:http (10.244.0.1:8080,10.244.0.3:8080,10.244.0.4:8080 + 1 more...)',
        '                    /metrics   lb:9090 ([fd00::1]:9090)',
        '  *                 ',
        '                    /docs     missing:80 (<error: services "missing" not found>)',
        '                    /bucket   APIGroup: storage.example.com, Kind: Bucket, Name: b1',
        'Annotations:        nginx.ingress.kubernetes.io/rewrite-target: /',
      ].join('\n'),
    );
    await same(['describe', 'ingress'], true);
  });

  it('describe endpointslices and endpoints', async () => {
    await same(['describe', 'endpointslices'], true);
    await same(['describe', 'endpoints'], true);
  });

  it('expose makes the Service kubectl makes (compared across two namespaces)', async () => {
    const cases = [
      ['deployment/web', '--port', '80', '--target-port', '8080'],
      ['deployment', 'web', '--port', '443', '--name', 'web-tls', '--type', 'NodePort', '--labels', 'a=b,c=d'],
      ['deploy/dns', '--type', 'LoadBalancer', '--load-balancer-ip', '10.1.1.1'],
      ['rs', 'rs1', '--port', '8000', '--protocol', 'UDP', '--session-affinity', 'ClientIP', '--external-ip', '1.2.3.4'],
      ['pod', 'p1', '-o', 'yaml'],
      ['svc', 'web', '--name', 'web-again', '--target-port', 'http', '-o', 'json'],
      ['deploy/expr', '--port', '80', '--selector', 'app=expr', '--name', 'by-selector', '--cluster-ip', 'None'],
    ];
    for (const args of cases) {
      const [a, b] = await Promise.all([h.mk(['expose', '-n', 'mk', ...args]), h.kubectl(['expose', '-n', 'ka', ...args])]);
      const norm = (r: { code: number; stdout: string; stderr: string }) => ({
        args,
        ...r,
        stdout: r.stdout
          .replace(/\b(namespace|uid|resourceVersion|clusterIP|creationTimestamp|time)("?: *)"?[^",\n]+"?/g, '$1$2X')
          .replace(/"?nodePort"?: \d+/g, 'nodePort: X')
          .replace(/\b10\.96\.\d+\.\d+\b/g, 'X'),
      });
      expect(norm(a)).toEqual(norm(b));
      expect(b.code).toBe(0);
    }
    const services = async (ns: string) => {
      const list = JSON.parse((await h.kubectl(['get', 'svc', '-n', ns, '-o', 'json'])).stdout).items;
      return list.map((s: Record<string, Record<string, unknown>>) => {
        const { clusterIP: _ip, clusterIPs: _ips, ...spec } = s.spec!;
        const ports = (spec.ports as Array<Record<string, unknown>>).map(({ nodePort: _np, ...p }) => p);
        return { name: s.metadata!.name, labels: s.metadata!.labels, spec: { ...spec, ports } };
      });
    };
    const made = await services('mk');
    expect(made).toEqual(await services('ka'));
    expect(made.find((s: { name: string }) => s.name === 'web')).toEqual({
      name: 'web',
      labels: { app: 'web', tier: 'front' },
      spec: expect.objectContaining({ ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }], selector: { app: 'web' }, type: 'ClusterIP' }),
    });
    expect(made.find((s: { name: string }) => s.name === 'dns').spec.ports.map((p: { name: string }) => p.name)).toEqual([
      'port-1',
      'port-2-udp',
      'port-2-tcp',
    ]);
  });

  it("expose --dry-run, -o name, and kubectl's errors", async () => {
    const dry = await same(['expose', 'deploy/web', '--port', '80', '--name', 'preview', '-n', 'ka', '--dry-run=client', '-o', 'yaml'], true);
    expect(dry.stdout).toBe(
      'apiVersion: v1\nkind: Service\nmetadata:\n  creationTimestamp: null\n  labels:\n    app: web\n    tier: front\n  name: preview\n  namespace: ka\nspec:\n  ports:\n  - port: 80\n    protocol: TCP\n    targetPort: 80\n  selector:\n    app: web\nstatus:\n  loadBalancer: {}\n',
    );
    for (const args of [
      ['deploy/dns', '--dry-run=client', '-o', 'json', '--target-port', '99', '--cluster-ip', 'None'],
      ['deploy/web', '--port', '81,82', '--dry-run=client', '-o', 'yaml'],
      ['deploy/web', '--port', '80', '--name', 'preview', '--dry-run=server'],
      ['deploy/web', '--port', '80', '--name', 'preview', '--dry-run=client', '-o', 'name'],
    ]) {
      await same(['expose', '-n', 'ka', ...args], true);
    }
    for (const args of [
      ['deploy/expr', '--port', '80'],
      ['pod', 'nolabels'],
      ['rs/rs1'],
      ['cm', 'cm1', '--port', '80'],
      ['deploy', 'nope', '--port', '80'],
      ['deploy'],
      [],
      ['deploy/web', '--port', 'abc', '--name', 'x'],
      ['deploy/web', '--port', '80', '--selector', 'app', '--name', 'x'],
      ['deploy/web', '--port', '80', '--labels', '=x', '--name', 'x'],
      ['deploy/web', '--port', '80', '--session-affinity', 'Sticky', '--name', 'x'],
    ]) {
      const r = await same(['expose', '-n', 'ka', ...args], true);
      expect(r.code).toBe(1);
    }
    const exists = await same(['expose', 'svc', 'web'], true);
    expect(exists.stderr).toBe('Error from server (AlreadyExists): services "web" already exists\n');
    const exprs = await h.mk(['expose', '-n', 'ka', 'deploy/expr', '--port', '80']);
    expect(exprs.stderr).toBe(
      'error: couldn\'t retrieve selectors via --selector flag or introspection: couldn\'t convert expressions - "[{Key:tier Operator:In Values:[a b]}]" to map-based selector format\n',
    );
    expect((await h.mk(['expose', '-n', 'ka', 'rs/rs1'])).stderr).toBe("error: couldn't find port via --port flag or introspection\n");
  });
});
