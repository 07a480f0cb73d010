/**
 * Admission rules for LogicalClusters: the workspace exists and the requester
 * administers it, the fixed fields stay fixed, its namespaces are free, its
 * constraints fit inside the workspace's, and it fits in what every workspace
 * above it has left (maxLogicalClusters, quota, cost budget).
 *
 * The limit arithmetic is checkWorkspaceLimits (limits.ts), the same code the
 * reconciler uses as the backstop, with order 'others-first': everything that
 * exists counts and the newcomer is checked last.
 */
import { LABEL_LOGICAL_CLUSTER } from '../../crds/labels.js';
import { describeRequester, hasAuthority } from '../../admission/authority.js';
import type { AdmissionInput } from '../../admission/request.js';
import { DEFAULT_RESERVED, type ReservedNamespaces } from '../../admission/reserved-names.js';
import { ancestry, MAX_DEPTH, logicalClustersInSubtree, type Chain, type ClusterLike, type LogicalClusterView, type TreeView } from '../../admission/tree.js';
import { allow, deny, firstDenial, type Verdict } from '../../admission/verdict.js';
import { checkNarrows, effectiveConstraints, type ConstraintLevel, type EffectiveConstraints } from '../../hierarchy/constraints.js';
import { matchesSelector } from '../../kube/label-selector.js';
import { clusterModeCost, namespaceModeCost, type MonthlyCost } from './cost.js';
import { checkWorkspaceLimits, hasWorkspaceLimits, type LimitScope, type LogicalClusterClaim } from './limits.js';
import { planNamespaces } from '../../hierarchy/logical-cluster-namespaces.js';

export const LogicalClusterRules = {
  immutable: 'logicalcluster/immutable',
  workspaceMissing: 'logicalcluster/workspace-missing',
  ownership: 'logicalcluster/ownership',
  namespaces: 'logicalcluster/namespaces',
  narrow: 'logicalcluster/constraints-narrow',
  limits: 'logicalcluster/workspace-limits',
  initializers: 'logicalcluster/initializers',
} as const;

const DEFAULT_MODE = 'Namespace';

/** `reserved`: the namespace names no logical cluster may materialize (the installation's list; see reserved-names.ts). */
export function validateLogicalCluster(
  input: AdmissionInput<LogicalClusterView>,
  view: TreeView,
  now: Date = new Date(),
  reserved: ReservedNamespaces = DEFAULT_RESERVED,
): Verdict {
  if (input.operation === 'DELETE') return checkDelete(input, view);
  const object = input.object;
  if (!object) return allow();
  const old = input.operation === 'UPDATE' ? input.oldObject : undefined;
  if (old && JSON.stringify(old.spec) === JSON.stringify(object.spec)) return allow(); // metadata-only change
  const workspace = object.spec.workspace;
  const chain = ancestry(view, workspace);
  return firstDenial([
    () => checkImmutable(object, old),
    () => (old ? allow() : checkWorkspace(workspace, chain)),
    () => checkOwnership(input, object, old, chain),
    () => checkNamespaces(object, old, view, reserved),
    () => checkConstraints(object, chain),
    () => checkLimits(object, old, chain, view, now),
  ]);
}

/** Workspaces the validator reads, so the caller can fetch cache misses first. */
export function logicalClusterReferences(input: AdmissionInput<LogicalClusterView>): { workspaces: string[] } {
  const names = [input.object?.spec.workspace, input.oldObject?.spec.workspace].filter((n): n is string => !!n);
  return { workspaces: [...new Set(names)] };
}

function checkImmutable(object: LogicalClusterView, old: LogicalClusterView | undefined): Verdict {
  if (!old) return allow();
  if (old.spec.workspace !== object.spec.workspace) {
    return deny(
      LogicalClusterRules.immutable,
      'spec.workspace',
      `cannot change from "${old.spec.workspace}" to "${object.spec.workspace}" (immutable); create a new LogicalCluster in workspace "${object.spec.workspace}" instead`,
    );
  }
  const before = old.spec.mode ?? DEFAULT_MODE;
  const after = object.spec.mode ?? DEFAULT_MODE;
  if (before !== after) {
    return deny(
      LogicalClusterRules.immutable,
      'spec.mode',
      `cannot change from ${before} to ${after} (immutable); create a new LogicalCluster with mode ${after} instead`,
    );
  }
  return allow();
}

