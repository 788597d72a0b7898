import { describe, expect, it } from 'vitest';
import { SchedulerCache } from './scheduler-cache.ts';
import { makeNode, makePod } from './testing/fixtures.ts';

describe('SchedulerCache', () => {
  it('counts an assumed Pod at once, and once only when the watch confirms it', () => {
    const c = new SchedulerCache();
    c.setNode(makeNode().name('n1').obj());
    const pod = makePod().name('a').cpu('1').obj();
    c.assume(pod, 'n1');
    expect(c.nodeInfo('n1')?.requested.get('cpu')).toBe(1000);
    expect(c.isAssumed('default/a')).toBe(true);
    c.setPod(makePod().name('a').cpu('1').nodeName('n1').obj());
    expect(c.isAssumed('default/a')).toBe(false);
    expect(c.nodeInfo('n1')?.pods.size).toBe(1);
    expect(c.nodeInfo('n1')?.requested.get('cpu')).toBe(1000);
    c.forget('default/a'); // confirmed: forget does nothing
    expect(c.nodeInfo('n1')?.pods.size).toBe(1);
  });

  it('forgets an assumed Pod whose binding failed', () => {
    const c = new SchedulerCache();
    c.setNode(makeNode().name('n1').obj());
    c.assume(makePod().name('a').cpu('1').obj(), 'n1');
    c.forget('default/a');
    expect(c.nodeInfo('n1')?.pods.size).toBe(0);
    expect(c.nodeInfo('n1')?.requested.get('cpu')).toBe(0);
  });

  it('stops counting finished Pods', () => {
    const c = new SchedulerCache();
    c.setNode(makeNode().name('n1').obj());
    c.setPod(makePod().name('a').cpu('1').nodeName('n1').phase('Running').obj());
    c.setPod(makePod().name('a').cpu('1').nodeName('n1').phase('Succeeded').obj());
    expect(c.nodeInfo('n1')?.pods.size).toBe(0);
  });

  it('keeps Pods of a deleted node until they go, without offering the node', () => {
    const c = new SchedulerCache();
    c.setNode(makeNode().name('n1').obj());
    c.setPod(makePod().name('a').nodeName('n1').obj());
    c.removeNode('n1');
    expect(c.nodeInfos()).toEqual([]);
    c.setNode(makeNode().name('n1').obj());
    expect(c.nodeInfos()[0]?.pods.size).toBe(1);
  });
});
