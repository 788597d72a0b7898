import { describe, expect, it } from 'vitest';
import { eventually } from './eventually.ts';

describe('eventually', () => {
  it('resolves with the first truthy value, retrying falsy values and errors', async () => {
    let n = 0;
    const v = await eventually(
      () => {
        n++;
        if (n === 1) throw new Error('not yet');
        return n === 2 ? undefined : { n };
      },
      { intervalMs: 1 },
    );
    expect(v).toEqual({ n: 3 });
  });

  it('accepts an async condition and an assertion that returns true', async () => {
    let ready = false;
    setTimeout(() => {
      ready = true;
    }, 20);
    await eventually(
      async () => {
        expect(ready).toBe(true);
        return true;
      },
      { intervalMs: 5 },
    );
  });

  it('on timeout names what it waited for and carries the last error as cause', async () => {
    const cause = new Error('pod is Pending');
    const err = await eventually(
      () => {
        throw cause;
      },
      { timeoutMs: 30, intervalMs: 5, message: 'pod p to run' },
    ).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe('timed out after 30 ms waiting for pod p to run: pod is Pending');
    expect((err as Error).cause).toBe(cause);
  });

  it('on timeout reports the last falsy value', async () => {
    await expect(eventually(() => '', { timeoutMs: 20, intervalMs: 5 })).rejects.toThrow('timed out after 20 ms waiting for a condition: last value ""');
  });

  it('makes one last attempt at the deadline, however long the interval', async () => {
    let calls = 0;
    expect(await eventually(() => ++calls >= 2, { timeoutMs: 30, intervalMs: 60_000 })).toBe(true);
    calls = 0;
    await expect(eventually(() => ++calls >= 3, { timeoutMs: 30, intervalMs: 60_000 })).rejects.toThrow('last value false');
    expect(calls).toBe(2);
  });
});
