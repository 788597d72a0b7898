/**
 * A kind's strategy, as upstream's `pkg/registry/<group>/<kind>/strategy.go`: what one
 * kind adds to the generic REST verbs (rest/resources.ts). The generic code calls these
 * hooks and never names a kind; a kind with nothing special gets `defineStrategy`'s
 * defaults.
 *
 * The defaulting functions (upstream's SetDefaults_*) and field-label definitions the
 * strategies use live in @minik8s/api, shared with clients.
 */
import type { KubeObject, ResourceInfo, StatusCause } from '@minik8s/api';
import { fieldLabelsFor, type KindFieldLabels } from '@minik8s/api/selectors';
import type { NameRule } from '@minik8s/api/validation';
import type { WatchCache } from '../storage/watch-cache.ts';
import type { DefaultTolerationSeconds } from './core/default-toleration-seconds.ts';
import { type Column, DEFAULT_COLUMNS } from './printers.ts';

/** What a strategy's admission may read: the server's watch cache. */
export interface StrategyContext {
  cache: WatchCache;
  /** The server's admission settings (kube-apiserver flags). */
  admission: AdmissionConfig;
}

/** What admission plugins are configured with (kube-apiserver flags). */
export interface AdmissionConfig {
  /** DefaultTolerationSeconds: `--default-not-ready-toleration-seconds`, `--default-unreachable-toleration-seconds` (300 each). */
  defaultTolerationSeconds?: DefaultTolerationSeconds;
}

export interface Strategy {
  readonly group: string;
  readonly kind: string;
  /** The metadata.name rule (upstream's ValidateObjectMeta name function). */
  readonly nameRule: NameRule;
  /** Server-side printing: the Table columns (upstream's printers.go). */
  readonly columns: readonly Column[];
  /** `?fieldSelector=` labels and how to read them (GetAttrs / ToSelectableFields). */
  readonly fieldLabels: KindFieldLabels;
  /** Creates run one at a time (admission allocates from what other objects hold). */
  readonly serializeCreates: boolean;
  /** Upstream's SetDefaults_*: what the server fills in when a client leaves it out (every write). */
  defaults(obj: KubeObject): void;
  /** PrepareForCreate: what the server sets on a new object (its initial status). */
  prepareForCreate(r: ResourceInfo, obj: KubeObject): void;
  /** PrepareForUpdate of the main resource: puts back what a client may not change there. */
  prepareForUpdate(r: ResourceInfo, obj: KubeObject, old: KubeObject): void;
  /** PrepareForUpdate of the status subresource: the stored object with the new status. */
  prepareForStatusUpdate(r: ResourceInfo, obj: KubeObject, old: KubeObject): KubeObject;
  /** Validate (no `old`) / ValidateUpdate (the stored object as `old`) beyond the schema, for writes of the main resource. */
  validate(obj: KubeObject, old?: KubeObject): StatusCause[];
  /** ValidateUpdate's own checks against the stored object (immutable fields); both defaulted. */
  validateUpdate(obj: KubeObject, old: KubeObject): StatusCause[];
  /** ValidateUpdate of the status subresource beyond the schema (the stored object with the new status, and the old one). */
  validateStatusUpdate(obj: KubeObject, old: KubeObject): StatusCause[];
  /** Admission that allocates or reads other objects (defaults already applied). */
  admit(obj: KubeObject, old: KubeObject | undefined, ctx: StrategyContext): void;
  /** CheckGracefulDelete: seconds the object gets before it goes (0: at once). */
  gracePeriodSeconds(obj: KubeObject, requested: number | undefined): number;
  /**
   * For kinds whose DELETE only starts a deletion someone else finishes (Namespaces):
   * the object to store instead, or `obj` itself when nothing is to change.
   */
  markDeleted?(obj: KubeObject, now: Date): KubeObject;
}

export const hasStatusSubresource = (r: ResourceInfo) => r.subresources.some((s) => s.name === 'status');

/**
 * A strategy from what a kind changes; the rest is upstream's common behaviour: kinds
 * with a status subresource start with an empty status that only /status writes, and
 * /status writes change nothing else.
 */
export function defineStrategy(group: string, kind: string, own: Partial<Omit<Strategy, 'group' | 'kind'>> = {}): Strategy {
  return {
    group,
    kind,
    nameRule: 'subdomain',
    columns: DEFAULT_COLUMNS,
    fieldLabels: fieldLabelsFor(group, kind),
    serializeCreates: false,
    defaults: () => {},
    prepareForCreate: (r, obj) => {
      if (hasStatusSubresource(r)) obj.status = {};
    },
    prepareForUpdate: (r, obj, old) => {
      if (!hasStatusSubresource(r)) return;
      if (old.status === undefined) delete obj.status;
      else obj.status = old.status;
    },
    prepareForStatusUpdate: (_r, obj, old) => {
      const next: KubeObject = { ...old };
      if (obj.status === undefined) delete next.status;
      else next.status = obj.status;
      return next;
    },
    validate: () => [],
    validateUpdate: () => [],
    validateStatusUpdate: () => [],
    admit: () => {},
    gracePeriodSeconds: () => 0,
    ...own,
  };
}

/**
 * The kind keeps the status its creator sent (Nodes register with theirs). Upstream resets
 * PersistentVolume and claim statuses; minik8s has always kept them.
 */
export const keepStatusOnCreate: Pick<Strategy, 'prepareForCreate'> = { prepareForCreate: () => {} };
