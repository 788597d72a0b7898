/**
 * Object validation against the upstream schemas with Ajv. Each kind is compiled the first
 * time it is validated (or warmed with `compile`) and reused after that: its definition and
 * those it refers to are converted and added to one shared Ajv instance, each definition
 * compiled to its own function, so ObjectMeta, PodSpec and the like are compiled once for
 * all the kinds that use them.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import type { Definitions } from './definitions.ts';
import { ajvId, ajvSchema, INTEGER_FORMATS } from './internal/ajv-schema.ts';
import { convertErrors } from './internal/field-errors.ts';
import type { ValidateOptions, ValidationResult } from './types.ts';

export class SchemaValidator {
  private readonly ajv = new Ajv({
    strict: false,
    allErrors: true,
    // Only the integer formats are added to the schemas (ajv-schema.ts), with the checks below.
    validateFormats: true,
    // Infinity (what JSON.parse makes of 1e400) is not a number, as in Go's decoder.
    strictNumbers: true,
    inlineRefs: false,
    messages: false,
    logger: false,
    // Unoptimised code compiles twice as fast and validates about as fast.
    code: { optimize: false },
  });
  private readonly added = new Set<string>();
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(private readonly defs: Definitions) {
    for (const [name, range] of Object.entries(INTEGER_FORMATS)) {
      this.ajv.addFormat(name, { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= range.min && n <= range.max });
    }
  }

  /** Compiles (once) the validator for a definition. */
  compile(definition: string): ValidateFunction {
    let fn = this.compiled.get(definition);
    if (fn) return fn;
    if (!this.defs.schemas[definition]) throw new Error(`no OpenAPI definition ${definition}`);
    this.add(definition);
    fn = this.ajv.getSchema(ajvId(definition));
    if (!fn) throw new Error(`could not compile OpenAPI definition ${definition}`);
    this.compiled.set(definition, fn);
    return fn;
  }

  /** Adds a definition and everything it refers to. */
  private add(definition: string): void {
    const stack = [definition];
    while (stack.length) {
      const name = stack.pop()!;
      if (this.added.has(name)) continue;
      const schema = this.defs.schemas[name];
      if (!schema) continue;
      const { schema: converted, refs } = ajvSchema(name, schema);
      this.ajv.addSchema(converted);
      this.added.add(name);
      stack.push(...refs);
    }
  }

  validate(definition: string, obj: unknown, opts: ValidateOptions): ValidationResult {
    const fn = this.compile(definition);
    if (fn(obj) || !fn.errors) return { causes: [], warnings: [], unknownFields: [] };
    const { causes, unknown } = convertErrors(fn.errors, obj);
    const unknownFields = unknown.map((u) => u.path);
    const result: ValidationResult = { causes, warnings: [], unknownFields };
    if (unknownFields.length) {
      const texts = unknownFields.map((p) => `unknown field "${p}"`);
      if (opts.unknownFields === 'Warn') result.warnings = texts;
      if (opts.unknownFields === 'Strict') {
        result.strictError = `strict decoding error: ${texts.join(', ')}`;
        result.causes = [...unknownFields.map((field, i) => ({ reason: 'FieldValueInvalid', field, message: texts[i]! })), ...causes];
      }
      if (opts.dropUnknown) for (const u of unknown) delete u.parent[u.key];
    }
    return result;
  }
}
