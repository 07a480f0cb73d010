/**
 * Placement rules in CEL (@bufbuild/cel) over the variables `object`,
 * `cluster` and `workspace`.
 *
 * Rules are parsed, checked and planned once per expression and cached.
 * Evaluating a rule is the most expensive thing a decision does, so results
 * are memoised too: a rule reads only a few paths of `object` (typically a
 * label or two), so the result for a cluster is cached under the values of
 * those paths. Ten thousand Deployments that differ only in name then cost
 * one evaluation per cluster and distinct label value, not one per object.
 * A rule that uses `object` as a whole is simply not memoised.
 */
import { celEnv, isCelError, parse, plan, type CelInput, type CelResult } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import type { PlacementRule } from './types.js';

type Expr = ReturnType<typeof parse>['expr'];
type Program = (bindings: Record<string, CelInput>) => CelResult;
/** One step into a JSON value: a property name or a list index. */
type PathStep = string | number;

export const RULE_VARIABLES = ['object', 'cluster', 'workspace'] as const;

/** A compiled rule: how to evaluate it and which parts of `object` it reads. */
export interface CompiledRule {
  readonly expression: string;
  readonly program: Program;
  /** Estimated evaluation steps per cluster (estimatedCost). */
  readonly cost: number;
  /** Paths of `object` the rule reads, or `whole` when it reads `object` itself. */
  readonly objectPaths: readonly (readonly PathStep[])[] | 'whole';
  /** Memoised outcomes: per cluster binding, per workspace-and-object-projection key. */
  readonly outcomes: WeakMap<object, Map<string, RuleOutcome>>;
}

/** `true` when the rule holds, otherwise why not (false, error, or not a bool). */
export type RuleOutcome = true | { readonly failure: 'false' | 'error' | 'type'; readonly detail: string };

export interface RuleCompileError {
  /** Index into `spec.rules`. */
  readonly index: number;
  readonly expression: string;
  readonly message: string;
}

const env = celEnv({ funcs: strings });
/** Functions the planner implements itself rather than through the function resolver. */
const BUILTIN_FUNCTIONS = new Set(['_&&_', '_||_', '_?_:_', '@not_strictly_false', '_[_]', '_[?_]', '_?._', 'has']);
/** Type names that are valid identifiers on their own (`type(x) == string`). */
const TYPE_IDENTIFIERS = new Set(['bool', 'int', 'uint', 'double', 'string', 'bytes', 'list', 'map', 'null_type', 'type']);
const MAX_MEMO_ENTRIES_PER_CLUSTER = 4096;

const compiled = new Map<string, CompiledRule | RuleCompileError>();
const MAX_COMPILED = 10_000;

export function ruleExpression(rule: PlacementRule): string {
  return typeof rule === 'string' ? rule : rule.expression;
}

/** How messages refer to a rule: its name, else its position and text. */
export function ruleLabel(rule: PlacementRule, index: number): string {
  if (typeof rule !== 'string' && rule.name) return `rule ${rule.name}`;
  return `rule #${index + 1} \`${ruleExpression(rule)}\``;
}

/**
 * Checks rules the way admission does: every rule must parse, use only the
 * variables `object`, `cluster`, `workspace` and known functions. Returns one
 * error per broken rule; an empty array means all compile.
 */
export function compileRules(rules: readonly PlacementRule[]): RuleCompileError[] {
  const errors: RuleCompileError[] = [];
  let total = 0;
  rules.forEach((rule, index) => {
    const c = compileRule(ruleExpression(rule));
    if ('message' in c) errors.push({ ...c, index });
    else if (errors.length === 0 && (total += c.cost) > MAX_POLICY_RULES_COST) {
      errors.push({
        index,
        expression: c.expression,
        message: `the rules up to this one are estimated at ${total.toExponential(1)} evaluation steps per cluster together, over the limit of ${MAX_POLICY_RULES_COST} for one policy`,
      });
    }
  });
  return errors;
}

/** Compiles one expression (cached). Never throws. */
export function compileRule(expression: string): CompiledRule | RuleCompileError {
  let c = compiled.get(expression);
  if (c) return c;
  c = doCompile(expression);
  if (compiled.size >= MAX_COMPILED) compiled.clear(); // policies are few; this only bounds a pathological churn
  compiled.set(expression, c);
  return c;
}

