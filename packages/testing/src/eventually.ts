/**
 * The one way tests wait: poll a condition until it holds. Waiting on a condition a
 * user could observe (an object's status, a sync counter, a log line) instead of a fixed
 * sleep keeps tests both fast and stable on a slow machine.
 */

export interface EventuallyOptions {
  /** Give up after this long (default 15 s, half the tests' own timeout). */
  timeoutMs?: number;
  /** Pause between attempts (default 50 ms). */
  intervalMs?: number;
  /** What is awaited, for the timeout error: "timed out after 15000 ms waiting for <message>". */
  message?: string;
}

type Falsy = false | 0 | '' | null | undefined;

/**
 * Calls `fn` until it returns a truthy value, and resolves with that value. An attempt
 * that throws or returns a falsy value is retried after `intervalMs`; once `timeoutMs`
 * has passed, one last attempt is made and then `eventually` rejects with an error that
 * names `message` and carries the last error (as `cause`) or the last value.
 *
 * An assertion-style condition returns `true` after its `expect()` calls.
 */
export async function eventually<T>(fn: () => T | Promise<T>, options: EventuallyOptions = {}): Promise<Exclude<T, Falsy>> {
  const { timeoutMs = 15_000, intervalMs = 50, message = 'a condition' } = options;
  const deadline = Date.now() + timeoutMs;
  let last: { error: unknown } | { value: unknown } = { value: undefined };
  for (;;) {
    const overdue = Date.now() >= deadline;
    try {
      const value = await fn();
      if (value) return value as Exclude<T, Falsy>;
      last = { value };
    } catch (error) {
      last = { error };
    }
    if (overdue) break;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.min(intervalMs, deadline - Date.now()))));
  }
  const detail = 'error' in last ? describe(last.error) : `last value ${describe(last.value)}`;
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${message}: ${detail}`, 'error' in last ? { cause: last.error } : undefined);
}

function describe(x: unknown): string {
  if (x instanceof Error) return x.message;
  if (typeof x === 'string') return JSON.stringify(x);
  try {
    return JSON.stringify(x) ?? String(x);
  } catch {
    return String(x);
  }
}
