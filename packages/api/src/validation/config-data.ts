/**
 * The data of ConfigMaps and Secrets, as upstream's ValidateConfigMap and ValidateSecret
 * (pkg/apis/core/validation): every key a config key (it becomes a file name when
 * mounted), a key in only one of data and binaryData, and at most 1 MiB of values in all
 * (core.MaxConfigMapSize, core.MaxSecretSize).
 */
import { type FieldCause, fieldInvalid, fieldTooLong } from './field-cause.ts';
import { byteLength } from './internal/go-format.ts';
import { isConfigMapKey } from './names.ts';

/** Upstream's MaxConfigMapSize and MaxSecretSize: 1 MiB of values. */
export const MAX_CONFIG_DATA_SIZE = 1024 * 1024;

type StringMap = Readonly<Record<string, unknown>> | null | undefined;

const entries = (m: StringMap): Array<[string, unknown]> => (m && typeof m === 'object' ? Object.entries(m) : []);
const keyPath = (field: string, key: string) => `${field}[${key}]`;

function keyCauses(field: string, key: string): FieldCause[] {
  return isConfigMapKey(key).map((msg) => fieldInvalid(keyPath(field, key), key, msg));
}

/** Bytes a base64 value decodes to (binaryData, Secret data). */
const base64Size = (v: unknown) => (typeof v === 'string' ? Buffer.from(v, 'base64').length : 0);
const textSize = (v: unknown) => (typeof v === 'string' ? byteLength(v) : 0);

/** ValidateConfigMap's data rules. */
export function validateConfigMapData(cm: { data?: StringMap; binaryData?: StringMap }): FieldCause[] {
  const causes: FieldCause[] = [];
  let total = 0;
  for (const [key, value] of entries(cm.data)) {
    causes.push(...keyCauses('data', key));
    if (cm.binaryData && Object.hasOwn(cm.binaryData, key)) {
      causes.push(fieldInvalid(keyPath('data', key), key, 'duplicate of key present in binaryData'));
    }
    total += textSize(value);
  }
  for (const [key, value] of entries(cm.binaryData)) {
    causes.push(...keyCauses('binaryData', key));
    if (cm.data && Object.hasOwn(cm.data, key)) {
      causes.push(fieldInvalid(keyPath('binaryData', key), key, 'duplicate of key present in data'));
    }
    total += base64Size(value);
  }
  // Upstream reports the size at the root path, which prints as `[]`.
  if (total > MAX_CONFIG_DATA_SIZE) causes.push(fieldTooLong('[]', MAX_CONFIG_DATA_SIZE));
  return causes;
}

/**
 * ValidateSecret's data rules. Upstream merges stringData into data when it decodes a v1
 * Secret, so both are checked as `data` and their values counted once per key.
 */
export function validateSecretData(secret: { data?: StringMap; stringData?: StringMap }): FieldCause[] {
  const sizes = new Map<string, number>();
  for (const [key, value] of entries(secret.data)) sizes.set(key, base64Size(value));
  for (const [key, value] of entries(secret.stringData)) sizes.set(key, textSize(value));
  const causes: FieldCause[] = [];
  let total = 0;
  for (const [key, size] of sizes) {
    causes.push(...keyCauses('data', key));
    total += size;
  }
  if (total > MAX_CONFIG_DATA_SIZE) causes.push(fieldTooLong('data', MAX_CONFIG_DATA_SIZE));
  return causes;
}
