/**
 * Node selector terms as upstream matches them (component-helpers' nodeaffinity): terms
 * are ORed, a term's expressions and fields are ANDed, and an empty term matches nothing.
 */
import type { Node } from '@minik8s/api';

export interface NodeSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

export interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}

function parseInteger(s: string): number | undefined {
  return /^[+-]?\d+$/.test(s) ? Number(s) : undefined;
}

/** One requirement against a set of labels (or fields). */
export function matchesRequirement(r: NodeSelectorRequirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, r.key);
  const value = labels[r.key];
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return has && values.includes(value as string);
    case 'NotIn':
      return !has || !values.includes(value as string);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      if (!has || values.length !== 1) return false;
      const a = parseInteger(value as string);
      const b = parseInteger(values[0] as string);
      if (a === undefined || b === undefined) return false;
      return r.operator === 'Gt' ? a > b : a < b;
    }
    default:
      return false;
  }
}

/** True if `term` matches the node; an empty term (no expressions, no fields) matches nothing. */
export function matchesTerm(term: NodeSelectorTerm, node: Node): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata?.labels ?? {};
  for (const r of exprs) if (!matchesRequirement(r, labels)) return false;
  // The only field upstream supports is metadata.name.
  const nodeFields = { 'metadata.name': node.metadata?.name ?? '' };
  for (const r of fields) {
    if (r.key !== 'metadata.name') return false;
    if (!matchesRequirement(r, nodeFields)) return false;
  }
  return true;
}

/** True if any term matches. */
export function matchesAnyTerm(terms: NodeSelectorTerm[], node: Node): boolean {
  return terms.some((t) => matchesTerm(t, node));
}
