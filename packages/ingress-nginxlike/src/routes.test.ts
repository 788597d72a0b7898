import { createCa, issueCertificate } from '@minik8s/client/pki';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Ingress, PathType, Secret } from './internal/types.ts';
import { applyRewrite, buildRoutes, hostOf, isServed, lookupHost, matchPath, normalizePath, type RouteInputs, type RouteTable } from './routes.ts';
import { makeIngress, makeIngressClass, makeService, makeSlice, makeTlsSecret } from './testing/fixtures.ts';

const inputs = (o: Partial<RouteInputs>): RouteInputs => ({
  ingresses: [],
  ingressClasses: [makeIngressClass('nginx')],
  services: [],
  endpointSlices: [],
  secrets: [],
  ...o,
});

/** The service a request lands on ('default-backend' when nothing matches). */
function resolve(table: RouteTable, host: string, path: string): string {
  const r = matchPath(lookupHost(table, hostOf(host)), normalizePath(path));
  return r ? r.backend.service : 'default-backend';
}

describe('path matching (the Kubernetes Ingress docs examples)', () => {
  // Kind, path(s), request path, which path matches (undefined: none → default backend).
  const table: Array<[string, Array<[string, PathType]>, string, string | undefined]> = [
    ['Prefix', [['/', 'Prefix']], '/anything/at/all', '/'],
    ['Exact', [['/foo', 'Exact']], '/foo', '/foo'],
    ['Exact', [['/foo', 'Exact']], '/bar', undefined],
    ['Exact', [['/foo', 'Exact']], '/foo/', undefined],
    ['Exact', [['/foo/', 'Exact']], '/foo', undefined],
    ['Prefix', [['/foo', 'Prefix']], '/foo', '/foo'],
    ['Prefix', [['/foo', 'Prefix']], '/foo/', '/foo'],
    ['Prefix', [['/foo/', 'Prefix']], '/foo', '/foo/'],
    ['Prefix', [['/foo/', 'Prefix']], '/foo/', '/foo/'],
    ['Prefix', [['/aaa/bb', 'Prefix']], '/aaa/bbb', undefined],
    ['Prefix', [['/aaa/bbb', 'Prefix']], '/aaa/bbb', '/aaa/bbb'],
    ['Prefix (ignores trailing slash)', [['/aaa/bbb/', 'Prefix']], '/aaa/bbb', '/aaa/bbb/'],
    ['Prefix (matches trailing slash)', [['/aaa/bbb', 'Prefix']], '/aaa/bbb/', '/aaa/bbb'],
    ['Prefix (matches subpath)', [['/aaa/bbb', 'Prefix']], '/aaa/bbb/ccc', '/aaa/bbb'],
    ['Prefix (not a string prefix)', [['/aaa/bbb', 'Prefix']], '/aaa/bbbxyz', undefined],
    [
      'Prefix',
      [
        ['/', 'Prefix'],
        ['/aaa', 'Prefix'],
      ],
      '/aaa/ccc',
      '/aaa',
    ],
    [
      'Prefix',
      [
        ['/', 'Prefix'],
        ['/aaa', 'Prefix'],
        ['/aaa/bbb', 'Prefix'],
      ],
      '/aaa/bbb',
      '/aaa/bbb',
    ],
    [
      'Prefix',
      [
        ['/', 'Prefix'],
        ['/aaa', 'Prefix'],
        ['/aaa/bbb', 'Prefix'],
      ],
      '/ccc',
      '/',
    ],
    ['Prefix (default backend)', [['/aaa', 'Prefix']], '/ccc', undefined],
    [
      'Mixed (prefers Exact)',
      [
        ['/foo', 'Prefix'],
        ['/foo', 'Exact'],
      ],
      '/foo',
      '/foo Exact',
    ],
    [
      'Mixed (Prefix below)',
      [
        ['/foo', 'Prefix'],
        ['/foo', 'Exact'],
      ],
      '/foo/x',
      '/foo Prefix',
    ],
    // ImplementationSpecific is nginx's string prefix, as in ingress-nginx.
    ['ImplementationSpecific', [['/foo', 'ImplementationSpecific']], '/foobar', '/foo'],
    ['ImplementationSpecific', [['/foo', 'ImplementationSpecific']], '/fo', undefined],
    [
      'longest wins across types',
      [
        ['/foo', 'Prefix'],
        ['/foo/ba', 'ImplementationSpecific'],
      ],
      '/foo/bar',
      '/foo/ba',
    ],
    [
      'Exact beats a longer Prefix',
      [
        ['/foo/bar', 'Exact'],
        ['/foo/bar', 'Prefix'],
      ],
      '/foo/bar',
      '/foo/bar Exact',
    ],
    ['normalized path', [['/a/b', 'Prefix']], '/x/../a//b/%63', '/a/b'],
  ];
  it.each(table)('%s %j: %s → %s', (_kind, paths, request, expected) => {
    const multi = paths.length > 1 && new Set(paths.map((p) => p[0])).size < paths.length;
    const name = (p: string, t: PathType) => (multi ? `${p} ${t}` : p);
    const ing = makeIngress('a')
      .className('nginx')
      .rule('foo.com', ...paths.map(([p, t]): [string, PathType, string, number] => [p, t, name(p, t), 80]))
      .obj();
    const t = buildRoutes(inputs({ ingresses: [ing] }));
    expect(resolve(t, 'foo.com', request)).toBe(expected ?? 'default-backend');
  });
});

