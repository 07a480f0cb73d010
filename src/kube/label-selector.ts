// Label selectors: matching, the string syntax used by the
// propagate.canopy.dev/select annotation, AND-combination of the structured
// form, and a satisfiability check that tells a platform team when two
// workspaces' clusterSelectors can never both hold.

import type { LabelSelector, LabelSelectorRequirement } from '../hierarchy/types.js';

export type Labels = Readonly<Record<string, string>>;

/** A selector flattened to requirements (matchLabels become `In [v]`). */
export type Requirements = readonly LabelSelectorRequirement[];

export function selectorRequirements(selector: LabelSelector | undefined): Requirements {
  if (!selector) return [];
  const fromLabels = Object.entries(selector.matchLabels ?? {}).map(
    ([key, value]): LabelSelectorRequirement => ({ key, operator: 'In', values: [value] }),
  );
  return [...fromLabels, ...(selector.matchExpressions ?? [])];
}

export function requirementMatches(req: LabelSelectorRequirement, labels: Labels): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, req.key);
  switch (req.operator) {
    case 'In':
      return has && (req.values ?? []).includes(labels[req.key]!);
    case 'NotIn':
      return !has || !(req.values ?? []).includes(labels[req.key]!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    default:
      return false; // an operator we do not understand selects nothing: fail closed
  }
}

export function matchesRequirements(reqs: Requirements, labels: Labels): boolean {
  return reqs.every((req) => requirementMatches(req, labels));
}

/** metav1.LabelSelector semantics: an empty selector matches everything. */
export function matchesSelector(selector: LabelSelector | undefined, labels: Labels): boolean {
  return matchesRequirements(selectorRequirements(selector), labels);
}

/** Structural problems the API server's own LabelSelector validation would report. */
export function validateSelector(selector: LabelSelector | undefined): string[] {
  const problems: string[] = [];
  for (const req of selector?.matchExpressions ?? []) {
    const values = req.values ?? [];
    if (req.operator === 'In' || req.operator === 'NotIn') {
      if (values.length === 0) problems.push(`${req.key} ${req.operator} needs at least one value`);
    } else if (req.operator === 'Exists' || req.operator === 'DoesNotExist') {
      if (values.length > 0) problems.push(`${req.key} ${req.operator} takes no values`);
    } else {
      problems.push(`${req.key}: unknown operator ${req.operator}`);
    }
  }
  return problems;
}

/**
 * Both selectors at once. matchLabels merge; a key both sides pin to different
 * values is kept as an extra `In` expression, so the result is honest (it
 * matches nothing) rather than silently preferring one side.
 */
export function andSelectors(a: LabelSelector | undefined, b: LabelSelector | undefined): LabelSelector {
  const matchLabels: Record<string, string> = { ...(a?.matchLabels ?? {}) };
  const matchExpressions: LabelSelectorRequirement[] = [...(a?.matchExpressions ?? [])];
  const seen = new Set(matchExpressions.map(requirementId));
  const addExpression = (req: LabelSelectorRequirement): void => {
    const id = requirementId(req);
    if (!seen.has(id)) {
      seen.add(id);
      matchExpressions.push(req);
    }
  };
  for (const [key, value] of Object.entries(b?.matchLabels ?? {})) {
    if (!(key in matchLabels)) matchLabels[key] = value;
    else if (matchLabels[key] !== value) addExpression({ key, operator: 'In', values: [value] });
  }
  for (const req of b?.matchExpressions ?? []) addExpression(req);
  const result: LabelSelector = {};
  if (Object.keys(matchLabels).length > 0) result.matchLabels = matchLabels;
  if (matchExpressions.length > 0) result.matchExpressions = matchExpressions;
  return result;
}

function requirementId(req: LabelSelectorRequirement): string {
  return JSON.stringify([req.key, req.operator, [...(req.values ?? [])].sort()]);
}

/**
 * Keys on which no label set can satisfy every requirement. Requirements on
 * different keys are independent, so checking key by key is exact.
 */
