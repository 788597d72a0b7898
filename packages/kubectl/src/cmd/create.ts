/**
 * `mkctl create -f FILE` and the generators `create namespace|deployment|configmap|secret
 * generic|job|cronjob`, building the objects kubectl builds (compare `kubectl create ...
 * --dry-run=client -o json`).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { KubeApiError, type KubeObject } from '@minik8s/client/kube';
import { CliError, type Ctx } from '../context.ts';
import { formatError } from '../errors.ts';
import { readManifests } from '../internal/manifests.ts';
import { pathOf } from '../internal/resources.ts';
import { kindName, parseOutput, printObjects } from '../printers/output.ts';
import { dryRunMode } from './apply.ts';

export interface CreateCommonFlags {
  dryRun?: string;
  output?: string;
}

export async function createFromFiles(ctx: Ctx, f: CreateCommonFlags & { filename?: string[]; recursive?: boolean }): Promise<number> {
  let failed = false;
  for (const { object, source } of await readManifests(ctx.io, f.filename ?? [], f.recursive)) {
    try {
      await send(ctx, object, f);
    } catch (e) {
      failed = true;
      if (e instanceof KubeApiError && e.reason === 'AlreadyExists') {
        ctx.io.err(`Error from server (AlreadyExists): error when creating "${source}": ${e.message}\n`);
      } else ctx.io.err(formatError(e, ctx.verbosity));
    }
  }
  return failed ? 1 : 0;
}

/** POSTs (unless --dry-run=client) and prints `kind.group/name created` or the object. */
async function send(ctx: Ctx, object: KubeObject, f: CreateCommonFlags): Promise<number> {
  const r = await ctx.discovery.forKind(object.apiVersion ?? '', object.kind ?? '');
  const dryRun = dryRunMode(f.dryRun);
  const namespace = r.namespaced ? object.metadata?.namespace || ctx.namespace : undefined;
  let result: KubeObject = object;
  if (dryRun !== 'client') {
    const body = namespace ? { ...object, metadata: { ...object.metadata, namespace } } : object;
    result = await ctx.request<KubeObject>({
      method: 'POST',
      path: pathOf(r, namespace),
      query: { fieldManager: 'kubectl-create', fieldValidation: 'Strict', dryRun: dryRun === 'server' ? 'All' : undefined },
      body,
    });
  }
  const format = parseOutput(f.output);
  if (format.kind === 'table') {
    const suffix = dryRun === 'server' ? ' (server dry run)' : dryRun === 'client' ? ' (dry run)' : '';
    ctx.io.out(`${kindName(r.kind, r.group)}/${object.metadata?.name ?? result.metadata?.name ?? ''} created${suffix}\n`);
  } else ctx.io.out(printObjects([result], format, true, false));
  return 0;
}

export async function createNamespace(ctx: Ctx, name: string, f: CreateCommonFlags): Promise<number> {
  const ns = { kind: 'Namespace', apiVersion: 'v1', metadata: { name, creationTimestamp: null }, spec: {}, status: {} };
  return send(ctx, ns as unknown as KubeObject, f);
}

export interface CreateDeploymentFlags extends CreateCommonFlags {
  image?: string[];
  replicas?: string;
  port?: string;
}

export async function createDeployment(ctx: Ctx, name: string, f: CreateDeploymentFlags): Promise<number> {
  const images = f.image ?? [];
  if (images.length === 0) throw new CliError('error: required flag(s) "image" not set');
  if (f.port !== undefined && images.length > 1) throw new CliError('error: cannot specify multiple --image options and port');
  const labels = { app: name };
  const used = new Set<string>();
  const containers = images.map((image) => {
    let cname = containerName(image);
    for (let i = 1; used.has(cname); i++) cname = `${containerName(image)}-${i}`;
    used.add(cname);
    return {
      name: cname,
      image,
      ...(f.port !== undefined ? { ports: [{ containerPort: Number(f.port) }] } : {}),
      resources: {},
    };
  });
  const d = {
    kind: 'Deployment',
    apiVersion: 'apps/v1',
    metadata: { name, creationTimestamp: null, labels },
    spec: {
      replicas: f.replicas !== undefined ? Number(f.replicas) : 1,
      selector: { matchLabels: labels },
      template: { metadata: { creationTimestamp: null, labels }, spec: { containers } },
      strategy: {},
    },
    status: {},
  };
  return send(ctx, d as unknown as KubeObject, f);
}