describe('hosts', () => {
  const t = buildRoutes(
    inputs({
      ingresses: [
        makeIngress('w').className('nginx').rule('*.foo.com', ['/', 'Prefix', 'wild', 80]).obj(),
        makeIngress('e').className('nginx').rule('a.foo.com', ['/', 'Prefix', 'exact', 80]).obj(),
        makeIngress('n').className('nginx').rule('', ['/any', 'Prefix', 'hostless', 80]).obj(),
      ],
    }),
  );
  it.each([
    ['bar.foo.com', '/', 'wild'], // shared suffix
    ['baz.bar.foo.com', '/', 'default-backend'], // the wildcard covers one label only
    ['foo.com', '/', 'default-backend'],
    ['a.foo.com', '/', 'exact'], // exact before wildcard
    ['A.Foo.COM:8080', '/', 'exact'], // case and port do not matter
    ['other.org', '/any/x', 'hostless'], // rules without a host: any host without rules of its own
    ['127.0.0.1:80', '/any', 'hostless'],
    ['a.foo.com', '/any', 'exact'], // a host with rules does not fall back to host-less rules (nginx servers)
    ['b.foo.com', '/any', 'wild'],
    ['', '/any', 'hostless'],
  ])('Host %s path %s → %s', (host, path, svc) => {
    expect(resolve(t, host, path)).toBe(svc);
  });
});

describe('default backends and conflicts', () => {
  it('uses the defaultBackend of the oldest Ingress of a host, then the controller default', () => {
    const t = buildRoutes(
      inputs({
        ingresses: [
          makeIngress('new').className('nginx').created('2026-01-02T00:00:00Z').rule('h.com', ['/b', 'Prefix', 'b', 80]).defaultBackend('newdef', 80).obj(),
          makeIngress('old').className('nginx').created('2026-01-01T00:00:00Z').rule('h.com', ['/a', 'Prefix', 'a', 80]).defaultBackend('olddef', 80).obj(),
          makeIngress('plain').className('nginx').rule('p.com', ['/a', 'Prefix', 'a', 80]).obj(),
        ],
      }),
    );
    expect(resolve(t, 'h.com', '/a')).toBe('a');
    expect(resolve(t, 'h.com', '/b')).toBe('b');
    expect(resolve(t, 'h.com', '/zzz')).toBe('olddef');
    expect(resolve(t, 'p.com', '/zzz')).toBe('default-backend');
    expect(resolve(t, 'unknown.com', '/')).toBe('default-backend');
  });

  it('an Ingress with only a defaultBackend catches every request that matches nothing else', () => {
    const t = buildRoutes(
      inputs({
        ingresses: [
          makeIngress('catch').className('nginx').defaultBackend('catchall', 80).obj(),
          makeIngress('h').className('nginx').rule('h.com', ['/a', 'Exact', 'a', 80]).obj(),
        ],
      }),
    );
    expect(resolve(t, 'unknown.com', '/x')).toBe('catchall');
    expect(resolve(t, 'h.com', '/a')).toBe('a');
    expect(resolve(t, 'h.com', '/b')).toBe('default-backend'); // h.com's own server has no default
  });

  it('the oldest Ingress wins the same host and path', () => {
    const t = buildRoutes(
      inputs({
        ingresses: [
          makeIngress('b').className('nginx').created('2026-01-02T00:00:00Z').rule('h.com', ['/x', 'Prefix', 'younger', 80]).obj(),
          makeIngress('a').className('nginx').created('2026-01-01T00:00:00Z').rule('h.com', ['/x', 'Prefix', 'older', 80]).obj(),
          makeIngress('c').className('nginx').created('2026-01-01T00:00:00Z').rule('h.com', ['/x', 'Prefix', 'same-age-later-name', 80]).obj(),
        ],
      }),
    );
    expect(resolve(t, 'h.com', '/x')).toBe('older');
    expect(t.warnings.filter((w) => w.includes('already defined'))).toHaveLength(2);
  });
});

