/**
 * --max-request-bytes at its default (1.5 MiB), as etcd answers it: a put or a txn whose
 * keys and values are over the limit is refused whole, with nothing written. Kept apart
 * from suite.ts so that each target can run it on its own (limits.test.ts for etcdlite,
 * limits.etcd.test.ts for a real etcd).
 */
import { describe, expect, it } from 'vitest';
import { currentRevision, expectEtcdError, useStore } from './helpers.ts';
import type { StoreTarget } from './targets.ts';

export const REQUEST_TOO_LARGE = { code: 3, httpStatus: 400, message: 'etcdserver: request is too large' };

const KiB = 1024;

export function describeRequestLimits(target: StoreTarget): void {
  describe(`request size limit: ${target.name}`, () => {
    const s = useStore(target);

    it('refuses a put over 1.5 MiB and writes nothing', async () => {
      const c = s.client;
      const r0 = await currentRevision(c);
      await expectEtcdError(c.put('l/big', Buffer.alloc(1536 * KiB + KiB, 'x')), REQUEST_TOO_LARGE);
      expect(await c.get('l/big')).toBeUndefined();
      expect(await currentRevision(c)).toBe(r0);
      expect((await c.put('l/big', Buffer.alloc(1024 * KiB, 'x'))).header.revision).toBe(r0 + 1);
    });

    it('refuses a txn whose puts are each under the limit but together over it', async () => {
      const c = s.client;
      const r0 = await currentRevision(c);
      const value = Buffer.alloc(800 * KiB, 'y');
      await expectEtcdError(
        c.txn({
          success: [
            { type: 'put', key: 'l/a', value },
            { type: 'put', key: 'l/b', value },
          ],
        }),
        REQUEST_TOO_LARGE,
      );
      expect(await c.get('l/a')).toBeUndefined();
      expect(await currentRevision(c)).toBe(r0);
    });
  });
}
