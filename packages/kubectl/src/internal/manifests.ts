/**
 * `-f FILE|DIR|URL|-`: multi-document YAML or JSON files, the files of a folder
 * (`.yaml`, `.yml`, `.json`; sub-folders only with `-R`), or standard input. `List`
 * objects are flattened into their items, as kubectl does.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { KubeObject } from '@minik8s/client/kube';
import { parseAllDocuments } from 'yaml';
import { CliError, type Io } from '../context.ts';

export interface Manifest {
  object: KubeObject;
  /** Where it came from (for messages): the file name, or "STDIN". */
  source: string;
}

const EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

export async function readManifests(io: Io, files: string[], recursive = false): Promise<Manifest[]> {
  if (files.length === 0) throw new CliError('error: must specify one of -f and -k');
  const out: Manifest[] = [];
  for (const f of files) {
    if (f === '-') {
      out.push(...parseManifests(await io.readStdin(), 'STDIN'));
      continue;
    }
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(f);
    } catch {
      throw new CliError(`error: the path "${f}" does not exist`);
    }
    if (st.isDirectory()) {
      for (const file of listDir(f, recursive)) out.push(...parseManifests(readFileSync(file, 'utf8'), file));
    } else out.push(...parseManifests(readFileSync(f, 'utf8'), f));
  }
  return out;
}

function listDir(dir: string, recursive: boolean): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (recursive) out.push(...listDir(p, true));
    } else if (EXTENSIONS.has(extname(e.name))) out.push(p);
  }
  return out;
}

export function parseManifests(text: string, source: string): Manifest[] {
  const out: Manifest[] = [];
  const docs = parseAllDocuments(text, {
    version: '1.1',
    // go-yaml leaves timestamps as strings when decoding into unstructured objects.
    customTags: (tags) => tags.filter((t) => (t as { tag?: string }).tag !== 'tag:yaml.org,2002:timestamp'),
  });
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    if (doc.errors.length) throw new CliError(`error: error parsing ${source}: ${doc.errors[0]!.message.split('\n')[0]}`);
    const v = doc.toJS() as unknown;
    if (v === null || v === undefined) continue;
    if (typeof v !== 'object' || Array.isArray(v)) throw new CliError(`error: error parsing ${source}: not a Kubernetes object`);
    const obj = v as KubeObject & { items?: KubeObject[] };
    if (typeof obj.kind === 'string' && obj.kind.endsWith('List') && Array.isArray(obj.items)) {
      for (const item of obj.items) out.push(check(item, source));
    } else out.push(check(obj, source));
  }
  return out;
}

function check(obj: KubeObject, source: string): Manifest {
  if (!obj.apiVersion || !obj.kind) {
    const missing = !obj.apiVersion ? 'apiVersion' : 'kind';
    throw new CliError(
      `error: error validating "${source}": error validating data: ${missing} not set; if you choose to ignore these errors, turn validation off with --validate=false`,
    );
  }
  return { object: obj, source };
}
