/**
 * Decoding hand-built protobuf bodies: the envelope, maps, repeated messages, Time,
 * IntOrString, bytes, pointer versus plain zero values, and the errors a client sees.
 */
import { describe, expect, it } from 'vitest';
import { decodeKubernetesProtobuf, encodeKubernetesProtobuf, ProtobufDecodeError } from './index.ts';
import { WireType, Writer } from './wire.ts';

const MAGIC = Uint8Array.of(0x6b, 0x38, 0x73, 0x00);

/** "k8s\0" + runtime.Unknown{typeMeta{apiVersion, kind}, raw, contentEncoding, contentType}. */
function body(apiVersion: string, kind: string, fill: (w: Writer) => void, extra?: (w: Writer) => void): Buffer {
  const raw = new Writer();
  fill(raw);
  const w = new Writer()
    .raw(MAGIC)
    .message(1, (t) => t.string(1, apiVersion).string(2, kind))
    .bytes(2, raw.finish());
  extra?.(w);
  return Buffer.from(w.finish());
}

/** ObjectMeta as Go writes it: every plain field, even when empty. */
const meta = (name: string, more?: (m: Writer) => void) => (w: Writer) =>
  w.message(1, (m) => {
    m.string(1, name).string(2, '').string(3, '').string(4, '').string(5, '').string(6, '').int(7, 0);
    m.bytes(8, new Uint8Array(0)); // creationTimestamp: the zero Time
    more?.(m);
  });

const entry = (field: number, key: string, value: string) => (w: Writer) => w.message(field, (e) => e.string(1, key).string(2, value));

function decodeError(buf: Uint8Array): ProtobufDecodeError {
  try {
    decodeKubernetesProtobuf(buf);
  } catch (e) {
    expect(e).toBeInstanceOf(ProtobufDecodeError);
    return e as ProtobufDecodeError;
  }
  throw new Error('expected decoding to fail');
}

