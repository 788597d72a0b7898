import { FakeClock } from '@minik8s/client/kube';
import { describe, expect, it } from 'vitest';
import { EXPECTATIONS_TTL_MS, Expectations } from './expectations.ts';

describe('Expectations', () => {
  it('waits for every expected creation, then is satisfied', () => {
    const e = new Expectations(new FakeClock(0));
    expect(e.satisfied('ns/rs')).toBe(true);
    e.expectCreations('ns/rs', 2);
    expect(e.satisfied('ns/rs')).toBe(false);
    e.creationObserved('ns/rs');
    expect(e.satisfied('ns/rs')).toBe(false);
    e.creationObserved('ns/rs');
    expect(e.satisfied('ns/rs')).toBe(true);
  });

  it('counts each deleted child once, however often its deletion is seen', () => {
    const e = new Expectations(new FakeClock(0));
    e.expectDeletions('ns/rs', ['ns/a', 'ns/b']);
    e.deletionObserved('ns/rs', 'ns/a');
    e.deletionObserved('ns/rs', 'ns/a');
    e.deletionObserved('ns/rs', 'ns/other');
    expect(e.pending('ns/rs')).toEqual({ add: 0, del: 1 });
    e.deletionObserved('ns/rs', 'ns/b');
    expect(e.satisfied('ns/rs')).toBe(true);
  });

  it('expires after five minutes', () => {
    const clock = new FakeClock(0);
    const e = new Expectations(clock);
    e.expectCreations('ns/rs', 1);
    clock.advance(EXPECTATIONS_TTL_MS);
    expect(e.satisfied('ns/rs')).toBe(false);
    clock.advance(1);
    expect(e.satisfied('ns/rs')).toBe(true);
  });
});
