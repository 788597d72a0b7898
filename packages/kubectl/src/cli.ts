/** The `mkctl` executable: runs one command with the process's streams and exits with its code. */
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

const result = await run(process.argv.slice(2), {
  stdin: readStdin,
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  signal: ac.signal,
});
// Exit as soon as the output is flushed: idle keep-alive sockets and timers of the HTTP
// client would otherwise hold the process open for tens of milliseconds.
process.exitCode = result.code;
process.stdout.write('', () => process.stderr.write('', () => process.exit(result.code)));
