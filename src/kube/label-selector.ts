import type { LabelSelector, LabelSelectorRequirement, Labels } from '../crds/common.js';
// Label selectors: matching, the string syntax used by the
// propagate.canopy.dev/select annotation, AND-combination of the structured
// form, and a satisfiability check that tells a platform team when two
// workspaces' clusterSelectors can never both hold.

/** A selector flattened to requirements (matchLabels become `In [v]`). */
export type Requirements = readonly LabelSelectorRequirement[];

export function selectorRequirements(selector: LabelSelector | undefined): Requirements {
  if (!selector) return [];
  const fromLabels = Object.entries(selector.matchLabels ?? {}).map(([key, value]): LabelSelectorRequirement => ({ key, operator: 'In', values: [value] }));
  return [...fromLabels, ...(selector.matchExpressions ?? [])];
}

/** Whether one requirement holds for the labels; an operator this code does not understand selects nothing (fail closed). */
export function requirementMatches(req: LabelSelectorRequirement, labels: Labels): boolean {
  let test = compiledRequirements.get(req);
  if (!test) {
    const compiled = compileRequirement(req);
    test = typeof compiled === 'string' ? matchNothing : compiled.test;
    compiledRequirements.set(req, test);
  }
  return test(labels);
}

export function matchesRequirements(reqs: Requirements, labels: Labels): boolean {
  return reqs.every((req) => requirementMatches(req, labels));
}

/** metav1.LabelSelector semantics: an empty selector matches everything. */
export function matchesSelector(selector: LabelSelector | undefined, labels: Labels | undefined): boolean {
  return compileSelector(selector).matches(labels ?? EMPTY);
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
  return {
    ...(Object.keys(matchLabels).length > 0 ? { matchLabels } : {}),
    ...(matchExpressions.length > 0 ? { matchExpressions } : {}),
  };
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

const KEY = '[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?';
const VALUE = '([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?';
const SET_RE = new RegExp(String.raw`^(${KEY})\s+(in|notin)\s*\(([^()]*)\)$`);
const EQ_RE = new RegExp(String.raw`^(${KEY})\s*(==|=|!=)\s*(${VALUE})$`);
const EXISTS_RE = new RegExp(String.raw`^(!?)\s*(${KEY})$`);
const VALUE_RE = new RegExp(`^${VALUE}$`);

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

// ---------------------------------------------------------------- compiled matching
// The one matching rule. Selectors are compiled once into a closure and cached
// by object identity, because the same policy selector is matched against every
// cluster for every object a policy places; informer caches replace objects on
// update, so identity is a safe key.

const EMPTY: Labels = Object.freeze({});
const matchNothing: LabelMatcher = () => false;
const compiledRequirements = new WeakMap<LabelSelectorRequirement, LabelMatcher>();

export type LabelMatcher = (labels: Labels) => boolean;

const matchAll: LabelMatcher = () => true;
const compiled = new WeakMap<LabelSelector, CompiledSelector>();

export interface CompiledSelector {
  readonly matches: LabelMatcher;
  /** Set when the selector itself is malformed (unknown operator, In without values). */
  readonly error?: string;
  /** kubectl-style rendering for messages: `compliance/pci=true,tier in (a,b)`. */
  readonly text: string;
  /** The first requirement the labels fail, rendered, or undefined when they match. */
  mismatch(labels: Labels): string | undefined;
}

/** Compiles (or returns the cached compilation of) a selector. */
export function compileSelector(selector: LabelSelector | undefined): CompiledSelector {
  if (!selector) return EVERYTHING;
  let c = compiled.get(selector);
  if (!c) {
    c = build(selector);
    compiled.set(selector, c);
  }
  return c;
}

const EVERYTHING: CompiledSelector = { matches: matchAll, text: '<everything>', mismatch: () => undefined };

function build(selector: LabelSelector): CompiledSelector {
  const reqs: { test: LabelMatcher; text: string; key: string }[] = [];
  let error: string | undefined;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    reqs.push({ test: (l) => l[key] === value, text: `${key}=${value}`, key });
  }
  for (const req of selector.matchExpressions ?? []) {
    const r = compileRequirement(req);
    if (typeof r === 'string') {
      error ??= r;
      // A malformed selector selects nothing, as the apiserver would have rejected it.
      reqs.push({ test: () => false, text: `<invalid: ${r}>`, key: req.key });
      continue;
    }
    reqs.push({ ...r, key: req.key });
  }
  const text = reqs.length === 0 ? '<everything>' : reqs.map((r) => r.text).join(',');
  const tests = reqs.map((r) => r.test);
  const matches: LabelMatcher =
    tests.length === 0
      ? matchAll
      : tests.length === 1
        ? tests[0]!
        : (l) => {
            for (const t of tests) if (!t(l)) return false;
            return true;
          };
  const mismatch = (l: Labels): string | undefined => {
    for (const r of reqs) {
      if (r.test(l)) continue;
      const actual = typeof l[r.key] === 'string' ? `${r.key}=${l[r.key]}` : `no label ${r.key}`;
      return `${r.text} (cluster has ${actual})`;
    }
    return undefined;
  };
  return { matches, text, mismatch, ...(error ? { error } : {}) };
}

// Label values are strings; `typeof` keeps inherited Object.prototype members
// (a label named `constructor`) from counting as present.
function compileRequirement(req: LabelSelectorRequirement): { test: LabelMatcher; text: string } | string {
  const { key } = req;
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In': {
      if (values.length === 0) return `operator In on ${key} needs values`;
      const set = new Set(values);
      return { test: (l) => set.has(l[key] as string), text: `${key} in (${values.join(',')})` };
    }
    case 'NotIn': {
      const set = new Set(values);
      return { test: (l) => !set.has(l[key] as string), text: `${key} notin (${values.join(',')})` };
    }
    case 'Exists':
      return { test: (l) => typeof l[key] === 'string', text: key };
    case 'DoesNotExist':
      return { test: (l) => typeof l[key] !== 'string', text: `!${key}` };
    default:
      return `unknown operator ${String(req.operator)} on ${key}`;
  }
}

/** Renders a selector for messages. */
export function formatSelector(selector: LabelSelector | undefined): string {
  return compileSelector(selector).text;
}
