/**
 * A label or field selector that does not parse, or names something unsupported. The
 * message is upstream's text exactly; the API server answers it as a 400 BadRequest
 * Status with this message.
 */
export class SelectorError extends Error {
  override readonly name = 'SelectorError';
}