function checkWorkspace(workspace: string, chain: Chain): Verdict {
  if (chain.missing === workspace) {
    return deny(
      LogicalClusterRules.workspaceMissing,
      'spec.workspace',
      `workspace "${workspace}" does not exist; create it first or choose an existing workspace`,
    );
  }
  if (chain.missing !== undefined) {
    return deny(
      LogicalClusterRules.workspaceMissing,
      'spec.workspace',
      `workspace "${workspace}" hangs under workspace "${chain.missing}", which does not exist; fix the tree before adding logical clusters to it`,
    );
  }
  if (chain.tooDeep) {
    return deny(
      LogicalClusterRules.workspaceMissing,
      'spec.workspace',
      `workspace "${workspace}" is more than ${MAX_DEPTH} levels below its root; workspace trees are limited to ${MAX_DEPTH} levels`,
    );
  }
  if (chain.cycle) {
    return deny(
      LogicalClusterRules.workspaceMissing,
      'spec.workspace',
      `workspace "${workspace}" is part of a cycle (${chain.cycle.join(' → ')}); fix that cycle first`,
    );
  }
  return allow();
}

function authorityMissing(input: AdmissionInput<LogicalClusterView>, chain: Chain): boolean {
  const owners = chain.nodes.map((n) => ({ name: n.name, owners: n.workspace.spec?.owners }));
  return !hasAuthority(owners, input.requester);
}

function checkOwnership(input: AdmissionInput<LogicalClusterView>, object: LogicalClusterView, old: LogicalClusterView | undefined, chain: Chain): Verdict {
  const workspace = object.spec.workspace;
  if (!authorityMissing(input, chain)) return allow();
  const verb = old ? 'change' : 'create';
  return deny(
    LogicalClusterRules.ownership,
    'spec.workspace',
    `${describeRequester(input.requester)} may not ${verb} logical cluster "${object.metadata.name ?? ''}" in workspace "${workspace}": not an owner of workspace "${workspace}" or of any workspace above it`,
  );
}

function checkDelete(input: AdmissionInput<LogicalClusterView>, view: TreeView): Verdict {
  const old = input.oldObject;
  if (!old || input.requester.admin) return allow();
  const chain = ancestry(view, old.spec.workspace);
  // A logical cluster whose workspace is gone can only be cleaned up by an admin.
  if (!authorityMissing(input, chain)) return allow();
  return deny(
    LogicalClusterRules.ownership,
    'metadata.name',
    `${describeRequester(input.requester)} may not delete logical cluster "${old.metadata.name ?? ''}": not an owner of workspace "${old.spec.workspace}" or of any workspace above it`,
  );
}

function checkNamespaces(object: LogicalClusterView, old: LogicalClusterView | undefined, view: TreeView, reservedNames: ReservedNamespaces): Verdict {
  const name = object.metadata.name ?? '';
  const plan = planNamespaces({ metadata: object.metadata, spec: object.spec });
  if (!plan.ok) return deny(LogicalClusterRules.namespaces, 'spec.namespaces', plan.reason);
  const before = old ? planNamespaces({ metadata: old.metadata, spec: old.spec }) : undefined;
  const existing = new Set(before?.ok ? before.namespaces : []);
  const field = (ns: string): string => (ns === name ? 'metadata.name' : 'spec.namespaces');
  for (const ns of plan.namespaces) {
    if (existing.has(ns)) continue;
    const reserved = reservedNames.reason(ns);
    if (reserved)
      return deny(LogicalClusterRules.namespaces, field(ns), `${reserved}, and a logical cluster's namespaces are handed to its tenant; choose another name`);
    const owner = view.namespace(ns)?.metadata.labels?.[LABEL_LOGICAL_CLUSTER];
    if (view.namespace(ns) && owner !== name) {
      const whose = owner ? `logical cluster "${owner}"` : view.workspace(ns) ? `workspace "${ns}" (its home namespace)` : 'something outside Canopy';
      return deny(LogicalClusterRules.namespaces, field(ns), `namespace "${ns}" already exists and belongs to ${whose}; choose another name`);
    }
    if (!view.namespace(ns) && view.workspace(ns)) {
      return deny(LogicalClusterRules.namespaces, field(ns), `namespace "${ns}" is the home namespace of workspace "${ns}"; choose another name`);
    }
  }
  return allow();
}

function workspaceLevels(chain: Chain): ConstraintLevel[] {
  return chain.nodes.map((n) => ({ workspace: n.name, constraints: n.workspace.spec?.constraints })).reverse();
}