export function unsatisfiableKeys(reqs: Requirements): string[] {
  const byKey = new Map<string, LabelSelectorRequirement[]>();
  for (const req of reqs) {
    const list = byKey.get(req.key) ?? [];
    list.push(req);
    byKey.set(req.key, list);
  }
  const bad: string[] = [];
  for (const [key, list] of byKey) {
    if (!keySatisfiable(list)) bad.push(key);
  }
  return bad.sort();
}

function keySatisfiable(reqs: readonly LabelSelectorRequirement[]): boolean {
  let allowed: Set<string> | undefined; // undefined: any value
  const excluded = new Set<string>();
  let mustExist = false;
  let mustBeAbsent = false;
  for (const req of reqs) {
    switch (req.operator) {
      case 'In': {
        mustExist = true;
        const values = new Set(req.values ?? []);
        allowed = allowed ? new Set([...allowed].filter((v) => values.has(v))) : values;
        break;
      }
      case 'NotIn':
        for (const v of req.values ?? []) excluded.add(v);
        break;
      case 'Exists':
        mustExist = true;
        break;
      case 'DoesNotExist':
        mustBeAbsent = true;
        break;
      default:
        return false;
    }
  }
  if (mustExist && mustBeAbsent) return false;
  if (allowed && [...allowed].every((v) => excluded.has(v))) return false;
  return true;
}

/** Human form of the requirements on one key: "region=eu", "tier in (a, b)". */
export function describeRequirements(reqs: Requirements, key: string): string {
  return reqs
    .filter((req) => req.key === key)
    .map((req) => {
      const values = [...(req.values ?? [])];
      switch (req.operator) {
        case 'In':
          return values.length === 1 ? `${key}=${values[0]}` : `${key} in (${values.join(', ')})`;
        case 'NotIn':
          return values.length === 1 ? `${key}!=${values[0]}` : `${key} notin (${values.join(', ')})`;
        case 'Exists':
          return key;
        case 'DoesNotExist':
          return `!${key}`;
        default:
          return `${key} ${req.operator}`;
      }
    })
    .join(', ');
}

export type ParsedSelector = { ok: true; requirements: Requirements } | { ok: false; error: string };

/**
 * Parses the string form (`a=b,c!=d,e in (x,y),f notin (z),g,!h`), as kubectl
 * -l and HNC's propagate select annotation accept it. Set-based operators gt/lt
 * are not label-selector operators for namespaces and are refused.
 */
export function parseSelectorString(text: string): ParsedSelector {
  const requirements: LabelSelectorRequirement[] = [];
  const input = text.trim();
  if (input === '') return { ok: true, requirements };
  for (const part of splitTopLevel(input)) {
    const parsed = parseRequirement(part.trim());
    if (typeof parsed === 'string') return { ok: false, error: `invalid selector "${text}": ${parsed}` };
    requirements.push(parsed);
  }
  return { ok: true, requirements };
}

const KEY = String.raw`[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?`;
const VALUE = String.raw`([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?`;
const SET_RE = new RegExp(String.raw`^(${KEY})\s+(in|notin)\s*\(([^()]*)\)$`);
const EQ_RE = new RegExp(String.raw`^(${KEY})\s*(==|=|!=)\s*(${VALUE})$`);
const EXISTS_RE = new RegExp(String.raw`^(!?)\s*(${KEY})$`);
const VALUE_RE = new RegExp(String.raw`^${VALUE}$`);

function parseRequirement(part: string): LabelSelectorRequirement | string {
  let match = SET_RE.exec(part);
  if (match) {
    const values = match[4]!.split(',').map((v) => v.trim());
    if (values.some((v) => v === '' || !VALUE_RE.test(v))) return `bad value list in "${part}"`;
    return { key: match[1]!, operator: match[3] === 'in' ? 'In' : 'NotIn', values };
  }
  match = EQ_RE.exec(part);
  if (match) {
    return { key: match[1]!, operator: match[3] === '!=' ? 'NotIn' : 'In', values: [match[4]!] };
  }
  match = EXISTS_RE.exec(part);
  if (match) return { key: match[2]!, operator: match[1] ? 'DoesNotExist' : 'Exists' };
  return `cannot read "${part}"`;
}

// Commas separate requirements except inside "in (a,b)" value lists.
function splitTopLevel(input: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(input.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(input.slice(start));
  return parts;
}