/** kubectl's `create job|cronjob` report a failed POST as `error: failed to create KIND: <the server's message>`. */
async function sendWrapped(ctx: Ctx, object: KubeObject, f: CreateCommonFlags, what: string): Promise<number> {
  try {
    return await send(ctx, object, f);
  } catch (e) {
    if (e instanceof KubeApiError) throw new CliError(`error: failed to create ${what}: ${e.message}`);
    throw e;
  }
}

export interface CreateJobFlags extends CreateCommonFlags {
  image?: string;
  from?: string;
}

/** A container named after the object, running `command` (kubectl's `create job|cronjob NAME --image=I -- COMMAND`). */
const jobContainer = (name: string, image: string, command: string[]) => ({ name, image, ...(command.length ? { command } : {}), resources: {} });

/** `create job NAME --image=I [-- COMMAND...]`, or `create job NAME --from=cronjob/X` (the CronJob's template, run now). */
export async function createJob(ctx: Ctx, name: string, command: string[], f: CreateJobFlags): Promise<number> {
  if (!f.image === !f.from) throw new CliError('error: either --image or --from must be specified');
  if (f.image) {
    const job = {
      kind: 'Job',
      apiVersion: 'batch/v1',
      metadata: { name, creationTimestamp: null },
      spec: { template: { metadata: { creationTimestamp: null }, spec: { containers: [jobContainer(name, f.image, command)], restartPolicy: 'Never' } } },
      status: {},
    };
    return sendWrapped(ctx, job as unknown as KubeObject, f, 'job');
  }
  if (command.length) throw new CliError('error: cannot specify --from and command');
  const from = f.from!;
  const slash = from.indexOf('/');
  const type = slash < 0 ? '' : from.slice(0, slash);
  const source = slash < 0 ? from : from.slice(slash + 1);
  const r = await ctx.resolve(type || from);
  if (r.group !== 'batch' || r.kind !== 'CronJob') throw new CliError('error: from must be an existing cronjob');
  const cj = await ctx.request<
    KubeObject & { spec?: { jobTemplate?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: unknown } } }
  >({
    path: pathOf(r, ctx.namespace, source),
  });
  const template = cj.spec?.jobTemplate ?? {};
  const job = {
    kind: 'Job',
    apiVersion: 'batch/v1',
    metadata: {
      name,
      // As kubectl: the namespace is written only when given with -n.
      ...(ctx.flags.namespace ? { namespace: ctx.flags.namespace } : {}),
      creationTimestamp: null,
      ...(template.metadata?.labels ? { labels: template.metadata.labels } : {}),
      annotations: { 'cronjob.kubernetes.io/instantiate': 'manual', ...(template.metadata?.annotations ?? {}) },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: cj.metadata?.name, uid: cj.metadata?.uid, controller: true }],
    },
    spec: template.spec ?? {},
    status: {},
  };
  return sendWrapped(ctx, job as unknown as KubeObject, f, 'job');
}

export interface CreateCronJobFlags extends CreateCommonFlags {
  image?: string;
  schedule?: string;
  restart?: string;
}

