/**
 * Propagation planning: which copies of home-namespace objects each namespace
 * below should hold, and the exact create/update/delete/conflict actions that
 * get there from what exists.
 *
 * Rules (HNC's, made explicit):
 * - A source in workspace W's home namespace reaches every namespace below W:
 *   its LogicalCluster namespaces, and its descendants' home and LogicalCluster
 *   namespaces, if its type is propagated at W (Role, RoleBinding, plus every
 *   spec.propagate on W's chain), unless it says propagate.canopy.dev/none, and
 *   only where propagate.canopy.dev/select matches the namespace's labels
 *   (its own labels, its tree labels and kubernetes.io/metadata.name).
 * - Per namespace and object key, the nearest source that reaches it wins, so a
 *   nearer ancestor's same-named object overrides a farther one beneath it.
 * - An existing object that is not a Canopy copy is never overwritten: where a
 *   copy would go, that is a conflict.
 * - Nothing is planned for a halted workspace (in or under a cycle, or cut off
 *   by a missing parent): copies there are left as they are until it heals.
 *
 * HNC re-propagates every object when the hierarchy changes. Here a traversal
 * visits each namespace of the affected subtree once, carrying the candidate
 * sources down a stack (pushed on entering a workspace, popped on leaving), so
 * a 50-deep chain costs 50 namespace visits, not 50²/2.
 */

import type { Labels } from '../../crds/common.js';
import { LABEL_INHERITED_FROM, treeLabel } from '../../crds/labels.js';
import type { Forest, WorkspaceHealth } from '../../hierarchy/forest.js';
import { typeKey } from '../../hierarchy/inherited-types.js';
import { matchesRequirements, type Requirements } from '../../kube/label-selector.js';
import { type ExistingObject, isCopy, type NamespacedIndex, objectKey, type ObjectRef, type SourceObject, sourceReach } from './objects.js';

export interface PropagationInput {
  forest: Forest;
  /** Objects in home namespaces that are not copies, whether or not they propagate. */
  sources: NamespacedIndex<SourceObject>;
  /** Objects of propagated types in the tree's namespaces: copies and users' own. */
  existing: NamespacedIndex<ExistingObject>;
  /** A namespace's own labels, for select annotations; tree labels are added from the forest. */
  namespaceLabels?: ((ns: string) => Labels | undefined) | undefined;
}

export type PropagationAction =
  | { action: 'create'; namespace: string; key: string; source: SourceObject }
  /** Rewrite a copy: its source changed, it drifted, or a nearer source now wins. */
  | { action: 'update'; namespace: string; key: string; source: SourceObject; current: ExistingObject }
  | { action: 'delete'; namespace: string; key: string; current: ExistingObject }
  /** A user's object stands where a copy of `source` would go; it is left alone. */
  | { action: 'conflict'; namespace: string; key: string; source: SourceObject; current: ExistingObject };

export interface PropagationPlan {
  actions: PropagationAction[];
  /** Sources that reach nowhere because their select annotation does not parse. */
  invalidSources: { source: SourceObject; error: string }[];
  /** Set when nothing was planned because the workspace is not part of a healthy tree. */
  halted?: { workspace: string; health: WorkspaceHealth | undefined };
  /** Namespaces evaluated: the cost of the plan. */
  visited: number;
}

export interface PlanOptions {
  /** Called once per namespace evaluated (for tests and metrics). */
  trace?: (namespace: string) => void;
}

/**
 * Actions for one source object that was created, changed or deleted
 * (`ref` names it; it is looked up in input.sources, absent meaning deleted).
 * Covers the source's own home namespace (which may now need, or stop
 * needing, an ancestor's copy) and every namespace below it, skipping the
 * subtrees of descendants whose own object of that key reaches everything
 * below them (nothing there depends on this source).
 */
export function planSourceChange(input: PropagationInput, ref: ObjectRef, options: PlanOptions = {}): PropagationPlan {
  const info = input.forest.namespaceInfo(ref.namespace);
  if (!info?.home) return emptyPlan();
  return new PlanRun(input, options, objectKey(ref)).run(info.workspace);
}

/**
 * Every action needed in a workspace's subtree (home and LogicalCluster
 * namespaces), all keys. After a re-parent this is exactly the copies to add
 * from new ancestors, to remove from old ones, and to re-point where a
 * same-named object now comes from elsewhere; also used after spec.propagate
 * changes and when a cycle or missing parent heals.
 */
export function planSubtree(input: PropagationInput, workspace: string, options: PlanOptions = {}): PropagationPlan {
  return new PlanRun(input, options).run(workspace);
}

