/**
 * Per group/version OpenAPI 3.0 documents, shaped like upstream's `/openapi/v3/apis/<g>/<v>`:
 * for each served resource the collection and item paths (and subresources) with their
 * operations, each tagged with `x-kubernetes-action` and `x-kubernetes-group-version-kind`,
 * plus every schema those operations reach in `components.schemas`.
 *
 * What kubectl 1.32 reads from them:
 * - `apply`/`create`/`edit` look for a PATCH operation with the object's GVK and send
 *   `fieldValidation=Strict` only if that operation's own `parameters` list
 *   `fieldValidation` (cli-runtime query_param_verifier_v3.go); so every PATCH lists it inline.
 * - client-side `apply` builds its strategic merge patch from these schemas when the
 *   PATCH `requestBody.content` lists `application/strategic-merge-patch+json`
 *   (kubectl apply/patcher.go); so the request body is inline, never a `$ref`.
 * - `explain` finds the GVK on a get/post/put/patch/delete of the resource's path and
 *   the schema whose `x-kubernetes-group-version-kind` contains it.
 */
import { type Definitions, isSchema } from './definitions.ts';
import { fieldDescription } from './internal/field-docs.ts';
import type { SpecParameter } from './spec-source.ts';
import type { GroupVersionKind, OpenApiResource, OpenApiSubresource, Schema } from './types.ts';

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const STATUS = `${META}.Status`;
const DELETE_OPTIONS = `${META}.DeleteOptions`;
const PATCH = `${META}.Patch`;

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

const LIST_PARAMS = [
  'allowWatchBookmarks',
  'continue',
  'fieldSelector',
  'labelSelector',
  'limit',
  'resourceVersion',
  'resourceVersionMatch',
  'sendInitialEvents',
  'timeoutSeconds',
  'watch',
];
const WRITE_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation'];
const PATCH_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation', 'force'];
const DELETE_PARAMS = ['dryRun', 'gracePeriodSeconds', 'orphanDependents', 'propagationPolicy'];
const DELETE_COLLECTION_PARAMS = [
  'continue',
  'dryRun',
  'fieldSelector',
  'gracePeriodSeconds',
  'labelSelector',
  'limit',
  'orphanDependents',
  'propagationPolicy',
  'resourceVersion',
  'resourceVersionMatch',
  'sendInitialEvents',
  'timeoutSeconds',
];

/** Our own words for query parameters the bundled spec does not describe. */
const FALLBACK_PARAMS: Record<string, { type: string; description: string }> = {
  fieldValidation: { type: 'string', description: 'How to treat unknown or duplicate fields in the request body: Ignore, Warn or Strict.' },
  fieldManager: { type: 'string', description: 'The name of the actor making the change, for managed fields.' },
  force: { type: 'boolean', description: 'Take ownership of conflicting fields in an apply request.' },
  dryRun: { type: 'string', description: 'All: process the request without persisting it.' },
  sendInitialEvents: { type: 'boolean', description: 'Start a watch with synthetic events for the current state.' },
  resourceVersionMatch: { type: 'string', description: 'How resourceVersion applies to a list: Exact or NotOlderThan.' },
};

const CONTENT = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
const LIST_CONTENT = [...CONTENT, 'application/json;stream=watch', 'application/vnd.kubernetes.protobuf;stream=watch'];
const PATCH_CONTENT = ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'];

interface SubresourceSpec {
  methods: Array<'get' | 'put' | 'patch' | 'post'>;
  kind: (self: GroupVersionKind) => GroupVersionKind;
  action?: 'connect';
  params?: string[];
  text?: boolean;
}

const core = (kind: string): GroupVersionKind => ({ group: '', version: 'v1', kind });
const self = (s: GroupVersionKind) => s;

