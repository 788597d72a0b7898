/**
 * The generic REST semantics every resource shares: create, get, list, update (spec and
 * status apart), patch, delete with finalizers, and what metadata the server owns.
 */
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import {
  apiErrors,
  apiVersionOf,
  isObject,
  isStatusError,
  type KubeList,
  type KubeObject,
  type Registry,
  type ResourceInfo,
  rfc3339,
  type Status,
  type StatusCause,
} from '@minik8s/api';
import { validateObjectMeta } from '@minik8s/api/validation';
import { hasStatusSubresource, type Strategy, strategyFor } from '../registry/index.ts';
import type { AdmissionConfig } from '../registry/strategy.ts';
import { apply as applyConfiguration, recordUpdate } from '../ssa/index.ts';
import { type ObjectStore, objectKey, resourcePrefix } from '../storage/object-store.ts';
import type { WatchCache } from '../storage/watch-cache.ts';
import { checkPreconditions, type DeleteOptions, deletedStatus, planDeletion } from './deletion.ts';
import { jsonPatchApply, knownPatchMeta, mergePatch, PATCH_TYPES, type PatchMetaLookup, strategicMergePatch } from './patch.ts';
import type { ResourcePath } from './paths.ts';

export type ObjectFilter = (o: KubeObject) => boolean;

export interface ResourceContext {
  registry: Registry;
  store: ObjectStore;
  cache: WatchCache;
  now(): Date;
  /** Admission plugins' settings (kube-apiserver flags). */
  admission?: AdmissionConfig;
  /**
   * Schema validation of an object about to be written, by the request's fieldValidation
   * (Strict, Warn, Ignore): causes make a 422, strictError (the whole message) a 400, warnings go back as
   * Warning headers. Unknown fields are dropped unless Strict refused them.
   */
  validate?(
    r: ResourceInfo,
    obj: KubeObject,
    fieldValidation: FieldValidation,
  ): {
    causes: StatusCause[];
    warnings: string[];
    strictError?: string;
  };
  patchMeta?(r: ResourceInfo): PatchMetaLookup;
}

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** Per-request write options: how to treat unknown fields, and where warnings go. */
export interface WriteOptions {
  fieldValidation?: FieldValidation;
  warnings?: string[];
  /** dryRun=All: do everything but store the result. */
  dryRun?: boolean;
  /** Who writes (fieldManager, or derived from the User-Agent), for managedFields. */
  manager?: string;
  /** The object comes from server-side apply, which keeps managedFields itself. */
  fromApply?: boolean;
}

export interface ListOptions {
  filter: ObjectFilter;
  limit?: number;
  continueToken?: string;
  resourceVersion?: string;
}

const MAX_RETRIES = 8;

/** Fields of metadata the server owns: what a client sends for them is ignored. */
const SYSTEM_META = ['uid', 'creationTimestamp', 'generation', 'deletionTimestamp', 'deletionGracePeriodSeconds'] as const;

export class Resources {
  constructor(private readonly ctx: ResourceContext) {}

  private key(p: ResourcePath, name: string): string {
    return objectKey(p.resource, p.namespace, name);
  }

  prefix(p: ResourcePath): string {
    const base = resourcePrefix(p.resource);
    return p.resource.namespaced && p.namespace ? `${base}${p.namespace}/` : base;
  }

  async get(p: ResourcePath): Promise<KubeObject> {
    const obj = await this.ctx.store.get(this.key(p, p.name!));
    if (!obj) throw apiErrors.notFound(p.resource, p.name!);
    return obj;
  }

  async list(p: ResourcePath, o: ListOptions): Promise<KubeList> {
    const r = p.resource;
    const listOf = (items: KubeObject[], rv: number, cont?: string): KubeList => ({
      kind: `${r.kind}List`,
      apiVersion: apiVersionOf(r),
      metadata: { resourceVersion: String(rv), ...(cont ? { continue: cont } : {}) },
      items,
    });
    // resourceVersion=0 means "any": serve from the cache, whole (as upstream does).
    if (o.resourceVersion === '0' && !o.continueToken) {
      const { items, revision } = this.ctx.cache.list(this.prefix(p));
      return listOf(items.filter(o.filter), revision);
    }
    let start: string | undefined;
    let revision = 0;
    if (o.continueToken) ({ start, revision } = decodeContinue(o.continueToken, this.prefix(p)));
    else if (o.resourceVersion) revision = parseRv(o.resourceVersion);
    const items: KubeObject[] = [];
    const limit = o.limit && o.limit > 0 ? o.limit : undefined;
    for (;;) {
      let page: Awaited<ReturnType<ObjectStore['list']>>;
      try {
        page = await this.ctx.store.list(this.prefix(p), { start, revision, limit: limit ? limit - items.length : undefined });
      } catch (e) {
        if ((e as { isCompacted?: boolean }).isCompacted) {
          throw apiErrors.expired(
            'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
          );
        }
        if ((e as { isFutureRevision?: boolean }).isFutureRevision) {
          throw apiErrors.timeout(`Too large resource version: ${revision}, current: ${await this.ctx.store.revision()}`);
        }
        throw e;
      }
      revision = page.revision;
      items.push(...page.items.filter(o.filter));
      if (!page.next) return listOf(items, revision);
      start = page.next;
      if (limit && items.length >= limit) return listOf(items, revision, encodeContinue(revision, start));
    }
  }