describe('regular expressions and rewrite-target', () => {
  const regexIng = makeIngress('re')
    .className('nginx')
    .annotate('nginx.ingress.kubernetes.io/rewrite-target', '/$2')
    .rule('r.com', ['/something(/|$)(.*)', 'ImplementationSpecific', 'rewritten', 80])
    .obj();
  const plainIng = makeIngress('plain').className('nginx').rule('r.com', ['/foo', 'Prefix', 'foo', 80]).rule('s.com', ['/foo', 'Prefix', 'foo', 80]).obj();
  const t = buildRoutes(inputs({ ingresses: [regexIng, plainIng] }));

  it('treats every path of the host as a case-insensitive regex anchored at the start', () => {
    expect(resolve(t, 'r.com', '/something/new')).toBe('rewritten');
    expect(resolve(t, 'r.com', '/SOMETHING')).toBe('rewritten');
    expect(resolve(t, 'r.com', '/x/something')).toBe('default-backend');
    // The other Ingress's Prefix /foo on the same host becomes ^/foo too (ingress-nginx's warning)...
    expect(resolve(t, 'r.com', '/foobar')).toBe('foo');
    // ...but not on another host.
    expect(resolve(t, 's.com', '/foobar')).toBe('default-backend');
  });

  it.each([
    ['/something', '', '/'],
    ['/something/', '', '/'],
    ['/something/new', '', '/new'],
    ['/something/new', 'a=1&b=2', '/new?a=1&b=2'],
  ])('rewrites %s?%s to %s (the ingress-nginx rewrite example)', (path, query, expected) => {
    const route = matchPath(lookupHost(t, 'r.com'), path)!;
    expect(applyRewrite(route.rewrite!, path, query)).toBe(expected);
  });

  it('appends the old arguments to a target that has its own, unless it ends in ?', () => {
    expect(applyRewrite({ regex: /\/a\/(.*)/i, target: '/b?x=$1' }, '/a/1', 'q=2')).toBe('/b?x=1&q=2');
    expect(applyRewrite({ regex: /\/a\/(.*)/i, target: '/b/$1?' }, '/a/1', 'q=2')).toBe('/b/1');
  });

  it('use-regex alone matches regexes without rewriting', () => {
    const t2 = buildRoutes(
      inputs({
        ingresses: [
          makeIngress('u')
            .className('nginx')
            .annotate('nginx.ingress.kubernetes.io/use-regex', 'true')
            .rule('u.com', ['/v[0-9]+/api', 'ImplementationSpecific', 'api', 80])
            .obj(),
        ],
      }),
    );
    expect(resolve(t2, 'u.com', '/v12/api/x')).toBe('api');
    expect(resolve(t2, 'u.com', '/vx/api')).toBe('default-backend');
    expect(matchPath(lookupHost(t2, 'u.com'), '/v1/api')!.rewrite).toBeUndefined();
  });

  it('skips a path that is not a valid regex, with a warning', () => {
    const t2 = buildRoutes(
      inputs({
        ingresses: [
          makeIngress('bad')
            .className('nginx')
            .annotate('nginx.ingress.kubernetes.io/use-regex', 'true')
            .rule('b.com', ['/(', 'ImplementationSpecific', 'x', 80])
            .obj(),
        ],
      }),
    );
    expect(resolve(t2, 'b.com', '/(')).toBe('default-backend');
    expect(t2.warnings.join()).toMatch(/not a valid regular expression/);
  });
});

