/**
 * Child process for the crash test: writes keys with 16 concurrent writers and prints
 * `<revision> <key>` for each write once it is acknowledged, until it is killed.
 */
import { Store } from '../store.ts';

const dir = process.argv[2];
if (!dir) throw new Error('usage: crash-writer <data-dir>');
const store = await Store.open({ dataDir: dir });
const prefix = `run${process.pid}`;
let n = 0;
process.stdout.write('ready\n');
await Promise.all(
  Array.from({ length: 16 }, async () => {
    for (;;) {
      const key = `${prefix}/${n++}`;
      const { revision } = await store.put({ key: Buffer.from(key), value: Buffer.alloc(256, key) });
      process.stdout.write(`${revision} ${key}\n`);
    }
  }),
);
