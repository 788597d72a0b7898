/**
 * State directories (the store, certificates, a node's Pod files) are private to the
 * component, as etcd keeps its data directory: 0700, owner only. A directory that already
 * exists with a wider mode is narrowed, so an upgrade from an older layout is covered too.
 */
import { chmodSync, mkdirSync, statSync } from 'node:fs';

export const STATE_DIR_MODE = 0o700;

/** Creates `dir` (and missing parents) 0700, or narrows an existing one to 0700. */
export function ensureStateDir(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: STATE_DIR_MODE });
  if ((statSync(dir).mode & 0o777) !== STATE_DIR_MODE) chmodSync(dir, STATE_DIR_MODE);
  return dir;
}
