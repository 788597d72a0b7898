/**
 * The mkctl command: runs one command with the process's streams and exits with its
 * code. Bundled with its npm dependencies into dist/mkctl.cjs and started by the
 * launcher (launch.ts).
 */
import { run } from './index.ts';

const ac = new AbortController();
let interrupted = false;
process.on('SIGINT', () => {
  if (interrupted) process.exit(130);
  interrupted = true;
  ac.abort();
});

const readStdin = async (): Promise<string> => {
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  return text;
};

void run(process.argv.slice(2), {
  stdin: readStdin,
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  signal: ac.signal,
}).then((result) => {
  // Exit as soon as the output is flushed: idle keep-alive sockets of the HTTP client
  // would otherwise hold the process open.
  process.exitCode = result.code;
  process.stdout.write('', () => process.stderr.write('', () => process.exit(result.code)));
});
