/**
 * `pods/{name}/eviction` (POST a policy/v1 Eviction): deletes a Pod unless that would
 * break its PodDisruptionBudget, as upstream's pkg/registry/core/pod/storage/eviction.go.
 *
 * - A Pod that is Pending, Succeeded or Failed, or already being deleted, is deleted
 *   whatever its budget: it is not serving, so evicting it disrupts nothing.
 * - With no budget selecting the Pod it is deleted; with two or more, 500 (upstream does
 *   not choose). A budget whose status the disruption controller has not caught up with
 *   (observedGeneration behind generation), or that allows no disruption, refuses with
 *   429 `Cannot evict pod as it would violate the pod's disruption budget.` and a
 *   `DisruptionBudget` cause saying why; kubectl drain retries on 429.
 * - Otherwise the budget's `disruptionsAllowed` goes down by one and the Pod is recorded
 *   in `disruptedPods` (so the controller does not count it healthy while it goes), in
 *   one conditional write; then the Pod gets the `DisruptionTarget` condition and is
 *   deleted with the Eviction's DeleteOptions. A Pod that is not Ready is deleted without
 *   using the budget when the budget is met (IfHealthyBudget, the default) or always
 *   (AlwaysAllow).
 * - The answer is 201 with a Status Success; `dryRun` changes nothing.
 */
import { apiErrors, isPodReady, type KubeObject, rfc3339 } from '@minik8s/api';
import { labelSelectorAsSelector } from '@minik8s/api/selectors';
import type { FastifyPluginAsync } from 'fastify';
import type { DeleteOptions } from '../../rest/deletion.ts';
import type { ResourcePath } from '../../rest/paths.ts';
import type { Resources } from '../../rest/resources.ts';
import type { ResourceRequest, ServerDeps } from '../plugin.ts';
import { deleteOptions } from '../request.ts';

// biome-ignore lint/suspicious/noExplicitAny: Pods, Evictions and budgets are read loosely
type Any = any;

const VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget.";
/** Upstream's MaxDisruptedPodSize: evictions the controller has not yet confirmed. */
const MAX_DISRUPTED_PODS = 2000;
const MAX_RETRIES = 8;

