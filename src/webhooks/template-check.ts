/**
 * The pod rules (pods.ts) applied to what a PropagatedObject will place: its
 * template as written, and the template as each cluster will receive it
 * once `spec.overrides[]` are applied. An override may add `hostNetwork` or
 * swap the image for one cluster only, so checking the template alone would
 * let the per-cluster copy escape the limits of the namespace it lives in.
 *
 * Which variants are checked, and why these cover every cluster:
 * - each override on its own (applies to a cluster it selects, registered or
 *   not yet: the selector may match a cluster added tomorrow);
 * - for every registered cluster, the overrides that apply to it, in order;
 * - every override together (a cluster that matches all of them).
 * A variant whose patches do not apply (a `test` fails, a path is missing) is
 * skipped: the syncer cannot render it either, so nothing of it is placed.
 *
 * Overrides are applied with the syncer's own code (render.ts, jsonpatch.ts),
 * so admission judges exactly what would be applied.
 *
 * A PropagatedObject with `spec.sourceRef` needs nothing here: its source is
 * an object of the same namespace, admitted there under these same rules.
 */
import { applyJsonPatch } from '../reconcilers/propagation/jsonpatch.js';
import { overrideApplies, type ClusterOverride, type TargetCluster } from '../reconcilers/propagation/render.js';
import { checkPodSpec, podSpecOf, type PodLimits, type WorkloadLike } from '../admission/pods.js';
import { allow, deny, type Verdict } from '../admission/verdict.js';

export const TemplateRules = {
  podTemplate: 'propagatedobject/pod-template',
  override: 'propagatedobject/override-pod-template',
} as const;

/** The parts of a PropagatedObject the template check reads. */
export interface TemplatedObject {
  readonly spec?: {
    readonly template?: WorkloadLike & { readonly apiVersion?: string };
    readonly overrides?: readonly ClusterOverride[];
  };
}

/** The first violation of the pod limits by the template or by any cluster's rendering of it. */
export function checkPropagatedTemplate(po: TemplatedObject, limits: PodLimits, clusters: readonly TargetCluster[]): Verdict {
  const template = po.spec?.template;
  if (!template) return allow();
  const base = violation(template, limits);
  if (base) return deny(TemplateRules.podTemplate, base.field, base.reason);

  const overrides = po.spec?.overrides ?? [];
  if (overrides.length === 0) return allow();
  const indexed = overrides.map((override, index) => ({ override, index }));
  for (const one of indexed) {
    const found = firstViolation(template, [one], limits);
    if (found) return overrideDenial(found.index, 'wherever it applies', found.reason);
  }
  for (const cluster of clusters) {
    const found = firstViolation(
      template,
      indexed.filter((o) => overrideApplies(o.override, cluster)),
      limits,
    );
    if (found) return overrideDenial(found.index, `on cluster "${cluster.name}"`, found.reason);
  }
  const found = firstViolation(template, indexed, limits);
  return found ? overrideDenial(found.index, 'together with the overrides before it', found.reason) : allow();
}

/** Whether the parts the check reads changed: an update that leaves them alone is not re-judged against limits set since. */
export function templateChanged(before: TemplatedObject | undefined, after: TemplatedObject): boolean {
  if (!before) return true;
  return JSON.stringify([before.spec?.template, before.spec?.overrides]) !== JSON.stringify([after.spec?.template, after.spec?.overrides]);
}

/** Applies the overrides one after another; the index of the first after which the result breaks a limit. */
function firstViolation(
  template: WorkloadLike,
  overrides: readonly { override: ClusterOverride; index: number }[],
  limits: PodLimits,
): { index: number; reason: string } | undefined {
  let current: WorkloadLike = template;
  for (const { override, index } of overrides) {
    try {
      current = applyJsonPatch(current, override.patches);
    } catch {
      return undefined; // the syncer cannot render this variant either: nothing of it is ever applied
    }
    const found = violation(current, limits);
    if (found) return { index, reason: `${found.field}: ${found.reason}` };
  }
  return undefined;
}

function violation(object: WorkloadLike, limits: PodLimits): { field: string; reason: string } | undefined {
  const pod = podSpecOf(object);
  if (!pod) return undefined;
  const verdict = checkPodSpec(pod.spec, `spec.template.${pod.field}`, limits);
  return verdict.allowed ? undefined : { field: verdict.denial.field, reason: verdict.denial.reason };
}

function overrideDenial(index: number, where: string, detail: string): Verdict {
  return deny(TemplateRules.override, `spec.overrides[${index}]`, `applied ${where}, it makes the placed object break a limit of this namespace: ${detail}`);
}
