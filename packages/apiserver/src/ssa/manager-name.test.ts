import { describe, expect, it } from 'vitest';
import { checkFieldManager, fieldManagerFor, managerFromUserAgent, parseForce } from './index.ts';

describe('field manager names', () => {
  const agents: [string | undefined, string][] = [
    ['kubectl/v1.32.0 (linux/amd64) kubernetes/70d3cc9', 'kubectl'],
    ['kube-controller-manager/v1.32.0 (linux/amd64) kubernetes/70d3cc9/system:serviceaccount:kube-system:deployment-controller', 'kube-controller-manager'],
    ['Go-http-client/1.1', 'Go-http-client'],
    ['curl/8.5.0', 'curl'],
    ['no slash at all', 'no slash at all'],
    ['tab\there/1', 'tabhere'],
    ['', ''],
    [undefined, ''],
    ['x'.repeat(200), 'x'.repeat(128)],
    ['é'.repeat(100), 'é'.repeat(64)],
  ];
  for (const [ua, want] of agents) {
    it(`User-Agent ${JSON.stringify(ua)?.slice(0, 40)} → ${JSON.stringify(want.slice(0, 20))}`, () => {
      expect(managerFromUserAgent(ua)).toBe(want);
    });
  }

  it('prefers the fieldManager parameter', () => {
    expect(fieldManagerFor('kubectl-client-side-apply', 'kubectl/v1.32.0')).toBe('kubectl-client-side-apply');
    expect(fieldManagerFor(undefined, 'kubectl/v1.32.0')).toBe('kubectl');
    expect(fieldManagerFor('', 'helm/3.14')).toBe('helm');
  });

  it('validates the options as upstream, with its messages', () => {
    expect(checkFieldManager({ kind: 'apply', fieldManager: 'kubectl' })).toBeUndefined();
    expect(checkFieldManager({ kind: 'apply' })?.message).toBe(
      'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
    );
    const forced = checkFieldManager({ kind: 'patch', force: 'true' });
    expect(forced?.code).toBe(422);
    expect(forced?.message).toBe('PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch');
    expect(checkFieldManager({ kind: 'create', fieldManager: 'x'.repeat(129) })?.message).toBe(
      'CreateOptions.meta.k8s.io "" is invalid: fieldManager: Too long: may not be more than 128 bytes',
    );
    expect(checkFieldManager({ kind: 'update', fieldManager: 'a\u0007' })?.message).toBe(
      'UpdateOptions.meta.k8s.io "" is invalid: fieldManager: Invalid value: "a\\u0007": invalid character U+0007',
    );
  });

  it('parses force as upstream converts bool query parameters', () => {
    expect([undefined, '0', 'false', 'False'].map(parseForce)).toEqual([false, false, false, false]);
    expect(['true', '1', '', 'yes'].map(parseForce)).toEqual([true, true, true, true]);
  });
});
