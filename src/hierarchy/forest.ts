/**
 * The in-memory hierarchy of workspaces and their namespaces, fed by informers.
 *
 * HNC keeps a similar forest but behind one global lock, and re-propagates every
 * object whenever the hierarchy changes. Here each mutation returns a
 * ForestChange: the touched subtree (whose cached derived values are the only
 * ones dropped) and the parents whose children changed. A mutation costs
 * O(size of the touched subtree), never O(forest) nor O(depth).
 * Derived values (health, depth, effective constraints, propagated types) are
 * computed lazily from the nearest cached ancestor, so a lookup is O(depth)
 * cold and O(1) warm, and recomputing a subtree costs O(1) per node. Node.js
 * runs this single-threaded, so no lock is needed: callers must simply not
 * hold derived values across an await and expect them fresh.
 *
 * The literal "root" leads every path ("root:acme:team-a") as in kcp, but it
 * names the forest's virtual top, not a workspace: a top-level workspace has
 * depth 0, matching its tree label distance.
 *
 * Cycles are possible in the API (spec.parent is free text; admission rejects
 * them but can be bypassed or down), so every walk carries a visited set and
 * never recurses.
 */

import { type EffectiveConstraints, narrowConstraints, UNCONSTRAINED } from './constraints.js';
import { change, EMPTY_CHANGE, type ForestChange, type NamespaceInfo, type WorkspaceHealth } from './forest-change.js';
import { NamespaceAttachments } from './namespace-attachments.js';
import { DEFAULT_TYPE_KEYS, withTypes } from './inherited-types.js';
import type { WorkspaceData } from './types.js';

export type { ForestChange, NamespaceInfo, WorkspaceHealth } from './forest-change.js';

/** Prefix of every status.path: the forest's virtual top, like kcp's "root". */
export const PATH_ROOT = 'root';
export const PATH_SEPARATOR = ':';

interface Derived {
  readonly health: WorkspaceHealth;
  /** The rest are only known for healthy workspaces. */
  readonly depth?: number;
  readonly effective?: EffectiveConstraints;
  readonly propagatedTypes?: ReadonlySet<string>;
}

interface WorkspaceNode {
  parent: string;
  data: WorkspaceData;
  /** Stable JSON of the inherited parts of data, to tell if a subtree must be recomputed. */
  inheritedFingerprint: string;
}

const OK: WorkspaceHealth = Object.freeze({ state: 'ok' });

export class Forest {
  private readonly nodes = new Map<string, WorkspaceNode>();
  /** Parent name to existing children; the parent itself may not exist (yet). */
  private readonly childrenOf = new Map<string, Set<string>>();
  private readonly sortedChildren = new Map<string, readonly string[]>();
  private readonly derivedCache = new Map<string, Derived>();
  private readonly attachments = new NamespaceAttachments();

  // ---- mutations: each says which workspaces to reconcile --------------------

  /**
   * Creates or updates a workspace; `parent` is '' for a root. Its subtree is
   * recomputed when anything it passes down changed (parent, constraints,
   * propagate, owners); when its parent changed, the old and new parents are
   * reported as `parents`.
   */
  setWorkspace(name: string, parent: string, data: WorkspaceData = {}): ForestChange {
    const old = this.nodes.get(name);
    const fingerprint = stableJson([data.constraints ?? null, data.propagate ?? null, data.owners ?? null]);
    if (old && old.parent === parent && old.inheritedFingerprint === fingerprint) {
      old.data = data;
      return change(name, [], []);
    }
    const parents: string[] = [];
    if (!old || old.parent !== parent) {
      if (old) {
        this.unlinkChild(old.parent, name);
        parents.push(old.parent);
      }
      this.linkChild(parent, name);
      parents.push(parent);
    }
    this.nodes.set(name, { parent, data, inheritedFingerprint: fingerprint });
    return change(
      name,
      this.invalidate(name),
      parents.filter((p) => this.nodes.has(p)),
    );
  }

  /** Removes a workspace. Its children stay, now with a missing parent. */
  removeWorkspace(name: string): ForestChange {
    const old = this.nodes.get(name);
    if (!old) return EMPTY_CHANGE;
    const subtree = this.invalidate(name);
    this.unlinkChild(old.parent, name);
    this.nodes.delete(name);
    return change(name, subtree, this.nodes.has(old.parent) ? [old.parent] : []);
  }

  /**
   * Records that namespace `ns` belongs to `workspace` (a LogicalCluster's
   * namespaces). Reports the workspace (its LogicalCluster count changed) and
   * the previous one if the namespace moved, as `parents`.
   */
  attachNamespace(ns: string, workspace: string, logicalCluster?: string): ForestChange {
    const previous = this.attachments.attach(ns, workspace, logicalCluster);
    return change(workspace, [], previous ? [previous.workspace, workspace] : [workspace]);
  }

