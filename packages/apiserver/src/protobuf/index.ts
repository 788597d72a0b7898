/**
 * Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`), which
 * kubectl 1.32's typed clients send for `create <generator>`, `auth can-i`, `create token`
 * and friends. The API server decodes them to the JSON objects it stores.
 */
export {
  decodeKubernetesProtobuf,
  hasProtobufMagic,
  PROTOBUF_CONTENT_TYPE,
  ProtobufDecodeError,
} from './decode.ts';
export { encodeKubernetesProtobuf } from './encode.ts';
export { KIND_MESSAGES, messageForKind } from './kinds.ts';