function checkConstraints(object: LogicalClusterView, chain: Chain): Verdict {
  const workspace = object.spec.workspace;
  const effective = effectiveConstraints(workspaceLevels(chain));
  const options = { parent: workspace, subject: 'logical cluster' as const };
  const violations = [
    ...checkNarrows(effective, object.spec.constraints, options),
    // Cluster mode picks its cluster with spec.clusterSelector: it must be able to match inside the workspace's selector.
    ...checkNarrows(effective, object.spec.clusterSelector ? { clusterSelector: object.spec.clusterSelector } : undefined, { ...options, fieldPrefix: 'spec' }),
  ];
  const first = violations[0];
  if (!first) return allow();
  const reason = first.message.startsWith(`${first.field}: `) ? first.message.slice(first.field.length + 2) : first.message;
  return deny(LogicalClusterRules.narrow, first.field, reason);
}

function checkLimits(object: LogicalClusterView, old: LogicalClusterView | undefined, chain: Chain, view: TreeView, now: Date): Verdict {
  // Only a claim that may have grown is checked again: an update that leaves
  // quota and constraints alone must not be blocked by limits lowered since.
  if (old && JSON.stringify(old.spec.constraints ?? {}) === JSON.stringify(object.spec.constraints ?? {})) return allow();
  const scopes: LimitScope[] = chain.nodes.map((n) => ({ workspace: n.name, constraints: n.workspace.spec?.constraints }));
  if (!hasWorkspaceLimits(scopes)) return allow();
  const top = [...scopes].reverse().find((s) => hasWorkspaceLimits([s]))!;
  const name = object.metadata.name ?? '';
  const claims = new ClaimBuilder(view, now);
  const others = logicalClustersInSubtree(view, top.workspace)
    .filter((lc) => lc.metadata.name !== name && !lc.metadata.deletionTimestamp)
    .map((lc) => claims.cached(lc));
  const violations = checkWorkspaceLimits({ candidate: claims.of(object, chain), scopes, others, order: 'others-first' });
  const first = violations[0];
  if (!first) return allow();
  const field = first.reason === 'MaxLogicalClustersExceeded' ? 'spec.workspace' : 'spec.constraints.quota.hard';
  return deny(LogicalClusterRules.limits, field, first.message);
}

/**
 * Claims of existing logical clusters, by object identity: informer caches
 * replace an object on every change, so an entry stays right until the tree
 * or the clusters change (the view's version). Keeps a create in a workspace
 * with thousands of logical clusters from recomputing every claim.
 */
const claimCache = new WeakMap<LogicalClusterView, { version: number; claim: LogicalClusterClaim }>();

/** Builds what a logical cluster takes from its workspaces, memoising the tree walks. */
class ClaimBuilder {
  private readonly chains = new Map<string, Chain>();
  private readonly version: number | undefined;

  constructor(
    private readonly view: TreeView,
    private readonly now: Date,
  ) {
    this.version = view.version?.();
  }

  /** The claim of an existing logical cluster, reused while nothing it depends on changed. */
  cached(lc: LogicalClusterView): LogicalClusterClaim {
    if (this.version === undefined) return this.of(lc);
    const hit = claimCache.get(lc);
    if (hit && hit.version === this.version) return hit.claim;
    const claim = this.of(lc);
    claimCache.set(lc, { version: this.version, claim });
    return claim;
  }

  of(lc: LogicalClusterView, chain?: Chain): LogicalClusterClaim {
    const workspaceChain = chain ?? this.chain(lc.spec.workspace);
    const levels = workspaceLevels(workspaceChain);
    const effective = effectiveConstraints([...levels, { workspace: lc.metadata.name ?? '', constraints: lc.spec.constraints }]);
    const created = lc.metadata.creationTimestamp;
    return {
      name: lc.metadata.name ?? '',
      created: created instanceof Date ? created.toISOString() : (created ?? this.now.toISOString()),
      quota: effective.constraints.quota?.hard ?? {},
      cost: this.cost(lc, effective),
      workspaces: workspaceChain.nodes.map((n) => n.name),
    };
  }

  private chain(workspace: string): Chain {
    let c = this.chains.get(workspace);
    if (!c) {
      c = ancestry(this.view, workspace);
      this.chains.set(workspace, c);
    }
    return c;
  }