  detachNamespace(ns: string): ForestChange {
    const previous = this.attachments.detach(ns);
    return previous ? change(previous.workspace, [], [previous.workspace]) : EMPTY_CHANGE;
  }

  /** Drops cached derived state of `name`'s subtree; returns the subtree. */
  private invalidate(name: string): string[] {
    const members = this.subtree(name);
    for (const member of members) this.derivedCache.delete(member);
    return members;
  }

  // ---- structure ---------------------------------------------------------------

  has(name: string): boolean {
    return this.nodes.has(name);
  }

  get size(): number {
    return this.nodes.size;
  }

  /** spec.parent as recorded ('' for a root), or undefined for an unknown workspace. */
  parentOf(name: string): string | undefined {
    return this.nodes.get(name)?.parent;
  }

  dataOf(name: string): WorkspaceData | undefined {
    return this.nodes.get(name)?.data;
  }

  workspaces(): string[] {
    return [...this.nodes.keys()].sort();
  }

  roots(): string[] {
    return [...this.children('')];
  }

  /** Existing workspaces whose spec.parent is `name`, sorted. */
  children(name: string): readonly string[] {
    let sorted = this.sortedChildren.get(name);
    if (!sorted) {
      sorted = [...(this.childrenOf.get(name) ?? [])].sort();
      this.sortedChildren.set(name, sorted);
    }
    return sorted;
  }

  /**
   * Ancestors, farthest first, without `name`. Stops at a root, a missing
   * parent, or the first repeat, so in a cycle each member appears once.
   */
  ancestors(name: string): string[] {
    const chain: string[] = [];
    const seen = new Set<string>([name]);
    let current = this.nodes.get(name)?.parent;
    while (current && this.nodes.has(current) && !seen.has(current)) {
      seen.add(current);
      chain.push(current);
      current = this.nodes.get(current)!.parent;
    }
    return chain.reverse();
  }

  /** Descendants in depth-first pre-order (children sorted), without `name`; each once, even in a cycle. */
  descendants(name: string): string[] {
    return this.subtree(name).slice(1);
  }

  /** `name` followed by its descendants. */
  subtree(name: string): string[] {
    const out: string[] = [];
    this.walkSubtree(name, (member) => {
      out.push(member);
    });
    return out;
  }

  /**
   * Visits `name` and its descendants once each, parents before children,
   * without recursion. The visitor returns false to skip a node's children.
   */
  walkSubtree(name: string, visit: (workspace: string) => boolean | void): void {
    const seen = new Set<string>([name]);
    const stack: string[] = [name];
    while (stack.length > 0) {
      const current = stack.pop()!;
      if (visit(current) === false) continue;
      const kids = this.children(current);
      for (let i = kids.length - 1; i >= 0; i--) {
        const kid = kids[i]!;
        if (!seen.has(kid)) {
          seen.add(kid);
          stack.push(kid);
        }
      }
    }
  }

  // ---- namespaces --------------------------------------------------------------

  /** Which workspace a namespace belongs to. A home namespace wins over an attachment of the same name. */
  namespaceInfo(ns: string): NamespaceInfo | undefined {
    if (this.nodes.has(ns)) return { workspace: ns, home: true };
    const attached = this.attachments.get(ns);
    if (!attached) return undefined;
    return attached.logicalCluster === undefined
      ? { workspace: attached.workspace, home: false }
      : { workspace: attached.workspace, home: false, logicalCluster: attached.logicalCluster };
  }

  /** Namespaces attached to `name` (not its home namespace), sorted. */
  attachedNamespaces(name: string): string[] {
    return [...this.attachments.namespacesOf(name)].filter((ns) => !this.nodes.has(ns)).sort();
  }

  /** The home namespace (if the workspace exists) and the attached namespaces. */
  namespacesOf(name: string): string[] {
    return this.nodes.has(name) ? [name, ...this.attachedNamespaces(name)] : this.attachedNamespaces(name);
  }

  /** Every namespace below `name`'s home namespace: its own attached ones and all of its descendants'. */
  descendantNamespaces(name: string): string[] {
    const out = this.attachedNamespaces(name);
    for (const workspace of this.descendants(name)) out.push(...this.namespacesOf(workspace));
    return out;
  }

  /** Distinct LogicalClusters attached directly to `name`, sorted. */
  logicalClusters(name: string): string[] {
    const names = new Set<string>();
    for (const ns of this.attachments.namespacesOf(name)) {
      const lc = this.attachments.get(ns)?.logicalCluster;
      if (lc !== undefined) names.add(lc);
    }
    return [...names].sort();
  }

  // ---- derived state -----------------------------------------------------------

  health(name: string): WorkspaceHealth | undefined {
    return this.derived(name)?.health;
  }

