/**
 * Bodies of the wrong shape get upstream's 4xx, never a 500: types are checked before the
 * rules that read them, and bodies nested too deep are refused before anything recurses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_NESTING_DEPTH } from './depth.ts';
import { type InjectServer, startInjectServer } from './internal/inject-server.ts';

const CMS = '/api/v1/namespaces/default/configmaps';
const nested = (depth: number, leaf = '1') => `${'{"a":'.repeat(depth)}${leaf}${'}'.repeat(depth)}`;
const nestedArrays = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('request bodies of the wrong type or depth', () => {
  let s: InjectServer;
  beforeAll(async () => {
    s = await startInjectServer();
    await s.call('POST', CMS, { metadata: { name: 'base' } });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('answers a non-string metadata.name with the schema type error (422), not a 500', async () => {
    const res = await s.call('POST', CMS, { metadata: { name: 5 } });
    expect(res.status).toBe(422);
    expect(res.json).toMatchObject({ reason: 'Invalid', code: 422 });
    expect((res.json.details as { causes: unknown[] }).causes).toEqual([
      {
        reason: 'FieldValueTypeInvalid',
        field: 'metadata.name',
        message: 'Invalid value: "integer": metadata.name in body must be of type string: "integer"',
      },
    ]);
  });

  it('answers a non-string label value or generateName with 422', async () => {
    const label = await s.call('POST', CMS, { metadata: { name: 'l', labels: { app: 5 } } });
    expect(label.status).toBe(422);
    expect(label.json.message).toContain('metadata.labels.app in body must be of type string: "integer"');
    const gen = await s.call('POST', CMS, { metadata: { generateName: { x: 1 } } });
    expect(gen.status).toBe(422);
    expect(gen.json.message).toContain('metadata.generateName in body must be of type string: "object"');
    const list = await s.call('GET', CMS);
    expect((list.json.items as { metadata: { name: string } }[]).map((i) => i.metadata.name)).toEqual(['base']);
  });

  it('refuses bodies and patches nested deeper than the limit with a 400', async () => {
    const deep = 100_000;
    const msg = { kind: 'Status', status: 'Failure', reason: 'BadRequest', code: 400 };
    const create = await s.call('POST', CMS, `{"metadata":{"name":"d"},"data":${nestedArrays(deep)}}`);
    expect(create).toMatchObject({ status: 400, json: { ...msg, message: "error decoding JSON: invalid character '[' exceeded max depth" } });
    for (const [type, body] of [
      ['application/merge-patch+json', `{"metadata":{"annotations":${nested(deep)}}}`],
      ['application/strategic-merge-patch+json', `{"data":${nested(deep)}}`],
      ['application/json-patch+json', `[{"op":"add","path":"/x","value":${nestedArrays(deep)}}]`],
    ] as const) {
      const res = await s.call('PATCH', `${CMS}/base`, body, type);
      expect(res, type).toMatchObject({ status: 400, json: msg });
      expect(res.json.message, type).toMatch(/exceeded max depth$/);
    }
    // The YAML parser gives up first (a 400 of its own); either way no 500.
    const yaml = await s.call('PATCH', `${CMS}/base?fieldManager=t`, `{"data": ${nested(MAX_NESTING_DEPTH + 1)}}`, 'application/apply-patch+yaml');
    expect(yaml).toMatchObject({ status: 400, json: msg });
    expect(yaml.json.message).toMatch(/^error decoding YAML: /);
  });

  it('takes a patch just under the limit (it is schema-checked, not a 500)', async () => {
    const res = await s.call('PATCH', `${CMS}/base`, `{"x":${nested(MAX_NESTING_DEPTH - 2)}}`, 'application/strategic-merge-patch+json');
    expect(res.status).toBe(200);
  });
});
