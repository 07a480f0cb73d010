/**
 * Namespace names no Workspace (its home namespace) and no LogicalCluster
 * (its materialized namespaces) may take: Kubernetes' own, the namespace the
 * operator runs in, and what the installation lists in
 * CANOPY_RESERVED_NAMESPACES. Canopy writes RBAC and Secrets into the
 * namespaces it creates for a tenant; a tenant naming one of these would
 * be handed a system namespace (or the operator's, with its credentials).
 */

/** Reserved on every cluster, whatever the installation says. */
export const SYSTEM_NAMESPACES: readonly string[] = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
export const DEFAULT_OPERATOR_NAMESPACE = 'canopy-system';

export interface ReservedNamespaceOptions {
  /** The namespace the operator runs in; default `canopy-system`. */
  readonly operatorNamespace?: string;
  /** More names the installation reserves (its other system namespaces). */
  readonly extra?: readonly string[];
}

export class ReservedNamespaces {
  private readonly operatorNamespace: string;
  private readonly extra: ReadonlySet<string>;

  constructor(options: ReservedNamespaceOptions = {}) {
    this.operatorNamespace = options.operatorNamespace || DEFAULT_OPERATOR_NAMESPACE;
    this.extra = new Set((options.extra ?? []).map((n) => n.trim()).filter(Boolean));
  }

  /** Why `name` may not be used for a tenant's namespace, or undefined when it is free. */
  reason(name: string): string | undefined {
    if (SYSTEM_NAMESPACES.includes(name)) return `namespace "${name}" is reserved for the system`;
    if (name.startsWith('kube-')) return `namespaces starting with "kube-" are reserved for Kubernetes, so "${name}" cannot be used`;
    // canopy-system stays reserved even when the operator runs elsewhere: the chart's default may be in use by another installation.
    if (name === this.operatorNamespace || name === DEFAULT_OPERATOR_NAMESPACE) return `namespace "${name}" is reserved for the Canopy operator`;
    if (this.extra.has(name)) return `namespace "${name}" is reserved by this installation (CANOPY_RESERVED_NAMESPACES)`;
    return undefined;
  }
}

/** The list in CANOPY_RESERVED_NAMESPACES: comma-separated, blanks ignored. */
export function parseReservedNamespaces(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
}

/** What validators use when the installation configured nothing. */
export const DEFAULT_RESERVED = new ReservedNamespaces();