function doCompile(expression: string): CompiledRule | RuleCompileError {
  const fail = (message: string): RuleCompileError => ({ index: 0, expression, message });
  if (expression.trim() === '') return fail('expression is empty');
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(expression);
  } catch (err) {
    return fail(err instanceof Error ? err.message : String(err));
  }
  const analysis = analyse(parsed.expr);
  if (analysis.error) return fail(analysis.error);
  // Evaluation is synchronous on the operator's only thread: a rule that nests comprehensions over
  // long lists (4096 characters allow 10^16 steps) would stall every controller and the health probe.
  const cost = estimatedCost(parsed.expr);
  if (cost > MAX_RULE_COST)
    return fail(
      `estimated cost ${cost.toExponential(1)} evaluation steps exceeds the limit of ${MAX_RULE_COST} per cluster (nested comprehensions over long lists)`,
    );
  let program: Program;
  try {
    program = plan(env, parsed) as Program;
  } catch (err) {
    return fail(err instanceof Error ? err.message : String(err));
  }
  return { expression, program, cost, objectPaths: analysis.whole ? 'whole' : analysis.paths, outcomes: new WeakMap() };
}

/** Evaluation steps one rule may take per cluster: about 10 ms of the operator's thread (94² nested steps, 98,515 estimated, took 13 ms on a loaded machine). */
export const MAX_RULE_COST = 100_000;
/** Evaluation steps all rules of one policy may take together per cluster. */
export const MAX_POLICY_RULES_COST = 200_000;
/** Assumed length of a list or map a rule iterates whose length is unknown before evaluation (labels, containers). */
const UNKNOWN_RANGE_SIZE = 64;

/**
 * An upper bound on evaluation steps, as Kubernetes bounds CEL before running
 * it: each node costs one step, and a comprehension costs its body times the
 * length of its range (a literal list's length, else UNKNOWN_RANGE_SIZE).
 */
export function estimatedCost(root: Expr | undefined): number {
  const rangeSize = (e: Expr | undefined): number => {
    const k = e?.exprKind;
    if (k?.case === 'listExpr') return k.value.elements.length;
    if (k?.case === 'structExpr') return k.value.entries.length;
    // map() and filter() build a list no longer than their own range.
    if (k?.case === 'comprehensionExpr') return rangeSize(k.value.iterRange);
    return UNKNOWN_RANGE_SIZE;
  };
  const cost = (e: Expr | undefined): number => {
    if (!e) return 0;
    const k = e.exprKind;
    switch (k.case) {
      case 'selectExpr':
        return 1 + cost(k.value.operand);
      case 'callExpr':
        return 1 + cost(k.value.target) + k.value.args.reduce((sum, a) => sum + cost(a), 0);
      case 'listExpr':
        return 1 + k.value.elements.reduce((sum, a) => sum + cost(a), 0);
      case 'structExpr':
        return 1 + k.value.entries.reduce((sum, entry) => sum + (entry.keyKind.case === 'mapKey' ? cost(entry.keyKind.value) : 0) + cost(entry.value), 0);
      case 'comprehensionExpr': {
        const c = k.value;
        return cost(c.iterRange) + cost(c.accuInit) + rangeSize(c.iterRange) * (cost(c.loopCondition) + cost(c.loopStep)) + cost(c.result);
      }
      default:
        return 1;
    }
  };
  return cost(root);
}

interface Analysis {
  paths: PathStep[][];
  whole: boolean;
  error?: string;
}

/**
 * Walks the AST once: rejects unknown variables and functions (the planner
 * would only report them at evaluation time, per cluster) and collects the
 * select/index chains rooted at `object`.
 */
function analyse(root: Expr): Analysis {
  const out: Analysis = { paths: [], whole: false };
  const visit = (e: Expr | undefined, bound: ReadonlySet<string>): void => {
    if (!e || out.error) return;
    const chain = objectChain(e, bound);
    if (chain) {
      out.paths.push(chain);
      return;
    }
    const k = e.exprKind;
    switch (k.case) {
      case 'identExpr': {
        const name = k.value.name;
        if (bound.has(name)) return;
        if (name === 'object') out.whole = true;
        else if (name !== 'cluster' && name !== 'workspace' && !TYPE_IDENTIFIERS.has(name)) {
          out.error = `undeclared reference to '${name}' (rules may use object, cluster and workspace)`;
        }
        return;
      }
      case 'selectExpr':
        visit(k.value.operand, bound);
        return;
      case 'callExpr': {
        const fn = k.value.function;
        if (!BUILTIN_FUNCTIONS.has(fn) && !env.funcs.find(fn)) {
          out.error = `undeclared function '${fn}'`;
          return;
        }
        visit(k.value.target, bound);
        for (const a of k.value.args) visit(a, bound);
        return;
      }
      case 'listExpr':
        for (const a of k.value.elements) visit(a, bound);
        return;
      case 'structExpr':
        for (const entry of k.value.entries) {
          if (entry.keyKind.case === 'mapKey') visit(entry.keyKind.value, bound);
          visit(entry.value, bound);
        }
        return;
      case 'comprehensionExpr': {
        const c = k.value;
        visit(c.iterRange, bound);
        visit(c.accuInit, bound);
        const inner = new Set(bound);
        inner.add(c.iterVar);
        if (c.iterVar2) inner.add(c.iterVar2);
        inner.add(c.accuVar);
        visit(c.loopCondition, inner);
        visit(c.loopStep, inner);
        visit(c.result, inner);
        return;
      }
      default:
        return;
    }
  };
  visit(root, new Set());
  return out;
}