/** `create cronjob NAME --image=I --schedule=S [--restart=OnFailure|Never] [-- COMMAND...]`. */
export async function createCronJob(ctx: Ctx, name: string, command: string[], f: CreateCronJobFlags): Promise<number> {
  if (f.image === undefined) throw new CliError('error: required flag(s) "image" not set');
  if (f.schedule === undefined) throw new CliError('error: required flag(s) "schedule" not set');
  const cj = {
    kind: 'CronJob',
    apiVersion: 'batch/v1',
    metadata: { name, creationTimestamp: null },
    spec: {
      schedule: f.schedule,
      jobTemplate: {
        metadata: { name, creationTimestamp: null },
        spec: {
          template: {
            metadata: { creationTimestamp: null },
            spec: { containers: [jobContainer(name, f.image, command)], restartPolicy: f.restart || 'OnFailure' },
          },
        },
      },
    },
    status: {},
  };
  return sendWrapped(ctx, cj as unknown as KubeObject, f, 'cronjob');
}

/** kubectl's container name for an image: its last path part without tag or digest. */
function containerName(image: string): string {
  let n = image.split('/').pop() ?? image;
  n = n.split('@')[0]!.split(':')[0]!;
  return n.toLowerCase().replace(/[^a-z0-9-]/g, '-');
}

export interface CreateDataFlags extends CreateCommonFlags {
  fromLiteral?: string[];
  fromFile?: string[];
  type?: string;
}

export async function createConfigMap(ctx: Ctx, name: string, f: CreateDataFlags): Promise<number> {
  const data: Record<string, string> = {};
  const binaryData: Record<string, string> = {};
  for (const [k, v] of collect(f)) {
    const text = v.toString('utf8');
    if (Buffer.from(text, 'utf8').equals(v)) data[k] = text;
    else binaryData[k] = v.toString('base64');
  }
  const cm = {
    kind: 'ConfigMap',
    apiVersion: 'v1',
    metadata: { name, creationTimestamp: null },
    ...(Object.keys(data).length ? { data } : {}),
    ...(Object.keys(binaryData).length ? { binaryData } : {}),
  };
  return send(ctx, cm as unknown as KubeObject, f);
}

export async function createSecretGeneric(ctx: Ctx, name: string, f: CreateDataFlags): Promise<number> {
  const data: Record<string, string> = {};
  for (const [k, v] of collect(f)) data[k] = v.toString('base64');
  const s = {
    kind: 'Secret',
    apiVersion: 'v1',
    metadata: { name, creationTimestamp: null },
    ...(f.type ? { type: f.type } : {}),
    ...(Object.keys(data).length ? { data } : {}),
  };
  return send(ctx, s as unknown as KubeObject, f);
}

/** `--from-literal=k=v` and `--from-file=[key=]path` (a folder: each regular file). */
function collect(f: CreateDataFlags): Array<[string, Buffer]> {
  const out = new Map<string, Buffer>();
  const add = (k: string, v: Buffer) => {
    if (out.has(k)) throw new CliError(`error: cannot add key ${k}, another key by that name already exists in Data for ConfigMap`);
    if (!/^[-._a-zA-Z0-9]+$/.test(k))
      throw new CliError(`error: "${k}" is not a valid key name: a valid config key must consist of alphanumeric characters, '-', '_' or '.'`);
    out.set(k, v);
  };
  for (const lit of f.fromLiteral ?? []) {
    const i = lit.indexOf('=');
    if (i <= 0) throw new CliError(`error: invalid literal source ${lit}, expected key=value`);
    add(lit.slice(0, i), Buffer.from(lit.slice(i + 1), 'utf8'));
  }
  for (const spec of f.fromFile ?? []) {
    const i = spec.indexOf('=');
    const [key, path] = i > 0 ? [spec.slice(0, i), spec.slice(i + 1)] : [undefined, spec];
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(path);
    } catch {
      throw new CliError(`error: error reading ${path}: no such file or directory`);
    }
    if (st.isDirectory()) {
      if (key) throw new CliError('error: cannot give a key name for a directory path');
      for (const e of readdirSync(path, { withFileTypes: true })) if (e.isFile()) add(e.name, readFileSync(join(path, e.name)));
    } else add(key ?? basename(path), readFileSync(path));
  }
  return [...out];
}
