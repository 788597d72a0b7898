/**
 * Which field labels each kind supports in `?fieldSelector=`, and the field values of
 * an object to match them against: upstream's per-kind field label conversion
 * functions (pkg/apis/<group>/<version>/conversion.go) and GetAttrs / ToSelectableFields
 * (pkg/registry/...). A kind that declares nothing supports metadata.name and
 * metadata.namespace only, with upstream's default error text.
 */
import { goQuote } from '../validation/internal/go-format.ts';
import { SelectorError } from './errors.ts';
import { type FieldSelector, type Fields, parseAndTransformFieldSelector } from './fields.ts';

/** Reads one field's value from an object (as the JSON the API serves). */
export type FieldGetter = (obj: unknown) => string;

export interface FieldLabelDefinition {
  /** Every selectable field label and how to read it. */
  readonly fields: Readonly<Record<string, FieldGetter>>;
  /** Legacy labels accepted and rewritten, e.g. Pods' `spec.host` to `spec.nodeName`. */
  readonly aliases?: Readonly<Record<string, string>>;
  /** The error text for a field label the kind does not support. */
  readonly unsupported: (label: string) => string;
}

/** Walks plain JSON: `at(obj, 'spec', 'nodeName')`. */
function at(obj: unknown, ...path: string[]): unknown {
  let cur = obj;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

/** A string field ('' when missing, like Go's zero value). */
export const stringField =
  (...path: string[]): FieldGetter =>
  (obj) => {
    const v = at(obj, ...path);
    return typeof v === 'string' ? v : '';
  };

/** A boolean field printed as Go does: "true" / "false" (missing is false). */
export const boolField =
  (...path: string[]): FieldGetter =>
  (obj) =>
    String(at(obj, ...path) === true);

/** An integer field printed in decimal (missing is 0). */
export const intField =
  (...path: string[]): FieldGetter =>
  (obj) => {
    const v = at(obj, ...path);
    return typeof v === 'number' && Number.isFinite(v) ? String(Math.trunc(v)) : '0';
  };

const NAME = { 'metadata.name': stringField('metadata', 'name') };
const NAMESPACE = { 'metadata.namespace': stringField('metadata', 'namespace') };

/** fmt.Errorf("field label not supported: %s", label): the text of the core/v1 kinds. */
export const fieldLabelNotSupported = (label: string): string => `field label not supported: ${label}`;

/** runtime.DefaultMetaV1FieldSelectorConversion's text. */
export const notAKnownFieldSelector = (label: string): string => `${goQuote(label)} is not a known field selector: only "metadata.name", "metadata.namespace"`;

/** What a kind without its own field labels supports (every apps/v1 kind, ConfigMaps, ...). */
export const DEFAULT_FIELD_LABELS: FieldLabelDefinition = {
  fields: { ...NAME, ...NAMESPACE },
  unsupported: notAKnownFieldSelector,
};

// status.podIP: the v1 -> internal conversion keeps status.podIP when set, else podIPs[0].
const podIP: FieldGetter = (obj) => {
  const ip = stringField('status', 'podIP')(obj);
  if (ip.length > 0) return ip;
  const ips = at(obj, 'status', 'podIPs');
  return Array.isArray(ips) && ips.length > 0 ? stringField('ip')(ips[0]) : '';
};

// Events: source is source.component, or reportingComponent when that is empty.
const eventSource: FieldGetter = (obj) => stringField('source', 'component')(obj) || stringField('reportingComponent')(obj);

const key = (group: string, kind: string) => `${group}/${kind}`;

const registry = new Map<string, FieldLabelDefinition>([
  [
    key('', 'Pod'),
    {
      fields: {
        ...NAME,
        ...NAMESPACE,
        'spec.nodeName': stringField('spec', 'nodeName'),
        'spec.restartPolicy': stringField('spec', 'restartPolicy'),
        'spec.schedulerName': stringField('spec', 'schedulerName'),
        'spec.serviceAccountName': stringField('spec', 'serviceAccountName'),
        'spec.hostNetwork': boolField('spec', 'hostNetwork'),
        'status.phase': stringField('status', 'phase'),
        'status.podIP': podIP,
        'status.nominatedNodeName': stringField('status', 'nominatedNodeName'),
      },
      aliases: { 'spec.host': 'spec.nodeName' },
      unsupported: fieldLabelNotSupported,
    },
  ],
  [
    // Cluster-scoped, and upstream does not accept metadata.namespace here.
    key('', 'Node'),
    { fields: { ...NAME, 'spec.unschedulable': boolField('spec', 'unschedulable') }, unsupported: fieldLabelNotSupported },
  ],
  [key('', 'Namespace'), { fields: { ...NAME, 'status.phase': stringField('status', 'phase') }, unsupported: fieldLabelNotSupported }],
  [
    key('', 'ReplicationController'),
    {
      fields: { ...NAME, ...NAMESPACE, 'status.replicas': intField('status', 'replicas') },
      unsupported: fieldLabelNotSupported,
    },
  ],
  [
    key('', 'Event'),
    {
      fields: {
        ...NAME,
        ...NAMESPACE,
        'involvedObject.kind': stringField('involvedObject', 'kind'),
        'involvedObject.namespace': stringField('involvedObject', 'namespace'),
        'involvedObject.name': stringField('involvedObject', 'name'),
        'involvedObject.uid': stringField('involvedObject', 'uid'),
        'involvedObject.apiVersion': stringField('involvedObject', 'apiVersion'),
        'involvedObject.resourceVersion': stringField('involvedObject', 'resourceVersion'),
        'involvedObject.fieldPath': stringField('involvedObject', 'fieldPath'),
        reason: stringField('reason'),
        reportingComponent: stringField('reportingComponent'),
        source: eventSource,
        type: stringField('type'),
      },
      unsupported: fieldLabelNotSupported,
    },
  ],
  [key('', 'Secret'), { fields: { ...NAME, ...NAMESPACE, type: stringField('type') }, unsupported: fieldLabelNotSupported }],
  [
    key('', 'Service'),
    {
      fields: {
        ...NAME,
        ...NAMESPACE,
        'spec.clusterIP': stringField('spec', 'clusterIP'),
        'spec.type': stringField('spec', 'type'),
      },
      unsupported: fieldLabelNotSupported,
    },
  ],
  [
    key('batch', 'Job'),
    {
      fields: { ...NAME, ...NAMESPACE, 'status.successful': intField('status', 'succeeded') },
      unsupported: (label) => `field label ${goQuote(label)} not supported for batchv1.Job`,
    },
  ],
  [
    key('certificates.k8s.io', 'CertificateSigningRequest'),
    { fields: { ...NAME, 'spec.signerName': stringField('spec', 'signerName') }, unsupported: fieldLabelNotSupported },
  ],
]);

/** The field labels of one kind: checking selector terms and reading an object's field values. */
export class KindFieldLabels {
  constructor(private readonly def: FieldLabelDefinition) {}

  /** The field labels a selector may name (aliases not included). */
  get fieldLabels(): readonly string[] {
    return Object.keys(this.def.fields);
  }

  /**
   * Upstream's ConvertFieldLabel: the label as stored (aliases rewritten) and the value;
   * throws SelectorError with the kind's upstream text for an unsupported label.
   */
  convertFieldLabel(label: string, value: string): [string, string] {
    const target = Object.hasOwn(this.def.aliases ?? {}, label) ? this.def.aliases![label]! : label;
    if (Object.hasOwn(this.def.fields, target)) return [target, value];
    throw new SelectorError(this.def.unsupported(label));
  }

  /** Parses `?fieldSelector=` for this kind: syntax first, then every field label. */
  parseSelector(selector: string): FieldSelector {
    return parseAndTransformFieldSelector(selector, (f, v) => this.convertFieldLabel(f, v));
  }

  /** Checks an already parsed selector against this kind (as the API server's Transform). */
  convertSelector(selector: FieldSelector): FieldSelector {
    return selector.transform((f, v) => this.convertFieldLabel(f, v));
  }

  /** The object's selectable field values. */
  fieldsOf(obj: unknown): Fields {
    const out: Record<string, string> = {};
    for (const [label, getter] of Object.entries(this.def.fields)) out[label] = getter(obj);
    return out;
  }

  matches(selector: FieldSelector, obj: unknown): boolean {
    return selector.isEmpty() || selector.matches(this.fieldsOf(obj));
  }
}

/** Declares (or replaces) a kind's field labels; `group` is '' for the core group. */
export function registerFieldLabels(group: string, kind: string, def: FieldLabelDefinition): void {
  registry.set(key(group, kind), def);
}

/** The field labels of a kind (the default set when the kind declares none). Group '' is core. */
export function fieldLabelsFor(group: string, kind: string): KindFieldLabels {
  return new KindFieldLabels(registry.get(key(group, kind)) ?? DEFAULT_FIELD_LABELS);
}

/** Parses a `?fieldSelector=` for a kind; throws SelectorError with upstream's text. */
export function parseFieldSelectorFor(group: string, kind: string, selector: string): FieldSelector {
  return fieldLabelsFor(group, kind).parseSelector(selector);
}
