import { propagatedObjectCustomResourceDefinition } from '../crds/propagatedobject.js';
import { findPropagatedObject, renderExplain } from './explain.js';
import type { Snapshot } from './snapshot.js';

/** Names kubectl users type for the PropagatedObject itself (`kind/name` form): the CRD's names, bare or group-qualified. */
const PROPAGATED_OBJECT_NAMES = (() => {
  const { group, names } = propagatedObjectCustomResourceDefinition.spec;
  const bare = [names.plural, names.singular, ...names.shortNames];
  return new Set([...bare, ...bare.map((n) => `${n}.${group}`)]);
})();

/**
 * `explain NAME [--kind K]`, or kubectl's `explain KIND/NAME`: a plain object's
 * kind (deployment/web) or the PropagatedObject itself (propagatedobject/web-deployment).
 */
export function explainCommand(snapshot: Snapshot, namespace: string, target: string, kind?: string): string {
  const slash = target.indexOf('/');
  const typed = slash > 0 ? target.slice(0, slash).toLowerCase() : undefined;
  const name = slash > 0 ? target.slice(slash + 1) : target;
  const po = typed && PROPAGATED_OBJECT_NAMES.has(typed)
    ? snapshot.objects.find((o) => o.metadata.namespace === namespace && o.metadata.name === name)
    : typed
      ? kindsFor(typed).map((k) => findPropagatedObject(snapshot, namespace, name, k)).find((o) => o !== undefined)
      : findPropagatedObject(snapshot, namespace, name, kind);
  if (!po) return `nothing placed as ${namespace}/${target}: no PropagatedObject of that name, and no policy selects a plain object of that name\n`;
  return renderExplain(po);
}

/** The kinds a typed resource may mean: `deployments.apps` → deployments, deployment; `ingresses` → …, ingress. */
function kindsFor(typed: string): string[] {
  const resource = typed.split('.')[0]!;
  return [resource, ...(resource.endsWith('s') ? [resource.slice(0, -1)] : []), ...(resource.endsWith('es') ? [resource.slice(0, -2)] : [])];
}