  /** Namespace mode: quota at the dearest allowed cluster. Cluster mode: the bound cluster, else the dearest it could bind. */
  private cost(lc: LogicalClusterView, effective: EffectiveConstraints): MonthlyCost {
    const allowed = this.view.clusters().filter((c) => clusterAllowed(c, effective));
    if ((lc.spec.mode ?? DEFAULT_MODE) !== 'Cluster') return namespaceModeCost(effective.constraints.quota?.hard, allowed);
    const bound = lc.status?.cluster ? this.view.clusters().find((c) => c.metadata.name === lc.status?.cluster) : undefined;
    const candidates = bound ? [bound] : allowed.filter((c) => matchesSelector(lc.spec.clusterSelector, c.metadata.labels ?? {}));
    let worst: MonthlyCost = { amount: 0 };
    for (const c of candidates) {
      const cost = clusterModeCost({ metadata: c.metadata, spec: c.spec });
      if ('unbounded' in cost) return cost;
      if ('amount' in worst && cost.amount > worst.amount) worst = cost;
    }
    return worst;
  }
}

function clusterAllowed(cluster: ClusterLike, effective: EffectiveConstraints): boolean {
  const regions = effective.constraints.regions;
  if (regions && !regions.includes(cluster.spec?.region ?? '')) return false;
  return matchesSelector(effective.constraints.clusterSelector, cluster.metadata.labels ?? {});
}

/**
 * Writes to a LogicalCluster's status subresource by anyone but the operator
 * (`operatorUsername`; the webhook is not even called for the operator when
 * its name is known). RBAC can grant `patch` on logicalclusters/status but not
 * on one entry of a list, so this is what keeps an initializer, which holds
 * that right, to its one job: removing names from status.initializers. It may
 * not add a name, set the list before the operator has, or touch anything
 * else (phase, conditions, the kubeconfig reference).
 */
export interface LogicalClusterStatusView {
  readonly metadata: { readonly name?: string };
  readonly status?: { readonly initializers?: readonly string[]; readonly [field: string]: unknown };
}

export function validateLogicalClusterStatus(input: AdmissionInput<LogicalClusterStatusView>, operatorUsername: string | undefined): Verdict {
  if (input.operation !== 'UPDATE' || !input.object || !input.oldObject) return allow();
  // Without the operator's name its own writes cannot be told apart (an apiserver without SelfSubjectReview).
  if (operatorUsername === undefined || input.requester.username === operatorUsername) return allow();
  const before: NonNullable<LogicalClusterStatusView['status']> = input.oldObject.status ?? {};
  const after: NonNullable<LogicalClusterStatusView['status']> = input.object.status ?? {};
  const who = describeRequester(input.requester);
  const name = input.object.metadata.name ?? '';
  if (before.initializers === undefined && after.initializers !== undefined) {
    return deny(
      LogicalClusterRules.initializers,
      'status.initializers',
      `${who} may not set the initializers of logical cluster "${name}": Canopy sets them once from its workspaces' spec.initializers; an initializer may only remove its own name`,
    );
  }
  const kept = new Set(before.initializers ?? []);
  const added = (after.initializers ?? []).filter((n) => !kept.has(n));
  if (added.length > 0) {
    return deny(
      LogicalClusterRules.initializers,
      'status.initializers',
      `${who} may not add ${added.join(', ')} to status.initializers of logical cluster "${name}": an initializer may only remove its own name; initializers are listed in a Workspace's spec.initializers`,
    );
  }
  const { initializers: _before, ...restBefore } = before;
  const { initializers: _after, ...restAfter } = after;
  if (canonical(restBefore) !== canonical(restAfter)) {
    const changed = [...new Set([...Object.keys(restBefore), ...Object.keys(restAfter)])]
      .filter((k) => canonical((restBefore as Record<string, unknown>)[k]) !== canonical((restAfter as Record<string, unknown>)[k]))
      .sort();
    return deny(
      LogicalClusterRules.initializers,
      `status.${changed[0] ?? 'phase'}`,
      `${who} may only remove names from status.initializers of logical cluster "${name}"; ${changed.map((k) => `status.${k}`).join(', ')} ${changed.length === 1 ? 'is' : 'are'} written by Canopy alone`,
    );
  }
  return allow();
}

/** JSON with sorted keys: the apiserver does not promise the same key order in oldObject and object. */
function canonical(value: unknown): string {
  if (value === undefined) return 'undefined';
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}
