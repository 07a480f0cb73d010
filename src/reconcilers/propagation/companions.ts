/**
 * Companions: objects that follow a namespace's placed workloads instead of
 * being placed themselves.
 *
 * - dependencies: the ConfigMaps, Secrets, ServiceAccounts and PVCs a placed
 *   pod template references go to every cluster that workload runs on, and
 *   leave a cluster once no workload there references them;
 * - RBAC: the Roles and RoleBindings Canopy materialised in the tenant
 *   namespace (labelled canopy.dev/managed-by) go to every cluster that runs
 *   any of the namespace's workloads, so the tenant has the same rights
 *   wherever its apps land.
 *
 * An object that has its own PropagatedObject is placed by it, not as a
 * companion, so two writers never fight over one member object.
 */
import { dependencyKey, podTemplateDependencies, type DependencyKind } from './references.js';
import type { CompanionRole } from './names.js';

export type CompanionKind = DependencyKind | 'Role' | 'RoleBinding';

export const COMPANION_TYPES: Readonly<Record<CompanionKind, { readonly apiVersion: string; readonly plural: string }>> = {
  ConfigMap: { apiVersion: 'v1', plural: 'configmaps' },
  Secret: { apiVersion: 'v1', plural: 'secrets' },
  ServiceAccount: { apiVersion: 'v1', plural: 'serviceaccounts' },
  PersistentVolumeClaim: { apiVersion: 'v1', plural: 'persistentvolumeclaims' },
  Role: { apiVersion: 'rbac.authorization.k8s.io/v1', plural: 'roles' },
  RoleBinding: { apiVersion: 'rbac.authorization.k8s.io/v1', plural: 'rolebindings' },
};

/** One PropagatedObject of the namespace, as far as companions are concerned. */
export interface PlacedWorkload {
  /** The object it places (resolved template); undefined when it cannot be resolved. */
  readonly template:
    | { readonly apiVersion: string; readonly kind: string; readonly metadata: { readonly name?: string }; readonly [field: string]: unknown }
    | undefined;
  /** Clusters holding (or about to hold) a copy. */
  readonly clusters: readonly string[];
}

export interface CompanionInput {
  readonly workloads: readonly PlacedWorkload[];
  /** `Kind/name` of the namespace's objects on the host that may be copied (existing, not a token Secret). */
  readonly available: ReadonlySet<string>;
  /** `Role/name` and `RoleBinding/name` of the Canopy-managed RBAC in the host namespace. */
  readonly rbac: readonly string[];
}

/** Desired companions per cluster: `Kind/name` → role. */
export type CompanionPlan = Map<string, Map<string, CompanionRole>>;

export function planCompanions(input: CompanionInput): CompanionPlan {
  const placedByOwnObject = new Set<string>();
  for (const w of input.workloads) {
    if (w.template?.apiVersion === 'v1' || w.template?.apiVersion === 'rbac.authorization.k8s.io/v1') {
      placedByOwnObject.add(`${w.template.kind}/${w.template.metadata.name ?? ''}`);
    }
  }
  const plan: CompanionPlan = new Map();
  const at = (cluster: string): Map<string, CompanionRole> => {
    let m = plan.get(cluster);
    if (!m) {
      m = new Map();
      plan.set(cluster, m);
    }
    return m;
  };
  for (const w of input.workloads) {
    if (w.clusters.length === 0) continue;
    for (const c of w.clusters) {
      const m = at(c);
      for (const key of input.rbac) if (!placedByOwnObject.has(key)) m.set(key, 'rbac');
    }
    if (!w.template) continue;
    for (const ref of podTemplateDependencies(w.template)) {
      const key = dependencyKey(ref);
      if (placedByOwnObject.has(key) || !input.available.has(key)) continue;
      for (const c of w.clusters) at(c).set(key, 'dependency');
    }
  }
  return plan;
}

/** Companion copies on a member that are no longer wanted there (only ones labelled as companions are ever listed). */
export function companionsToRemove(desired: ReadonlyMap<string, CompanionRole> | undefined, live: Iterable<string>): string[] {
  const out: string[] = [];
  for (const key of live) if (!desired?.has(key)) out.push(key);
  return out.sort();
}

export function splitKey(key: string): { kind: CompanionKind; name: string } {
  const slash = key.indexOf('/');
  return { kind: key.slice(0, slash) as CompanionKind, name: key.slice(slash + 1) };
}
