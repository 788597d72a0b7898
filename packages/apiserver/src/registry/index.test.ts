/** The strategy table: every served kind finds its strategy, and unknown kinds get the defaults. */
import { applyDefaults, type KubeObject, RESOURCES, type ResourceInfo } from '@minik8s/api';
import { describe, expect, it } from 'vitest';
import { strategyFor } from './index.ts';
import { DEFAULT_COLUMNS } from './printers.ts';

const blank = (r: ResourceInfo) => ({ apiVersion: r.version, kind: r.kind, metadata: { name: 'x' } }) as KubeObject;

describe('strategyFor', () => {
  it.each(RESOURCES.map((r) => [`${r.group || 'core'}/${r.kind}`, r] as const))('%s defaults as @minik8s/api does', (_name, r) => {
    const s = strategyFor(r);
    expect([s.group, s.kind]).toEqual([r.group, r.kind]);
    const viaStrategy = blank(r);
    s.defaults(viaStrategy);
    const viaApi = blank(r);
    applyDefaults(r.group, r.kind, viaApi);
    expect(viaStrategy).toEqual(viaApi);
  });

  it('gives a kind without a strategy the defaults: generic columns, an empty status on create when it has /status', () => {
    const widget = { group: 'example.com', kind: 'Widget', subresources: [{ name: 'status' }] } as ResourceInfo;
    const s = strategyFor(widget);
    expect(s.columns).toBe(DEFAULT_COLUMNS);
    expect(strategyFor(widget)).toBe(s);
    const obj = { ...blank(widget), status: { made: 'up' } } as KubeObject;
    s.prepareForCreate(widget, obj);
    expect(obj.status).toEqual({});
    const next = { ...obj, status: { changed: true } } as KubeObject;
    s.prepareForUpdate(widget, next, obj);
    expect(next.status).toEqual({});
    expect(s.fieldLabels.fieldLabels).toEqual(['metadata.name', 'metadata.namespace']);
  });
});
