/**
 * The answer of one admission rule. Validators are pure functions that
 * return a Verdict; the dispatcher turns it into an AdmissionResponse.
 *
 * A denial always carries the rule that fired and the field it is about, so
 * the tenant reads one sentence of the form
 * `spec.constraints.regions: region "us-1" is not allowed by parent workspace "acme" (allowed: eu-1, eu-2)`.
 */

export interface Denial {
  /** Stable rule identifier, e.g. `workspace/constraints-narrow`; logged and counted, not shown. */
  readonly rule: string;
  /** The offending field as a path, e.g. `spec.constraints.regions`. */
  readonly field: string;
  /** What is wrong and the limit, without the field prefix. */
  readonly reason: string;
}

export type Verdict = { readonly allowed: true; readonly warnings?: readonly string[] } | { readonly allowed: false; readonly denial: Denial };

export const ALLOW: Verdict = { allowed: true };

export function allow(warnings: readonly string[] = []): Verdict {
  return warnings.length > 0 ? { allowed: true, warnings } : ALLOW;
}

export function deny(rule: string, field: string, reason: string): Verdict {
  return { allowed: false, denial: { rule, field, reason } };
}

/** The sentence the user reads: `<field>: <reason>`. */
export function denialMessage(denial: Denial): string {
  return denial.field ? `${denial.field}: ${denial.reason}` : denial.reason;
}

/**
 * Runs checks in order and stops at the first denial, collecting warnings of
 * the checks that allowed. Checks are thunks so later (costlier) checks do not
 * run once an earlier one denied.
 */
export function firstDenial(checks: readonly (() => Verdict)[]): Verdict {
  const warnings: string[] = [];
  for (const check of checks) {
    const verdict = check();
    if (!verdict.allowed) return verdict;
    if (verdict.warnings) warnings.push(...verdict.warnings);
  }
  return allow(warnings);
}

/** `"a", "b"` — quoted list for messages; `(none)` when empty. */
export function quotedList(values: readonly string[]): string {
  return values.length === 0 ? '(none)' : values.map((v) => `"${v}"`).join(', ');
}

/** `a, b` — plain list for messages; `(none)` when empty. */
export function plainList(values: readonly string[]): string {
  return values.length === 0 ? '(none)' : values.join(', ');
}
