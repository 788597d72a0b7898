/**
 * Lifecycle hooks and sidecar containers on real Docker, against a real API server:
 * a postStart hook the app depends on, a failing postStart, a preStop hook that runs
 * before SIGTERM and delays the shutdown, a sidecar that runs alongside the app and
 * stops after it, and a Job-style Pod whose app finishes while its sidecar runs.
 */
import type { ContainerStatus, Pod } from '@minik8s/api';
import { type CoreEvent, isNotFound } from '@minik8s/client/kube';
import { eventually } from '@minik8s/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubeletTestBed, kubeletTestBed, ON_DOCKER } from './internal/test-env.ts';

const IMAGE = 'minik8s/busybox:latest';
const busybox = (name: string, script: string, extra: Record<string, unknown> = {}) => ({
  name,
  image: IMAGE,
  imagePullPolicy: 'IfNotPresent',
  command: ['sh', '-c', script],
  ...extra,
});
/** Exits at once on SIGTERM, after printing `<word>-term`. */
const untilTerm = (word: string) => `trap "echo ${word}-term; exit 0" TERM; echo ${word}-up; while true; do sleep 0.1; done`;

let bed: KubeletTestBed;

beforeAll(async () => {
  bed = await kubeletTestBed('hooks');
}, 120_000);

afterAll(() => bed?.close(), 60_000);

const statusOf = async (name: string, container: string): Promise<ContainerStatus | undefined> => {
  const s = (await bed.getPod(name)).status;
  return [...(s?.initContainerStatuses ?? []), ...(s?.containerStatuses ?? [])].find((c) => c.name === container);
};

async function events(pod: string): Promise<CoreEvent[]> {
  const list = await bed.client.list<CoreEvent>({ version: 'v1', plural: 'events', namespace: 'default' }, { fieldSelector: `involvedObject.name=${pod}` });
  return list.items;
}

const running = (name: string): Promise<Pod> =>
  eventually(
    async () => {
      const p = await bed.getPod(name);
      return p.status?.phase === 'Running' && p;
    },
    { ...ON_DOCKER, message: `${name} Running` },
  );

/** Follows a container's output until it stops; resolves with the text and when it stopped. */
async function follow(id: string): Promise<{ text: string; endedAt: number }> {
  const stream = (await bed.env.docker.getContainer(id).logs({ follow: true, stdout: true, stderr: true })) as unknown as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('error', reject);
    // Docker's multiplexed frames: 8-byte headers before each chunk of text.
    stream.on('end', () => resolve({ text: demux(Buffer.concat(chunks)), endedAt: Date.now() }));
  });
}

function demux(b: Buffer): string {
  let out = '';
  for (let i = 0; i + 8 <= b.length; ) {
    const n = b.readUInt32BE(i + 4);
    out += b.subarray(i + 8, i + 8 + n).toString('utf8');
    i += 8 + n;
  }
  return out;
}

async function deleteAndWait(name: string): Promise<number> {
  const t0 = Date.now();
  await bed.client.delete({ version: 'v1', plural: 'pods', namespace: 'default', name });
  await eventually(
    async () => {
      try {
        await bed.getPod(name);
        return false;
      } catch (e) {
        return isNotFound(e);
      }
    },
    { ...ON_DOCKER, message: `${name} gone`, timeoutMs: 30_000 },
  );
  return Date.now() - t0;
}