export interface ReparentPlan extends PropagationPlan {
  add: Extract<PropagationAction, { action: 'create' }>[];
  remove: Extract<PropagationAction, { action: 'delete' }>[];
  update: Extract<PropagationAction, { action: 'update' }>[];
  conflicts: Extract<PropagationAction, { action: 'conflict' }>[];
}

/** planSubtree, split by action; call it after the forest records the new parent. */
export function planReparent(input: PropagationInput, workspace: string, options: PlanOptions = {}): ReparentPlan {
  const plan = planSubtree(input, workspace, options);
  const pick = <A extends PropagationAction['action']>(action: A) =>
    plan.actions.filter((a): a is Extract<PropagationAction, { action: A }> => a.action === action);
  return { ...plan, add: pick('create'), remove: pick('delete'), update: pick('update'), conflicts: pick('conflict') };
}

/** Every action for one namespace (all keys, or one): a newly attached LogicalCluster namespace, or a copy that drifted. */
export function planNamespace(input: PropagationInput, ns: string, key?: string, options: PlanOptions = {}): PropagationPlan {
  const info = input.forest.namespaceInfo(ns);
  if (!info) return emptyPlan();
  return new PlanRun(input, options, key).runOne(info.workspace, ns, info.home);
}

/**
 * The full desired state: for every namespace of every healthy workspace, the
 * source each object key should be copied from. Namespaces with nothing to
 * receive are omitted. Where a namespace holds its own object of that key, a
 * plan reports a conflict instead of a copy.
 */
export function desiredCopies(
  forest: Forest,
  sources: NamespacedIndex<SourceObject>,
  namespaceLabels?: (ns: string) => Labels | undefined,
): Map<string, Map<string, SourceObject>> {
  const desired = new Map<string, Map<string, SourceObject>>();
  const input: PropagationInput = { forest, sources, existing: new Map(), namespaceLabels };
  for (const root of forest.roots()) new PlanRun(input, {}, undefined, desired).run(root);
  return desired;
}

// ---- the traversal ----------------------------------------------------------------

interface Candidate {
  source: SourceObject;
  /** undefined: reaches every namespace below. */
  select: Requirements | undefined;
}

function emptyPlan(): PropagationPlan {
  return { actions: [], invalidSources: [], visited: 0 };
}

class PlanRun {
  private readonly forest: Forest;
  /** Object key → candidate sources, nearest last. */
  private readonly stacks = new Map<string, Candidate[]>();
  /** Workspaces from the top of the tree down to the one being visited. */
  private readonly chain: string[] = [];
  private readonly plan = emptyPlan();
  private readonly invalidSeen = new Set<SourceObject>();

  constructor(
    private readonly input: PropagationInput,
    private readonly options: PlanOptions,
    /** Plan only this object key. */
    private readonly onlyKey?: string,
    /** Collect winners here instead of diffing against existing objects. */
    private readonly collect?: Map<string, Map<string, SourceObject>>,
  ) {
    this.forest = input.forest;
  }

  run(start: string): PropagationPlan {
    if (this.forest.isHalted(start)) return this.halted(start);
    for (const ancestor of this.forest.ancestors(start)) {
      this.chain.push(ancestor);
      this.pushCandidates(ancestor);
    }
    // Iterative depth-first walk with explicit leave events, so candidates pushed
    // for a workspace are popped when its subtree is done.
    const work: Array<{ workspace: string; leave: boolean; pushed?: string[] }> = [{ workspace: start, leave: false }];
    while (work.length > 0) {
      const item = work.pop()!;
      if (item.leave) {
        this.popCandidates(item.pushed!);
        this.chain.pop();
        continue;
      }
      const ws = item.workspace;
      this.chain.push(ws);
      this.evaluate(ws, true);
      // Below a workspace whose own object of the planned key reaches everything,
      // nothing depends on the changed source.
      const shadowed = ws !== start && this.onlyKey !== undefined && this.ownCandidates(ws).some((c) => c.select === undefined);
      const pushed = shadowed ? [] : this.pushCandidates(ws);
      work.push({ workspace: ws, leave: true, pushed });
      if (shadowed) continue;
      for (const ns of this.forest.attachedNamespaces(ws)) this.evaluate(ns, false);
      const children = this.forest.children(ws);
      for (let i = children.length - 1; i >= 0; i--) work.push({ workspace: children[i]!, leave: false });
    }
    return this.plan;
  }

  runOne(workspace: string, ns: string, home: boolean): PropagationPlan {
    if (this.forest.isHalted(workspace)) return this.halted(workspace);
    for (const ws of [...this.forest.ancestors(workspace), workspace]) {
      this.chain.push(ws);
      if (ws !== workspace || !home) this.pushCandidates(ws);
    }
    this.evaluate(ns, home);
    return this.plan;
  }

