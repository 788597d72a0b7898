/**
 * The `mkctl` executable (dist/cli.cjs). It starts the bundled command (dist/mkctl.cjs)
 * through a V8 code cache kept in ~/.kube/cache/mkctl/compile, so a run after the first
 * skips parsing and compiling the command's half megabyte of JavaScript (about 15 ms of
 * a 90 ms `mkctl get pods` here). Node 22's `module.enableCompileCache()` does the same;
 * Node 20 has only the vm API underneath it. Any failure of the cache only costs speed.
 */
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Script } from 'node:vm';

const program = join(__dirname, 'mkctl.cjs');
// The bundle starts with a `#!` line, which is only allowed at the very start of a script.
const source = readFileSync(program, 'utf8').replace(/^#!/, '//');
const stat = statSync(program);
const cacheDir = join(homedir(), '.kube', 'cache', 'mkctl', 'compile');
// V8 checks the source length and its own version and flags; the modification time and
// Node's version guard the rest.
const cacheFile = join(cacheDir, `${process.version}-${process.arch}-${stat.size}-${Math.trunc(stat.mtimeMs)}.bin`);

let cachedData: Buffer | undefined;
try {
  cachedData = readFileSync(cacheFile);
} catch {
  // first run, or no home directory: compile from source
}

const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: program, cachedData });
if (!cachedData || script.cachedDataRejected) {
  // Written at exit, so the functions the command compiled while running are included.
  process.once('exit', () => {
    try {
      mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
      const tmp = `${cacheFile}.${process.pid}`;
      writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
      renameSync(tmp, cacheFile);
    } catch {
      // read-only home: run uncached next time too
    }
  });
}

const module = { exports: {} };
script.runInThisContext()(module.exports, createRequire(program), module, program, __dirname);
