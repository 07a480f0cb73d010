/**
 * External: the scores of the policy's external Score plugins
 * (`spec.plugins[]` of type Score), asked by the reconciler shell before the
 * decision (see filters/external.ts). Several plugins combine into one
 * weighted mean whose weight is the sum of theirs, which ranks exactly as if
 * each were its own score plugin; status shows each plugin's score.
 */
import type { ScheduleContext, ScorePlugin } from '../framework.js';
import { DEFAULT_PLUGIN_WEIGHT } from '../../../crds/placementpolicy.js';

interface UsableScore {
  readonly name: string;
  readonly weight: number;
  readonly scores: Readonly<Record<string, number>>;
}

export const externalScore: ScorePlugin = {
  name: 'External',
  weight: 1,
  enabled: (ctx) => scorers(ctx).length > 0,
  weightFor: (ctx) => scorers(ctx).reduce((sum, s) => sum + s.weight, 0),
  score(ctx, cluster) {
    let sum = 0;
    let weight = 0;
    for (const s of scorers(ctx)) {
      sum += s.weight * scoreOf(s, cluster.name);
      weight += s.weight;
    }
    return weight === 0 ? 0 : sum / weight;
  },
  detail: (ctx, cluster) =>
    scorers(ctx)
      .map((s) => `${s.name} ${scoreOf(s, cluster.name)}`)
      .join(', '),
};

/** A cluster the plugin did not score gets 0: the plugin prefers every cluster it did score. */
function scoreOf(s: UsableScore, cluster: string): number {
  const v = Object.hasOwn(s.scores, cluster) ? s.scores[cluster] : undefined;
  return typeof v === 'number' && Number.isFinite(v) ? Math.min(100, Math.max(0, v)) : 0;
}

function scorers(ctx: ScheduleContext): readonly UsableScore[] {
  return ctx.memo('External:scores', usableScores);
}

function usableScores(ctx: ScheduleContext): readonly UsableScore[] {
  const out: UsableScore[] = [];
  for (const p of ctx.spec.plugins ?? []) {
    if (p.type !== 'Score') continue;
    const a = ctx.pluginAnswers.get(p.name);
    if (a && 'scores' in a) out.push({ name: p.name, weight: p.weight ?? DEFAULT_PLUGIN_WEIGHT, scores: a.scores });
  }
  return out;
}