export const evictionSubresource: FastifyPluginAsync<ServerDeps> = async (_app, { resources, subresources, registry, now }) => {
  const pdbs = registry.kind({ group: 'policy', version: 'v1', kind: 'PodDisruptionBudget' });
  if (!pdbs) throw new Error('policy/v1 PodDisruptionBudget is not registered');
  subresources.add({
    name: 'eviction',
    verbs: {
      POST: async (c) => {
        await evict(resources, c, { resource: pdbs, namespace: c.path.namespace, watchPath: false }, now);
        return c.reply.code(201).send({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
      },
    },
  });
};

async function evict(resources: Resources, c: ResourceRequest, budgets: ResourcePath, now: () => Date): Promise<void> {
  const eviction = (c.req.body ?? {}) as Any;
  if (typeof eviction !== 'object' || Array.isArray(eviction)) throw apiErrors.badRequest('the body of an eviction must be a policy/v1 Eviction');
  if (eviction.metadata?.name !== c.path.name) throw apiErrors.badRequest('name in URL does not match name in Eviction object');
  const podPath: ResourcePath = { ...c.path, subresource: undefined };
  const options = evictionDeleteOptions(c, eviction.deleteOptions);
  const pod = (await resources.get(podPath)) as Any;
  if (canIgnoreBudget(pod)) return deletePod(resources, podPath, options, now);

  const matching = (await resources.list(budgets, { filter: (b) => selects(b, pod) })).items as Any[];
  if (matching.length > 1)
    throw apiErrors.internal(new Error('This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.'));
  if (matching.length === 0) return deletePod(resources, podPath, options, now);
  const budget = matching[0];
  if (!isPodReady(pod) && budget.spec?.unhealthyPodEvictionPolicy === 'AlwaysAllow') return deletePod(resources, podPath, options, now);

  for (let attempt = 0; attempt < MAX_RETRIES; attempt++) {
    const pdb = (await resources.get({ ...budgets, name: budget.metadata.name })) as Any;
    const st = pdb.status ?? {};
    // Not Ready, and the budget is met without it: its going disrupts nothing.
    if (!isPodReady(pod) && (st.currentHealthy ?? 0) >= (st.desiredHealthy ?? 0) && (st.desiredHealthy ?? 0) > 0) {
      return deletePod(resources, podPath, { ...options, preconditions: { ...options.preconditions, resourceVersion: pod.metadata.resourceVersion } }, now);
    }
    const next = takeDisruption(pdb, pod.metadata.name, now());
    if (options.dryRun) return;
    try {
      await resources.update({ ...budgets, name: pdb.metadata.name, subresource: 'status' }, next, {});
    } catch (e) {
      if ((e as { code?: number }).code === 409) continue;
      throw e;
    }
    return deletePod(resources, podPath, options, now);
  }
  throw apiErrors.modified(budgets.resource, budget.metadata.name);
}

/** Upstream's checkAndDecrement: the budget with one disruption taken, or the refusal. */
function takeDisruption(pdb: Any, podName: string, at: Date): KubeObject {
  const st = pdb.status ?? {};
  const name = pdb.metadata.name;
  const budgetCause = (message: string) => [{ reason: 'DisruptionBudget', message }];
  if ((st.observedGeneration ?? 0) < (pdb.metadata.generation ?? 0)) {
    throw apiErrors.tooManyRequests(VIOLATION, budgetCause(`The disruption budget ${name} is still being processed by the server.`));
  }
  const allowed = st.disruptionsAllowed ?? 0;
  if (allowed < 0) throw apiErrors.forbiddenObject({ group: 'policy', plural: 'poddisruptionbudget' }, name, 'pdb disruptions allowed is negative');
  if (Object.keys(st.disruptedPods ?? {}).length > MAX_DISRUPTED_PODS) {
    throw apiErrors.forbiddenObject(
      { group: 'policy', plural: 'poddisruptionbudget' },
      name,
      'DisruptedPods map too big - too many evictions not confirmed by PDB controller',
    );
  }
  if (allowed === 0) {
    throw apiErrors.tooManyRequests(
      VIOLATION,
      budgetCause(`The disruption budget ${name} needs ${st.desiredHealthy ?? 0} healthy pods and has ${st.currentHealthy ?? 0} currently`),
    );
  }
  const status = { ...st, disruptionsAllowed: allowed - 1, disruptedPods: { ...(st.disruptedPods ?? {}), [podName]: rfc3339(at) } };
  if (status.disruptionsAllowed === 0) {
    const conditions = (st.conditions ?? []).filter((c: Any) => c.type !== 'DisruptionAllowed');
    const old = (st.conditions ?? []).find((c: Any) => c.type === 'DisruptionAllowed');
    conditions.push({
      type: 'DisruptionAllowed',
      status: 'False',
      reason: 'InsufficientPods',
      message: '',
      observedGeneration: st.observedGeneration ?? 0,
      lastTransitionTime: old?.status === 'False' ? old.lastTransitionTime : rfc3339(at),
    });
    status.conditions = conditions;
  }
  return { ...pdb, status };
}

/** Pending, finished or already going: upstream evicts such a Pod without asking its budget. */
function canIgnoreBudget(pod: Any): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || !!pod.metadata.deletionTimestamp;
}

/** A budget selects the Pods of its namespace its selector matches; a missing or empty selector selects none here. */
function selects(budget: Any, pod: Any): boolean {
  const sel = budget.spec?.selector;
  if (!sel || (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0)) return false;
  try {
    return labelSelectorAsSelector(sel).matches(pod.metadata.labels ?? {});
  } catch {
    return false;
  }
}

/** The Eviction's DeleteOptions, with the request's dryRun. */
function evictionDeleteOptions(c: ResourceRequest, body: Any): DeleteOptions {
  return deleteOptions({ ...c, req: { ...c.req, body: body ?? {} } as ResourceRequest['req'] });
}

/**
 * Marks the Pod as disrupted (condition DisruptionTarget), then deletes it. A
 * resourceVersion precondition is checked before the condition is written and then
 * moved to the Pod as written, as upstream does.
 */
async function deletePod(resources: Resources, p: ResourcePath, o: DeleteOptions, now: () => Date): Promise<void> {
  let options = o;
  if (!o.dryRun) {
    try {
      const wanted = o.preconditions?.resourceVersion;
      const marked = await resources.guaranteedUpdate({ ...p, subresource: 'status' }, (cur) => {
        const pod = cur as Any;
        if (wanted && pod.metadata.resourceVersion !== wanted) {
          throw apiErrors.conflict(
            p.resource,
            p.name!,
            `Precondition failed: ResourceVersion in precondition: ${wanted}, ResourceVersion in object meta: ${pod.metadata.resourceVersion}`,
          );
        }
        if (pod.metadata.deletionTimestamp) return cur;
        const conditions = (pod.status?.conditions ?? []).filter((c: Any) => c.type !== 'DisruptionTarget');
        conditions.push({
          type: 'DisruptionTarget',
          status: 'True',
          reason: 'EvictionByEvictionAPI',
          message: 'Eviction API: evicting',
          lastTransitionTime: rfc3339(now()),
        });
        return { ...cur, status: { ...pod.status, conditions } };
      });
      if (wanted) options = { ...o, preconditions: { ...o.preconditions, resourceVersion: marked.metadata.resourceVersion } };
    } catch (e) {
      if ((e as { code?: number }).code !== 404) throw e;
    }
  }
  await resources.delete(p, options);
}
