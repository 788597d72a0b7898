/**
 * Discovery: which resources the server serves, so that a CLI can turn `po`, `pods`,
 * `deploy.apps` or a manifest's apiVersion/kind into a REST path. Asks for aggregated
 * discovery (apidiscovery.k8s.io/v2, two requests) and falls back to the legacy
 * documents (/api, /api/v1, /apis, /apis/<group>/<version>) when the server answers with
 * those instead.
 */
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { KubeClient } from './rest-client.ts';

export interface ApiResource {
  group: string;
  version: string;
  /** `pods` */
  plural: string;
  /** `pod` */
  singular: string;
  kind: string;
  namespaced: boolean;
  verbs: string[];
  shortNames: string[];
  categories: string[];
  /** `status`, `scale`, ... */
  subresources: string[];
  /** This version is its group's preferred one. */
  preferred: boolean;
}

export class DiscoveryError extends Error {
  override name = 'DiscoveryError';
  constructor(
    readonly code: 'UnknownResource' | 'NoKindMatch',
    message: string,
  ) {
    super(message);
  }
}

const AGGREGATED_ACCEPT =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

interface AggregatedResource {
  resource: string;
  responseKind?: { group?: string; version?: string; kind?: string };
  scope?: 'Namespaced' | 'Cluster';
  singularResource?: string;
  verbs?: string[];
  shortNames?: string[];
  categories?: string[];
  subresources?: Array<{ subresource: string }>;
}

interface AggregatedList {
  kind?: string;
  items?: Array<{ metadata?: { name?: string }; versions?: Array<{ version: string; resources?: AggregatedResource[] }> }>;
}

interface LegacyResource {
  name: string;
  singularName?: string;
  namespaced?: boolean;
  kind: string;
  verbs?: string[];
  shortNames?: string[];
  categories?: string[];
}

export interface DiscoveryCacheOptions {
  /** A file to keep discovery in between processes (kubectl keeps ~/.kube/cache/discovery). */
  file: string;
  /** How long a cached answer is trusted (kubectl: 6 hours). */
  ttlMs?: number;
}

export class Discovery {
  private cached: Promise<ApiResource[]> | undefined;
  /** The answer came from the disk cache: a miss is worth one fresh look. */
  private fromDisk = false;

  constructor(
    private readonly client: Pick<KubeClient, 'request'>,
    private readonly cache?: DiscoveryCacheOptions,
  ) {}

  /** Every resource of every group and version (cached until `invalidate()`). */
  resources(): Promise<ApiResource[]> {
    if (!this.cached) {
      const disk = this.readCache();
      this.fromDisk = !!disk;
      this.cached = disk ? Promise.resolve(disk) : this.fetch().then((r) => this.writeCache(r));
      this.cached.catch(() => {
        this.cached = undefined;
      });
    }
    return this.cached;
  }

  invalidate(): void {
    this.cached = undefined;
    this.fromDisk = false;
    if (this.cache) rmSync(this.cache.file, { force: true });
  }

  private readCache(): ApiResource[] | undefined {
    if (!this.cache) return undefined;
    try {
      if (Date.now() - statSync(this.cache.file).mtimeMs > (this.cache.ttlMs ?? 6 * 3600_000)) return undefined;
      const data = JSON.parse(readFileSync(this.cache.file, 'utf8'));
      return Array.isArray(data) ? (data as ApiResource[]) : undefined;
    } catch {
      return undefined;
    }
  }

  private writeCache(r: ApiResource[]): ApiResource[] {
    if (this.cache) {
      try {
        mkdirSync(dirname(this.cache.file), { recursive: true });
        writeFileSync(this.cache.file, JSON.stringify(r));
      } catch {
        // a cache that cannot be written only costs speed
      }
    }
    return r;
  }

  /** Runs a lookup; when it misses on an answer from the disk cache, asks the server again. */
  private async withRefresh<T>(look: () => Promise<T>): Promise<T> {
    try {
      return await look();
    } catch (e) {
      if (!(e instanceof DiscoveryError) || !this.fromDisk) throw e;
      this.invalidate();
      return look();
    }
  }

  /**
   * What kubectl accepts as a resource type: plural, singular, short name or kind (any
   * case), optionally qualified as `name.group` or `name.version.group`.
   */
  resolve(type: string): Promise<ApiResource> {
    return this.withRefresh(() => this.resolveNow(type));
  }