describe('lifecycle hooks', () => {
  it('postStart runs inside the container before it counts as Running: the app reads the file the hook wrote', async () => {
    await bed.createPod('poststart', {
      containers: [
        busybox('app', 'while [ ! -f /tmp/hook ]; do sleep 0.1; done; cat /tmp/hook; exec sleep 3600', {
          lifecycle: { postStart: { exec: { command: ['sh', '-c', 'echo written-by-hook > /tmp/hook'] } } },
        }),
      ],
    });
    await running('poststart');
    expect((await statusOf('poststart', 'app'))?.state?.running).toBeTruthy();
    expect(await eventually(async () => (await bed.logs('poststart', 'app')).trim(), { ...ON_DOCKER, message: 'the app output' })).toBe('written-by-hook');
  });

  it('a failing postStart kills the container with a FailedPostStartHook event and it is restarted', async () => {
    await bed.createPod('poststart-fail', {
      containers: [busybox('app', 'exec sleep 3600', { lifecycle: { postStart: { exec: { command: ['sh', '-c', 'echo nope; exit 3'] } } } })],
    });
    const e = await eventually(async () => (await events('poststart-fail')).find((x) => x.reason === 'FailedPostStartHook'), {
      ...ON_DOCKER,
      message: 'a FailedPostStartHook event',
    });
    expect(e.type).toBe('Warning');
    expect(e.message).toMatch(
      /^Exec lifecycle hook \(\[sh -c echo nope; exit 3\]\) for Container "app" in Pod "poststart-fail_default\(.*\)" failed - error: /,
    );
    const s = await eventually(
      async () => {
        const c = await statusOf('poststart-fail', 'app');
        return (c?.restartCount ?? 0) >= 1 && c;
      },
      { ...ON_DOCKER, message: 'the app restarted' },
    );
    expect(s.lastState?.terminated?.reason ?? s.state?.terminated?.reason).toBe('Error');
    expect((await bed.getPod('poststart-fail')).status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
  });

  it('preStop runs before SIGTERM and delays the shutdown by what it takes', async () => {
    const pod = await bed.createPod('prestop', {
      terminationGracePeriodSeconds: 20,
      containers: [
        busybox('app', untilTerm('app'), {
          lifecycle: { preStop: { exec: { command: ['sh', '-c', 'echo prestop-start > /proc/1/fd/1; sleep 2; echo prestop-end > /proc/1/fd/1'] } } },
        }),
      ],
    });
    await running('prestop');
    const [c] = await bed.appContainers(pod.metadata.uid, 'app');
    const out = follow(c!.Id);
    const took = await deleteAndWait('prestop');
    expect((await out).text).toBe('app-up\nprestop-start\nprestop-end\napp-term\n');
    expect(took).toBeGreaterThanOrEqual(2000);
    expect(took).toBeLessThan(15_000);
  });

  it('a sleep preStop hook holds SIGTERM back for its seconds', async () => {
    const pod = await bed.createPod('prestop-sleep', {
      terminationGracePeriodSeconds: 20,
      containers: [busybox('app', untilTerm('app'), { lifecycle: { preStop: { sleep: { seconds: 2 } } } })],
    });
    await running('prestop-sleep');
    const [c] = await bed.appContainers(pod.metadata.uid, 'app');
    const out = follow(c!.Id);
    const t0 = Date.now();
    await bed.client.delete({ version: 'v1', plural: 'pods', namespace: 'default', name: 'prestop-sleep' });
    const { text, endedAt } = await out;
    expect(text).toBe('app-up\napp-term\n');
    expect(endedAt - t0).toBeGreaterThanOrEqual(2000);
  });

  it('an httpGet preStop hook reaches the container on the Pod IP, by port name, with its headers', async () => {
    const script = [
      'mkdir -p /www/cgi-bin',
      // The CGI answers the hook and prints what it got on the container's output.
      `printf '#!/bin/sh\\necho "hook-called: $HTTP_X_REASON" > /proc/1/fd/1\\necho Content-Type: text/plain\\necho\\necho ok\\n' > /www/cgi-bin/quit`,
      'chmod +x /www/cgi-bin/quit',
      'httpd -p 8080 -h /www',
      'trap "echo app-term; exit 0" TERM',
      'echo app-up',
      'while true; do sleep 0.1; done',
    ].join('\n');
    const pod = await bed.createPod('prestop-http', {
      terminationGracePeriodSeconds: 20,
      containers: [
        busybox('app', script, {
          ports: [{ name: 'admin', containerPort: 8080 }],
          lifecycle: { preStop: { httpGet: { path: '/cgi-bin/quit', port: 'admin', httpHeaders: [{ name: 'X-Reason', value: 'drain' }] } } },
        }),
      ],
    });
    await running('prestop-http');
    const [c] = await bed.appContainers(pod.metadata.uid, 'app');
    const out = follow(c!.Id);
    await deleteAndWait('prestop-http');
    expect((await out).text).toBe('app-up\nhook-called: drain\napp-term\n');
    expect((await events('prestop-http')).filter((e) => e.reason === 'FailedPreStopHook')).toEqual([]);
  });
});

describe('sidecar containers', () => {
  it('a sidecar starts before the app, runs alongside it, and is stopped after it', async () => {
    const pod = await bed.createPod('sidecar', {
      terminationGracePeriodSeconds: 10,
      initContainers: [busybox('proxy', untilTerm('proxy'), { restartPolicy: 'Always' })],
      // The app takes a second to stop: a sidecar stopped with it would be gone first.
      containers: [busybox('app', 'trap "sleep 1; echo app-term; exit 0" TERM; while true; do sleep 0.1; done')],
    });
    const p = await running('sidecar');
    const [proxy] = p.status?.initContainerStatuses ?? [];
    const [app] = p.status?.containerStatuses ?? [];
    expect(proxy).toMatchObject({ name: 'proxy', started: true, ready: true, restartCount: 0 });
    expect(proxy?.state?.running).toBeTruthy();
    expect(Date.parse(app?.state?.running?.startedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(proxy?.state?.running?.startedAt ?? ''));
    expect(p.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');

    const [pc] = await bed.appContainers(pod.metadata.uid, 'proxy');
    const [ac] = await bed.appContainers(pod.metadata.uid, 'app');
    const [proxyOut, appOut] = [follow(pc!.Id), follow(ac!.Id)];
    await deleteAndWait('sidecar');
    const [po, ao] = await Promise.all([proxyOut, appOut]);
    expect(ao.text).toContain('app-term');
    expect(po.text).toContain('proxy-term');
    expect(po.endedAt).toBeGreaterThan(ao.endedAt);
  });

  it('a sidecar that exits is restarted even under restartPolicy Never', async () => {
    await bed.createPod('sidecar-restart', {
      restartPolicy: 'Never',
      initContainers: [busybox('proxy', 'sleep 1; exit 1', { restartPolicy: 'Always' })],
      containers: [busybox('app', 'exec sleep 3600')],
    });
    const s = await eventually(
      async () => {
        const c = await statusOf('sidecar-restart', 'proxy');
        return (c?.restartCount ?? 0) >= 1 && c;
      },
      { ...ON_DOCKER, message: 'the sidecar restarted' },
    );
    expect(s.lastState?.terminated?.exitCode ?? s.state?.terminated?.exitCode).toBe(1);
    expect((await statusOf('sidecar-restart', 'app'))?.restartCount).toBe(0);
  });

  it('a Never-restart Pod whose app exits 0 while its sidecar runs reaches Succeeded', async () => {
    await bed.createPod('sidecar-job', {
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 10,
      initContainers: [busybox('proxy', untilTerm('proxy'), { restartPolicy: 'Always' })],
      containers: [busybox('main', 'sleep 1; echo work-done')],
    });
    const p = await eventually(
      async () => {
        const x = await bed.getPod('sidecar-job');
        return x.status?.phase === 'Succeeded' && x;
      },
      { ...ON_DOCKER, message: 'sidecar-job Succeeded' },
    );
    expect(p.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(p.status?.initContainerStatuses?.[0]?.state?.terminated).toBeTruthy();
    expect(p.status?.initContainerStatuses?.[0]?.restartCount).toBe(0);
    expect(await bed.logs('sidecar-job', 'proxy')).toBe('proxy-up\nproxy-term\n');
  });
});
