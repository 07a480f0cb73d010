/**
 * Constraint math: what a workspace may do is the intersection of what every
 * workspace above it allows. effectiveConstraints folds a chain root-first;
 * narrowConstraints is one step of that fold, which is what lets the forest
 * cache a node's result and compute a child's from it in O(1).
 *
 * Every effective limit remembers which workspace imposed it, so an admission
 * denial can name the workspace to talk to, not just the number.
 */

import type { PodSecurityLevel } from '../crds/common.js';
import { andSelectors, describeRequirements, type Requirements, selectorRequirements, unsatisfiableKeys, validateSelector } from '../kube/label-selector.js';
import { compareQuantities, formatQuantity, tryParseQuantity } from '../kube/quantity.js';
import { parseResourceList } from '../kube/resource-list.js';
import type { WorkspaceConstraints } from './types.js';

export interface ConstraintLevel {
  workspace: string;
  constraints?: WorkspaceConstraints | undefined;
}

/** For each effective limit, the workspace that set its current value. */
export interface ConstraintOrigins {
  regions?: string;
  /** Label key to the workspaces (root first) whose clusterSelector constrains it. */
  clusterSelector?: Readonly<Record<string, readonly string[]>>;
  maxLogicalClusters?: string;
  /** Canonical resource name to workspace. */
  quota?: Readonly<Record<string, string>>;
  podSecurity?: string;
  costBudget?: string;
  allowedRegistries?: string;
}

export interface EffectiveConstraints {
  /**
   * The narrowed limits, shaped like spec.constraints (status.effectiveConstraints).
   * Unlike in a spec, an empty `regions` or `allowedRegistries` here means nothing
   * is allowed; `unsatisfiable` then says why.
   */
  readonly constraints: WorkspaceConstraints;
  readonly origins: ConstraintOrigins;
  /** Limits that no cluster or workload can meet, e.g. disjoint regions. */
  readonly unsatisfiable: readonly string[];
  /** Values ignored because they could not be read (bad quantity, unknown level). */
  readonly invalid: readonly string[];
}

export const UNCONSTRAINED: EffectiveConstraints = Object.freeze({
  constraints: Object.freeze({}),
  origins: Object.freeze({}),
  unsatisfiable: Object.freeze([]) as readonly string[],
  invalid: Object.freeze([]) as readonly string[],
});

export const POD_SECURITY_LEVELS: readonly PodSecurityLevel[] = ['privileged', 'baseline', 'restricted'];

export function podSecurityRank(level: string): number {
  return POD_SECURITY_LEVELS.indexOf(level as PodSecurityLevel);
}

/** True if an image reference (or registry prefix) lies under a registry prefix, at a '/' boundary. */
export function registryCovers(prefix: string, reference: string): boolean {
  const base = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  return reference === base || reference.startsWith(`${base}/`);
}

/** Prefix sets intersect to the narrower entries that both sides cover. */
export function intersectRegistries(a: readonly string[], b: readonly string[]): string[] {
  const kept = [...a.filter((x) => b.some((y) => registryCovers(y, x))), ...b.filter((y) => a.some((x) => registryCovers(x, y)))];
  const unique = [...new Set(kept)];
  // Drop entries already implied by a broader kept entry, so the list stays minimal.
  return unique.filter((x) => !unique.some((y) => y !== x && registryCovers(y, x)));
}

export function effectiveConstraints(chain: readonly ConstraintLevel[]): EffectiveConstraints {
  let effective = UNCONSTRAINED;
  for (const level of chain) effective = narrowConstraints(effective, level);
  return effective;
}

