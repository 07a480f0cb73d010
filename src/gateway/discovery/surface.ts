/**
 * The API surface of one logical cluster: which resources it shows and with
 * which verbs, derived from the tenant's effective rules (what the apiserver
 * would let the tenant do in its namespaces) plus the few cluster-scoped kinds
 * a tenant reads in a real cluster. Nothing here is a hard-coded list of
 * namespaced kinds: a capability added to the tenant's Role appears in
 * discovery at the next rules review, one removed disappears.
 */
import { createHash } from 'node:crypto';

/** One resource rule as a SelfSubjectRulesReview returns it (rbac/v1 PolicyRule without non-resource URLs). */
export interface ResourceRule {
  readonly apiGroups?: readonly string[];
  readonly resources?: readonly string[];
  readonly verbs: readonly string[];
  readonly resourceNames?: readonly string[];
}

export type Scope = 'Namespaced' | 'Cluster';

/** A cluster-scoped kind a logical cluster may see, and who answers for it. */
export interface GroupResource {
  readonly group: string;
  /** Plural, as in discovery. */
  readonly resource: string;
  /** The verbs discovery shows (never more than the apiserver offers for the kind). */
  readonly verbs: readonly string[];
  /**
   * `gateway`: the gateway serves it whatever the tenant's RBAC says (the
   * logical cluster's own namespaces, read-only classes), so it is always shown.
   * `caller`: forwarded as the tenant, so it is shown only when the tenant's
   * rules grant it, with the verbs both allow.
   */
  readonly servedBy: 'gateway' | 'caller';
}

const READ = ['get', 'list', 'watch'] as const;

/**
 * The cluster-scoped kinds reachable through the gateway. Everything else
 * cluster-scoped is hidden from discovery and refused, whatever cluster-wide
 * rules the tenant holds: a logical cluster is narrower than the host, never wider.
 */
export const CLUSTER_SCOPED_KINDS: readonly GroupResource[] = [
  // The logical cluster's own namespaces (a virtual list; create and delete change spec.namespaces).
  { group: '', resource: 'namespaces', verbs: [...READ, 'create', 'delete'], servedBy: 'gateway' },
  { group: 'storage.k8s.io', resource: 'storageclasses', verbs: READ, servedBy: 'gateway' },
  { group: 'scheduling.k8s.io', resource: 'priorityclasses', verbs: READ, servedBy: 'gateway' },
  { group: 'networking.k8s.io', resource: 'ingressclasses', verbs: READ, servedBy: 'gateway' },
  { group: 'node.k8s.io', resource: 'runtimeclasses', verbs: READ, servedBy: 'gateway' },
  { group: 'apiextensions.k8s.io', resource: 'customresourcedefinitions', verbs: READ, servedBy: 'caller' },
  // The caller's questions about itself (`kubectl auth can-i`, `auth whoami`): every authenticated user may ask.
  { group: 'authorization.k8s.io', resource: 'selfsubjectaccessreviews', verbs: ['create'], servedBy: 'caller' },
  { group: 'authorization.k8s.io', resource: 'selfsubjectrulesreviews', verbs: ['create'], servedBy: 'caller' },
  { group: 'authentication.k8s.io', resource: 'selfsubjectreviews', verbs: ['create'], servedBy: 'caller' },
];

/** What a logical cluster may see. */
export interface ApiSurface {
  /**
   * Whether discovery shows `resource` (plural, possibly `parent/subresource`)
   * of `group`. With a scope, only grants that fit it count: namespaced kinds
   * come from the rules, cluster-scoped ones from CLUSTER_SCOPED_KINDS.
   */
  allows(group: string, resource: string, scope?: Scope): boolean;
  /** The verbs of `offered` (what the apiserver lists for the resource) the logical cluster is granted; empty when hidden. */
  verbs(group: string, resource: string, scope: Scope | undefined, offered: readonly string[]): string[];
  /** Changes whenever what the surface shows changes: part of the OpenAPI v3 hashes, so clients never reuse a stale filtered document. */
  readonly fingerprint: string;
}

