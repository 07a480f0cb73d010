import { propagatedObjectCustomResourceDefinition } from '../crds/propagatedobject.js';
import { CliError } from './errors.js';
import { explainData, findPropagatedObject, renderExplain, type PO } from './explain.js';
import { renderData } from './format.js';
import { withSession, type GlobalOptions } from './session.js';
import { loadSnapshot, type Snapshot } from './snapshot.js';

/** Names kubectl users type for the PropagatedObject itself (`kind/name` form): the CRD's names, bare or group-qualified. */
const PROPAGATED_OBJECT_NAMES = (() => {
  const { group, names } = propagatedObjectCustomResourceDefinition.spec;
  const bare = [names.plural, names.singular, ...names.shortNames];
  return new Set([...bare, ...bare.map((n) => `${n}.${group}`)]);
})();

/**
 * The PropagatedObject `explain NAME [--kind K]` or kubectl's `explain KIND/NAME`
 * means: a plain object's kind (deployment/web) or the PropagatedObject itself
 * (propagatedobject/web-deployment).
 */
export function findExplainTarget(snapshot: Snapshot, namespace: string, target: string, kind?: string): PO | undefined {
  const slash = target.indexOf('/');
  const typed = slash > 0 ? target.slice(0, slash).toLowerCase() : undefined;
  const name = slash > 0 ? target.slice(slash + 1) : target;
  if (typed && PROPAGATED_OBJECT_NAMES.has(typed)) return snapshot.objects.find((o) => o.metadata.namespace === namespace && o.metadata.name === name);
  if (typed)
    return kindsFor(typed)
      .map((k) => findPropagatedObject(snapshot, namespace, name, k))
      .find((o) => o !== undefined);
  return findPropagatedObject(snapshot, namespace, name, kind);
}

/** The kinds a typed resource may mean: `deployments.apps` → deployments, deployment; `ingresses` → …, ingress. */
function kindsFor(typed: string): string[] {
  const resource = typed.split('.')[0]!;
  return [resource, ...(resource.endsWith('s') ? [resource.slice(0, -1)] : []), ...(resource.endsWith('es') ? [resource.slice(0, -2)] : [])];
}

export function notPlacedMessage(namespace: string, target: string): string {
  return `nothing placed as ${namespace}/${target}: no PropagatedObject of that name, and no policy selects a plain object of that name`;
}

/** One line for a kubeconfig that may not read what explain adds to the object's own status (a tenant's). */
export function degradedNote(unreadable: readonly string[]): string | undefined {
  if (unreadable.length === 0) return undefined;
  return `note: this kubeconfig may not list ${unreadable.join(' or ')}, so this is the PropagatedObject's own status without cluster health or policy details`;
}

/**
 * `explain`: reads the namespace's PropagatedObjects (which a tenant may) and,
 * when allowed, the Clusters and PlacementPolicies behind the decision (which
 * a tenant may not): without them the answer degrades, and says so.
 */
export async function runExplain(options: GlobalOptions, target: string, kind: string | undefined, output: string): Promise<{ text: string; note?: string }> {
  return withSession(options, async (session) => {
    const snapshot = await loadSnapshot(session.client, {
      namespace: session.namespace,
      parts: ['objects', 'clusters', 'policies'],
      optional: ['clusters', 'policies'],
    });
    const po = findExplainTarget(snapshot, session.namespace, target, kind);
    if (!po) throw new CliError(notPlacedMessage(session.namespace, target));
    const note = degradedNote(snapshot.unreadable);
    const text = output === 'json' || output === 'yaml' ? renderData(output, explainData(po, snapshot)) : renderExplain(po, snapshot);
    return note ? { text, note } : { text };
  });
}