  async create(p: ResourcePath, body: unknown, w: WriteOptions = {}): Promise<KubeObject> {
    if (!strategyFor(p.resource).serializeCreates) return this.createNow(p, body, w);
    return this.serially(p.resource.plural, () => this.createNow(p, body, w));
  }

  private readonly locks = new Map<string, Promise<unknown>>();

  /** Runs writes whose admission reads other objects of the kind one at a time. */
  private serially<T>(name: string, f: () => Promise<T>): Promise<T> {
    const run = (this.locks.get(name) ?? Promise.resolve()).then(f, f);
    this.locks.set(
      name,
      run.catch(() => {}),
    );
    return run;
  }

  private async createNow(p: ResourcePath, body: unknown, w: WriteOptions): Promise<KubeObject> {
    const r = p.resource;
    const obj = this.checkBody(p, body);
    const meta = obj.metadata;
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${randomSuffix()}`;
    if (p.name && meta.name !== p.name)
      throw apiErrors.badRequest(`the name of the object (${shown(meta.name)}) does not match the name on the URL (${p.name})`);
    if (r.namespaced) meta.namespace = p.namespace;
    else delete meta.namespace;
    const now = rfc3339(this.ctx.now());
    for (const f of SYSTEM_META) delete meta[f];
    delete meta.resourceVersion;
    meta.uid = randomUUID();
    meta.creationTimestamp = now;
    if (r.hasSpec) meta.generation = 1;
    this.validate(r, obj, w);
    if (r.namespaced) await this.checkNamespace(r, meta.name ?? '', p.namespace!);
    this.admit(r, obj, undefined);
    this.recordManagers(r, undefined, obj, w, undefined);
    if (w.dryRun) return obj;
    const res = await this.ctx.store.create(this.key(p, meta.name!), obj);
    if (!res.ok) throw apiErrors.alreadyExists(r, meta.name!);
    // Later requests (and admission reading the cache) see this object.
    await this.ctx.cache.waitFor(Number(res.object.metadata.resourceVersion));
    return res.object;
  }

  /** PUT: replaces spec and metadata (the main resource) or status (the status subresource). */
  async update(p: ResourcePath, body: unknown, w: WriteOptions = {}): Promise<KubeObject> {
    const obj = this.checkBody(p, body);
    if (obj.metadata.name !== p.name) {
      throw apiErrors.badRequest(`the name of the object (${shown(obj.metadata.name)}) does not match the name on the URL (${p.name})`);
    }
    const wantRv = obj.metadata.resourceVersion;
    return this.guaranteedUpdate(
      p,
      (cur) => {
        if (wantRv && wantRv !== cur.metadata.resourceVersion) throw apiErrors.modified(p.resource, p.name!);
        return obj;
      },
      w,
    );
  }

  async patch(p: ResourcePath, contentType: string, body: unknown, w: WriteOptions = {}): Promise<KubeObject> {
    return this.guaranteedUpdate(
      p,
      (cur) => {
        const base = structuredClone(cur);
        let next: unknown;
        if (contentType === PATCH_TYPES.merge) next = mergePatch(base, body);
        else if (contentType === PATCH_TYPES.json) next = jsonPatchApply(base, body);
        else if (contentType === PATCH_TYPES.strategic) next = strategicMergePatch(base, body, this.listMeta(p.resource));
        else throw apiErrors.unsupportedMediaType(contentType, Object.values(PATCH_TYPES));
        const obj = this.checkBody(p, next);
        const rv = obj.metadata.resourceVersion;
        if (rv && rv !== cur.metadata.resourceVersion) throw apiErrors.modified(p.resource, p.name!);
        return obj;
      },
      w,
    );
  }

  /**
   * Read, change, compare-and-swap; on a lost race, read again and retry. `change` sees
   * the current object and returns the desired one (spec side or status side).
   */
  async guaranteedUpdate(p: ResourcePath, change: (cur: KubeObject) => KubeObject, w: WriteOptions = {}): Promise<KubeObject> {
    const r = p.resource;
    const key = this.key(p, p.name!);
    for (let attempt = 0; attempt < MAX_RETRIES; attempt++) {
      const cur = await this.ctx.store.get(key);
      if (!cur) throw apiErrors.notFound(r, p.name!);
      const wanted = change(structuredClone(cur));
      const status = p.subresource === 'status';
      const next = status ? strategyFor(r).prepareForStatusUpdate(r, wanted, cur) : this.specUpdate(r, cur, wanted);
      this.validate(r, next, attempt === 0 ? w : { ...w, warnings: undefined }, status ? 'status' : 'main', cur);
      this.admit(r, next, cur);
      this.recordManagers(r, cur, next, w, p.subresource);
      if (sameContent(cur, next) || w.dryRun) return w.dryRun ? next : cur;
      const res = await this.ctx.store.update(key, next, Number(cur.metadata.resourceVersion));
      if (res.ok) return (await this.finishIfDeleted(p, res.object)) ?? res.object;
      if (!res.current) throw apiErrors.notFound(r, p.name!);
    }
    throw apiErrors.modified(r, p.name!);
  }

  /** The main resource's view: spec and metadata from the client, what the kind's strategy resets kept. */
  private specUpdate(r: ResourceInfo, cur: KubeObject, wanted: KubeObject): KubeObject {
    const next: KubeObject = { ...wanted, metadata: { ...wanted.metadata } };
    for (const f of SYSTEM_META) {
      if (cur.metadata[f] === undefined) delete next.metadata[f];
      else (next.metadata as Record<string, unknown>)[f] = cur.metadata[f];
    }
    next.metadata.name = cur.metadata.name;
    if (cur.metadata.namespace) next.metadata.namespace = cur.metadata.namespace;
    next.metadata.resourceVersion = cur.metadata.resourceVersion;
    strategyFor(r).prepareForUpdate(r, next, cur);
    if (r.hasSpec && !isDeepStrictEqual(specOf(cur), specOf(next))) {
      next.metadata.generation = (cur.metadata.generation ?? 0) + 1;
    }
    // Once deletion has started, finalizers may only be taken away.
    if (cur.metadata.deletionTimestamp) {
      // Finalizers that are not a list are the schema's to refuse, below.
      const wanted: unknown = next.metadata.finalizers;
      const added = (Array.isArray(wanted) ? wanted : []).filter((f) => !(cur.metadata.finalizers ?? []).includes(f));
      if (added.length) {
        throw apiErrors.invalid(r, cur.metadata.name!, [
          { reason: 'FieldValueForbidden', field: 'metadata.finalizers', message: 'Forbidden: no new finalizers can be added if the object is being deleted' },
        ]);
      }
    }
    return next;
  }

  /** An object being deleted whose last finalizer just went is removed for good. */
  private async finishIfDeleted(p: ResourcePath, obj: KubeObject): Promise<KubeObject | undefined> {
    if (!obj.metadata.deletionTimestamp || (obj.metadata.finalizers ?? []).length > 0) return undefined;
    const res = await this.ctx.store.delete(this.key(p, obj.metadata.name!), Number(obj.metadata.resourceVersion));
    return res.ok ? res.object : undefined;
  }

  /**
   * Deletes an object. Gone at once: a Status Success naming it (upstream's default);
   * marked for deletion (finalizers, grace period): the object as it now is.
   */
  async delete(p: ResourcePath, o: DeleteOptions): Promise<KubeObject | Status> {
    const { object, gone } = await this.deleteOne(p, o);
    return gone ? deletedStatus(p.resource, object) : object;
  }

  private async deleteOne(p: ResourcePath, o: DeleteOptions): Promise<{ object: KubeObject; gone: boolean }> {
    const r = p.resource;
    const key = this.key(p, p.name!);
    for (let attempt = 0; attempt < MAX_RETRIES; attempt++) {
      const cur = await this.ctx.store.get(key);
      if (!cur) throw apiErrors.notFound(r, p.name!);
      checkPreconditions(r, cur, o.preconditions);
      const plan = planDeletion(cur, strategyFor(r), o, this.ctx.now());
      if (plan.action === 'keep') return { object: cur, gone: false };
      if (plan.action === 'mark') {
        if (o.dryRun) return { object: plan.next, gone: false };
        const res = await this.ctx.store.update(key, plan.next, Number(cur.metadata.resourceVersion));
        if (res.ok) return { object: res.object, gone: false };
        continue;
      }
      if (o.dryRun) return { object: cur, gone: true };
      const res = await this.ctx.store.delete(key, Number(cur.metadata.resourceVersion));
      if (res.ok) return { object: res.object, gone: true };
    }
    throw apiErrors.modified(r, p.name!);
  }

  /** DELETE on a collection: every object the selectors match; answers the list of them. */
  async deleteCollection(p: ResourcePath, filter: ObjectFilter, o: DeleteOptions): Promise<KubeList> {
    const r = p.resource;
    const { items } = await this.list(p, { filter });
    const deleted: KubeObject[] = [];
    for (const item of items) {
      try {
        const { object, gone } = await this.deleteOne({ ...p, namespace: item.metadata.namespace, name: item.metadata.name }, o);
        deleted.push(gone ? item : object);
      } catch (e) {
        if (!(isStatusError(e) && e.code === 404)) throw e;
      }
    }
    return { kind: `${r.kind}List`, apiVersion: apiVersionOf(r), metadata: {}, items: deleted };
  }

  /** The body must be an object of this resource's kind, in this namespace. */
  private checkBody(p: ResourcePath, body: unknown): KubeObject {
    const r = p.resource;
    if (!isObject(body)) throw apiErrors.badRequest(`the body of the request must be a JSON or YAML object of kind ${r.kind}`);
    const obj = body as KubeObject;
    const apiVersion = apiVersionOf(r);
    if (obj.apiVersion === undefined) obj.apiVersion = apiVersion;
    if (obj.kind === undefined) obj.kind = r.kind;
    if (obj.apiVersion !== apiVersion) {
      throw apiErrors.badRequest(`the API version in the data (${shown(obj.apiVersion)}) does not match the expected API version (${apiVersion})`);
    }
    if (obj.kind !== r.kind) throw apiErrors.badRequest(`the kind in the data (${shown(obj.kind)}) does not match the expected kind (${r.kind})`);
    if (!isObject(obj.metadata)) obj.metadata = {};
    if (r.namespaced && obj.metadata.namespace && obj.metadata.namespace !== p.namespace) {
      throw apiErrors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    return obj;
  }

  /** managedFields for a non-apply write: what this manager changed is now its own. */
  private recordManagers(r: ResourceInfo, previous: KubeObject | undefined, next: KubeObject, w: WriteOptions, subresource?: string): void {
    if (w.fromApply || !w.manager) return;
    const entries = recordUpdate({
      previous,
      next,
      manager: w.manager,
      apiVersion: apiVersionOf(r),
      listMeta: this.listMeta(r),
      now: this.ctx.now(),
      subresource,
    });
    if (entries.length) next.metadata.managedFields = entries;
    else delete next.metadata.managedFields;
  }

  /** The schema's list and map semantics at a path, for patches and managedFields. */
  listMeta(r: ResourceInfo): PatchMetaLookup {
    return this.ctx.patchMeta?.(r) ?? knownPatchMeta;
  }

  /** Server-side apply: creates or merges, owning what the manager applied (409 on conflicts). */
  async apply(p: ResourcePath, body: unknown, force: boolean, w: WriteOptions & { manager: string }): Promise<{ object: KubeObject; created: boolean }> {
    const r = p.resource;
    const common = { manager: w.manager, force, apiVersion: apiVersionOf(r), kind: r.kind, listMeta: this.listMeta(r), subresource: p.subresource };
    if (!isObject(body)) throw apiErrors.badRequest('the body of an apply request must be an object');
    const existing = await this.ctx.store.get(this.key(p, p.name!));
    if (!existing) {
      if (p.subresource) throw apiErrors.notFound(r, p.name!);
      const res = applyConfiguration({ ...common, applied: structuredClone(body), now: this.ctx.now() });
      return { object: await this.create(p, res.object, { ...w, fromApply: true }), created: true };
    }
    const object = await this.guaranteedUpdate(
      p,
      (cur) => {
        const rv = (body.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
        if (rv && rv !== cur.metadata.resourceVersion) throw apiErrors.modified(r, p.name!);
        return applyConfiguration({ ...common, current: cur, applied: structuredClone(body), now: this.ctx.now() }).object as KubeObject;
      },
      { ...w, fromApply: true },
    );
    return { object, created: false };
  }

  /**
   * Schema, metadata and the kind's own checks; unknown fields are handled per
   * fieldValidation. As upstream, a write of the main resource does not check the status
   * its strategy keeps, and a write of /status checks the status only.
   */
  private validate(r: ResourceInfo, obj: KubeObject, w: WriteOptions, scope: 'main' | 'status' = 'main', old?: KubeObject): void {
    const strategy = strategyFor(r);
    const res = this.ctx.validate?.(r, obj, w.fieldValidation ?? 'Warn');
    if (res?.strictError) throw apiErrors.badRequest(res.strictError);
    const skipStatus = scope === 'main' && hasStatusSubresource(r);
    const schema = (res?.causes ?? []).filter((c) => (scope === 'status' ? isStatusField(c.field) : !skipStatus || !isStatusField(c.field)));
    const semantic = schema.length > 0 || scope === 'status' ? [] : strategy.validate(obj, old);
    if (old && schema.length === 0 && semantic.length === 0) {
      semantic.push(...(scope === 'main' ? updateCauses(strategy, obj, old) : strategy.validateStatusUpdate(obj, old)));
    }
    // Type errors in metadata are the schema's too: each is reported once.
    const seen = new Set(schema.map((c) => `${c.field}\0${c.message}`));
    const meta = (validateObjectMeta(obj.metadata, { namespaced: r.namespaced, nameRule: strategy.nameRule }) as StatusCause[]).filter(
      (c) => !seen.has(`${c.field}\0${c.message}`),
    );
    const causes = [...meta, ...schema, ...semantic];
    if (causes.length > 0) {
      // The name as the message shows it, when it is one: a name of the wrong type is one of the causes.
      const name = [obj.metadata.name, obj.metadata.generateName].find((n) => typeof n === 'string') ?? '';
      throw apiErrors.invalid(r, name, causes);
    }
    if (res?.warnings.length) w.warnings?.push(...res.warnings);
  }

  /** The kind's defaults, the initial status of a new object, the kind's admission. */
  private admit(r: ResourceInfo, obj: KubeObject, old: KubeObject | undefined): void {
    const strategy: Strategy = strategyFor(r);
    strategy.defaults(obj);
    if (!old) strategy.prepareForCreate(r, obj);
    strategy.admit(obj, old, { cache: this.ctx.cache, admission: this.ctx.admission ?? {} });
  }

  private async checkNamespace(r: ResourceInfo, name: string, namespace: string): Promise<void> {
    const key = `/registry/namespaces/${namespace}`;
    const ns = this.ctx.cache.get(key) ?? (await this.ctx.store.get(key));
    if (!ns) throw apiErrors.notFound({ group: '', plural: 'namespaces' }, namespace);
    if (ns.metadata.deletionTimestamp || (ns.status as { phase?: string } | undefined)?.phase === 'Terminating') {
      throw apiErrors.namespaceTerminating(r, name, namespace);
    }
  }
}

/** ValidateUpdate compares defaulted objects (a client may leave defaulted fields out). */
function updateCauses(strategy: Strategy, obj: KubeObject, old: KubeObject): StatusCause[] {
  const next = structuredClone(obj);
  strategy.defaults(next);
  return strategy.validateUpdate(next, old);
}

const isStatusField = (field: string | undefined) => field === 'status' || !!field?.startsWith('status.') || !!field?.startsWith('status[');

function specOf(o: KubeObject): unknown {
  const { metadata: _m, status: _s, ...rest } = o;
  return rest;
}

function sameContent(a: KubeObject, b: KubeObject): boolean {
  return isDeepStrictEqual({ ...a, metadata: { ...a.metadata, resourceVersion: '' } }, { ...b, metadata: { ...b.metadata, resourceVersion: '' } });
}

const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** Five characters as upstream's generateName uses (no vowels, no confusable digits). */
function randomSuffix(): string {
  let s = '';
  for (let i = 0; i < 5; i++) s += ALPHANUMS[Math.floor(Math.random() * ALPHANUMS.length)];
  return s;
}

function parseRv(rv: string): number {
  const n = Number(rv);
  if (!Number.isSafeInteger(n) || n < 0) throw apiErrors.badRequest(`invalid resource version: ${JSON.stringify(rv)}`);
  return n;
}

/** Upstream's continue token: base64 of {"v":"meta.k8s.io/v1","rv":N,"start":"<key suffix>"}. */
function encodeContinue(rv: number, startKey: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start: startKey })).toString('base64url');
}

/** A value from a body as a message shows it: a string as it is, anything else as JSON (never its own `toString`). */
const shown = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

function decodeContinue(token: string, prefix: string): { start: string; revision: number } {
  try {
    const j = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (j.v !== 'meta.k8s.io/v1' || typeof j.rv !== 'number' || typeof j.start !== 'string' || !j.start.startsWith(prefix)) {
      throw new Error('bad token');
    }
    return { start: j.start, revision: j.rv };
  } catch {
    throw apiErrors.badRequest('continue key is not valid: the continue token is malformed');
  }
}
