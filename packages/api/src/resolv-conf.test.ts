import { expect, it } from 'vitest';
import { formatResolvConf, parseResolvConf } from './resolv-conf.ts';

it('reads nameserver, search (or domain) and options lines, skipping comments, and writes them back', () => {
  const r = parseResolvConf(
    '# by Docker\nnameserver 127.0.0.11\ndomain old.example\nsearch a.example b.example ; trailing\noptions ndots:0 edns0\nsortlist 10.0.0.0\n',
  );
  expect(r).toEqual({ nameservers: ['127.0.0.11'], searches: ['a.example', 'b.example'], options: ['ndots:0', 'edns0'] });
  expect(formatResolvConf(r)).toBe('search a.example b.example\nnameserver 127.0.0.11\noptions ndots:0 edns0\n');
});
