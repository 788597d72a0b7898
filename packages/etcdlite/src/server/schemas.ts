/**
 * JSON schemas of the etcd v3 gateway requests we serve (field names as etcd's proto,
 * snake_case). Unlike etcd's gateway, unknown fields are refused: a typo in a field name
 * should be an error, not a silently ignored option.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

const int64 = { anyOf: [{ type: 'integer' }, { type: 'string', pattern: '^-?[0-9]{1,19}$' }] };
const bytes = { type: 'string' };
const bool = { type: 'boolean' };
const enumOf = (names: string[]) => ({
  anyOf: [{ enum: names }, { type: 'integer', minimum: 0, maximum: names.length - 1 }],
});
const message = (properties: Record<string, unknown>) => ({
  type: 'object',
  additionalProperties: false,
  properties,
});

export const SORT_ORDERS = ['NONE', 'ASCEND', 'DESCEND'] as const;
export const SORT_TARGETS = ['KEY', 'VERSION', 'CREATE', 'MOD', 'VALUE'] as const;
export const COMPARE_RESULTS = ['EQUAL', 'GREATER', 'LESS', 'NOT_EQUAL'] as const;
export const COMPARE_TARGETS = ['VERSION', 'CREATE', 'MOD', 'VALUE', 'LEASE'] as const;
export const WATCH_FILTERS = ['NOPUT', 'NODELETE'] as const;

const range = message({
  key: bytes,
  range_end: bytes,
  limit: int64,
  revision: int64,
  sort_order: enumOf([...SORT_ORDERS]),
  sort_target: enumOf([...SORT_TARGETS]),
  serializable: bool,
  keys_only: bool,
  count_only: bool,
  min_mod_revision: int64,
  max_mod_revision: int64,
  min_create_revision: int64,
  max_create_revision: int64,
});

const put = message({
  key: bytes,
  value: bytes,
  lease: int64,
  prev_kv: bool,
  ignore_value: bool,
  ignore_lease: bool,
});

const deleteRange = message({ key: bytes, range_end: bytes, prev_kv: bool });

const compare = message({
  result: enumOf([...COMPARE_RESULTS]),
  target: enumOf([...COMPARE_TARGETS]),
  key: bytes,
  range_end: bytes,
  version: int64,
  create_revision: int64,
  mod_revision: int64,
  value: bytes,
  lease: int64,
});

const txn = {
  $id: 'txn',
  ...message({
    compare: { type: 'array', items: compare },
    success: { type: 'array', items: { $ref: 'op' } },
    failure: { type: 'array', items: { $ref: 'op' } },
  }),
};

const op = {
  $id: 'op',
  ...message({ request_range: range, request_put: put, request_delete_range: deleteRange, request_txn: { $ref: 'txn' } }),
  maxProperties: 1,
};

const watch = message({
  create_request: message({
    key: bytes,
    range_end: bytes,
    start_revision: int64,
    progress_notify: bool,
    filters: { type: 'array', items: enumOf([...WATCH_FILTERS]) },
    prev_kv: bool,
    watch_id: int64,
    fragment: bool,
  }),
  cancel_request: message({ watch_id: int64 }),
  progress_request: message({}),
});

const ajv = new Ajv({ allErrors: false, strict: true });
ajv.addSchema(op);
ajv.addSchema(txn);

export const validators = {
  range: ajv.compile(range),
  put: ajv.compile(put),
  deleteRange: ajv.compile(deleteRange),
  txn: ajv.getSchema('txn') as ValidateFunction,
  compaction: ajv.compile(message({ revision: int64, physical: bool })),
  watch: ajv.compile(watch),
  leaseGrant: ajv.compile(message({ TTL: int64, ID: int64 })),
  leaseId: ajv.compile(message({ ID: int64 })),
  leaseTimeToLive: ajv.compile(message({ ID: int64, keys: bool })),
  empty: ajv.compile(message({})),
};

/** A readable one-line reason, with the JSON path of the offending field. */
export function describeSchemaError(errs: ErrorObject[] | null | undefined): string {
  const e = errs?.find((x) => x.keyword === 'anyOf') ?? errs?.[0];
  if (!e) return 'invalid request';
  const at = e.instancePath || '/';
  if (e.keyword === 'additionalProperties') {
    return `unknown field "${(e.params as { additionalProperty: string }).additionalProperty}" at ${at}`;
  }
  if (e.keyword === 'maxProperties') return `only one of the request fields may be set at ${at}`;
  if (e.keyword === 'anyOf') return `wrong type or value for field ${at}`;
  return `field ${at} ${e.message ?? 'is invalid'}`;
}
