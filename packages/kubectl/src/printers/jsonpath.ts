/**
 * kubectl's JSONPath templates (`-o jsonpath=...`): text with `{expr}` actions, where an
 * expression is `.a.b`, `.items[*].x`, `[0]`, `[1:3]`, `['k.e.y']`, `..name`,
 * `[?(@.a=="b")]`; plus `{range EXPR}...{end}` and string literals (`{"\n"}`). Several
 * results of one action are joined by spaces; objects print as JSON; missing keys
 * print nothing (kubectl's --allow-missing-template-keys=true).
 */

type Node = { t: 'text'; text: string } | { t: 'expr'; steps: Step[] } | { t: 'range'; steps: Step[]; body: Node[] };

type Step =
  | { k: 'field'; name: string }
  | { k: 'recursive'; name: string }
  | { k: 'wildcard' }
  | { k: 'index'; i: number }
  | { k: 'slice'; start?: number; end?: number; step?: number }
  | { k: 'filter'; left: Step[]; op?: string; right?: unknown; rightSteps?: Step[] }
  | { k: 'literal'; value: unknown };

export class JsonPathError extends Error {
  override name = 'JsonPathError';
}

export function compileJsonPath(template: string): (data: unknown) => string {
  const nodes = parseTemplate(template);
  return (data) => render(nodes, data, data);
}

function parseTemplate(src: string): Node[] {
  const root: Node[] = [];
  const stack: Node[][] = [root];
  const ranges: Array<Extract<Node, { t: 'range' }>> = [];
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf('{', i);
    if (open < 0) {
      stack[stack.length - 1]!.push({ t: 'text', text: src.slice(i) });
      break;
    }
    if (open > i) stack[stack.length - 1]!.push({ t: 'text', text: src.slice(i, open) });
    const close = findClose(src, open + 1);
    if (close < 0) throw new JsonPathError(`unclosed action`);
    const action = src.slice(open + 1, close).trim();
    i = close + 1;
    const cur = stack[stack.length - 1]!;
    if (action === 'end') {
      if (!ranges.length) throw new JsonPathError('not in range, nothing to end');
      ranges.pop();
      stack.pop();
    } else if (/^range[\s.[$@]/.test(action)) {
      const node: Extract<Node, { t: 'range' }> = { t: 'range', steps: parseExpr(action.slice(5).trim()), body: [] };
      cur.push(node);
      ranges.push(node);
      stack.push(node.body);
    } else if (/^".*"$/s.test(action) || /^'.*'$/s.test(action)) {
      cur.push({ t: 'text', text: unquote(action) });
    } else {
      cur.push({ t: 'expr', steps: parseExpr(action) });
    }
  }
  if (ranges.length) throw new JsonPathError('unclosed range');
  return root;
}

function findClose(src: string, from: number): number {
  let quote = '';
  for (let j = from; j < src.length; j++) {
    const ch = src[j];
    if (quote) {
      if (ch === '\\') j++;
      else if (ch === quote) quote = '';
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '}') return j;
  }
  return -1;
}