describe('ingress class', () => {
  const ing = (o: { cls?: string; legacy?: string }) => {
    const b = makeIngress('x').className(o.cls);
    if (o.legacy) b.annotate('kubernetes.io/ingress.class', o.legacy);
    return b.obj();
  };
  it.each([
    ['ingressClassName ours', ing({ cls: 'nginx' }), [makeIngressClass('nginx')], true],
    ['ingressClassName ours, no IngressClass object', ing({ cls: 'nginx' }), [], true],
    [
      'ingressClassName ours, but the class names another controller',
      ing({ cls: 'nginx' }),
      [makeIngressClass('nginx', { controller: 'example.com/other' })],
      false,
    ],
    ['ingressClassName other', ing({ cls: 'traefik' }), [makeIngressClass('nginx', { isDefault: true })], false],
    ['legacy annotation ours', ing({ legacy: 'nginx' }), [], true],
    ['legacy annotation other', ing({ legacy: 'traefik' }), [makeIngressClass('nginx', { isDefault: true })], false],
    ['ingressClassName wins over the annotation', ing({ cls: 'traefik', legacy: 'nginx' }), [], false],
    ['no class, ours is the default', ing({}), [makeIngressClass('nginx', { isDefault: true })], true],
    ['no class, ours is not the default', ing({}), [makeIngressClass('nginx')], false],
    ['no class, no IngressClass', ing({}), [], false],
  ])('%s → %s', (_what, i: Ingress, classes, served) => {
    expect(isServed(i, classes)).toBe(served);
  });

  it('honours a custom class name and --watch-ingress-without-class', () => {
    expect(isServed(ing({ cls: 'mine' }), [], { ingressClass: 'mine' })).toBe(true);
    expect(isServed(ing({}), [], { watchIngressWithoutClass: true })).toBe(true);
  });

  it('builds routes only from served Ingresses', () => {
    const t = buildRoutes(
      inputs({
        ingresses: [
          makeIngress('ours').className('nginx').rule('a.com', ['/', 'Prefix', 'ours', 80]).obj(),
          makeIngress('theirs').className('traefik').rule('b.com', ['/', 'Prefix', 'theirs', 80]).obj(),
        ],
      }),
    );
    expect(resolve(t, 'a.com', '/')).toBe('ours');
    expect(resolve(t, 'b.com', '/')).toBe('default-backend');
    expect(t.served.map((i) => i.metadata.name)).toEqual(['ours']);
  });
});

describe('backends', () => {
  const ingress = makeIngress('x')
    .className('nginx')
    .rule(
      'h.com',
      ['/num', 'Prefix', 'web', 80],
      ['/named', 'Prefix', 'web', 'http'],
      ['/admin', 'Prefix', 'web', 'admin'],
      ['/gone', 'Prefix', 'nosuch', 80],
      ['/ext', 'Prefix', 'ext', 443],
    )
    .obj();
  const web = makeService('web', [
    { name: 'http', port: 80, targetPort: 'web-http' },
    { name: 'admin', port: 9000, targetPort: 9001 },
  ]);
  const ext = { ...makeService('ext', [{ port: 443 }]), spec: { type: 'ExternalName', externalName: 'example.org', ports: [{ port: 443 }] } };
  const t = buildRoutes(
    inputs({
      ingresses: [ingress],
      services: [web, ext],
      endpointSlices: [
        makeSlice('web', { name: 'http', port: 8080 }, ['10.0.0.1', '10.0.0.2', '10.0.0.3'], {
          name: 'web-a',
          notReady: ['10.0.0.2'],
          unsetReady: ['10.0.0.3'],
        }),
        makeSlice('web', { name: 'http', port: 8080 }, ['10.0.0.4'], { name: 'web-b' }),
        makeSlice('web', { name: 'admin', port: 9001 }, ['10.0.0.1'], { name: 'web-c' }),
        makeSlice('web', { name: 'http', port: 8080 }, ['10.9.9.9'], { name: 'web-other-ns', namespace: 'other' }),
      ],
    }),
  );
  const endpoints = (path: string) => matchPath(lookupHost(t, 'h.com'), path)!.backend.endpoints.map((e) => e.address);

  it('resolves a port number or name through the Service to the ready endpoints of its EndpointSlices', () => {
    expect(endpoints('/num')).toEqual(['10.0.0.1:8080', '10.0.0.3:8080', '10.0.0.4:8080']);
    expect(endpoints('/named')).toEqual(['10.0.0.1:8080', '10.0.0.3:8080', '10.0.0.4:8080']);
    expect(endpoints('/admin')).toEqual(['10.0.0.1:9001']);
  });

  it('shares one backend (and its round-robin) between routes to the same Service port', () => {
    const a = matchPath(lookupHost(t, 'h.com'), '/admin')!.backend;
    const t2 = buildRoutes(
      inputs({
        ingresses: [makeIngress('y').className('nginx').rule('h.com', ['/1', 'Prefix', 'web', 'admin'], ['/2', 'Prefix', 'web', 'admin']).obj()],
        services: [web],
      }),
    );
    expect(matchPath(lookupHost(t2, 'h.com'), '/1')!.backend).toBe(matchPath(lookupHost(t2, 'h.com'), '/2')!.backend);
    expect(a.key).toBe('default/web:admin');
  });

  it('keeps a route to a missing Service, with no endpoints (503)', () => {
    expect(endpoints('/gone')).toEqual([]);
    expect(t.warnings).toContain('service default/nosuch not found');
  });

  it('sends an ExternalName Service to its DNS name', () => {
    expect(endpoints('/ext')).toEqual(['example.org:443']);
  });
});

