/**
 * What the kinds' Table columns share (upstream's pkg/printers/internalversion): the
 * column shape, the Name and Age columns, and the formatting helpers several kinds use.
 */
import type { KubeObject } from '@minik8s/api';

/** One column of server-side printing: its definition and how to compute its cell. */
export interface Column {
  name: string;
  type?: string;
  format?: string;
  /** 0: always shown; 1: only with `-o wide`. */
  priority?: number;
  cell(o: KubeObject, now: Date): unknown;
}

// biome-ignore lint/suspicious/noExplicitAny: printers read loosely typed object fields
export type Any = any;

/** Upstream's duration.HumanDuration, as kubectl's AGE column shows it. */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < -1) return '<invalid>';
  if (s < 0) return '0s';
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  if (h < 24 * 8) return h % 24 === 0 ? `${Math.floor(h / 24)}d` : `${Math.floor(h / 24)}d${h % 24}h`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24)}d`;
  const y = Math.floor(h / 24 / 365);
  if (y < 8) {
    const d = Math.floor(h / 24) - y * 365;
    return d === 0 ? `${y}y` : `${y}y${d}d`;
  }
  return `${y}y`;
}

export const nameColumn: Column = { name: 'Name', format: 'name', cell: (o) => o.metadata.name ?? '' };

export const ageColumn: Column = {
  name: 'Age',
  cell: (o, now) => (o.metadata.creationTimestamp ? humanDuration(now.getTime() - Date.parse(o.metadata.creationTimestamp)) : '<unknown>'),
};

/** The columns of a kind without its own printer (upstream's default table convertor). */
export const DEFAULT_COLUMNS: readonly Column[] = [nameColumn, { name: 'Created At', type: 'date', cell: (o) => o.metadata.creationTimestamp ?? '' }];

/** `<none>` for an empty value. */
export const none = (v: unknown) => (v === undefined || v === null || v === '' ? '<none>' : v);

/** Comma-joined, `<none>` when empty. */
export const joined = (xs: unknown[] | undefined) => (xs && xs.length > 0 ? xs.join(',') : '<none>');

/** labels.FormatLabels: `k=v` sorted by key, `<none>` when empty. */
export function formatLabels(m: Record<string, string> | undefined): string {
  return joined(
    Object.keys(m ?? {})
      .sort()
      .map((k) => `${k}=${m![k]}`),
  );
}

/** Load-balancer ingress points (IP, else hostname), sorted and without repeats. */
export function loadBalancerAddresses(lb: Any): string {
  const set = new Set<string>();
  for (const i of lb?.ingress ?? []) {
    if (i.ip) set.add(i.ip);
    else if (i.hostname) set.add(i.hostname);
  }
  return [...set].sort().join(',');
}

/** `ready/desired` from a status and a spec field, e.g. Deployments' READY. */
export const replicasCell = (want: string, have: string) => (o: Any) => `${o.status?.[have] ?? 0}/${o.spec?.[want] ?? 0}`;

/** A workload's containers' names, images and selector (the `-o wide` columns). */
export const containerNames = (o: Any) => joined((o.spec?.template?.spec?.containers ?? []).map((c: Any) => c.name));
export const containerImages = (o: Any) => joined((o.spec?.template?.spec?.containers ?? []).map((c: Any) => c.image));
