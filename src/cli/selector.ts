import type { LabelSelector } from '../crds/common.js';
import { parseSelectorString } from '../kube/label-selector.js';
import { CliError } from './errors.js';

/**
 * `--selector` as kubectl -l reads it (`a=b`, `a==b`, `a!=b`, `a in (x,y)`,
 * `a notin (x)`, `a`, `!a`), with the parser the workspace propagation
 * annotation uses, so both accept exactly the same text.
 */
export function parseClusterSelector(text: string): LabelSelector {
  const parsed = parseSelectorString(text);
  if (!parsed.ok) throw new CliError(`--selector: ${parsed.error}`);
  return { matchExpressions: [...parsed.requirements] };
}

/** `k=v[,k=v]` for labels to set (not a selector: only `=` and plain values). */
export function parseLabelAssignments(text: string, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const match = /^([A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?)=(([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?)$/.exec(part);
    if (!match) throw new CliError(`${flag}: "${part}" is not key=value (a label key, "=", a label value)`);
    out[match[1]!] = match[3]!;
  }
  return out;
}
