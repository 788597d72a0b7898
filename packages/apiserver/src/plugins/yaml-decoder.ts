/**
 * YAML request bodies (server-side apply, `application/yaml`), decoded off the event loop.
 * The `yaml` library needs tens of microseconds a node, and its duplicate-key check is
 * quadratic: an 800 KiB body of 40,000 keys took 16 s, and a 2 MiB list 2 s, all of it
 * with every other request waiting. So bodies over INLINE_BYTES are decoded in a worker
 * thread, keys are checked for duplicates in one pass (the library's own check is off),
 * and a body still decoding after DECODE_TIMEOUT_MS is refused (the worker is replaced).
 * The decoding code is one source, run inline for small bodies and in the worker for
 * large ones, so both answer alike.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import * as yaml from 'yaml';

/** Smaller bodies decode inline, in a few milliseconds at most (a deep flow mapping costs far more than its bytes suggest). */
export const INLINE_BYTES = 1024;
export const DECODE_TIMEOUT_MS = 10_000;

/** What decoding gives: the value, or an error with the line and column it names. */
export type Decoded = { value: unknown } | { error: { message: string; linePos?: Array<{ line: number; col: number }> } };

/** The body of `(yaml, text) => Decoded`, plain JavaScript, as the worker evaluates it too. */
const DECODE = `
  const lineCounter = new yaml.LineCounter();
  const doc = yaml.parseDocument(text, { uniqueKeys: false, lineCounter, logLevel: 'silent' });
  if (doc.errors.length) return { error: { message: doc.errors[0].message, linePos: doc.errors[0].linePos } };
  let dup;
  yaml.visit(doc, {
    Map(_, map) {
      const seen = new Set();
      for (const item of map.items) {
        if (!yaml.isScalar(item.key)) continue;
        if (seen.has(item.key.value)) {
          dup = item.key;
          return yaml.visit.BREAK;
        }
        seen.add(item.key.value);
      }
    },
  });
  if (dup) {
    const at = lineCounter.linePos(dup.range ? dup.range[0] : 0);
    return { error: { message: 'Map keys must be unique at line ' + at.line + ', column ' + at.col, linePos: [at] } };
  }
  try {
    return { value: doc.toJS({ maxAliasCount: 100 }) };
  } catch (e) {
    return { error: { message: e.message } };
  }
`;

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const yaml = require(workerData.yaml);
const decode = new Function('yaml', 'text', workerData.decode);
parentPort.on('message', ({ id, text }) => {
  const started = performance.now();
  let out;
  try {
    out = decode(yaml, text);
  } catch (e) {
    out = { error: { message: e.message } };
  }
  parentPort.postMessage({ id, out, ms: performance.now() - started });
});
`;

const decodeInline = new Function('yaml', 'text', DECODE) as (y: typeof yaml, text: string) => Decoded;

let workerMs = 0;
/** Milliseconds the decoding workers (of every server in this process) have spent decoding, for tests that account for CPU time. */
export const yamlWorkerMs = () => workerMs;

export class YamlDecoder {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve(d: Decoded): void; timer: NodeJS.Timeout }>();
  private closed = false;

  decode(text: string): Promise<Decoded> | Decoded {
    if (text.length <= INLINE_BYTES || this.closed) return decodeInline(yaml, text);
    const w = this.ensureWorker();
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        // Whatever the worker is stuck on, everything queued behind it is refused alike.
        this.reset({ error: { message: `the document took more than ${DECODE_TIMEOUT_MS / 1000}s to decode` } });
      }, DECODE_TIMEOUT_MS);
      this.pending.set(id, { resolve, timer });
      w.postMessage({ id, text });
    });
  }

  close(): void {
    this.closed = true;
    this.reset({ error: { message: 'the server is shutting down' } });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(WORKER, { eval: true, workerData: { yaml: createRequire(import.meta.url).resolve('yaml'), decode: DECODE } });
    w.unref();
    w.on('message', ({ id, out, ms }: { id: number; out: Decoded; ms: number }) => {
      workerMs += ms;
      const p = this.pending.get(id);
      if (!p) return;
      this.pending.delete(id);
      clearTimeout(p.timer);
      p.resolve(out);
    });
    w.on('error', (err) => this.reset({ error: { message: err.message } }));
    w.on('exit', () => {
      if (this.worker === w) this.reset({ error: { message: 'the decoder stopped' } });
    });
    this.worker = w;
    return w;
  }

  /** Ends the worker and answers everything pending with `out`. */
  private reset(out: Decoded): void {
    void this.worker?.terminate();
    this.worker = undefined;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.resolve(out);
    }
    this.pending.clear();
  }
}