describe('decodeKubernetesProtobuf', () => {
  it('reads the envelope and leaves out empty plain fields', () => {
    const b = body(
      'v1',
      'Namespace',
      (w) => {
        meta('ns1', (m) => {
          entry(11, 'team', 'a')(m);
          entry(11, 'env', '')(m);
          m.string(14, 'example.com/cleanup');
        })(w);
        w.message(2, () => {}).message(3, (s) => s.string(1, 'Active'));
      },
      (w) => w.string(3, '').string(4, ''),
    );
    expect(decodeKubernetesProtobuf(b)).toEqual({
      kind: 'Namespace',
      apiVersion: 'v1',
      metadata: { name: 'ns1', labels: { team: 'a', env: '' }, finalizers: ['example.com/cleanup'] },
      status: { phase: 'Active' },
    });
  });

  it('turns Time into RFC 3339 and bytes into base64', () => {
    const b = body('v1', 'Secret', (w) => {
      meta('s', (m) => {
        m.message(9, (t) => t.int(1, 1_700_000_000).int(2, 500)); // deletionTimestamp
        m.int(10, 30);
      })(w);
      w.message(2, (e) => e.string(1, 'blob').bytes(2, Uint8Array.of(0, 0xff, 0x80)));
      w.message(2, (e) => e.string(1, 'empty')); // an entry without a value
      w.string(3, 'Opaque');
    });
    expect(decodeKubernetesProtobuf(b)).toEqual({
      kind: 'Secret',
      apiVersion: 'v1',
      metadata: { name: 's', deletionTimestamp: '2023-11-14T22:13:20Z', deletionGracePeriodSeconds: 30 },
      data: { blob: 'AP+A', empty: '' },
      type: 'Opaque',
    });
  });

  it('decodes repeated messages and IntOrString as a number or a string', () => {
    const port =
      (name: string, p: number, target: number | string, nodePort = 0) =>
      (w: Writer) =>
        w.message(1, (m) => {
          m.string(1, name).string(2, 'TCP').int(3, p);
          m.message(4, (t) => (typeof target === 'number' ? t.int(1, 0).int(2, target).string(3, '') : t.int(1, 1).int(2, 0).string(3, target)));
          m.int(5, nodePort);
        });
    const b = body('v1', 'Service', (w) => {
      meta('web')(w);
      w.message(2, (s) => {
        port('http', 80, 8080, 30080)(s);
        port('https', 443, 'https')(s);
        port('plain', 81, 0)(s);
        entry(2, 'app', 'web')(s);
        s.string(4, 'NodePort');
      });
    });
    expect(decodeKubernetesProtobuf(b)).toEqual({
      kind: 'Service',
      apiVersion: 'v1',
      metadata: { name: 'web' },
      spec: {
        ports: [
          { name: 'http', protocol: 'TCP', port: 80, targetPort: 8080, nodePort: 30080 },
          { name: 'https', protocol: 'TCP', port: 443, targetPort: 'https' },
          { name: 'plain', protocol: 'TCP', port: 81 },
        ],
        selector: { app: 'web' },
        type: 'NodePort',
      },
    });
  });

  it('keeps zero values of pointer fields and drops those of plain fields', () => {
    const b = body('apps/v1', 'Deployment', (w) => {
      meta('d')(w);
      w.message(2, (s) => {
        s.int(1, 0); // replicas *int32: 0 means zero replicas
        s.message(3, (t) =>
          t.message(
            2,
            (p) =>
              p
                .message(2, (c) => {
                  c.string(1, 'c').string(2, 'nginx').bool(16, false); // stdin bool: false is the default
                  c.message(8, () => {}); // resources: an empty plain struct
                  c.message(15, () => {}); // securityContext: an empty pointer struct
                })
                .bool(21, false), // automountServiceAccountToken *bool
          ),
        );
        s.message(4, (st) => st.string(1, 'Recreate'));
      });
    });
    expect(decodeKubernetesProtobuf(b)).toEqual({
      kind: 'Deployment',
      apiVersion: 'apps/v1',
      metadata: { name: 'd' },
      spec: {
        replicas: 0,
        template: {
          spec: { containers: [{ name: 'c', image: 'nginx', securityContext: {} }], automountServiceAccountToken: false },
        },
        strategy: { type: 'Recreate' },
      },
    });
  });

  it('flattens embedded structs into their parent (volume sources, probe handlers, key selectors)', () => {
    const b = body('v1', 'Pod', (w) => {
      meta('p')(w);
      w.message(2, (s) => {
        s.message(1, (v) => v.string(1, 'scratch').message(2, (src) => src.message(2, () => {}))); // emptyDir: {}
        s.message(2, (c) => {
          c.string(1, 'app');
          c.message(7, (e) =>
            e.string(1, 'TOKEN').message(3, (from) => from.message(4, (sel) => sel.message(1, (ref) => ref.string(1, 'creds')).string(2, 'token'))),
          );
          c.message(10, (probe) => {
            probe.message(1, (h) => h.message(2, (get) => get.string(1, '/healthz').message(2, (port) => port.int(1, 1).string(3, 'http'))));
            probe.int(4, 5);
          });
        });
      });
    });
    expect(decodeKubernetesProtobuf(b)).toEqual({
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: { name: 'p' },
      spec: {
        volumes: [{ name: 'scratch', emptyDir: {} }],
        containers: [
          {
            name: 'app',
            env: [{ name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'creds', key: 'token' } } }],
            livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 5 },
          },
        ],
      },
    });
  });

  it('reads packed and unpacked repeated integers, negative numbers and 64-bit values', () => {
    const codes = (values: number[], packed: boolean) => (w: Writer) =>
      w.message(1, (rule) =>
        rule.string(1, 'FailJob').message(2, (req) => {
          req.string(2, 'In');
          if (!packed) for (const v of values) req.int(3, v);
          else {
            const inner = new Writer();
            for (const v of values) inner.varint(v);
            req.bytes(3, inner.finish());
          }
        }),
      );
    const job = body('batch/v1', 'Job', (w) => {
      meta('j')(w);
      w.message(2, (s) => {
        s.int(3, 2 ** 40); // activeDeadlineSeconds *int64
        s.message(11, (pfp) => {
          codes([1, 2], false)(pfp);
          codes([3, 42], true)(pfp);
        });
      });
    });
    expect(decodeKubernetesProtobuf(job)).toMatchObject({
      spec: {
        activeDeadlineSeconds: 2 ** 40,
        podFailurePolicy: {
          rules: [
            { action: 'FailJob', onExitCodes: { operator: 'In', values: [1, 2] } },
            { action: 'FailJob', onExitCodes: { operator: 'In', values: [3, 42] } },
          ],
        },
      },
    });
    const pc = body('scheduling.k8s.io/v1', 'PriorityClass', (w) => meta('low')(w).int(2, -5));
    expect(decodeKubernetesProtobuf(pc)).toEqual({
      kind: 'PriorityClass',
      apiVersion: 'scheduling.k8s.io/v1',
      metadata: { name: 'low' },
      value: -5,
    });
  });

  it('decodes Quantity maps, ExtraValue lists and managed fields', () => {
    const quota = body('v1', 'ResourceQuota', (w) => {
      meta('q')(w);
      w.message(2, (s) => {
        s.message(1, (e) => e.string(1, 'cpu').message(2, (q) => q.string(1, '500m')));
        s.message(1, (e) => e.string(1, 'pods').message(2, (q) => q.string(1, '10')));
      });
    });
    expect(decodeKubernetesProtobuf(quota)).toMatchObject({ spec: { hard: { cpu: '500m', pods: '10' } } });

    const sar = body('authorization.k8s.io/v1', 'SubjectAccessReview', (w) => {
      meta('')(w);
      w.message(2, (s) => {
        s.message(2, (n) => n.string(1, '/metrics').string(2, 'get'));
        s.string(3, 'alice').string(4, 'devs');
        s.message(5, (e) => e.string(1, 'scopes').message(2, (v) => v.string(1, 'read').string(1, 'write')));
      });
    });
    expect(decodeKubernetesProtobuf(sar)).toEqual({
      kind: 'SubjectAccessReview',
      apiVersion: 'authorization.k8s.io/v1',
      spec: {
        nonResourceAttributes: { path: '/metrics', verb: 'get' },
        user: 'alice',
        groups: ['devs'],
        extra: { scopes: ['read', 'write'] },
      },
    });

    const managed = body('v1', 'ConfigMap', (w) =>
      meta('c', (m) =>
        m.message(17, (f) => {
          f.string(1, 'kubectl').string(2, 'Apply').string(3, 'v1');
          f.message(4, (t) => t.int(1, 1_700_000_000));
          f.string(6, 'FieldsV1');
          f.message(7, (raw) => raw.bytes(1, Buffer.from('{"f:data":{"f:a":{}}}')));
        }),
      )(w),
    );
    expect(decodeKubernetesProtobuf(managed)).toMatchObject({
      metadata: {
        managedFields: [
          {
            manager: 'kubectl',
            operation: 'Apply',
            apiVersion: 'v1',
            time: '2023-11-14T22:13:20Z',
            fieldsType: 'FieldsV1',
            fieldsV1: { 'f:data': { 'f:a': {} } },
          },
        ],
      },
    });
  });

  it('skips fields newer than the schema', () => {
    const b = body('v1', 'ConfigMap', (w) => {
      meta('c', (m) => m.string(99, 'from the future').int(98, 7))(w);
      entry(2, 'a', 'b')(w);
      w.tag(77, WireType.Fixed64).raw(new Uint8Array(8));
    });
    expect(decodeKubernetesProtobuf(b)).toEqual({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'c' }, data: { a: 'b' } });
  });

  it('accepts DeleteOptions under any group version', () => {
    const b = body('apps/v1', 'DeleteOptions', (w) => w.int(1, 0).string(4, 'Foreground').string(5, 'All'));
    expect(decodeKubernetesProtobuf(b)).toEqual({
      kind: 'DeleteOptions',
      apiVersion: 'apps/v1',
      gracePeriodSeconds: 0,
      propagationPolicy: 'Foreground',
      dryRun: ['All'],
    });
  });
});

