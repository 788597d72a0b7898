import { describe, expect, it } from 'vitest';
import { FieldSet, fieldSet, fromFieldsV1, pathString, toFieldsV1 } from './index.ts';
import { deployment, listMeta } from './internal/fixtures.ts';

const k = (key: Record<string, unknown>) => `k:${JSON.stringify(key)}`;

describe('fieldSet and FieldsV1', () => {
  const cases: { name: string; obj: Record<string, unknown>; fieldsV1: unknown }[] = [
    {
      name: 'containers keyed by name, owned element marked with "." after its fields',
      obj: deployment({ replicas: 3 }),
      fieldsV1: {
        'f:spec': {
          'f:replicas': {},
          'f:selector': {},
          'f:template': {
            'f:metadata': { 'f:labels': { 'f:app': {} } },
            'f:spec': { 'f:containers': { [k({ name: 'nginx' })]: { 'f:image': {}, 'f:name': {}, '.': {} } } },
          },
        },
      },
    },
    {
      name: 'ports keyed by containerPort+protocol (keys sorted), env by merge key, atomic args',
      obj: deployment({
        containers: [
          {
            name: 'app',
            args: ['-v'],
            env: [{ name: 'A', value: '1' }],
            ports: [{ protocol: 'UDP', containerPort: 53 }],
          },
        ],
      }),
      fieldsV1: {
        'f:spec': {
          'f:selector': {},
          'f:template': {
            'f:metadata': { 'f:labels': { 'f:app': {} } },
            'f:spec': {
              'f:containers': {
                [k({ name: 'app' })]: {
                  'f:args': {},
                  'f:env': { [k({ name: 'A' })]: { 'f:name': {}, 'f:value': {}, '.': {} } },
                  'f:name': {},
                  'f:ports': {
                    [k({ containerPort: 53, protocol: 'UDP' })]: { 'f:containerPort': {}, 'f:protocol': {}, '.': {} },
                  },
                  '.': {},
                },
              },
            },
          },
        },
      },
    },
    {
      name: 'finalizers as a set (v:), labels map, server metadata and status left out',
      obj: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: 'cm',
          namespace: 'default',
          uid: 'u-1',
          resourceVersion: '7',
          creationTimestamp: '2024-01-01T00:00:00Z',
          labels: { tier: 'web', app: 'x' },
          finalizers: ['b.example.com/f', 'a.example.com/f'],
        },
        data: { key: 'value' },
        status: { phase: 'whatever' },
      },
      fieldsV1: {
        'f:data': { 'f:key': {} },
        'f:metadata': {
          'f:finalizers': { 'v:"a.example.com/f"': {}, 'v:"b.example.com/f"': {} },
          'f:labels': { 'f:app': {}, 'f:tier': {} },
        },
      },
    },
    {
      name: 'a port without protocol is keyed with the schema default TCP',
      obj: deployment({ containers: [{ name: 'web', ports: [{ containerPort: 80 }] }] }),
      fieldsV1: {
        'f:spec': {
          'f:selector': {},
          'f:template': {
            'f:metadata': { 'f:labels': { 'f:app': {} } },
            'f:spec': {
              'f:containers': {
                [k({ name: 'web' })]: {
                  'f:name': {},
                  'f:ports': { [k({ containerPort: 80, protocol: 'TCP' })]: { 'f:containerPort': {}, '.': {} } },
                  '.': {},
                },
              },
            },
          },
        },
      },
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const set = fieldSet(c.obj, listMeta);
      const encoded = toFieldsV1(set);
      // Same bytes as upstream writes, key order included.
      expect(JSON.stringify(encoded)).toBe(JSON.stringify(c.fieldsV1));
      const back = fromFieldsV1(encoded);
      expect(back.equals(set)).toBe(true);
      expect(fromFieldsV1(JSON.stringify(encoded)).equals(set)).toBe(true);
    });
  }

  it('re-serializes upstream golden data byte for byte (element order: f, k, v, i)', () => {
    // structured-merge-diff fieldpath/serialize_test.go, TestSerializeV1GoldenData
    const golden =
      '{"f:aaa":{},"f:aab":{},"f:aac":{},"f:aad":{},"f:aae":{},"f:aaf":{},"k:{\\"name\\":\\"first\\"}":{},' +
      '"k:{\\"name\\":\\"second\\"}":{},"k:{\\"port\\":443,\\"protocol\\":\\"tcp\\"}":{},' +
      '"k:{\\"port\\":443,\\"protocol\\":\\"udp\\"}":{},"v:1":{},"v:2":{},"v:3":{},"v:\\"aa\\"":{},' +
      '"v:\\"ab\\"":{},"v:true":{},"i:1":{},"i:2":{},"i:3":{},"i:4":{}}';
    expect(JSON.stringify(toFieldsV1(fromFieldsV1(golden)))).toBe(golden);
  });

  it('normalizes key field order and drops unknown element types when decoding', () => {
    const set = fromFieldsV1({ 'k:{"protocol":"TCP","containerPort":80}': { '.': {}, 'f:name': {} }, 'r:x': {} });
    expect(toFieldsV1(set)).toEqual({ [k({ containerPort: 80, protocol: 'TCP' })]: { 'f:name': {}, '.': {} } });
  });

  it('prints paths as upstream does in conflicts', () => {
    expect(pathString(['f:spec', 'f:replicas'])).toBe('.spec.replicas');
    expect(pathString(['f:spec', 'f:containers', k({ name: 'nginx' }), 'f:image'])).toBe('.spec.containers[name="nginx"].image');
    expect(pathString(['f:ports', k({ protocol: 'TCP', containerPort: 80 })])).toBe('.ports[containerPort=80,protocol="TCP"]');
    expect(pathString(['f:metadata', 'f:finalizers', 'v:"a/b"'])).toBe('.metadata.finalizers[="a/b"]');
    expect(pathString(['f:args', 'i:0'])).toBe('.args[0]');
  });

  it('set operations follow upstream (difference is exact, recursiveDifference by prefix)', () => {
    const a = FieldSet.of(['f:spec', 'f:replicas'], ['f:spec', 'f:template', 'f:x'], ['f:status', 'f:phase']);
    const b = FieldSet.of(['f:spec', 'f:replicas'], ['f:status']);
    expect(a.difference(b).paths()).toEqual([
      ['f:spec', 'f:template', 'f:x'],
      ['f:status', 'f:phase'],
    ]);
    expect(a.recursiveDifference(b).paths()).toEqual([['f:spec', 'f:template', 'f:x']]);
    expect(a.intersection(b).paths()).toEqual([['f:spec', 'f:replicas']]);
    expect(a.union(b).size).toBe(4);
    expect(FieldSet.of(['f:a', 'f:b']).withNamedFieldsAsMembers().paths()).toEqual([['f:a'], ['f:a', 'f:b']]);
  });
});