/** RBAC's ResourceMatches: `*`, the exact `resource[/sub]`, or `*\/sub` for a subresource. */
function resourceMatches(ruleResource: string, resource: string): boolean {
  if (ruleResource === '*' || ruleResource === resource) return true;
  const slash = resource.indexOf('/');
  return slash > 0 && ruleResource === `*${resource.slice(slash)}`;
}

function groupMatches(ruleGroups: readonly string[] | undefined, group: string): boolean {
  const groups = ruleGroups && ruleGroups.length > 0 ? ruleGroups : [''];
  return groups.includes('*') || groups.includes(group);
}

class RuleSurface implements ApiSurface {
  readonly fingerprint: string;
  private readonly cluster = new Map<string, GroupResource>();

  constructor(
    private readonly rules: readonly ResourceRule[],
    clusterScoped: readonly GroupResource[],
  ) {
    for (const kind of clusterScoped) this.cluster.set(`${kind.group}/${kind.resource}`, kind);
    const canonical = {
      rules: rules
        .map((r) => [
          [...(r.apiGroups ?? [''])].sort(),
          [...(r.resources ?? [])].sort(),
          [...r.verbs].sort(),
          r.resourceNames ? [...r.resourceNames].sort() : null,
        ])
        .map((r) => JSON.stringify(r))
        .sort(),
      cluster: [...this.cluster.keys()].sort().map((k) => [k, [...this.cluster.get(k)!.verbs].sort(), this.cluster.get(k)!.servedBy]),
    };
    this.fingerprint = createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
  }

  /** Verbs the rules grant on group/resource (may contain `*`). */
  private ruleVerbs(group: string, resource: string): Set<string> {
    const verbs = new Set<string>();
    for (const rule of this.rules) {
      if (!groupMatches(rule.apiGroups, group)) continue;
      if (!(rule.resources ?? []).some((r) => resourceMatches(r, resource))) continue;
      // A rule limited to resourceNames still lets the tenant use the kind (on those objects): it is shown.
      for (const verb of rule.verbs) verbs.add(verb);
    }
    return verbs;
  }

  private clusterVerbs(group: string, resource: string): Set<string> {
    const kind = this.cluster.get(`${group}/${resource}`);
    if (!kind) return new Set();
    if (kind.servedBy === 'gateway') return new Set(kind.verbs);
    const granted = this.ruleVerbs(group, resource);
    return new Set(kind.verbs.filter((v) => granted.has(v) || granted.has('*')));
  }

  private granted(group: string, resource: string, scope: Scope | undefined): Set<string> {
    if (scope === 'Namespaced') return this.ruleVerbs(group, resource);
    if (scope === 'Cluster') return this.clusterVerbs(group, resource);
    // Unknown scope: a listed cluster-scoped kind is judged as such, anything else by the rules.
    return this.cluster.has(`${group}/${resource}`) ? this.clusterVerbs(group, resource) : this.ruleVerbs(group, resource);
  }

  allows(group: string, resource: string, scope?: Scope): boolean {
    return this.granted(group, resource, scope).size > 0;
  }

  verbs(group: string, resource: string, scope: Scope | undefined, offered: readonly string[]): string[] {
    const granted = this.granted(group, resource, scope);
    if (granted.has('*')) return [...offered];
    return offered.filter((v) => granted.has(v));
  }
}

/**
 * The surface of a logical cluster from its tenant's effective rules (the
 * SelfSubjectRulesReviews of its namespaces, made as the tenant and merged)
 * and the cluster-scoped kinds the gateway lets through (normally CLUSTER_SCOPED_KINDS).
 */
export function surfaceFromRules(rules: readonly ResourceRule[], clusterScopedReadable: readonly GroupResource[] = CLUSTER_SCOPED_KINDS): ApiSurface {
  return new RuleSurface(rules, clusterScopedReadable);
}
