/**
 * The propagation controller's reconcile: one work-queue key per kind of
 * change, each planned by the pure planner (plan.ts) and carried out by
 * the CopyWriter.
 *
 *   src/<ns>|<key>   a source object changed     → planSourceChange
 *   tree/<ws>        a workspace moved or its propagate list changed → planSubtree
 *   ns/<ns>[|<key>]  a namespace appeared or relabelled, or a copy or a
 *                    user's object in it changed → planNamespace
 *   all              start-up, or a type became available → every root
 *
 * A plan covers everything below where it starts, so a key enqueued before a
 * plan of its own workspace or of an ancestor started is already taken care
 * of and is skipped: a burst of events over a big subtree (start-up, a
 * re-parent) costs one traversal, not one per descendant.
 */

import type { Logger } from 'pino';
import { requestKey, type ReconcileContext, type ReconcileResult, type Request } from '../../runtime/index.js';
import type { ConflictRegistry, Conflict } from './conflicts.js';
import type { CopyWriter, WriteOutcome } from './copy-writer.js';
import type { Hierarchy } from '../../hierarchy/hierarchy.js';
import type { ObjectRef } from './objects.js';
import { typeKey } from '../../hierarchy/inherited-types.js';
import { planNamespace, planSourceChange, planSubtree, type PropagationAction, type PropagationInput, type PropagationPlan } from './plan.js';
import type { ObjectTracker } from './tracker.js';
import type { TypeRegistry } from './type-registry.js';

/** Plans every root: at start-up and when a type becomes available. */
export const ALL_REQUEST: Request = { namespace: 'all', name: '*' };

export function sourceRequest(namespace: string, key: string): Request {
  return { namespace: 'src', name: `${namespace}|${key}` };
}

export function treeRequest(workspace: string): Request {
  return { namespace: 'tree', name: workspace };
}

export function namespaceRequest(namespace: string, key?: string): Request {
  return { namespace: 'ns', name: key === undefined ? namespace : `${namespace}|${key}` };
}

/** An object reference good enough for the planner from an object key ("RoleBinding.rbac.authorization.k8s.io/admins"). */
export function refFromKey(namespace: string, key: string): ObjectRef {
  const slash = key.indexOf('/');
  const type = key.slice(0, slash);
  const dot = type.indexOf('.');
  const kind = dot < 0 ? type : type.slice(0, dot);
  const group = dot < 0 ? '' : type.slice(dot + 1);
  // Only the group takes part in an object key, so any version will do.
  return { apiVersion: group ? `${group}/v1` : 'v1', kind, name: key.slice(slash + 1), namespace };
}

function split(name: string): [string, string | undefined] {
  const bar = name.indexOf('|');
  return bar < 0 ? [name, undefined] : [name.slice(0, bar), name.slice(bar + 1)];
}

export interface PropagatorDeps {
  readonly hierarchy: Hierarchy;
  readonly tracker: ObjectTracker;
  readonly types: TypeRegistry;
  readonly writer: CopyWriter;
  readonly conflicts: ConflictRegistry;
  readonly logger: Logger;
  /** Enqueue into the propagation controller (after `delayMs`). */
  enqueue(request: Request, delayMs?: number): void;
}

export interface PropagationStats {
  plans: number;
  /** Plans and namespaces visited, by key kind (src, tree, ns, all). */
  byKind: Record<string, { plans: number; visited: number }>;
  skippedCovered: number;
  visited: number;
  actions: Record<PropagationAction['action'], number>;
}

export class Propagator {
  readonly stats: PropagationStats = { plans: 0, byKind: {}, skippedCovered: 0, visited: 0, actions: { create: 0, update: 0, delete: 0, conflict: 0 } };
  private seq = 0;
  private readonly enqueuedAt = new Map<string, number>();
  private readonly plannedAt = new Map<string, number>();
  private allPlannedAt = 0;

  constructor(private readonly deps: PropagatorDeps) {}

  /** Enqueues a request, remembering when, for the coverage check. */
  request(request: Request, delayMs?: number): void {
    this.enqueuedAt.set(requestKey(request), ++this.seq);
    this.deps.enqueue(request, delayMs);
  }

