/**
 * Request bodies: JSON (and the JSON patch types), YAML (server-side apply) and
 * Kubernetes protobuf, with errors that name the line and column; any other type is 415.
 */
import { apiErrors, type StatusError } from '@minik8s/api';
import type { FastifyRequest } from 'fastify';
import { decodeKubernetesProtobuf, PROTOBUF_CONTENT_TYPE, ProtobufDecodeError } from '../protobuf/index.ts';
import { PATCH_TYPES } from '../rest/patch.ts';
import { global } from './plugin.ts';
import { YamlDecoder } from './yaml-decoder.ts';

const JSON_TYPES = ['application/json', PATCH_TYPES.merge, PATCH_TYPES.json, PATCH_TYPES.strategic];

export const bodies = global(async (app) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(JSON_TYPES, { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, body === '' ? undefined : JSON.parse(body as string));
    } catch (e) {
      done(jsonError(body as string, e as Error), undefined);
    }
  });
  // Large YAML bodies decode in a worker thread (see yaml-decoder.ts).
  const yaml = new YamlDecoder();
  app.addHook('onClose', async () => yaml.close());
  app.addContentTypeParser([PATCH_TYPES.apply, 'application/yaml'], { parseAs: 'string' }, async (_req: FastifyRequest, body: string | Buffer) => {
    const out = await yaml.decode(body as string);
    if ('error' in out) throw yamlError(out.error);
    return out.value;
  });
  // kubectl 1.32's typed clients (`kubectl create namespace|deployment|...`) send protobuf.
  app.addContentTypeParser(PROTOBUF_CONTENT_TYPE, { parseAs: 'buffer' }, (_req, body, done) => {
    try {
      done(null, decodeKubernetesProtobuf(body as Buffer));
    } catch (e) {
      if (!(e instanceof ProtobufDecodeError)) return done(e as Error, undefined);
      done(
        e.status === 415
          ? apiErrors.unsupportedMediaType(PROTOBUF_CONTENT_TYPE, [...JSON_TYPES, PROTOBUF_CONTENT_TYPE])
          : apiErrors.badRequest(`error decoding protobuf: ${e.message}`),
        undefined,
      );
    }
  });
  // A body without a Content-Type is JSON, the first type upstream serves (client-go's
  // scale client PUTs its Scale that way).
  app.addHook('onRequest', async (req) => {
    const hasBody = (req.headers['content-length'] ?? '0') !== '0' || req.headers['transfer-encoding'] !== undefined;
    if (!req.headers['content-type'] && hasBody) req.headers['content-type'] = 'application/json';
  });
  app.addContentTypeParser('*', (req, _payload, done) => {
    done(apiErrors.unsupportedMediaType(req.headers['content-type'] ?? '', [...JSON_TYPES, PATCH_TYPES.apply]), undefined);
  });
});

/** JSON syntax errors name the line and column, as the issue asks. */
function jsonError(text: string, e: Error): StatusError {
  const m = /position (\d+)/.exec(e.message);
  if (!m) return apiErrors.badRequest(`error decoding JSON: ${e.message}`);
  const pos = Number(m[1]);
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const col = pos - before.lastIndexOf('\n');
  return apiErrors.badRequest(`error decoding JSON: ${e.message.replace(/ in JSON at position \d+.*$/, '')} at line ${line}, column ${col}`);
}

function yamlError(e: { message: string; linePos?: Array<{ line: number; col: number }> }): StatusError {
  const start = e.linePos?.[0];
  if (start) return apiErrors.badRequest(`error decoding YAML: line ${start.line}, column ${start.col}: ${e.message.split('\n')[0]}`);
  return apiErrors.badRequest(`error decoding YAML: ${e.message}`);
}
