/**
 * Which namespaces a LogicalCluster materializes, by name. Part of the shared
 * tree model because namespace membership (membership.ts) is checked against
 * it as much as the LogicalCluster reconciler creates by it.
 */

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The fields of a LogicalCluster its namespace names derive from. */
export interface LogicalClusterNaming {
  readonly metadata: { readonly name?: string };
  readonly spec: { readonly namespaces?: readonly string[]; readonly workspace?: string };
}

/** `<lc>` for an empty suffix, `<lc>-<suffix>` otherwise. */
export function namespaceName(lcName: string, suffix: string): string {
  return suffix === '' ? lcName : `${lcName}-${suffix}`;
}

export type NamespacePlan = { ok: true; namespaces: string[] } | { ok: false; reason: string };

/**
 * The materialized namespace names, in spec order (the first one holds the
 * ServiceAccount and the kubeconfig Secret). No spec.namespaces means one
 * namespace named after the logical cluster.
 */
export function planNamespaces(lc: LogicalClusterNaming): NamespacePlan {
  const lcName = lc.metadata.name ?? '';
  if (!DNS_LABEL.test(lcName) || lcName.length > 63) {
    return { ok: false, reason: `name "${lcName}" is not a DNS label of at most 63 characters, so it cannot name a namespace` };
  }
  const suffixes = lc.spec.namespaces && lc.spec.namespaces.length > 0 ? lc.spec.namespaces : [''];
  const names: string[] = [];
  for (const suffix of suffixes) {
    const name = namespaceName(lcName, suffix);
    if (!DNS_LABEL.test(name) || name.length > 63) {
      return { ok: false, reason: `namespace "${name}" (from spec.namespaces entry "${suffix}") is not a DNS label of at most 63 characters` };
    }
    if (names.includes(name)) return { ok: false, reason: `spec.namespaces names "${name}" twice` };
    names.push(name);
  }
  return { ok: true, namespaces: names };
}