  private async resolveNow(type: string): Promise<ApiResource> {
    const all = await this.resources();
    const lower = type.toLowerCase();
    const candidates: Array<{ name: string; group?: string; version?: string }> = [{ name: lower }];
    const parts = lower.split('.');
    if (parts.length >= 2) candidates.push({ name: parts[0]!, group: parts.slice(1).join('.') });
    if (parts.length >= 3) candidates.push({ name: parts[0]!, version: parts[1]!, group: parts.slice(2).join('.') });
    const matchers: Array<(r: ApiResource, n: string) => boolean> = [
      (r, n) => r.plural === n,
      (r, n) => r.singular === n,
      (r, n) => r.shortNames.includes(n),
      (r, n) => r.kind.toLowerCase() === n,
    ];
    for (const c of candidates.reverse()) {
      const inScope = all.filter((r) => (c.group === undefined || r.group === c.group) && (c.version === undefined ? r.preferred : r.version === c.version));
      for (const m of matchers) {
        const hits = inScope.filter((r) => m(r, c.name));
        // Core first, then the group that sorts first: deterministic, like kubectl's priority.
        hits.sort((a, b) => (a.group === b.group ? 0 : a.group === '' ? -1 : b.group === '' ? 1 : a.group < b.group ? -1 : 1));
        if (hits[0]) return hits[0];
      }
    }
    throw new DiscoveryError('UnknownResource', `the server doesn't have a resource type "${type}"`);
  }

  /** The resource serving a manifest's `apiVersion` and `kind`. */
  forKind(apiVersion: string, kind: string): Promise<ApiResource> {
    return this.withRefresh(() => this.forKindNow(apiVersion, kind));
  }

  private async forKindNow(apiVersion: string, kind: string): Promise<ApiResource> {
    const [group, version] = apiVersion.includes('/') ? (apiVersion.split('/', 2) as [string, string]) : ['', apiVersion];
    const r = (await this.resources()).find((x) => x.group === group && x.version === version && x.kind === kind);
    if (!r) throw new DiscoveryError('NoKindMatch', `no matches for kind "${kind}" in version "${apiVersion}"`);
    return r;
  }

  private async fetch(): Promise<ApiResource[]> {
    const [core, groups] = await Promise.all([
      this.client.request<unknown>({ path: '/api', accept: AGGREGATED_ACCEPT }),
      this.client.request<unknown>({ path: '/apis', accept: AGGREGATED_ACCEPT }),
    ]);
    const out: ApiResource[] = [];
    out.push(...(isAggregated(core) ? fromAggregated(core, true) : await this.legacyCore(core)));
    out.push(...(isAggregated(groups) ? fromAggregated(groups, false) : await this.legacyGroups(groups)));
    return out;
  }

  private async legacyCore(doc: unknown): Promise<ApiResource[]> {
    const versions = ((doc as { versions?: string[] })?.versions ?? []).filter((v) => typeof v === 'string');
    const lists = await Promise.all(versions.map((v) => this.client.request<{ resources?: LegacyResource[] }>({ path: `/api/${v}` })));
    return lists.flatMap((l, i) => fromLegacy('', versions[i]!, i === 0, l.resources ?? []));
  }

  private async legacyGroups(doc: unknown): Promise<ApiResource[]> {
    const groups = (doc as { groups?: Array<{ name: string; versions: Array<{ version: string }>; preferredVersion?: { version: string } }> })?.groups ?? [];
    const jobs = groups.flatMap((g) =>
      g.versions.map(async (v) => {
        const l = await this.client.request<{ resources?: LegacyResource[] }>({ path: `/apis/${g.name}/${v.version}` });
        const preferred = (g.preferredVersion?.version ?? g.versions[0]?.version) === v.version;
        return fromLegacy(g.name, v.version, preferred, l.resources ?? []);
      }),
    );
    return (await Promise.all(jobs)).flat();
  }
}

function isAggregated(doc: unknown): doc is AggregatedList {
  return typeof doc === 'object' && doc !== null && (doc as { kind?: unknown }).kind === 'APIGroupDiscoveryList';
}

function fromAggregated(doc: AggregatedList, core: boolean): ApiResource[] {
  const out: ApiResource[] = [];
  for (const g of doc.items ?? []) {
    const group = core ? '' : (g.metadata?.name ?? '');
    (g.versions ?? []).forEach((v, i) => {
      for (const r of v.resources ?? []) {
        out.push({
          group,
          version: v.version,
          plural: r.resource,
          singular: r.singularResource || r.responseKind?.kind?.toLowerCase() || r.resource,
          kind: r.responseKind?.kind ?? '',
          namespaced: r.scope === 'Namespaced',
          verbs: r.verbs ?? [],
          shortNames: r.shortNames ?? [],
          categories: r.categories ?? [],
          subresources: (r.subresources ?? []).map((s) => s.subresource),
          preferred: i === 0,
        });
      }
    });
  }
  return out;
}

function fromLegacy(group: string, version: string, preferred: boolean, resources: LegacyResource[]): ApiResource[] {
  const main = resources.filter((r) => !r.name.includes('/'));
  return main.map((r) => ({
    group,
    version,
    plural: r.name,
    singular: r.singularName || r.kind.toLowerCase(),
    kind: r.kind,
    namespaced: !!r.namespaced,
    verbs: r.verbs ?? [],
    shortNames: r.shortNames ?? [],
    categories: r.categories ?? [],
    subresources: resources.filter((s) => s.name.startsWith(`${r.name}/`)).map((s) => s.name.slice(r.name.length + 1)),
    preferred,
  }));
}