describe('TLS', () => {
  let secrets: Secret[];
  beforeAll(async () => {
    const ca = await createCa('test-ca');
    const a = await issueCertificate(ca, { cn: 'a.com', dns: ['a.com'], usage: ['server'] });
    const wild = await issueCertificate(ca, { cn: '*.w.com', dns: ['*.w.com'], usage: ['server'] });
    const multi = await issueCertificate(ca, { cn: 'multi', dns: ['m1.com', 'm2.com'], usage: ['server'] });
    secrets = [makeTlsSecret('a', a.cert, a.key), makeTlsSecret('wild', wild.cert, wild.key), makeTlsSecret('multi', multi.cert, multi.key)];
  });

  it('picks the Secret named for a host, the wildcard, a Secret whose SAN covers it, or the default certificate', () => {
    const t = buildRoutes(
      inputs({
        secrets,
        ingresses: [
          makeIngress('a').className('nginx').rule('a.com', ['/', 'Prefix', 's', 80]).tls(['a.com'], 'a').obj(),
          makeIngress('w').className('nginx').rule('*.w.com', ['/', 'Prefix', 's', 80]).tls(['*.w.com'], 'wild').obj(),
          makeIngress('m').className('nginx').rule('m2.com', ['/', 'Prefix', 's', 80]).tls(['m1.com'], 'multi').obj(),
          makeIngress('d').className('nginx').rule('d.com', ['/', 'Prefix', 's', 80]).tls(['d.com']).obj(),
          makeIngress('missing').className('nginx').rule('x.com', ['/', 'Prefix', 's', 80]).tls(['x.com'], 'nosuch').obj(),
          makeIngress('wrong').className('nginx').rule('y.com', ['/', 'Prefix', 's', 80]).tls(['y.com'], 'a').obj(),
          makeIngress('plain').className('nginx').rule('p.com', ['/', 'Prefix', 's', 80]).obj(),
        ],
      }),
    );
    expect(t.certificates.get('a.com')?.secret).toBe('default/a');
    expect(t.certificates.get('*.w.com')?.secret).toBe('default/wild');
    expect(t.certificates.get('m2.com')?.secret).toBe('default/multi');
    expect(t.certificates.get('m1.com')?.secret).toBe('default/multi'); // listed, without rules: still answers SNI
    for (const h of ['d.com', 'x.com', 'y.com', 'p.com']) expect(t.certificates.has(h)).toBe(false);
    const tls = (h: string) => lookupHost(t, h).tls;
    expect([tls('a.com'), tls('b.w.com'), tls('m2.com'), tls('d.com'), tls('x.com'), tls('y.com'), tls('p.com')]).toEqual([
      true,
      true,
      true,
      true,
      true,
      true,
      false,
    ]);
    expect(t.warnings.join('\n')).toMatch(/TLS secret default\/nosuch not found/);
    expect(t.warnings.join('\n')).toMatch(/does not cover host y.com/);
  });

  it('reads the ssl-redirect and force-ssl-redirect annotations per Ingress', () => {
    const t = buildRoutes(
      inputs({
        ingresses: [
          makeIngress('off').className('nginx').annotate('nginx.ingress.kubernetes.io/ssl-redirect', 'false').rule('a.com', ['/', 'Prefix', 's', 80]).obj(),
          makeIngress('force')
            .className('nginx')
            .annotate('nginx.ingress.kubernetes.io/force-ssl-redirect', 'true')
            .rule('b.com', ['/', 'Prefix', 's', 80])
            .obj(),
        ],
      }),
    );
    expect(matchPath(lookupHost(t, 'a.com'), '/')).toMatchObject({ sslRedirect: false, forceSslRedirect: false });
    expect(matchPath(lookupHost(t, 'b.com'), '/')).toMatchObject({ sslRedirect: true, forceSslRedirect: true });
  });
});

describe('helpers', () => {
  it.each([
    ['Foo.COM', 'foo.com'],
    ['foo.com:8080', 'foo.com'],
    ['[::1]:80', '::1'],
    ['foo.com.', 'foo.com'],
    [undefined, ''],
  ])('hostOf(%s) = %s', (h, expected) => expect(hostOf(h)).toBe(expected));

  it.each([
    ['/a/b', '/a/b'],
    ['/a//b', '/a/b'],
    ['/a/./b/../c', '/a/c'],
    ['/a/%62', '/a/b'],
    ['/a/b/', '/a/b/'],
    ['/../..', '/'],
  ])('normalizePath(%s) = %s', (p, expected) => expect(normalizePath(p)).toBe(expected));
});
