import { describe, expect, it } from 'vitest';
import { SelectorError } from './errors.ts';
import { DEFAULT_FIELD_LABELS, fieldLabelsFor, parseFieldSelectorFor, registerFieldLabels, stringField } from './field-labels.ts';
import { parseFieldSelector } from './fields.ts';

describe('supported field labels per kind', () => {
  it.each<[string, string, string[]]>([
    [
      '',
      'Pod',
      [
        'metadata.name',
        'metadata.namespace',
        'spec.nodeName',
        'spec.restartPolicy',
        'spec.schedulerName',
        'spec.serviceAccountName',
        'spec.hostNetwork',
        'status.phase',
        'status.podIP',
        'status.nominatedNodeName',
      ],
    ],
    [
      '',
      'Event',
      [
        'metadata.name',
        'metadata.namespace',
        'involvedObject.kind',
        'involvedObject.namespace',
        'involvedObject.name',
        'involvedObject.uid',
        'involvedObject.apiVersion',
        'involvedObject.resourceVersion',
        'involvedObject.fieldPath',
        'reason',
        'reportingComponent',
        'source',
        'type',
      ],
    ],
    ['', 'Secret', ['metadata.name', 'metadata.namespace', 'type']],
    ['', 'Node', ['metadata.name', 'spec.unschedulable']],
    ['', 'Namespace', ['metadata.name', 'status.phase']],
    ['', 'Service', ['metadata.name', 'metadata.namespace', 'spec.clusterIP', 'spec.type']],
    ['', 'ReplicationController', ['metadata.name', 'metadata.namespace', 'status.replicas']],
    ['batch', 'Job', ['metadata.name', 'metadata.namespace', 'status.successful']],
    ['certificates.k8s.io', 'CertificateSigningRequest', ['metadata.name', 'spec.signerName']],
    ['apps', 'ReplicaSet', ['metadata.name', 'metadata.namespace']],
    ['apps', 'Deployment', ['metadata.name', 'metadata.namespace']],
    ['', 'ConfigMap', ['metadata.name', 'metadata.namespace']],
  ])('%s/%s', (group, kind, want) => {
    expect(fieldLabelsFor(group, kind).fieldLabels).toEqual(want);
  });
});

describe('unsupported field labels (upstream texts)', () => {
  it.each<[string, string, string, string]>([
    ['', 'Pod', 'foo=bar', 'field label not supported: foo'],
    ['', 'Pod', 'status.podIPs=10.0.0.1', 'field label not supported: status.podIPs'],
    ['', 'Pod', 'metadata.name = x', 'field label not supported: metadata.name '],
    ['', 'Node', 'metadata.namespace=default', 'field label not supported: metadata.namespace'],
    ['', 'Namespace', 'metadata.namespace=x', 'field label not supported: metadata.namespace'],
    ['', 'Event', 'involvedObject.foo=x', 'field label not supported: involvedObject.foo'],
    ['', 'Secret', 'data=x', 'field label not supported: data'],
    ['batch', 'Job', 'status.failed=1', 'field label "status.failed" not supported for batchv1.Job'],
    ['apps', 'ReplicaSet', 'status.replicas=1', '"status.replicas" is not a known field selector: only "metadata.name", "metadata.namespace"'],
    ['apps', 'Deployment', 'spec.paused=true', '"spec.paused" is not a known field selector: only "metadata.name", "metadata.namespace"'],
  ])('%s/%s %j', (group, kind, selector, want) => {
    expect(() => parseFieldSelectorFor(group, kind, selector)).toThrow(new SelectorError(want));
  });

  it('reports syntax errors before field labels', () => {
    expect(() => parseFieldSelectorFor('', 'Pod', 'foo')).toThrow("invalid selector: 'foo'; can't understand 'foo'");
  });

  it("rewrites pods' legacy spec.host to spec.nodeName", () => {
    expect(parseFieldSelectorFor('', 'Pod', 'spec.host=node-1').toString()).toBe('spec.nodeName=node-1');
  });
});

