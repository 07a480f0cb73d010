/**
 * PolicyEngine: clusters the external decision point (`spec.policyEngine`)
 * did not allow. The reconciler shell asks the engine and passes the answer
 * in; a missing or failed answer is handled by the engine before filtering
 * (fail-closed unless `failurePolicy: Ignore`).
 */
import { PASS, reject, type FilterPlugin, type ScheduleContext } from '../framework.js';

export const policyEngineFilter: FilterPlugin = {
  name: 'PolicyEngine',
  enabled: (ctx) => ctx.spec.policyEngine !== undefined && allowedSet(ctx) !== undefined,
  filter(ctx, cluster) {
    const allowed = allowedSet(ctx);
    if (!allowed || allowed.has(cluster.name)) return PASS;
    return reject(`policy engine ${ctx.spec.policyEngine?.url ?? ''} did not allow this cluster`);
  },
};

function allowedSet(ctx: ScheduleContext): ReadonlySet<string> | undefined {
  return ctx.memo('PolicyEngine:allowed', computeAllowed);
}

function computeAllowed(ctx: ScheduleContext): ReadonlySet<string> | undefined {
  const d = ctx.policyEngineDecision;
  return d && 'allowed' in d ? new Set(d.allowed) : undefined;
}