/** `object.a.b['c'][0]` → ['a','b','c',0]; undefined when `e` is not such a chain. */
function objectChain(e: Expr, bound: ReadonlySet<string>): PathStep[] | undefined {
  const steps: PathStep[] = [];
  let cur: Expr | undefined = e;
  while (cur) {
    const k: Expr['exprKind'] = cur.exprKind;
    if (k.case === 'selectExpr') {
      steps.push(k.value.field);
      cur = k.value.operand;
    } else if (k.case === 'callExpr' && k.value.function === '_[_]' && k.value.args.length === 2) {
      const idx = k.value.args[1]?.exprKind;
      if (idx?.case !== 'constExpr') return undefined;
      const c = idx.value.constantKind;
      if (c.case === 'stringValue') steps.push(c.value);
      else if (c.case === 'int64Value' || c.case === 'uint64Value') steps.push(Number(c.value));
      else return undefined;
      cur = k.value.args[0];
    } else if (k.case === 'identExpr') {
      if (k.value.name !== 'object' || bound.has('object') || steps.length === 0) return undefined;
      return steps.reverse();
    } else {
      return undefined;
    }
  }
  return undefined;
}

/**
 * The memo key of an object for a rule: the values at the paths the rule
 * reads. Missing values and type mismatches are encoded with the depth they
 * happen at, since CEL reports them differently (`has()` of a missing leaf is
 * false, of a missing parent an error). Undefined means "do not memoise".
 */
export function objectKey(rule: CompiledRule, object: unknown): string | undefined {
  if (rule.objectPaths === 'whole') return undefined;
  let key = '';
  for (const path of rule.objectPaths) {
    let v: unknown = object;
    let marker: string | undefined;
    for (let i = 0; i < path.length; i++) {
      const step = path[i]!;
      if (Array.isArray(v) && typeof step === 'number') v = v[step];
      else if (typeof v === 'object' && v !== null && !Array.isArray(v) && typeof step === 'string') {
        v = Object.hasOwn(v, step) ? (v as Record<string, unknown>)[step] : undefined;
      } else {
        marker = `\u0001t${i}`;
        break;
      }
      if (v === undefined) {
        marker = `\u0001m${i}`;
        break;
      }
    }
    // JSON.stringify escapes control characters, so the separators cannot collide with values.
    key += `${marker ?? JSON.stringify(v)}\u0000`;
  }
  return key;
}

/** Evaluates a compiled rule. Never throws. */
export function evaluate(rule: CompiledRule, bindings: Record<string, CelInput>): RuleOutcome {
  let r: CelResult;
  try {
    r = rule.program(bindings);
  } catch (err) {
    return { failure: 'error', detail: err instanceof Error ? err.message : String(err) };
  }
  if (r === true) return true;
  if (r === false) return FALSE;
  if (isCelError(r)) return { failure: 'error', detail: r.message };
  return { failure: 'type', detail: `returned ${typeof r} instead of bool` };
}

const FALSE: RuleOutcome = Object.freeze({ failure: 'false', detail: 'evaluated to false' });

/** The memoised outcome of a rule for a cluster and memo key, if any. */
export function recalled(rule: CompiledRule, cluster: object, key: string): RuleOutcome | undefined {
  return rule.outcomes.get(cluster)?.get(key);
}

export function remember(rule: CompiledRule, cluster: object, key: string, outcome: RuleOutcome): void {
  let perCluster = rule.outcomes.get(cluster);
  if (!perCluster) {
    perCluster = new Map();
    rule.outcomes.set(cluster, perCluster);
  }
  if (perCluster.size >= MAX_MEMO_ENTRIES_PER_CLUSTER) perCluster.clear(); // bounds memory when a rule reads a unique field
  perCluster.set(key, outcome);
}

/**
 * Converts a JSON value into CEL input the way Kubernetes' CEL sees JSON:
 * integral numbers are `int` (so `object.spec.replicas + 1` type-checks),
 * other numbers `double`; `undefined` properties are dropped.
 */
export function toCel(value: unknown): CelInput {
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(toCel);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, CelInput> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toCel(v);
    return out;
  }
  if (typeof value === 'string' || typeof value === 'boolean' || value === null) return value;
  return null;
}

/** CEL binding of a Kubernetes object, with `metadata.labels` and `annotations` always present. */
export function toCelObject(obj: { readonly metadata?: object }): CelInput {
  const v = toCel(obj) as Record<string, CelInput>;
  const meta = (v['metadata'] ?? {}) as Record<string, CelInput>;
  v['metadata'] = { labels: {}, annotations: {}, ...meta };
  return v;
}