describe('decoding errors', () => {
  it('rejects a body without the magic prefix (400)', () => {
    const e = decodeError(Buffer.from('{"kind":"Namespace"}'));
    expect(e.status).toBe(400);
    expect(e.message).toMatch(/magic prefix/);
  });

  it('rejects kinds it has no schema for (415)', () => {
    const e = decodeError(body('apps/v1', 'Gadget', () => {}));
    expect(e.status).toBe(415);
    expect(e.message).toBe('protobuf bodies of apps/v1, Kind=Gadget are not supported; send JSON');
    expect(decodeError(body('example.com/v1', 'Namespace', () => {})).status).toBe(415);
  });

  it('rejects compressed or foreign content in the envelope (415)', () => {
    const gz = body('v1', 'Namespace', meta('x'), (w) => w.string(3, 'gzip'));
    expect(decodeError(gz)).toMatchObject({ status: 415, message: expect.stringMatching(/contentEncoding "gzip"/) });
    const json = body('v1', 'Namespace', meta('x'), (w) => w.string(4, 'application/json'));
    expect(decodeError(json).status).toBe(415);
  });

  it('rejects an envelope without a kind (400)', () => {
    expect(decodeError(body('v1', '', () => {})).message).toMatch(/no kind/);
  });

  it('rejects truncated bytes (400)', () => {
    const good = body('v1', 'ConfigMap', (w) => {
      meta('c')(w);
      entry(2, 'key', 'value')(w);
    });
    for (const cut of [5, 12, good.length - 3]) {
      const e = decodeError(good.subarray(0, cut));
      expect(e.status).toBe(400);
      expect(e.message).toMatch(/^malformed protobuf (body|envelope)/);
    }
  });

  it('names the field whose wire type is wrong (400)', () => {
    const b = body('v1', 'Namespace', (w) => w.message(1, (m) => m.int(1, 5)));
    expect(decodeError(b)).toMatchObject({
      status: 400,
      message: 'malformed protobuf body: Namespace.metadata.name (field 1) arrived as varint, expected length-delimited',
    });
  });
});

