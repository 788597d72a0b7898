import { describe, expect, it } from 'vitest';
import { OpenApi } from './index.ts';

const api = new OpenApi([]);
const DEPLOYMENT = { group: 'apps', version: 'v1', kind: 'Deployment' };
const SERVICE = { group: '', version: 'v1', kind: 'Service' };
const POD = { group: '', version: 'v1', kind: 'Pod' };
const opts = { unknownFields: 'Strict' } as const;

const deployment = (replicas: unknown) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: {
    replicas,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'i' }] } },
  },
});

describe('integers against their OpenAPI format', () => {
  it('refuses an int32 outside its range, and Infinity (JSON 1e400)', () => {
    expect(api.validate(DEPLOYMENT, deployment(JSON.parse('18446744073709551616')), opts).causes).toEqual([
      {
        reason: 'FieldValueTypeInvalid',
        field: 'spec.replicas',
        message: 'Invalid value: "18446744073709552000": spec.replicas in body must be of type int32: "18446744073709552000"',
      },
    ]);
    expect(api.validate(DEPLOYMENT, deployment(2 ** 31), opts).causes.map((c) => c.field)).toEqual(['spec.replicas']);
    expect(api.validate(DEPLOYMENT, deployment(Number.POSITIVE_INFINITY), opts).causes).toEqual([
      {
        reason: 'FieldValueTypeInvalid',
        field: 'spec.replicas',
        message: 'Invalid value: "number": spec.replicas in body must be of type integer: "number"',
      },
    ]);
  });

  it('takes the ends of the int32 range', () => {
    expect(api.validate(DEPLOYMENT, deployment(2 ** 31 - 1), opts).causes).toEqual([]);
    expect(api.validate(DEPLOYMENT, deployment(-(2 ** 31)), opts).causes).toEqual([]);
  });

  it('checks int32 fields in lists (Service ports) and int64 fields', () => {
    const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: Number.POSITIVE_INFINITY }] } };
    expect(api.validate(SERVICE, svc, opts).causes.map((c) => c.field)).toEqual(['spec.ports[0].port']);
    const pod = (grace: number) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { terminationGracePeriodSeconds: grace, containers: [{ name: 'c', image: 'i' }] },
    });
    expect(api.validate(POD, pod(2 ** 40), opts).causes).toEqual([]);
    expect(api.validate(POD, pod(Number('9223372036854775807')), opts).causes).toEqual([]);
    expect(api.validate(POD, pod(2 ** 64), opts).causes.map((c) => c.message)).toEqual([
      expect.stringContaining('spec.terminationGracePeriodSeconds in body must be of type int64'),
    ]);
  });
});
