/**
 * How deep a decoded request body may nest. Upstream's JSON decoder (Go's encoding/json
 * scanner, which sigs.k8s.io/json forks) refuses more than 10000 nested objects and
 * arrays, and Go's growable stacks take the rest of the server that deep. JSON.parse has
 * no limit, and the patch, validation and managedFields code here recurses on Node's
 * fixed stack: a strategic merge patch 8000 deep overflowed it (a 500), 5000 did not. So
 * the limit here is 1000, well clear of that and far deeper than any real object; the
 * error keeps the decoder's words. The check walks with its own stack, so a body of any
 * depth is measured without overflowing.
 */
import { apiErrors } from '@minik8s/api';

/** Upstream's is 10000 (Go's encoding/json maxNestingDepth); see above for why this is lower. */
export const MAX_NESTING_DEPTH = 1000;

/**
 * Throws a 400 when `body` nests objects and arrays deeper than `limit`, in the words of
 * the decoder upstream would have used: Go's JSON scanner, or the YAML parser for YAML
 * bodies (`yaml: true`), which stops at the same depth.
 */
export function checkNestingDepth(body: unknown, o: { yaml?: boolean; limit?: number } = {}): void {
  const limit = o.limit ?? MAX_NESTING_DEPTH;
  if (body === null || typeof body !== 'object') return;
  const stack: Array<[unknown, number]> = [[body, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (depth > limit) {
      throw apiErrors.badRequest(
        o.yaml
          ? `error decoding YAML: yaml: exceeded max depth of ${limit}`
          : `error decoding JSON: invalid character '${Array.isArray(value) ? '[' : '{'}' exceeded max depth`,
      );
    }
    for (const child of Array.isArray(value) ? value : Object.values(value as object)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
}
