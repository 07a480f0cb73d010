/**
 * metav1.LabelSelector matching. Selectors are compiled once into a closure
 * and cached by object identity, because the same policy selector is matched
 * against every cluster for every object the policy places.
 */
import type { LabelSelector, LabelSelectorRequirement } from './types.js';

export type Labels = Readonly<Record<string, string>>;
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

/** True when the selector matches the labels (an absent or empty selector matches all). */
export function selectorMatches(selector: LabelSelector | undefined, labels: Labels | undefined): boolean {
  return compileSelector(selector).matches(labels ?? EMPTY);
}

const EMPTY: Labels = Object.freeze({});

function build(selector: LabelSelector): CompiledSelector {
  const reqs: { test: LabelMatcher; text: string; key: string }[] = [];
  let error: string | undefined;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    reqs.push({ test: (l) => l[key] === value, text: `${key}=${value}`, key });
  }
  for (const req of selector.matchExpressions ?? []) {
    const r = requirement(req);
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
function requirement(req: LabelSelectorRequirement): { test: LabelMatcher; text: string } | string {
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