describe('encodeKubernetesProtobuf', () => {
  it('round-trips a pod that uses most of the PodSpec tree', () => {
    const pod = {
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: {
        name: 'full',
        namespace: 'default',
        labels: { app: 'full' },
        annotations: { note: 'x' },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u1', controller: true, blockOwnerDeletion: false }],
        creationTimestamp: '2024-02-29T12:00:00Z',
      },
      spec: {
        volumes: [
          { name: 'cfg', configMap: { name: 'settings', items: [{ key: 'a', path: 'a.txt', mode: 0o644 }], defaultMode: 0o420 } },
          { name: 'tmp', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
          { name: 'proj', projected: { sources: [{ serviceAccountToken: { audience: 'api', expirationSeconds: 600, path: 'token' } }] } },
        ],
        initContainers: [{ name: 'init', image: 'busybox', command: ['sh', '-c', 'true'] }],
        containers: [
          {
            name: 'app',
            image: 'nginx:1.25',
            args: ['--port', '8080'],
            ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
            envFrom: [{ configMapRef: { name: 'settings', optional: true } }],
            env: [
              { name: 'A', value: '1' },
              { name: 'POD', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
              { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
            ],
            resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '128Mi' } },
            volumeMounts: [{ name: 'cfg', mountPath: '/etc/cfg', readOnly: true }],
            livenessProbe: { tcpSocket: { port: 8080 }, initialDelaySeconds: 3 },
            readinessProbe: { exec: { command: ['cat', '/ready'] }, terminationGracePeriodSeconds: 0 },
            lifecycle: { preStop: { sleep: { seconds: 5 } } },
            securityContext: { runAsNonRoot: true, runAsUser: 1000, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: false },
            imagePullPolicy: 'IfNotPresent',
            tty: true,
          },
        ],
        restartPolicy: 'Always',
        terminationGracePeriodSeconds: 0,
        nodeSelector: { disk: 'ssd' },
        serviceAccountName: 'sa',
        securityContext: { fsGroup: 2000, sysctls: [{ name: 'net.core.somaxconn', value: '1024' }] },
        affinity: {
          podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              { weight: 50, podAffinityTerm: { labelSelector: { matchLabels: { app: 'full' } }, topologyKey: 'kubernetes.io/hostname' } },
            ],
          },
        },
        tolerations: [{ key: 'k', operator: 'Equal', value: 'v', effect: 'NoExecute', tolerationSeconds: 60 }],
        topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' }],
        enableServiceLinks: false,
        dnsConfig: { options: [{ name: 'ndots', value: '2' }] },
      },
      status: { phase: 'Running', podIP: '10.0.0.5', startTime: '2024-02-29T12:00:01Z' },
    };
    expect(decodeKubernetesProtobuf(encodeKubernetesProtobuf(pod))).toEqual(pod);
  });

  it('refuses objects with fields the schema does not know', () => {
    expect(() => encodeKubernetesProtobuf({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'c', nickname: 'x' } })).toThrow(
      'ConfigMap.metadata: unknown field "nickname"',
    );
  });
});
