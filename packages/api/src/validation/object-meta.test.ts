import { describe, expect, it } from 'vitest';
import type { FieldCause } from './field-cause.ts';
import { type ObjectMetaInput, type ValidateObjectMetaOptions, validateAnnotationsSize, validateObjectMeta } from './object-meta.ts';

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1035_MSG =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const NAME_PART_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

const pod: ValidateObjectMetaOptions = { namespaced: true, nameRule: 'subdomain' };
const namespace: ValidateObjectMetaOptions = { namespaced: false, nameRule: 'label' };
const service: ValidateObjectMetaOptions = { namespaced: true, nameRule: 'dns1035' };

const invalid = (field: string, message: string): FieldCause => ({ reason: 'FieldValueInvalid', field, message });

describe('validateObjectMeta', () => {
  it.each<[string, ObjectMetaInput | undefined, ValidateObjectMetaOptions, FieldCause[]]>([
    ['valid pod', { name: 'web-1', namespace: 'default', labels: { app: 'web' } }, pod, []],
    ['valid namespace', { name: 'team-a' }, namespace, []],
    ['valid service', { name: 'web', namespace: 'default' }, service, []],
    [
      'missing name',
      { namespace: 'default' },
      pod,
      [{ reason: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' }],
    ],
    [
      'missing metadata',
      undefined,
      pod,
      [
        { reason: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' },
        { reason: 'FieldValueRequired', field: 'metadata.namespace', message: 'Required value' },
      ],
    ],
    ['generateName stands in for a name not yet generated', { generateName: 'web-', namespace: 'default' }, pod, []],
    ['bad generateName', { generateName: 'Web-', namespace: 'default' }, pod, [invalid('metadata.generateName', `Invalid value: "Web-": ${SUBDOMAIN_MSG}`)]],
    [
      'bad generateName and the name generated from it',
      { generateName: 'Web-', name: 'Web-x7k2p', namespace: 'default' },
      pod,
      [invalid('metadata.generateName', `Invalid value: "Web-": ${SUBDOMAIN_MSG}`), invalid('metadata.name', `Invalid value: "Web-x7k2p": ${SUBDOMAIN_MSG}`)],
    ],
    ['subdomain name', { name: 'Foo_bar', namespace: 'default' }, pod, [invalid('metadata.name', `Invalid value: "Foo_bar": ${SUBDOMAIN_MSG}`)]],
    ['namespace with dots', { name: 'a.b' }, namespace, [invalid('metadata.name', 'Invalid value: "a.b": must not contain dots')]],
    ['namespace name', { name: 'Team' }, namespace, [invalid('metadata.name', `Invalid value: "Team": ${LABEL_MSG}`)]],
    ['service name', { name: '1web', namespace: 'default' }, service, [invalid('metadata.name', `Invalid value: "1web": ${DNS1035_MSG}`)]],
    [
      'namespace on a cluster-scoped kind',
      { name: 'n1', namespace: 'default' },
      namespace,
      [{ reason: 'FieldValueForbidden', field: 'metadata.namespace', message: 'Forbidden: not allowed on this type' }],
    ],
    ['bad namespace', { name: 'x', namespace: 'Default' }, pod, [invalid('metadata.namespace', `Invalid value: "Default": ${LABEL_MSG}`)]],
    [
      'negative generation',
      { name: 'x', namespace: 'd', generation: -1 },
      pod,
      [invalid('metadata.generation', 'Invalid value: -1: must be greater than or equal to 0')],
    ],
    [
      'labels: bad key and value, all at metadata.labels',
      { name: 'x', namespace: 'd', labels: { 'app:web': 'ok', good: '-bad' } },
      pod,
      [invalid('metadata.labels', `Invalid value: "app:web": ${NAME_PART_MSG}`), invalid('metadata.labels', `Invalid value: "-bad": ${LABEL_VALUE_MSG}`)],
    ],
    [
      'annotations: keys are checked lower-cased but printed as given',
      { name: 'x', namespace: 'd', annotations: { 'Example.COM/Key': 'any value at all', 'bad key': 'v' } },
      pod,
      [invalid('metadata.annotations', `Invalid value: "bad key": ${NAME_PART_MSG}`)],
    ],
  ])('%s', (_name, meta, opts, want) => {
    expect(validateObjectMeta(meta, opts)).toEqual(want);
  });

  it('limits annotations to 256 KiB of keys plus values', () => {
    const fits = { a: 'x'.repeat(256 * 1024 - 1) };
    const over = { a: 'x'.repeat(256 * 1024) };
    expect(validateObjectMeta({ name: 'x', namespace: 'd', annotations: fits }, pod)).toEqual([]);
    expect(validateObjectMeta({ name: 'x', namespace: 'd', annotations: over }, pod)).toEqual([
      { reason: 'FieldValueTooLong', field: 'metadata.annotations', message: 'Too long: must have at most 262144 bytes' },
    ]);
    expect(validateAnnotationsSize(over)).toBe('annotations size 262145 is larger than limit 262144');
  });

  it('accepts a custom name rule and path', () => {
    const noDots = (name: string) => (name.includes('.') ? ['may not contain dots'] : []);
    expect(validateObjectMeta({ name: 'a.b' }, { namespaced: false, nameRule: noDots, path: 'spec.template.metadata' })).toEqual([
      invalid('spec.template.metadata.name', 'Invalid value: "a.b": may not contain dots'),
    ]);
  });
});
