import { describe, expect, it } from 'vitest';
import { threeWayMergePatch } from '../internal/three-way.ts';
import { humanDuration } from './age.ts';
import { compileJsonPath } from './jsonpath.ts';
import { toYamlText } from './output.ts';
import { alignColumns } from './tabwriter.ts';

describe('jsonpath templates', () => {
  const list = {
    kind: 'List',
    items: [
      { metadata: { name: 'a', labels: { 'app.kubernetes.io/name': 'x' } }, spec: { ports: [{ port: 80 }, { port: 443 }] } },
      { metadata: { name: 'b' }, spec: { ports: [] } },
    ],
  };
  it('prints fields, wildcards, ranges, literals and filters like kubectl', () => {
    expect(compileJsonPath('{.kind}')(list)).toBe('List');
    expect(compileJsonPath('{.items[*].metadata.name}')(list)).toBe('a b');
    expect(compileJsonPath('{range .items[*]}{.metadata.name}{"\\n"}{end}')(list)).toBe('a\nb\n');
    expect(compileJsonPath('{.items[0].spec.ports[*].port}')(list)).toBe('80 443');
    expect(compileJsonPath('{.items[-1].metadata.name}')(list)).toBe('b');
    expect(compileJsonPath("{.items[?(@.metadata.name=='b')].metadata.name}")(list)).toBe('b');
    expect(compileJsonPath('{.items[0].metadata.labels.app\\.kubernetes\\.io/name}')(list)).toBe('x');
    expect(compileJsonPath("{.items[0].metadata.labels['app.kubernetes.io/name']}")(list)).toBe('x');
    expect(compileJsonPath('{..port}')(list)).toBe('80 443');
    expect(compileJsonPath('{.items[0].spec}')(list)).toBe('{"ports":[{"port":80},{"port":443}]}');
    expect(compileJsonPath('{.missing}x')(list)).toBe('x');
  });
});

describe('column alignment', () => {
  it('pads every cell but the last by three, to at least six', () => {
    expect(
      alignColumns([
        ['NAME', 'AGE'],
        ['a', '5s'],
      ]),
    ).toBe('NAME   AGE\na      5s\n');
    expect(alignColumns([['A', 'B', 'C'], [], ['LONGER', 'x', 'y']])).toBe('A     B     C\n\nLONGER   x     y\n');
  });
  it('formats ages as kubectl', () => {
    expect(humanDuration(5_000)).toBe('5s');
    expect(humanDuration(150_000)).toBe('2m30s');
    expect(humanDuration(3 * 3600_000)).toBe('3h');
    expect(humanDuration(50 * 3600_000)).toBe('2d2h');
  });
});

describe('three-way strategic merge patch', () => {
  const base = {
    metadata: { name: 'web', labels: { app: 'web', old: 'x' } },
    spec: {
      replicas: 2,
      template: {
        spec: {
          containers: [
            {
              name: 'web',
              image: 'nginx:1',
              env: [
                { name: 'A', value: '1' },
                { name: 'B', value: '2' },
              ],
            },
            { name: 'side', image: 'busybox' },
          ],
        },
      },
    },
  };
  it('is empty when nothing changed', () => {
    expect(threeWayMergePatch(base, base, structuredClone(base))).toEqual({});
  });
  it('changes fields, deletes dropped keys and list elements by merge key', () => {
    const modified = structuredClone(base) as typeof base;
    modified.spec.replicas = 3;
    delete (modified.metadata.labels as Record<string, string>).old;
    modified.spec.template.spec.containers = [{ name: 'web', image: 'nginx:2', env: [{ name: 'A', value: '1' }] }];
    const live = { ...structuredClone(base), status: { replicas: 2 } };
    expect(threeWayMergePatch(base, modified, live)).toEqual({
      metadata: { labels: { old: null } },
      spec: {
        replicas: 3,
        template: {
          spec: {
            containers: [
              { name: 'side', $patch: 'delete' },
              { name: 'web', image: 'nginx:2', env: [{ name: 'B', $patch: 'delete' }], '$setElementOrder/env': [{ name: 'A' }] },
            ],
            '$setElementOrder/containers': [{ name: 'web' }],
          },
        },
      },
    });
  });
  it('leaves fields that only the live object has (defaults, other writers) alone', () => {
    const live = structuredClone(base) as Record<string, unknown> & typeof base;
    (live.spec as Record<string, unknown>).strategy = { type: 'RollingUpdate' };
    expect(threeWayMergePatch(base, base, live)).toEqual({});
  });
});

describe('YAML output', () => {
  it('quotes as go-yaml: double quotes for what would read as another type, single quotes for what only cannot be plain', () => {
    expect(toYamlText({ a: '8', b: 'y', c: '2026-12-02T10:00:00Z', d: '', e: '*/5 * * * *', f: '{"x":1}', g: 'plain', h: 'two\nlines\n' })).toBe(
      `a: "8"\nb: "y"\nc: "2026-12-02T10:00:00Z"\nd: ""\ne: '*/5 * * * *'\nf: '{"x":1}'\ng: plain\nh: |\n  two\n  lines\n`,
    );
  });
});
