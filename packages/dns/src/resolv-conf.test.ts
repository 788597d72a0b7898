import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { nameserversFromResolvConf, upstreamsFromResolvConf } from './resolv-conf.ts';

it('takes the nameserver lines of resolv.conf, in order', () => {
  const text = [
    '# generated',
    'search default.svc.cluster.local svc.cluster.local',
    'nameserver 127.0.0.11',
    'nameserver  ::1 ',
    'nameserver bogus',
    '; nameserver 9.9.9.9',
    'options ndots:5',
  ].join('\n');
  expect(upstreamsFromResolvConf(text)).toEqual(['127.0.0.11', '[::1]:53']);
});

it('reads a file, and gives none for a missing one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dns-resolv-'));
  try {
    writeFileSync(join(dir, 'resolv.conf'), 'nameserver 10.0.0.2\n');
    expect(nameserversFromResolvConf(join(dir, 'resolv.conf'))).toEqual(['10.0.0.2']);
    expect(nameserversFromResolvConf(join(dir, 'missing'))).toEqual([]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