/** One step down the tree. Returns `parent` itself when the level adds nothing. */
export function narrowConstraints(parent: EffectiveConstraints, level: ConstraintLevel): EffectiveConstraints {
  const own = level.constraints;
  if (!own || Object.keys(own).length === 0) return parent;
  const who = level.workspace;
  const constraints: WorkspaceConstraints = { ...parent.constraints };
  const origins: ConstraintOrigins = { ...parent.origins };
  const unsatisfiable = [...parent.unsatisfiable];
  const invalid = [...parent.invalid];

  if (own.regions && own.regions.length > 0) {
    const mine = [...new Set(own.regions)];
    const before = parent.constraints.regions;
    const after = before ? before.filter((r) => mine.includes(r)) : mine;
    if (!before || after.length < before.length) {
      constraints.regions = after;
      origins.regions = who;
      if (after.length === 0) {
        unsatisfiable.push(`regions: no region is allowed by both ${parent.origins.regions} (${before!.join(', ')}) and ${who} (${mine.join(', ')})`);
      }
    }
  }

  const ownReqs = selectorRequirements(own.clusterSelector);
  if (ownReqs.length > 0) {
    const merged = andSelectors(parent.constraints.clusterSelector, own.clusterSelector);
    const previouslyBad = new Set(unsatisfiableKeys(selectorRequirements(parent.constraints.clusterSelector)));
    const byKey: Record<string, readonly string[]> = { ...(parent.origins.clusterSelector ?? {}) };
    for (const key of new Set(ownReqs.map((r) => r.key))) {
      const list = byKey[key] ?? [];
      if (!list.includes(who)) byKey[key] = [...list, who];
    }
    const mergedReqs = selectorRequirements(merged);
    for (const key of unsatisfiableKeys(mergedReqs)) {
      if (previouslyBad.has(key)) continue;
      unsatisfiable.push(`clusterSelector: no cluster can match ${describeRequirements(mergedReqs, key)} (set by ${byKey[key]!.join(', ')})`);
    }
    constraints.clusterSelector = merged;
    origins.clusterSelector = byKey;
  }

  if (own.maxLogicalClusters !== undefined) {
    const before = parent.constraints.maxLogicalClusters;
    if (!Number.isInteger(own.maxLogicalClusters) || own.maxLogicalClusters < 0) {
      invalid.push(`maxLogicalClusters: ${own.maxLogicalClusters} in ${who} is not a non-negative integer`);
    } else if (before === undefined || own.maxLogicalClusters < before) {
      constraints.maxLogicalClusters = own.maxLogicalClusters;
      origins.maxLogicalClusters = who;
    }
  }

  if (own.quota?.hard) {
    const parsed = parseResourceList(own.quota.hard);
    for (const bad of parsed.invalid) invalid.push(`quota.hard.${bad.name}: "${bad.value}" in ${who} is not a quantity`);
    if (parsed.values.size > 0) {
      const hard: Record<string, string | number> = { ...(parent.constraints.quota?.hard ?? {}) };
      const quotaOrigins: Record<string, string> = { ...(parent.origins.quota ?? {}) };
      let changed = false;
      for (const [name, q] of parsed.values) {
        const before = hard[name];
        if (before === undefined || compareQuantities(q, before) < 0) {
          hard[name] = formatQuantity(q);
          quotaOrigins[name] = who;
          changed = true;
        }
      }
      if (changed) {
        constraints.quota = { hard };
        origins.quota = quotaOrigins;
      }
    }
  }

  if (own.podSecurity !== undefined) {
    const rank = podSecurityRank(own.podSecurity);
    if (rank < 0) invalid.push(`podSecurity: "${own.podSecurity}" in ${who} is not one of ${POD_SECURITY_LEVELS.join(', ')}`);
    else if (parent.constraints.podSecurity === undefined || rank > podSecurityRank(parent.constraints.podSecurity)) {
      constraints.podSecurity = own.podSecurity;
      origins.podSecurity = who;
    }
  }

  if (own.costBudget !== undefined) {
    const q = tryParseQuantity(own.costBudget);
    if (!q || q.nanos < 0n) invalid.push(`costBudget: "${own.costBudget}" in ${who} is not a non-negative amount`);
    else if (parent.constraints.costBudget === undefined || compareQuantities(q, parent.constraints.costBudget) < 0) {
      constraints.costBudget = own.costBudget;
      origins.costBudget = who;
    }
  }

  if (own.allowedRegistries && own.allowedRegistries.length > 0) {
    const before = parent.constraints.allowedRegistries;
    const after = before ? intersectRegistries(before, own.allowedRegistries) : [...new Set(own.allowedRegistries)];
    if (!before || !sameStrings(before, after)) {
      constraints.allowedRegistries = after;
      origins.allowedRegistries = who;
      if (after.length === 0) {
        unsatisfiable.push(
          `allowedRegistries: no registry is allowed by both ${parent.origins.allowedRegistries} (${before!.join(', ')}) and ${who} (${own.allowedRegistries.join(', ')})`,
        );
      }
    }
  }

  return { constraints, origins, unsatisfiable, invalid };
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export interface ConstraintViolation {
  /** Field path such as "spec.constraints.regions". */
  field: string;
  message: string;
}

export interface CheckNarrowsOptions {
  /** Name of the workspace the object sits under; lets messages say "parent" vs "ancestor". */
  parent?: string;
  /** What is being checked: a child Workspace (default) or a LogicalCluster. */
  subject?: 'workspace' | 'logical cluster';
  /** Defaults to "spec.constraints". */
  fieldPrefix?: string;
}

/**
 * Every way `child` asks for more than `parentEffective` allows. An empty list
 * means the child only narrows. Used by admission, so messages name the field,
 * the offending value, the limit and the workspace that set it.
 */
export function checkNarrows(
  parentEffective: EffectiveConstraints,
  child: WorkspaceConstraints | undefined,
  options: CheckNarrowsOptions = {},
): ConstraintViolation[] {
  if (!child) return [];
  const prefix = options.fieldPrefix ?? 'spec.constraints';
  const limits = parentEffective.constraints;
  const origins = parentEffective.origins;
  const by = (origin: string | undefined): string => {
    if (origin === undefined) return 'an ancestor workspace';
    if (options.parent === undefined || origin === options.parent) {
      return options.subject === 'logical cluster' ? `workspace ${origin}` : `parent workspace ${origin}`;
    }
    return `ancestor workspace ${origin}`;
  };
  const violations: ConstraintViolation[] = [];
  const add = (field: string, message: string): void => {
    violations.push({ field: `${prefix}.${field}`, message: `${prefix}.${field}: ${message}` });
  };

  if (child.regions && limits.regions) {
    const denied = [...new Set(child.regions)].filter((r) => !limits.regions!.includes(r));
    if (denied.length > 0) {
      const allowed = limits.regions.length > 0 ? limits.regions.join(', ') : 'none';
      add('regions', `${denied.join(', ')} ${denied.length === 1 ? 'is' : 'are'} not allowed by ${by(origins.regions)} (allowed: ${allowed})`);
    }
  }

  checkSelector(child, parentEffective, add, by);

  if (child.maxLogicalClusters !== undefined) {
    if (!Number.isInteger(child.maxLogicalClusters) || child.maxLogicalClusters < 0) {
      add('maxLogicalClusters', `${child.maxLogicalClusters} is not a non-negative integer`);
    } else if (limits.maxLogicalClusters !== undefined && child.maxLogicalClusters > limits.maxLogicalClusters) {
      add('maxLogicalClusters', `${child.maxLogicalClusters} exceeds the limit ${limits.maxLogicalClusters} set by ${by(origins.maxLogicalClusters)}`);
    }
  }

  if (child.quota?.hard) {
    const parsed = parseResourceList(child.quota.hard);
    for (const bad of parsed.invalid) add(`quota.hard.${bad.name}`, `"${bad.value}" is not a quantity`);
    for (const [name, q] of parsed.values) {
      const limit = limits.quota?.hard?.[name];
      if (limit !== undefined && compareQuantities(q, limit) > 0) {
        add(`quota.hard.${name}`, `${formatQuantity(q)} exceeds the limit ${limit} set by ${by(origins.quota?.[name])}`);
      }
    }
  }

  if (child.podSecurity !== undefined) {
    const rank = podSecurityRank(child.podSecurity);
    if (rank < 0) add('podSecurity', `"${child.podSecurity}" is not one of ${POD_SECURITY_LEVELS.join(', ')}`);
    else if (limits.podSecurity !== undefined && rank < podSecurityRank(limits.podSecurity)) {
      add('podSecurity', `${child.podSecurity} is less strict than ${limits.podSecurity} required by ${by(origins.podSecurity)}`);
    }
  }

  if (child.costBudget !== undefined) {
    const q = tryParseQuantity(child.costBudget);
    if (!q || q.nanos < 0n) add('costBudget', `"${child.costBudget}" is not a non-negative amount`);
    else if (limits.costBudget !== undefined && compareQuantities(q, limits.costBudget) > 0) {
      add('costBudget', `${child.costBudget} exceeds the budget ${limits.costBudget} set by ${by(origins.costBudget)}`);
    }
  }

  if (child.allowedRegistries && limits.allowedRegistries) {
    const denied = child.allowedRegistries.filter((r) => !limits.allowedRegistries!.some((p) => registryCovers(p, r)));
    if (denied.length > 0) {
      const allowed = limits.allowedRegistries.length > 0 ? limits.allowedRegistries.join(', ') : 'none';
      add(
        'allowedRegistries',
        `${denied.join(', ')} ${denied.length === 1 ? 'is' : 'are'} not allowed by ${by(origins.allowedRegistries)} (allowed: ${allowed})`,
      );
    }
  }
  return violations;
}

function checkSelector(
  child: WorkspaceConstraints,
  parentEffective: EffectiveConstraints,
  add: (field: string, message: string) => void,
  by: (origin: string | undefined) => string,
): void {
  const childReqs = selectorRequirements(child.clusterSelector);
  if (childReqs.length === 0) return;
  const problems = validateSelector(child.clusterSelector);
  for (const problem of problems) add('clusterSelector', problem);
  if (problems.length > 0) return; // a malformed selector's satisfiability says nothing more
  const parentReqs: Requirements = selectorRequirements(parentEffective.constraints.clusterSelector);
  const alreadyBad = new Set(unsatisfiableKeys(parentReqs));
  const childBad = new Set(unsatisfiableKeys(childReqs));
  const merged = selectorRequirements(andSelectors(parentEffective.constraints.clusterSelector, child.clusterSelector));
  for (const key of unsatisfiableKeys(merged)) {
    if (alreadyBad.has(key)) continue;
    if (childBad.has(key)) {
      add('clusterSelector', `${describeRequirements(childReqs, key)} can never match any cluster`);
      continue;
    }
    const setBy = parentEffective.origins.clusterSelector?.[key] ?? [];
    const origin = setBy.length > 0 ? by(setBy[setBy.length - 1]) : by(undefined);
    add(
      'clusterSelector',
      `${describeRequirements(childReqs, key)} contradicts ${describeRequirements(parentReqs, key)} required by ${origin}; no cluster could match`,
    );
  }
}