  private halted(workspace: string): PropagationPlan {
    this.plan.halted = { workspace, health: this.forest.health(workspace) };
    return this.plan;
  }

  /** Eligible sources in a workspace's home namespace (restricted to onlyKey). */
  private ownCandidates(ws: string): Array<Candidate & { key: string }> {
    const inHome = this.input.sources.get(ws);
    if (!inHome) return [];
    const types = this.forest.propagatedTypes(ws);
    const out: Array<Candidate & { key: string }> = [];
    const consider = (key: string, source: SourceObject): void => {
      if (!types?.has(typeKey(source.apiVersion, source.kind))) return;
      const reach = sourceReach(source);
      if (reach.kind === 'none') return;
      if (reach.kind === 'invalid') {
        if (!this.invalidSeen.has(source)) {
          this.invalidSeen.add(source);
          this.plan.invalidSources.push({ source, error: reach.error });
        }
        return;
      }
      out.push({ key, source, select: reach.kind === 'select' ? reach.requirements : undefined });
    };
    if (this.onlyKey !== undefined) {
      const source = inHome.get(this.onlyKey);
      if (source) consider(this.onlyKey, source);
    } else {
      for (const [key, source] of inHome) consider(key, source);
    }
    return out;
  }

  private pushCandidates(ws: string): string[] {
    const pushed: string[] = [];
    for (const candidate of this.ownCandidates(ws)) {
      let stack = this.stacks.get(candidate.key);
      if (!stack) this.stacks.set(candidate.key, (stack = []));
      stack.push(candidate);
      pushed.push(candidate.key);
    }
    return pushed;
  }

  private popCandidates(keys: readonly string[]): void {
    for (const key of keys) {
      const stack = this.stacks.get(key)!;
      stack.pop();
      if (stack.length === 0) this.stacks.delete(key);
    }
  }

  /** Labels a select annotation sees on `ns`: its own, kubernetes.io/metadata.name, and tree labels from the chain. */
  private selectLabels(ns: string, home: boolean): Labels {
    const labels: Record<string, string> = { ...(this.input.namespaceLabels?.(ns) ?? {}), 'kubernetes.io/metadata.name': ns };
    const offset = home ? 0 : 1;
    for (let i = 0; i < this.chain.length; i++) labels[treeLabel(this.chain[i]!)] = String(this.chain.length - 1 - i + offset);
    if (!home) labels[treeLabel(ns)] = '0';
    return labels;
  }

  private winner(key: string, ns: string, home: boolean, labels: () => Labels): SourceObject | undefined {
    const stack = this.stacks.get(key);
    if (!stack) return undefined;
    for (let i = stack.length - 1; i >= 0; i--) {
      const candidate = stack[i]!;
      if (candidate.source.namespace === ns && home) continue; // never a copy over its own source
      if (!candidate.select || matchesRequirements(candidate.select, labels())) return candidate.source;
    }
    return undefined;
  }

  private evaluate(ns: string, home: boolean): void {
    this.plan.visited++;
    this.options.trace?.(ns);
    let cachedLabels: Labels | undefined;
    const labels = (): Labels => (cachedLabels ??= this.selectLabels(ns, home));
    const existing = this.input.existing.get(ns);
    if (this.collect) {
      let got: Map<string, SourceObject> | undefined;
      for (const key of this.onlyKey !== undefined ? [this.onlyKey] : this.stacks.keys()) {
        const source = this.winner(key, ns, home, labels);
        if (!source) continue;
        if (!got) this.collect.set(ns, (got = new Map()));
        got.set(key, source);
      }
      return;
    }
    let keys: string[];
    if (this.onlyKey !== undefined) keys = [this.onlyKey];
    else {
      const all = new Set<string>(this.stacks.keys());
      if (existing) for (const [key, object] of existing) if (isCopy(object)) all.add(key);
      keys = [...all].sort();
    }
    for (const key of keys) {
      const source = this.winner(key, ns, home, labels);
      const current = existing?.get(key);
      const action = decide(ns, key, source, current);
      if (action) this.plan.actions.push(action);
    }
  }
}

function decide(namespace: string, key: string, source: SourceObject | undefined, current: ExistingObject | undefined): PropagationAction | undefined {
  if (source) {
    if (!current) return { action: 'create', namespace, key, source };
    if (!isCopy(current)) return { action: 'conflict', namespace, key, source, current };
    const inSync = current.labels?.[LABEL_INHERITED_FROM] === source.namespace && source.hash !== undefined && current.hash === source.hash;
    return inSync ? undefined : { action: 'update', namespace, key, source, current };
  }
  if (current && isCopy(current)) return { action: 'delete', namespace, key, current };
  return undefined;
}
