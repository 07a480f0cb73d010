/**
 * The one list of placement plugins. Extension authors add their own:
 *
 *   const registry = defaultRegistry().registerFilter(myGpuFilter);
 *   schedule(input, { registry });
 *
 * WorkspaceConstraints is not in the list on purpose: the engine always runs
 * it first, so no registry can drop it.
 */
import { apiAvailabilityFilter } from './filters/api-availability.js';
import { capacityFilter } from './filters/capacity.js';
import { clusterSelectorFilter } from './filters/cluster-selector.js';
import { externalFilter } from './filters/external.js';
import { policyEngineFilter } from './filters/policy-engine.js';
import { clusterReadyFilter } from './filters/readiness.js';
import { failbackFilter } from './filters/failback.js';
import { appHealthFilter } from './filters/app-health.js';
import { regionsFilter } from './filters/regions.js';
import { rulesFilter } from './filters/rules.js';
import { taintTolerationFilter } from './filters/taint-toleration.js';
import type { FilterPlugin, ScorePlugin } from './framework.js';
import { clusterScoresScore } from './scores/cluster-scores.js';
import { costScore } from './scores/cost.js';
import { externalScore } from './scores/external.js';
import { preferencesScore } from './scores/preferences.js';
import { spreadScore } from './scores/spread.js';
import { stabilityScore } from './scores/stability.js';
import { taintPreferenceScore } from './scores/taint-preference.js';

/**
 * Default filters, in the order they run. Declarative policy filters come
 * first so that a cluster's reason names the most durable cause; CEL rules
 * run late because they are the most expensive. External plugins come last:
 * a built-in reason, which Canopy can explain itself, wins over theirs.
 */
export const DEFAULT_FILTERS: readonly FilterPlugin[] = Object.freeze([
  clusterSelectorFilter,
  regionsFilter,
  policyEngineFilter,
  taintTolerationFilter,
  clusterReadyFilter,
  failbackFilter,
  appHealthFilter,
  apiAvailabilityFilter,
  capacityFilter,
  rulesFilter,
  externalFilter,
]);

export const DEFAULT_SCORES: readonly ScorePlugin[] = Object.freeze([
  preferencesScore,
  costScore,
  spreadScore,
  stabilityScore,
  taintPreferenceScore,
  clusterScoresScore,
  externalScore,
]);

export class PluginRegistry {
  readonly #filters: FilterPlugin[];
  readonly #scores: ScorePlugin[];

  constructor(filters: readonly FilterPlugin[] = [], scores: readonly ScorePlugin[] = []) {
    this.#filters = [];
    this.#scores = [];
    for (const f of filters) this.registerFilter(f);
    for (const s of scores) this.registerScore(s);
  }

  get filters(): readonly FilterPlugin[] {
    return this.#filters;
  }

  get scores(): readonly ScorePlugin[] {
    return this.#scores;
  }

  /** Appends a filter; names are unique because they are what users read in status. */
  registerFilter(plugin: FilterPlugin): this {
    assertUnique(plugin.name, this.#filters);
    this.#filters.push(plugin);
    return this;
  }

  registerScore(plugin: ScorePlugin): this {
    assertUnique(plugin.name, this.#scores);
    if (!(plugin.weight >= 0)) throw new Error(`score plugin ${plugin.name} needs a weight >= 0`);
    this.#scores.push(plugin);
    return this;
  }
}

/** A fresh registry with the default plugins; registering into it does not affect others. */
export function defaultRegistry(): PluginRegistry {
  return new PluginRegistry(DEFAULT_FILTERS, DEFAULT_SCORES);
}

function assertUnique(name: string, list: readonly { name: string }[]): void {
  if (list.some((p) => p.name === name)) throw new Error(`a placement plugin named ${name} is already registered`);
}
