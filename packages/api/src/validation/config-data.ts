/**
 * The data of ConfigMaps and Secrets, as upstream's ValidateConfigMap and ValidateSecret
 * (pkg/apis/core/validation): every key a config key (it becomes a file name when
 * mounted), a key in only one of data and binaryData, and at most 1 MiB of values in all
 * (core.MaxConfigMapSize, core.MaxSecretSize); the keys each Secret type needs; and, on
 * update, a Secret's type and the data of an object marked `immutable` left alone.
 */
import { type FieldCause, fieldForbidden, fieldInvalid, fieldRequired, fieldTooLong } from './field-cause.ts';
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

/**
 * The keys each Secret type must have (ValidateSecret), counted after stringData is merged
 * into data, as upstream validates: TLS needs tls.crt and tls.key, docker configs their
 * JSON file, basic-auth a username or a password, ssh-auth a private key, and a
 * service-account token the name of its ServiceAccount.
 */
export function validateSecretType(secret: { type?: unknown; data?: StringMap; stringData?: StringMap; metadata?: { annotations?: StringMap } }): FieldCause[] {
  const data = new Map<string, string>();
  for (const [k, v] of entries(secret.data)) data.set(k, typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : '');
  for (const [k, v] of entries(secret.stringData)) data.set(k, typeof v === 'string' ? v : '');
  const need = (key: string) => (data.has(key) ? [] : [fieldRequired(keyPath('data', key))]);
  const json = (key: string): FieldCause[] => {
    if (!data.has(key)) return [fieldRequired(keyPath('data', key))];
    try {
      JSON.parse(data.get(key)!);
      return [];
    } catch (e) {
      return [fieldInvalid(keyPath('data', key), '<secret contents redacted>', (e as Error).message)];
    }
  };
  switch (secret.type) {
    case 'kubernetes.io/service-account-token': {
      const name = entries(secret.metadata?.annotations).find(([k]) => k === 'kubernetes.io/service-account.name')?.[1];
      return typeof name === 'string' && name ? [] : [fieldRequired('metadata.annotations[kubernetes.io/service-account.name]')];
    }
    case 'kubernetes.io/dockercfg':
      return json('.dockercfg');
    case 'kubernetes.io/dockerconfigjson':
      return json('.dockerconfigjson');
    case 'kubernetes.io/basic-auth':
      return data.has('username') || data.has('password') ? [] : [...need('username'), ...need('password')];
    case 'kubernetes.io/ssh-auth':
      return data.get('ssh-privatekey') ? [] : [fieldRequired(keyPath('data', 'ssh-privatekey'))];
    case 'kubernetes.io/tls':
      return [...need('tls.crt'), ...need('tls.key')];
    default:
      return [];
  }
}

const IMMUTABLE = 'field is immutable when `immutable` is set';
const same = (a: unknown, b: unknown) => JSON.stringify(a ?? {}) === JSON.stringify(b ?? {});

/** ValidateConfigMapUpdate / ValidateSecretUpdate: once `immutable: true`, it stays, and so do the data. */
export function validateImmutableData(
  obj: { immutable?: unknown; [k: string]: unknown },
  old: { immutable?: unknown; [k: string]: unknown },
  fields: string[],
): FieldCause[] {
  if (old.immutable !== true) return [];
  const out: FieldCause[] = [];
  if (obj.immutable !== true) out.push(fieldForbidden('immutable', IMMUTABLE));
  for (const f of fields) if (!same(obj[f], old[f])) out.push(fieldForbidden(f, IMMUTABLE));
  return out;
}
