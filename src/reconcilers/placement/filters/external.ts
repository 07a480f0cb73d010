/**
 * External: the verdicts of the policy's external Filter plugins
 * (`spec.plugins[]` of type Filter). The reconciler shell asks them (over
 * HTTPS, cached) before it calls the engine; the engine checks the answers
 * first (`checkPluginAnswers`) and this filter only reads them, so the
 * decision itself stays free of I/O.
 */
import { PASS, reject, type FilterPlugin, type ScheduleContext } from '../framework.js';
import type { ExternalPluginRef, PluginAnswer, PluginVerdict } from '../types.js';

export const EXTERNAL = 'External';

export interface PluginAnswerCheck {
  /** The first plugin with `failurePolicy: Fail` that has no usable answer: nothing may be placed. */
  readonly failed?: { readonly plugin: ExternalPluginRef; readonly why: string };
  /** Plugins with `failurePolicy: Ignore` left out of this decision, with why. */
  readonly ignored: readonly { readonly plugin: ExternalPluginRef; readonly why: string }[];
  /** The usable answers by plugin name. */
  readonly usable: ReadonlyMap<string, PluginAnswer>;
}

/** Sorts the policy's plugins into usable, ignored and failed by their answers. */
export function checkPluginAnswers(plugins: readonly ExternalPluginRef[], answers: Readonly<Record<string, PluginAnswer>> | undefined): PluginAnswerCheck {
  const usable = new Map<string, PluginAnswer>();
  const ignored: { plugin: ExternalPluginRef; why: string }[] = [];
  for (const plugin of plugins) {
    const answer = answers && Object.hasOwn(answers, plugin.name) ? answers[plugin.name] : undefined;
    const why = problem(plugin, answer);
    if (why === undefined) {
      usable.set(plugin.name, answer!);
      continue;
    }
    if (plugin.failurePolicy === 'Ignore') ignored.push({ plugin, why });
    else return { failed: { plugin, why }, ignored, usable };
  }
  return { ignored, usable };
}

function problem(plugin: ExternalPluginRef, answer: PluginAnswer | undefined): string | undefined {
  if (!answer) return 'no answer was obtained';
  if ('error' in answer) return answer.error;
  if (plugin.type === 'Filter' && !('verdicts' in answer)) return 'a Filter plugin must answer verdicts';
  if (plugin.type === 'Score' && !('scores' in answer)) return 'a Score plugin must answer scores';
  return undefined;
}

/** `placement plugin green-score (https://…)`: how status names a plugin. */
export function pluginLabel(plugin: ExternalPluginRef): string {
  return `placement plugin ${plugin.name} (${plugin.url})`;
}

export const externalFilter: FilterPlugin = {
  name: EXTERNAL,
  enabled: (ctx) => filters(ctx).length > 0,
  filter(ctx, cluster) {
    for (const { name, verdicts } of filters(ctx)) {
      const v: PluginVerdict | undefined = Object.hasOwn(verdicts, cluster.name) ? verdicts[cluster.name] : undefined;
      // Fail closed per cluster too: a cluster the plugin did not judge is not one it allowed.
      if (!v) return reject(`${name}: gave no verdict for this cluster`);
      if (!v.pass) return reject(`${name}: ${v.reason || 'did not pass'}`);
    }
    return PASS;
  },
};

interface UsableFilter {
  readonly name: string;
  readonly verdicts: Readonly<Record<string, PluginVerdict>>;
}

function filters(ctx: ScheduleContext): readonly UsableFilter[] {
  return ctx.memo('External:filters', usableFilters);
}

function usableFilters(ctx: ScheduleContext): readonly UsableFilter[] {
  const out: UsableFilter[] = [];
  for (const p of ctx.spec.plugins ?? []) {
    if (p.type !== 'Filter') continue;
    const a = ctx.pluginAnswers.get(p.name);
    if (a && 'verdicts' in a) out.push({ name: p.name, verdicts: a.verdicts });
  }
  return out;
}
