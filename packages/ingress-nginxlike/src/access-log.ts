/**
 * Access-log lines as JSON, the shape a pino logger writes (`level` 30, ISO `time`), but
 * formatted by hand and written in batches: this runs once per request, and a logger's
 * per-call work (or one write per line) costs more than the proxying it logs.
 */
import type { AccessEntry, AccessLogger } from './internal/connection.ts';

export type { AccessEntry, AccessLogger };

const q = JSON.stringify;

let isoAt = -1;
let iso = '';
/** The current time in ISO form, made once per millisecond. */
function now(): string {
  const t = Date.now();
  if (t !== isoAt) {
    isoAt = t;
    iso = new Date(t).toISOString();
  }
  return iso;
}

/** One JSON line per entry. */
export function formatAccessLine(e: AccessEntry, time?: Date): string {
  return `{"level":30,"time":"${time ? time.toISOString() : now()}","remote_addr":${q(e.remote_addr)},"host":${q(e.host)},"method":${q(e.method)},"path":${q(e.path)},"protocol":"${e.protocol}","status":${e.status},"upstream_addr":${q(e.upstream_addr)},"request_time":${e.request_time},"ingress":${q(e.ingress)},"service":${q(e.service)}}\n`;
}

export interface JsonLinesLogger extends AccessLogger {
  /** Writes what is pending now. */
  flush(): void;
}

/**
 * An AccessLogger writing JSON lines through `write` (e.g. `process.stdout.write`, which
 * is synchronous for files and pipes on Linux) in batches: when `maxBytes` are pending or
 * `flushMs` after the first pending line, whichever comes first.
 */
export function jsonLines(write: (chunk: string) => unknown, o: { flushMs?: number; maxBytes?: number } = {}): JsonLinesLogger {
  const flushMs = o.flushMs ?? 100;
  const maxBytes = o.maxBytes ?? 64 * 1024;
  let pending = '';
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (!pending) return;
    const chunk = pending;
    pending = '';
    write(chunk);
  };
  return {
    info(e) {
      pending += formatAccessLine(e);
      if (pending.length >= maxBytes) flush();
      else if (!timer) {
        timer = setTimeout(flush, flushMs);
        timer.unref();
      }
    },
    flush,
  };
}