function unquote(s: string): string {
  const body = s.slice(1, -1);
  return body.replace(/\\(.)/g, (_, c: string) => ({ n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'" })[c] ?? c);
}

function parseExpr(src: string): Step[] {
  const steps: Step[] = [];
  let i = 0;
  if (src.startsWith('$') || src.startsWith('@')) i = 1;
  const readName = () => {
    let name = '';
    while (i < src.length && !'.['.includes(src[i]!)) {
      if (src[i] === '\\' && i + 1 < src.length) {
        name += src[i + 1];
        i += 2;
      } else name += src[i++];
    }
    return name;
  };
  while (i < src.length) {
    const ch = src[i]!;
    if (ch === '.') {
      if (src[i + 1] === '.') {
        i += 2;
        steps.push({ k: 'recursive', name: readName() });
        continue;
      }
      i++;
      const name = readName();
      if (name === '*') steps.push({ k: 'wildcard' });
      else if (name) steps.push({ k: 'field', name });
    } else if (ch === '[') {
      const close = findBracket(src, i);
      const inner = src.slice(i + 1, close).trim();
      i = close + 1;
      steps.push(parseBracket(inner));
    } else if (/^"|^'/.test(src.slice(i)) || /^-?\d/.test(src.slice(i))) {
      steps.push({ k: 'literal', value: parseLiteral(src.slice(i)) });
      break;
    } else {
      const name = readName();
      if (!name) throw new JsonPathError(`unrecognized character in action: ${ch}`);
      steps.push({ k: 'field', name });
    }
  }
  return steps;
}

function findBracket(src: string, open: number): number {
  let depth = 0;
  let quote = '';
  for (let j = open; j < src.length; j++) {
    const ch = src[j];
    if (quote) {
      if (ch === quote) quote = '';
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '[') depth++;
    else if (ch === ']' && --depth === 0) return j;
  }
  throw new JsonPathError(`unterminated array`);
}

function parseBracket(inner: string): Step {
  if (inner === '*') return { k: 'wildcard' };
  if (/^'.*'$|^".*"$/.test(inner)) return { k: 'field', name: inner.slice(1, -1) };
  if (inner.startsWith('?(') && inner.endsWith(')')) {
    const body = inner.slice(2, -1).trim();
    const m = /^(@[^<>=!~]*?)\s*(==|!=|<=|>=|<|>|=~)\s*(.+)$/.exec(body);
    if (!m) return { k: 'filter', left: parseExpr(body) };
    const right = m[3]!.trim();
    if (right.startsWith('@') || right.startsWith('$')) return { k: 'filter', left: parseExpr(m[1]!.trim()), op: m[2]!, rightSteps: parseExpr(right) };
    return { k: 'filter', left: parseExpr(m[1]!.trim()), op: m[2]!, right: parseLiteral(right) };
  }
  if (/^-?\d+$/.test(inner)) return { k: 'index', i: Number(inner) };
  if (inner.includes(':')) {
    const [a, b, c] = inner.split(':').map((x) => (x.trim() === '' ? undefined : Number(x)));
    return { k: 'slice', start: a, end: b, step: c };
  }
  return { k: 'field', name: inner };
}

function parseLiteral(s: string): unknown {
  const t = s.trim();
  if (/^'.*'$|^".*"$/.test(t)) return unquote(t);
  if (t === 'true' || t === 'false') return t === 'true';
  if (t === 'nil' || t === 'null') return null;
  const n = Number(t);
  if (!Number.isNaN(n)) return n;
  return t;
}

function evaluate(steps: Step[], cur: unknown, root: unknown): unknown[] {
  let vals: unknown[] = [cur];
  for (const s of steps) {
    const next: unknown[] = [];
    for (const v of vals) applyStep(s, v, root, next);
    vals = next;
  }
  return vals;
}

function applyStep(s: Step, v: unknown, root: unknown, out: unknown[]): void {
  switch (s.k) {
    case 'field':
      if (isObj(v) && s.name in v) out.push(v[s.name]);
      return;
    case 'wildcard':
      if (Array.isArray(v)) out.push(...v);
      else if (isObj(v)) for (const k of Object.keys(v).sort()) out.push(v[k]);
      return;
    case 'index':
      if (Array.isArray(v)) {
        const i = s.i < 0 ? v.length + s.i : s.i;
        if (i >= 0 && i < v.length) out.push(v[i]);
      }
      return;
    case 'slice':
      if (Array.isArray(v)) {
        const norm = (x: number | undefined, d: number) => (x === undefined ? d : x < 0 ? Math.max(0, v.length + x) : Math.min(x, v.length));
        const step = s.step ?? 1;
        for (let i = norm(s.start, 0); i < norm(s.end, v.length); i += step > 0 ? step : 1) out.push(v[i]);
      }
      return;
    case 'recursive':
      walk(v, (x) => {
        if (isObj(x) && s.name in x) out.push(x[s.name]);
      });
      return;
    case 'filter': {
      const items = Array.isArray(v) ? v : isObj(v) ? Object.values(v) : [];
      for (const item of items) {
        const left = evaluate(s.left, item, root);
        if (!s.op) {
          if (left.length && left.some((x) => x !== undefined && x !== null && x !== false)) out.push(item);
          continue;
        }
        const right = s.rightSteps ? evaluate(s.rightSteps, item, root)[0] : s.right;
        if (left.length && compare(left[0], s.op, right)) out.push(item);
      }
      return;
    }
    case 'literal':
      out.push(s.value);
      return;
  }
}

function compare(a: unknown, op: string, b: unknown): boolean {
  switch (op) {
    case '==':
      return a === b || String(a) === String(b);
    case '!=':
      return !(a === b || String(a) === String(b));
    case '<':
      return Number(a) < Number(b);
    case '>':
      return Number(a) > Number(b);
    case '<=':
      return Number(a) <= Number(b);
    case '>=':
      return Number(a) >= Number(b);
    case '=~':
      return new RegExp(String(b)).test(String(a));
    default:
      return false;
  }
}

function walk(v: unknown, f: (x: unknown) => void): void {
  f(v);
  if (Array.isArray(v)) for (const x of v) walk(x, f);
  else if (isObj(v)) for (const k of Object.keys(v)) walk(v[k], f);
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function text(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'object') return goJson(v);
  return String(v);
}

/** Go's json.Marshal of an unstructured value: sorted keys, <>& escaped. */
export function goJson(v: unknown, indent?: string): string {
  return escapeHtml(JSON.stringify(sortKeys(v), null, indent));
}

export function escapeHtml(s: string): string {
  return s.replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
}

export function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (isObj(v)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys(v[k]);
    return out;
  }
  return v;
}

function render(nodes: Node[], cur: unknown, root: unknown): string {
  let out = '';
  for (const n of nodes) {
    if (n.t === 'text') out += n.text;
    else if (n.t === 'expr') out += evaluate(n.steps, cur, root).map(text).join(' ');
    else {
      for (const item of evaluate(n.steps, cur, root)) {
        const items = Array.isArray(item) ? item : [item];
        for (const x of items) out += render(n.body, x, root);
      }
    }
  }
  return out;
}