describe('field values of objects', () => {
  it('pods', () => {
    const pods = fieldLabelsFor('', 'Pod');
    const pod = {
      metadata: { name: 'web-1', namespace: 'default' },
      spec: { nodeName: 'node-1', restartPolicy: 'Always', schedulerName: 'default-scheduler', serviceAccountName: 'default' },
      status: { phase: 'Running', podIPs: [{ ip: '10.244.1.5' }] },
    };
    expect(pods.fieldsOf(pod)).toEqual({
      'metadata.name': 'web-1',
      'metadata.namespace': 'default',
      'spec.nodeName': 'node-1',
      'spec.restartPolicy': 'Always',
      'spec.schedulerName': 'default-scheduler',
      'spec.serviceAccountName': 'default',
      'spec.hostNetwork': 'false',
      'status.phase': 'Running',
      'status.podIP': '10.244.1.5',
      'status.nominatedNodeName': '',
    });
    expect(pods.fieldsOf({ spec: { hostNetwork: true }, status: { podIP: '10.0.0.1' } })).toMatchObject({
      'spec.hostNetwork': 'true',
      'status.podIP': '10.0.0.1',
      'metadata.name': '',
    });
    expect(pods.matches(pods.parseSelector('spec.nodeName=node-1,status.phase!=Failed'), pod)).toBe(true);
    expect(pods.matches(pods.parseSelector('spec.nodeName='), pod)).toBe(false);
    expect(pods.matches(pods.parseSelector('spec.nodeName='), { spec: {} })).toBe(true);
    expect(pods.matches(pods.parseSelector(''), pod)).toBe(true);
  });

  it('events: source falls back to reportingComponent', () => {
    const events = fieldLabelsFor('', 'Event');
    const ev = {
      metadata: { name: 'e1', namespace: 'default' },
      involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'default', uid: 'u1', apiVersion: 'v1', resourceVersion: '7' },
      reason: 'Scheduled',
      type: 'Normal',
      reportingComponent: 'default-scheduler',
    };
    expect(events.fieldsOf(ev)).toMatchObject({
      'involvedObject.kind': 'Pod',
      'involvedObject.name': 'web-1',
      'involvedObject.uid': 'u1',
      'involvedObject.fieldPath': '',
      reason: 'Scheduled',
      source: 'default-scheduler',
      reportingComponent: 'default-scheduler',
      type: 'Normal',
    });
    expect(events.fieldsOf({ ...ev, source: { component: 'kubelet' } }).source).toBe('kubelet');
    expect(events.matches(events.parseSelector('involvedObject.kind=Pod,involvedObject.name=web-1'), ev)).toBe(true);
  });

  it('nodes, namespaces, secrets, services, jobs, replication controllers', () => {
    expect(fieldLabelsFor('', 'Node').fieldsOf({ metadata: { name: 'n1' }, spec: { unschedulable: true } })).toEqual({
      'metadata.name': 'n1',
      'spec.unschedulable': 'true',
    });
    expect(fieldLabelsFor('', 'Node').fieldsOf({ metadata: { name: 'n1' } })['spec.unschedulable']).toBe('false');
    expect(fieldLabelsFor('', 'Namespace').fieldsOf({ metadata: { name: 'a' }, status: { phase: 'Active' } })).toEqual({
      'metadata.name': 'a',
      'status.phase': 'Active',
    });
    expect(fieldLabelsFor('', 'Secret').fieldsOf({ metadata: { name: 's' }, type: 'kubernetes.io/tls' }).type).toBe('kubernetes.io/tls');
    expect(fieldLabelsFor('', 'Service').fieldsOf({ spec: { clusterIP: 'None', type: 'ClusterIP' } })).toMatchObject({
      'spec.clusterIP': 'None',
      'spec.type': 'ClusterIP',
    });
    expect(fieldLabelsFor('batch', 'Job').fieldsOf({ status: { succeeded: 3 } })['status.successful']).toBe('3');
    expect(fieldLabelsFor('batch', 'Job').fieldsOf({})['status.successful']).toBe('0');
    expect(fieldLabelsFor('', 'ReplicationController').fieldsOf({ status: { replicas: 2 } })['status.replicas']).toBe('2');
  });

  it('tolerates non-object input', () => {
    expect(fieldLabelsFor('', 'Pod').fieldsOf(null)['metadata.name']).toBe('');
    expect(fieldLabelsFor('', 'Pod').fieldsOf({ metadata: 'x' })['metadata.name']).toBe('');
  });
});

describe('registering a kind', () => {
  it('adds field labels for a kind (e.g. a CRD with selectableFields)', () => {
    registerFieldLabels('example.com', 'Widget', {
      fields: { ...DEFAULT_FIELD_LABELS.fields, 'spec.color': stringField('spec', 'color') },
      unsupported: DEFAULT_FIELD_LABELS.unsupported,
    });
    const widgets = fieldLabelsFor('example.com', 'Widget');
    expect(widgets.fieldLabels).toEqual(['metadata.name', 'metadata.namespace', 'spec.color']);
    expect(widgets.matches(widgets.parseSelector('spec.color=red'), { spec: { color: 'red' } })).toBe(true);
    expect(() => widgets.parseSelector('spec.size=1')).toThrow('"spec.size" is not a known field selector: only "metadata.name", "metadata.namespace"');
  });

  it('converts an already parsed selector', () => {
    const pods = fieldLabelsFor('', 'Pod');
    expect(pods.convertFieldLabel('spec.host', 'n1')).toEqual(['spec.nodeName', 'n1']);
    expect(() => pods.convertFieldLabel('nope', '')).toThrow(SelectorError);
    expect(pods.convertSelector(parseFieldSelector('spec.host=n1,metadata.name=a')).toString()).toBe('metadata.name=a,spec.nodeName=n1');
    expect(() => pods.convertSelector(parseFieldSelector('x=1'))).toThrow('field label not supported: x');
  });
});
