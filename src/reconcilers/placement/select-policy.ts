/**
 * Which PlacementPolicy governs an object: among the policies with a
 * resourceSelector matching it, the highest `spec.priority` wins (default 0);
 * equal priorities are broken by name (alphabetically first wins) and the
 * tie is reported, since two policies claiming the same object at the same
 * priority is usually a mistake someone should see.
 */
import { matchesSelector } from '../../kube/label-selector.js';
import { LABEL_WORKSPACE, treeLabel } from '../../crds/labels.js';

export interface SelectableObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name?: string; readonly namespace?: string; readonly labels?: Readonly<Record<string, string>> };
}

export interface PolicySelector {
  readonly apiVersion: string;
  readonly kind: string;
  readonly labelSelector?: {
    readonly matchLabels?: Readonly<Record<string, string>>;
    readonly matchExpressions?: readonly { readonly key: string; readonly operator: string; readonly values?: readonly string[] }[];
  };
  readonly namespaces?: readonly string[];
  readonly workspace?: string;
}

export interface SelectablePolicy {
  readonly metadata: { readonly name: string; readonly deletionTimestamp?: unknown };
  readonly spec: { readonly resourceSelectors?: readonly PolicySelector[]; readonly priority?: number };
}

/** The object's namespace as the host sees it: its name and labels (workspace, tree labels). */
export interface NamespaceInfo {
  readonly name: string;
  readonly labels?: Readonly<Record<string, string>>;
}

export interface PolicySelection<P extends SelectablePolicy> {
  readonly policy: P;
  /** Other policies with the same priority that also match (the winner won by name). */
  readonly tiedWith: readonly string[];
}

/** Whether the namespace lies in the subtree of a workspace (its tree label, or its own workspace label). */
export function namespaceInWorkspace(ns: NamespaceInfo, workspace: string): boolean {
  const labels = ns.labels ?? {};
  return labels[treeLabel(workspace)] !== undefined || labels[LABEL_WORKSPACE] === workspace || ns.name === workspace;
}

/** Whether one resourceSelector selects the object; every field it sets must hold. */
export function resourceSelectorMatches(sel: PolicySelector, object: SelectableObject, ns: NamespaceInfo): boolean {
  if (sel.apiVersion !== object.apiVersion || sel.kind !== object.kind) return false;
  if (sel.namespaces && sel.namespaces.length > 0 && !sel.namespaces.includes(ns.name)) return false;
  if (sel.workspace && !namespaceInWorkspace(ns, sel.workspace)) return false;
  return matchesSelector(sel.labelSelector, object.metadata.labels);
}

export function policySelects(policy: SelectablePolicy, object: SelectableObject, ns: NamespaceInfo): boolean {
  return (policy.spec.resourceSelectors ?? []).some((s) => resourceSelectorMatches(s, object, ns));
}

/** The winning policy, or undefined when none selects the object. Policies being deleted do not count. */
export function selectPolicy<P extends SelectablePolicy>(object: SelectableObject, policies: readonly P[], ns: NamespaceInfo): PolicySelection<P> | undefined {
  let best: P | undefined;
  let tied: string[] = [];
  for (const p of policies) {
    if (p.metadata.deletionTimestamp) continue;
    if (!policySelects(p, object, ns)) continue;
    if (!best) {
      best = p;
      continue;
    }
    const pp = p.spec.priority ?? 0;
    const bp = best.spec.priority ?? 0;
    if (pp > bp) {
      best = p;
      tied = [];
    } else if (pp === bp) {
      if (p.metadata.name < best.metadata.name) {
        tied.push(best.metadata.name);
        best = p;
      } else {
        tied.push(p.metadata.name);
      }
    }
  }
  return best ? { policy: best, tiedWith: tied.sort() } : undefined;
}
