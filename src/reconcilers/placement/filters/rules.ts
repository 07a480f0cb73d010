/**
 * Rules: the policy's CEL `rules[]`; every rule must evaluate to true. A rule
 * that does not compile, errors or returns a non-bool rejects the cluster
 * with that explanation instead of throwing, so one bad rule degrades into a
 * readable status rather than a crashed reconciler.
 */
import type { CelInput } from '@bufbuild/cel';
import {
  compileRule,
  evaluate,
  objectKey,
  recalled,
  remember,
  ruleExpression,
  ruleLabel,
  toCel,
  toCelObject,
  type CompiledRule,
  type RuleCompileError,
  type RuleOutcome,
} from '../cel.js';
import type { ClusterView } from '../cluster-view.js';
import { contentId } from '../identity.js';
import { PASS, reject, type FilterPlugin, type ScheduleContext } from '../framework.js';
import type { WorkspaceContext } from '../types.js';

interface PreparedRule {
  readonly label: string;
  readonly message: string | undefined;
  readonly compiled: CompiledRule | RuleCompileError;
  /** Memo key (workspace + object projection), or undefined when the rule is not memoisable. */
  readonly key: string | undefined;
}

interface PreparedRules {
  readonly rules: readonly PreparedRule[];
  bindings: Record<string, CelInput> | undefined;
}

export const rulesFilter: FilterPlugin = {
  name: 'Rules',
  enabled: (ctx) => (ctx.spec.rules?.length ?? 0) > 0,
  filter(ctx, cluster) {
    const prepared = ctx.memo('Rules:prepared', prepare);
    for (const p of prepared.rules) {
      const c = p.compiled;
      if ('message' in c) return reject(`${p.label} does not compile: ${c.message}`);
      let outcome: RuleOutcome | undefined = p.key === undefined ? undefined : recalled(c, cluster, p.key);
      if (outcome === undefined) {
        outcome = evaluate(c, bindingsFor(ctx, prepared, cluster));
        if (p.key !== undefined) remember(c, cluster, p.key, outcome);
      }
      if (outcome === true) continue;
      if (outcome.failure === 'false') return reject(p.message ? `${p.label}: ${p.message}` : `${p.label} evaluated to false`);
      if (outcome.failure === 'type') return reject(`${p.label} ${outcome.detail}`);
      return reject(`${p.label} could not be evaluated: ${outcome.detail}${hint(outcome.detail)}`);
    }
    return PASS;
  },
};

/** A missing map key is the usual surprise; say how to write the rule for optional labels. */
function hint(detail: string): string {
  return /not found|no such key/.test(detail) ? " (a label or field may be absent: guard with has() or 'key' in map)" : '';
}

function prepare(ctx: ScheduleContext): PreparedRules {
  const wsKey = `${contentId(ctx.workspace)}\u0002`;
  const rules = (ctx.spec.rules ?? []).map((rule, i): PreparedRule => {
    const compiled = compileRule(ruleExpression(rule));
    const key = 'message' in compiled ? undefined : objectKey(compiled, ctx.object);
    return {
      label: ruleLabel(rule, i),
      message: typeof rule === 'string' ? undefined : rule.message,
      compiled,
      key: key === undefined ? undefined : wsKey + key,
    };
  });
  return { rules, bindings: undefined };
}

// The object binding is built only on the first memo miss of a decision; the
// cluster and workspace bindings live as long as their (immutable) objects.
const clusterBindings = new WeakMap<ClusterView, CelInput>();
const workspaceBindings = new WeakMap<WorkspaceContext, CelInput>();
const NO_WORKSPACE: CelInput = Object.freeze({});

function bindingsFor(ctx: ScheduleContext, prepared: PreparedRules, cluster: ClusterView): Record<string, CelInput> {
  prepared.bindings ??= { object: toCelObject(ctx.object), workspace: workspaceBinding(ctx.workspace), cluster: null };
  let c = clusterBindings.get(cluster);
  if (c === undefined) {
    c = toCelObject(cluster.cluster);
    clusterBindings.set(cluster, c);
  }
  prepared.bindings['cluster'] = c;
  return prepared.bindings;
}

function workspaceBinding(ws: WorkspaceContext | undefined): CelInput {
  if (!ws) return NO_WORKSPACE;
  let b = workspaceBindings.get(ws);
  if (b === undefined) {
    b = toCel({ labels: {}, ...ws });
    workspaceBindings.set(ws, b);
  }
  return b;
}
