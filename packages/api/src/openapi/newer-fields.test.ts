/**
 * The schemas are Kubernetes 1.32's: fields added in 1.28–1.32 validate (with their types),
 * are documented, carry their list semantics, and fields 1.32 dropped are unknown.
 */
import { describe, expect, it } from 'vitest';
import { OpenApi } from './index.ts';

const api = new OpenApi([
  { group: '', version: 'v1', kind: 'Pod', plural: 'pods', namespaced: true },
  { group: 'batch', version: 'v1', kind: 'Job', plural: 'jobs', namespaced: true },
]);
const POD = { group: '', version: 'v1', kind: 'Pod' };
const JOB = { group: 'batch', version: 'v1', kind: 'Job' };
const NETWORK_POLICY = { group: 'networking.k8s.io', version: 'v1', kind: 'NetworkPolicy' };
const STRICT = { unknownFields: 'Strict' } as const;
const CLEAN = { causes: [], warnings: [], unknownFields: [] };

const sidecarPod = (sidecar: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p' },
  spec: {
    initContainers: [{ name: 'proxy', image: 'busybox', restartPolicy: 'Always', ...sidecar }],
    containers: [{ name: 'app', image: 'busybox', lifecycle: { preStop: { sleep: { seconds: 5 } } } }],
    securityContext: { appArmorProfile: { type: 'RuntimeDefault' }, supplementalGroupsPolicy: 'Merge' },
  },
});

const job = (spec: Record<string, unknown>) => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name: 'j' },
  spec: {
    template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } },
    ...spec,
  },
});

describe('Kubernetes 1.32 fields', () => {
  it('accepts a native sidecar (an init container with restartPolicy), sleep hooks and AppArmor profiles', () => {
    expect(api.validate(POD, sidecarPod(), STRICT)).toEqual(CLEAN);
  });

  it('accepts the Job fields of 1.28–1.32 and checks their types', () => {
    const spec = {
      completionMode: 'Indexed',
      completions: 3,
      backoffLimitPerIndex: 1,
      maxFailedIndexes: 1,
      podReplacementPolicy: 'Failed',
      successPolicy: { rules: [{ succeededIndexes: '0-1', succeededCount: 1 }] },
      managedBy: 'example.com/queue',
    };
    expect(api.validate(JOB, job(spec), STRICT)).toEqual(CLEAN);
    const status = { ...job({}), status: { terminating: 0, failedIndexes: '1' } };
    expect(api.validate(JOB, status, STRICT)).toEqual(CLEAN);
    expect(api.validate(JOB, job({ successPolicy: { rules: [{ succeededCount: 'one' }] } }), STRICT).causes).toEqual([
      {
        reason: 'FieldValueTypeInvalid',
        field: 'spec.successPolicy.rules[0].succeededCount',
        message: 'Invalid value: "string": spec.successPolicy.rules[0].succeededCount in body must be of type integer: "string"',
      },
    ]);
  });

  it('still refuses unknown fields, in new definitions too', () => {
    expect(api.validate(POD, sidecarPod({ restartPolicyy: 'Always' }), STRICT).unknownFields).toEqual(['spec.initContainers[0].restartPolicyy']);
    expect(api.validate(JOB, job({ successPolicy: { rules: [{ bogus: 1 }] } }), STRICT).unknownFields).toEqual(['spec.successPolicy.rules[0].bogus']);
  });

  it('drops what 1.32 no longer has (NetworkPolicy status, removed in 1.28)', () => {
    const np = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'n' }, spec: {}, status: {} };
    expect(api.validate(NETWORK_POLICY, np, STRICT).unknownFields).toEqual(['status']);
  });

  it('gives new lists their merge keys and list types', () => {
    expect(api.patchMeta(POD, ['status', 'resourceClaimStatuses'])).toEqual({
      mergeKey: 'name',
      strategy: ['merge', 'retainKeys'],
      listType: 'map',
      listMapKeys: ['name'],
    });
    expect(api.patchMeta(POD, ['status', 'hostIPs'])).toEqual({ mergeKey: 'ip', strategy: ['merge'], listType: 'atomic' });
    expect(api.patchMeta(POD, ['status', 'containerStatuses', 'volumeMounts'])).toEqual({ mergeKey: 'mountPath', strategy: ['merge'], listType: 'atomic' });
  });

  it('documents new fields and new definitions in the OpenAPI v3 documents', () => {
    const core = JSON.parse(api.v3Document('api/v1')!.body.toString()).components.schemas;
    expect(core['io.k8s.api.core.v1.Container'].properties.restartPolicy).toMatchObject({
      type: 'string',
      description: expect.stringContaining('"sidecar" container'),
    });
    expect(core['io.k8s.api.core.v1.SleepAction']).toMatchObject({ required: ['seconds'], properties: { seconds: { type: 'integer', format: 'int64' } } });
    const batch = JSON.parse(api.v3Document('apis/batch/v1')!.body.toString()).components.schemas;
    expect(batch['io.k8s.api.batch.v1.JobSpec'].properties.podReplacementPolicy.description).toMatch(
      /^podReplacementPolicy specifies when to create replacement Pods/,
    );
    expect(batch['io.k8s.api.batch.v1.SuccessPolicyRule'].properties.succeededIndexes.type).toBe('string');
  });
});

describe('a field whose type changed since 1.27', () => {
  it('takes the 1.32 type: a PersistentVolumeClaim requests storage, Quantities as strings or numbers, and no claims', () => {
    const PVC = { group: '', version: 'v1', kind: 'PersistentVolumeClaim' };
    const pvc = (resources: Record<string, unknown>) => ({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data' },
      spec: { accessModes: ['ReadWriteOnce'], resources },
    });
    expect(api.validate(PVC, pvc({ requests: { storage: '1Gi' }, limits: { storage: 2 } }), STRICT)).toEqual(CLEAN);
    expect(api.validate(PVC, pvc({ requests: { storage: '1Gi' }, claims: [{ name: 'gpu' }] }), STRICT).unknownFields).toEqual(['spec.resources.claims']);
  });
});