  async reconcile(request: Request, context: ReconcileContext): Promise<ReconcileResult | void> {
    // Planning against a half-listed cache would read missing sources as deleted.
    if (!this.deps.tracker.synced()) return { requeueAfter: 250 };
    const key = requestKey(request);
    const enqueued = this.enqueuedAt.get(key) ?? 0;
    this.enqueuedAt.delete(key);
    if (this.covered(request, enqueued)) {
      this.stats.skippedCovered++;
      return;
    }
    const started = performance.now();
    const { plans, onlyKey } = this.plan(request);
    const planned = performance.now();
    const kind = (this.stats.byKind[request.namespace ?? ''] ??= { plans: 0, visited: 0 });
    let actions = 0;
    for (const { plan, visited } of plans) {
      kind.plans++;
      kind.visited += plan.visited;
      actions += plan.actions.length;
      await this.carryOut(plan, visited, onlyKey);
    }
    if (actions > 0) {
      const planMs = Math.round((planned - started) * 100) / 100;
      context.logger.debug(
        { visited: plans.reduce((n, p) => n + p.plan.visited, 0), actions, planMs, writeMs: Math.round(performance.now() - planned) },
        'propagated',
      );
    }
  }

  private input(): PropagationInput {
    const { hierarchy, tracker } = this.deps;
    return {
      forest: hierarchy.forest,
      sources: tracker.index.sources,
      existing: tracker.index.existing,
      namespaceLabels: (ns) => hierarchy.namespaceLabels(ns),
    };
  }

  /** The workspace whose subtree a request lies in, if any. */
  private workspaceOf(request: Request): string | undefined {
    const forest = this.deps.hierarchy.forest;
    if (request.namespace === 'tree') return request.name;
    if (request.namespace === 'src' || request.namespace === 'ns') return forest.namespaceInfo(split(request.name)[0])?.workspace;
    return undefined;
  }

  private covered(request: Request, enqueued: number): boolean {
    if (request.namespace === undefined) return false;
    if (this.allPlannedAt > enqueued) return true;
    const workspace = this.workspaceOf(request);
    if (workspace === undefined) return false;
    const forest = this.deps.hierarchy.forest;
    if ((this.plannedAt.get(workspace) ?? 0) > enqueued) return true;
    return forest.ancestors(workspace).some((ancestor) => (this.plannedAt.get(ancestor) ?? 0) > enqueued);
  }

  private plan(request: Request): { plans: Array<{ plan: PropagationPlan; visited: string[] }>; onlyKey: string | undefined } {
    const input = this.input();
    const run = (make: (trace: (ns: string) => void) => PropagationPlan) => {
      const visited: string[] = [];
      return { plan: make((ns) => visited.push(ns)), visited };
    };
    switch (request.namespace) {
      case 'tree':
        this.plannedAt.set(request.name, ++this.seq);
        return { plans: [run((trace) => planSubtree(input, request.name, { trace }))], onlyKey: undefined };
      case 'src': {
        const [ns, key] = split(request.name);
        return { plans: [run((trace) => planSourceChange(input, refFromKey(ns, key ?? ''), { trace }))], onlyKey: key };
      }
      case 'ns': {
        const [ns, key] = split(request.name);
        return { plans: [run((trace) => planNamespace(input, ns, key, { trace }))], onlyKey: key };
      }
      default: {
        this.allPlannedAt = ++this.seq;
        const roots = this.deps.hierarchy.forest.roots();
        return { plans: roots.map((root) => run((trace) => planSubtree(input, root, { trace }))), onlyKey: undefined };
      }
    }
  }

  private async carryOut(plan: PropagationPlan, visited: string[], onlyKey: string | undefined): Promise<void> {
    this.stats.plans++;
    this.stats.visited += plan.visited;
    if (plan.halted) return;
    const { types, writer, conflicts, logger } = this.deps;
    const actions = plan.actions.filter((a) => a.action === 'conflict' || types.get(typeOf(a))?.state === 'ready');
    for (const action of actions) this.stats.actions[action.action]++;
    const outcomes = actions.length === 0 ? [] : await writer.execute(actions);
    const found: Conflict[] = [];
    let failure: Error | undefined;
    for (const outcome of outcomes) {
      if (outcome instanceof Error) {
        failure ??= outcome;
        continue;
      }
      this.apply(outcome, found);
    }
    conflicts.settle(visited, onlyKey, found);
    if (failure) {
      logger.warn({ err: failure.message, actions: actions.length }, 'some propagation writes failed; retrying');
      throw failure;
    }
  }

  private apply(outcome: WriteOutcome, found: Conflict[]): void {
    switch (outcome.result) {
      case 'conflict':
        found.push({ namespace: outcome.namespace, key: outcome.key, source: outcome.source });
        return;
      case 'forbidden':
        this.deps.types.writeForbidden(outcome.typeKey, outcome.verb);
        return;
      case 'stale':
        this.request(namespaceRequest(outcome.namespace, outcome.key), 500);
        return;
      default:
        return;
    }
  }
}

function typeOf(action: PropagationAction): string {
  const ref = action.action === 'delete' ? action.current : action.source;
  return typeKey(ref.apiVersion, ref.kind);
}