  /** True if `name` is missing, in or under a cycle, or cut off by a missing parent: leave it alone. */
  isHalted(name: string): boolean {
    return this.derived(name)?.health.state !== 'ok';
  }

  isInCycle(name: string): boolean {
    return this.derived(name)?.health.state === 'cycle';
  }

  /** The members of the cycle `name` belongs to, sorted; [] if none. */
  cycleMembers(name: string): readonly string[] {
    const health = this.derived(name)?.health;
    return health?.state === 'cycle' ? health.cycle : [];
  }

  /** True if spec.parent names a workspace that does not exist. */
  parentMissing(name: string): boolean {
    return this.derived(name)?.health.state === 'parent-missing';
  }

  /** 0 for a root; undefined unless the workspace is healthy. */
  depth(name: string): number | undefined {
    return this.derived(name)?.depth;
  }

  /**
   * "root:acme:team-a"; undefined unless the workspace is healthy. Built on
   * demand in O(depth) rather than cached: caching every path would cost
   * O(n·depth) memory on a deep chain.
   */
  path(name: string): string | undefined {
    if (this.isHalted(name)) return undefined;
    return [PATH_ROOT, ...this.ancestors(name), name].join(PATH_SEPARATOR);
  }

  effectiveConstraints(name: string): EffectiveConstraints | undefined {
    return this.derived(name)?.effective;
  }

  /** typeKey()s copied down from this workspace's home namespace: defaults plus every spec.propagate on the chain. */
  propagatedTypes(name: string): ReadonlySet<string> | undefined {
    return this.derived(name)?.propagatedTypes;
  }

  private derived(name: string): Derived | undefined {
    const cached = this.derivedCache.get(name);
    if (cached) return cached;
    if (!this.nodes.has(name)) return undefined;

    // Walk up to the nearest node whose derived state is known, a root, a
    // missing parent, or a repeat (a cycle); then fill in top-down.
    const walk: string[] = [];
    const position = new Map<string, number>();
    let current = name;
    let base: Derived | undefined;
    for (;;) {
      const known = this.derivedCache.get(current);
      if (known) {
        base = known;
        break;
      }
      position.set(current, walk.length);
      walk.push(current);
      const parent = this.nodes.get(current)!.parent;
      if (parent === '') break;
      if (!this.nodes.has(parent)) {
        base = { health: { state: 'under-missing', workspace: current, missing: parent } };
        this.derivedCache.set(current, { health: { state: 'parent-missing', missing: parent } });
        walk.pop();
        break;
      }
      const cycleStart = position.get(parent);
      if (cycleStart !== undefined) {
        const cycle = walk.slice(cycleStart).sort();
        const health: WorkspaceHealth = { state: 'cycle', cycle };
        for (const member of walk.splice(cycleStart)) this.derivedCache.set(member, { health });
        base = { health: { state: 'under-cycle', cycle } };
        break;
      }
      current = parent;
    }
    for (let i = walk.length - 1; i >= 0; i--) {
      const workspace = walk[i]!;
      const next = this.childDerived(base, workspace);
      this.derivedCache.set(workspace, next);
      base = next;
    }
    return this.derivedCache.get(name);
  }

  private childDerived(parent: Derived | undefined, name: string): Derived {
    const data = this.nodes.get(name)!.data;
    if (!parent) {
      // A root.
      return {
        health: OK,
        depth: 0,
        effective: narrowConstraints(UNCONSTRAINED, { workspace: name, constraints: data.constraints }),
        propagatedTypes: withTypes(DEFAULT_TYPE_KEYS, data.propagate),
      };
    }
    switch (parent.health.state) {
      case 'ok':
        return {
          health: OK,
          depth: parent.depth! + 1,
          effective: narrowConstraints(parent.effective!, { workspace: name, constraints: data.constraints }),
          propagatedTypes: withTypes(parent.propagatedTypes!, data.propagate),
        };
      case 'cycle':
      case 'under-cycle':
        return { health: { state: 'under-cycle', cycle: parent.health.cycle } };
      case 'parent-missing': {
        // The parent itself is the one cut off.
        const workspace = this.nodes.get(name)!.parent;
        return { health: { state: 'under-missing', workspace, missing: parent.health.missing } };
      }
      case 'under-missing':
        return { health: parent.health };
    }
  }

  // ---- bookkeeping -------------------------------------------------------------

  private linkChild(parent: string, child: string): void {
    let set = this.childrenOf.get(parent);
    if (!set) this.childrenOf.set(parent, (set = new Set()));
    set.add(child);
    this.sortedChildren.delete(parent);
  }

  private unlinkChild(parent: string, child: string): void {
    const set = this.childrenOf.get(parent);
    if (!set) return;
    set.delete(child);
    if (set.size === 0) this.childrenOf.delete(parent);
    this.sortedChildren.delete(parent);
  }
}

/** JSON with object keys sorted, for change detection independent of key order. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