const SUBRESOURCES: Record<string, SubresourceSpec> = {
  status: { methods: ['get', 'put', 'patch'], kind: self },
  scale: { methods: ['get', 'put', 'patch'], kind: () => ({ group: 'autoscaling', version: 'v1', kind: 'Scale' }) },
  ephemeralcontainers: { methods: ['get', 'put', 'patch'], kind: self },
  resize: { methods: ['get', 'put', 'patch'], kind: self },
  approval: { methods: ['get', 'put', 'patch'], kind: self },
  binding: { methods: ['post'], kind: () => core('Binding'), params: WRITE_PARAMS },
  eviction: { methods: ['post'], kind: () => ({ group: 'policy', version: 'v1', kind: 'Eviction' }), params: WRITE_PARAMS },
  token: { methods: ['post'], kind: () => ({ group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' }), params: WRITE_PARAMS },
  log: {
    methods: ['get'],
    kind: self,
    text: true,
    params: ['container', 'follow', 'insecureSkipTLSVerifyBackend', 'limitBytes', 'previous', 'sinceSeconds', 'tailLines', 'timestamps'],
  },
  exec: {
    methods: ['get', 'post'],
    kind: () => core('PodExecOptions'),
    action: 'connect',
    text: true,
    params: ['command', 'container', 'stderr', 'stdin', 'stdout', 'tty'],
  },
  attach: {
    methods: ['get', 'post'],
    kind: () => core('PodAttachOptions'),
    action: 'connect',
    text: true,
    params: ['container', 'stderr', 'stdin', 'stdout', 'tty'],
  },
  portforward: { methods: ['get', 'post'], kind: () => core('PodPortForwardOptions'), action: 'connect', text: true, params: ['ports'] },
};

export interface DocumentInfo {
  title: string;
  version: string;
}

/** Builds the OpenAPI v3 document of one group/version. */
export function buildGroupVersionDocument(
  defs: Definitions,
  params: Record<string, SpecParameter>,
  info: DocumentInfo,
  group: string,
  version: string,
  resources: readonly OpenApiResource[],
): Schema {
  const b = new Builder(defs, params, group, version);
  for (const r of [...resources].sort((x, y) => (x.plural < y.plural ? -1 : x.plural > y.plural ? 1 : 0))) b.resource(r);
  const schemas: Record<string, Schema> = {};
  for (const name of [...defs.closure(b.roots)].sort()) schemas[name] = v3Style(name, defs.schemas[name]!);
  const paths: Record<string, Schema> = {};
  for (const p of Object.keys(b.paths).sort()) paths[p] = b.paths[p]!;
  return {
    openapi: '3.0.0',
    info,
    paths,
    components: {
      schemas,
      securitySchemes: {
        BearerToken: { description: 'Bearer Token authentication', in: 'header', name: 'authorization', type: 'apiKey' },
      },
    },
    security: [{ BearerToken: [] }],
  };
}

class Builder {
  readonly paths: Record<string, Schema> = {};
  readonly roots = new Set<string>();
  private readonly prefix: string;
  private readonly tag: string;
  private readonly idPart: string;

  constructor(
    private readonly defs: Definitions,
    private readonly params: Record<string, SpecParameter>,
    group: string,
    version: string,
  ) {
    this.prefix = group ? `/apis/${group}/${version}` : `/api/${version}`;
    const g = groupWord(group);
    this.tag = `${g}_${version}`;
    this.idPart = `${upper(g)}${upper(version)}`;
  }

  resource(r: OpenApiResource): void {
    const verbs = new Set(r.verbs ?? ALL_VERBS);
    const gvk: GroupVersionKind = { group: r.group, version: r.version, kind: r.kind };
    const kindRef = this.schemaRef(gvk);
    const listRef = this.schemaRef({ ...gvk, kind: `${r.kind}List` });
    const ns = r.namespaced ? 'Namespaced' : '';
    const base = r.namespaced ? `${this.prefix}/namespaces/{namespace}/${r.plural}` : `${this.prefix}/${r.plural}`;
    const nsParams = r.namespaced ? [this.namespaceParam()] : [];
    // Upstream's operation ids: readAppsV1NamespacedDeploymentStatus, deleteCoreV1CollectionNamespacedPod,
    // connectCoreV1GetNamespacedPodExec.
    const id = (verb: string, suffix = '', infix = '') => `${verb}${this.idPart}${infix}${ns}${r.kind}${suffix}`;

    const collection: Schema = {};
    if (verbs.has('list')) {
      collection.get = this.op('list', `list or watch objects of kind ${r.kind}`, id('list'), gvk, LIST_PARAMS, {
        responses: this.ok(listRef, LIST_CONTENT),
      });
    }
    if (verbs.has('create')) {
      collection.post = this.op('post', `create a ${r.kind}`, id('create'), gvk, WRITE_PARAMS, {
        requestBody: this.body(kindRef, ['*/*']),
        responses: { ...this.ok(kindRef), ...this.created(kindRef) },
      });
    }
    if (verbs.has('deletecollection')) {
      collection.delete = this.op('deletecollection', `delete collection of ${r.kind}`, id('delete', '', 'Collection'), gvk, DELETE_COLLECTION_PARAMS, {
        requestBody: this.body(this.defRef(DELETE_OPTIONS), ['*/*'], false),
        responses: this.ok(this.defRef(STATUS)),
      });
    }
    this.addPath(base, collection, [...nsParams, this.param('pretty')]);

    const item: Schema = {};
    if (verbs.has('get')) {
      item.get = this.op('get', `read the specified ${r.kind}`, id('read'), gvk, [], { responses: this.ok(kindRef) });
    }
    if (verbs.has('update')) {
      item.put = this.op('put', `replace the specified ${r.kind}`, id('replace'), gvk, WRITE_PARAMS, {
        requestBody: this.body(kindRef, ['*/*']),
        responses: { ...this.ok(kindRef), ...this.created(kindRef) },
      });
    }
    if (verbs.has('patch')) {
      item.patch = this.op('patch', `partially update the specified ${r.kind}`, id('patch'), gvk, PATCH_PARAMS, {
        requestBody: this.body(this.defRef(PATCH), PATCH_CONTENT),
        responses: { ...this.ok(kindRef), ...this.created(kindRef) },
      });
    }
    if (verbs.has('delete')) {
      item.delete = this.op('delete', `delete a ${r.kind}`, id('delete'), gvk, DELETE_PARAMS, {
        requestBody: this.body(this.defRef(DELETE_OPTIONS), ['*/*'], false),
        responses: { ...this.ok(this.defRef(STATUS)), ...this.accepted(this.defRef(STATUS)) },
      });
    }
    const itemParams = [this.nameParam(r.kind), ...nsParams, this.param('pretty')];
    this.addPath(`${base}/{name}`, item, itemParams);

    if (r.namespaced && verbs.has('list')) {
      const all: Schema = {
        get: this.op('list', `list or watch objects of kind ${r.kind}`, `list${this.idPart}${r.kind}ForAllNamespaces`, gvk, LIST_PARAMS, {
          responses: this.ok(listRef, LIST_CONTENT),
        }),
      };
      this.addPath(`${this.prefix}/${r.plural}`, all, [this.param('pretty')]);
    }

    for (const sub of r.subresources ?? []) this.subresource(r, gvk, sub, `${base}/{name}`, itemParams, id);
  }

  private subresource(
    r: OpenApiResource,
    gvk: GroupVersionKind,
    sub: OpenApiSubresource,
    itemPath: string,
    itemParams: Schema[],
    id: (verb: string, suffix?: string, infix?: string) => string,
  ): void {
    const name = typeof sub === 'string' ? sub : sub.name;
    const spec = SUBRESOURCES[name];
    if (!spec) return;
    const subKind = (typeof sub === 'object' && sub.kind) || spec.kind(gvk);
    const ref = spec.text ? { type: 'string' } : this.schemaRef(subKind);
    const suffix = upper(name);
    const content = spec.text ? ['*/*'] : CONTENT;
    const pathItem: Schema = {};
    for (const method of spec.methods) {
      if (spec.action === 'connect') {
        pathItem[method] = this.op(
          'connect',
          `connect ${method.toUpperCase()} requests to ${name} of ${r.kind}`,
          id('connect', suffix, upper(method)),
          subKind,
          spec.params ?? [],
          {
            responses: this.ok(ref, content),
          },
        );
        continue;
      }
      switch (method) {
        case 'get':
          pathItem.get = this.op('get', `read ${name} of the specified ${r.kind}`, id('read', suffix), subKind, spec.params ?? [], {
            responses: this.ok(ref, content),
          });
          break;
        case 'put':
          pathItem.put = this.op('put', `replace ${name} of the specified ${r.kind}`, id('replace', suffix), subKind, WRITE_PARAMS, {
            requestBody: this.body(ref, ['*/*']),
            responses: { ...this.ok(ref), ...this.created(ref) },
          });
          break;
        case 'patch':
          pathItem.patch = this.op('patch', `partially update ${name} of the specified ${r.kind}`, id('patch', suffix), subKind, PATCH_PARAMS, {
            requestBody: this.body(this.defRef(PATCH), PATCH_CONTENT),
            responses: { ...this.ok(ref), ...this.created(ref) },
          });
          break;
        case 'post':
          pathItem.post = this.op('post', `create ${name} of a ${r.kind}`, id('create', suffix), subKind, spec.params ?? WRITE_PARAMS, {
            requestBody: this.body(ref, ['*/*']),
            responses: { ...this.ok(ref), ...this.created(ref), ...this.accepted(ref) },
          });
          break;
      }
    }
    this.addPath(`${itemPath}/${name}`, pathItem, itemParams);
  }

  private addPath(path: string, item: Schema, parameters: Schema[]): void {
    if (Object.keys(item).length === 0) return;
    const existing = this.paths[path];
    this.paths[path] = existing ? { ...existing, ...item } : { ...item, parameters };
  }

  private op(
    action: string,
    description: string,
    operationId: string,
    gvk: GroupVersionKind,
    paramNames: string[],
    rest: { requestBody?: Schema; responses: Schema },
  ): Schema {
    const op: Schema = { description, operationId };
    if (paramNames.length) op.parameters = paramNames.map((n) => this.param(n));
    if (rest.requestBody) op.requestBody = rest.requestBody;
    op.responses = { ...rest.responses, 401: { description: 'Unauthorized' } };
    op.tags = [this.tag];
    op['x-kubernetes-action'] = action;
    op['x-kubernetes-group-version-kind'] = { group: gvk.group, kind: gvk.kind, version: gvk.version };
    return op;
  }

  private ok(schema: Schema, types = CONTENT): Schema {
    return { 200: { content: contentOf(schema, types), description: 'OK' } };
  }

  private created(schema: Schema): Schema {
    return { 201: { content: contentOf(schema, CONTENT), description: 'Created' } };
  }

  private accepted(schema: Schema): Schema {
    return { 202: { content: contentOf(schema, CONTENT), description: 'Accepted' } };
  }

  private body(schema: Schema, types: string[], required = true): Schema {
    return { content: contentOf(schema, types), ...(required ? { required: true } : {}) };
  }

  /** A `$ref` to the GVK's definition, or a free-form object if the spec has none. */
  private schemaRef(gvk: GroupVersionKind): Schema {
    const name = this.defs.nameFor(gvk);
    return name ? this.defRef(name) : { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  }

  private defRef(name: string): Schema {
    if (!this.defs.schemas[name]) return { type: 'object' };
    this.roots.add(name);
    return { $ref: `#/components/schemas/${name}` };
  }

  private param(name: string): Schema {
    const known = this.params[name];
    if (known) return { ...known };
    const fallback = FALLBACK_PARAMS[name];
    return {
      description: fallback?.description ?? name,
      in: 'query',
      name,
      schema: { type: fallback?.type ?? 'string', uniqueItems: true },
    };
  }

  private nameParam(kind: string): Schema {
    return { description: `name of the ${kind}`, in: 'path', name: 'name', required: true, schema: { type: 'string', uniqueItems: true } };
  }

  private namespaceParam(): Schema {
    return {
      description: 'the namespace of the object',
      in: 'path',
      name: 'namespace',
      required: true,
      schema: { type: 'string', uniqueItems: true },
    };
  }
}

/**
 * Upstream's v3 documents give Quantity and IntOrString a `oneOf` of their JSON types
 * instead of the v2 `type: string`; `kubectl explain` then shows `<Quantity>` and
 * `<IntOrString>` rather than `<string>`.
 */
const V3_ONE_OF: Record<string, string[]> = {
  'io.k8s.apimachinery.pkg.api.resource.Quantity': ['string', 'number'],
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': ['integer', 'string'],
};

/**
 * A definition as upstream's v3 documents write it: a struct-typed field is
 * `{ allOf: [{ $ref }], description }`, so the field keeps its own description (which
 * the bundled spec lost, see field-docs.ts) next to its type's.
 */
function v3Style(name: string, schema: Schema): Schema {
  const oneOf = V3_ONE_OF[name];
  if (oneOf) {
    const { type: _type, ...rest } = schema;
    return { ...rest, oneOf: oneOf.map((type) => ({ type })) };
  }
  const props = schema.properties;
  if (!isSchema(props)) return schema;
  let changed: Record<string, unknown> | undefined;
  for (const [field, sub] of Object.entries(props)) {
    if (!isSchema(sub) || sub.description !== undefined || !(typeof sub.$ref === 'string' || Array.isArray(sub.allOf))) continue;
    const description = fieldDescription(name, field);
    if (description === undefined) continue;
    const { $ref, ...rest } = sub;
    changed ??= { ...props };
    changed[field] = $ref === undefined ? { ...rest, description } : { allOf: [{ $ref }], description, ...rest };
  }
  return changed ? { ...schema, properties: changed } : schema;
}

function contentOf(schema: Schema, types: string[]): Schema {
  const out: Schema = {};
  for (const t of types) out[t] = { schema };
  return out;
}

/** `apps` → `apps`, `` → `core`, `rbac.authorization.k8s.io` → `rbacAuthorization`. */
function groupWord(group: string): string {
  if (!group) return 'core';
  const parts = group.replace(/\.k8s\.io$/, '').split(/[.-]/);
  return parts.map((p, i) => (i === 0 ? p : upper(p))).join('');
}

const upper = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
