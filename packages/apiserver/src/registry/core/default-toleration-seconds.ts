/**
 * The DefaultTolerationSeconds admission (upstream's
 * plugin/pkg/admission/defaulttolerationseconds): a Pod that tolerates neither
 * `node.kubernetes.io/not-ready:NoExecute` nor `node.kubernetes.io/unreachable:NoExecute`
 * gets a toleration of each for a while (300 s by default), so the taint-eviction
 * controller deletes it that long after its node stopped being Ready, not at once.
 */
import type { KubeObject, Toleration } from '@minik8s/api';
import { TAINT_NOT_READY, TAINT_UNREACHABLE } from '@minik8s/api/scheduling';

/** kube-apiserver's --default-not-ready-toleration-seconds and --default-unreachable-toleration-seconds. */
export interface DefaultTolerationSeconds {
  notReadySeconds: number;
  unreachableSeconds: number;
}

export const DEFAULT_TOLERATION_SECONDS: DefaultTolerationSeconds = { notReadySeconds: 300, unreachableSeconds: 300 };

/** A toleration that already covers `key` with effect NoExecute (an empty key or effect matches everything). */
const covers = (t: Toleration, key: string) => (!t.key || t.key === key) && (!t.effect || t.effect === 'NoExecute');

export function admitDefaultTolerationSeconds(pod: KubeObject, seconds: DefaultTolerationSeconds = DEFAULT_TOLERATION_SECONDS): void {
  if (!pod.spec) pod.spec = {};
  const spec = pod.spec as { tolerations?: Toleration[] };
  const tolerations = spec.tolerations ?? [];
  const add: Toleration[] = [];
  if (!tolerations.some((t) => covers(t, TAINT_NOT_READY)))
    add.push({ key: TAINT_NOT_READY, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: seconds.notReadySeconds });
  if (!tolerations.some((t) => covers(t, TAINT_UNREACHABLE)))
    add.push({ key: TAINT_UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: seconds.unreachableSeconds });
  if (add.length) spec.tolerations = [...tolerations, ...add];
}
