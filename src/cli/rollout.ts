/**
 * `kubectl canopy rollout`, the pure part: what `status` says, and the
 * writes `pause`, `resume`, `approve` and `undo` make. Every write is an
 * ordinary patch made with the caller's own credentials, so RBAC decides
 * who may steer whose rollout.
 */
import { ANNOTATION_ROLLOUT_APPROVED_STAGE, ANNOTATION_ROLLOUT_PAUSED, type RolloutHistoryEntry, type RolloutStatus } from '../crds/rollout.js';
import { CliError } from './errors.js';
import type { PO } from './explain.js';

type ClusterEntry = NonNullable<NonNullable<PO['status']>['clusters']>[number] & { appliedRevision?: string; readyRevision?: string };

export function rolloutOf(po: PO): RolloutStatus | undefined {
  return (po.status as { rollout?: RolloutStatus } | undefined)?.rollout;
}

/** The lines `rollout status` and `explain` show; empty when the object has no Rolling or Staged rollout. */
export function rolloutLines(po: PO): string[] {
  const r = rolloutOf(po);
  if (!r) return [];
  const lines = [
    `rollout: ${r.strategy ?? 'All'} ${r.phase ?? 'Unknown'}${r.stage ? ` (stage ${r.stage})` : ''}, generation ${r.generation ?? '?'}, revision ${r.revision ?? '?'}`,
  ];
  if (r.message) lines.push(`  ${r.message}`);
  if (r.waitingFor && r.waitingFor.length > 0) lines.push(`  waiting for: ${r.waitingFor.join(', ')}`);
  for (const c of (po.status?.clusters ?? []) as ClusterEntry[]) {
    const current = c.appliedRevision === r.revision;
    const ready = c.readyRevision === r.revision;
    lines.push(
      `  ${c.cluster}: ${current ? 'new' : 'previous'} revision ${c.appliedRevision ?? '?'}${ready ? ', Ready' : current ? ', not Ready yet' : ''} (generation ${c.syncedGeneration ?? '?'})`,
    );
  }
  const history = r.history ?? [];
  if (history.length > 1)
    lines.push(`  history: ${history.map((h) => `${h.revision}${h.generation !== undefined ? ` (gen ${h.generation})` : ''}`).join(' → ')}`);
  return lines;
}

/** The merge patch that pauses (true) or resumes (false) a rollout. */
export function pausePatch(paused: boolean): Record<string, unknown> {
  return { metadata: { annotations: { [ANNOTATION_ROLLOUT_PAUSED]: paused ? 'true' : null } } };
}

/** The merge patch that approves `stage` for the revision being rolled out, keeping other approvals of that revision. */
export function approvePatch(po: PO, stage: string): Record<string, unknown> {
  const r = rolloutOf(po);
  if (!r?.revision) throw new CliError(`${po.metadata.namespace}/${po.metadata.name} has no Rolling or Staged rollout to approve`);
  const current = (po.metadata.annotations?.[ANNOTATION_ROLLOUT_APPROVED_STAGE] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.endsWith(`@${r.revision}`) && s !== `${stage}@${r.revision}`);
  return { metadata: { annotations: { [ANNOTATION_ROLLOUT_APPROVED_STAGE]: [...current, `${stage}@${r.revision}`].join(',') } } };
}

/** The revision `undo` goes back to: the newest one in the history that is not the current one. */
export function previousRevision(po: PO): RolloutHistoryEntry {
  const r = rolloutOf(po);
  const history = r?.history ?? [];
  const previous = [...history].reverse().find((h) => h.revision !== r?.revision);
  if (!previous)
    throw new CliError(
      `${po.metadata.namespace}/${po.metadata.name} has no previous revision to go back to (history is kept only with a Rolling or Staged rollout, from the first change it saw)`,
    );
  return previous;
}

/** JSON patch of the PropagatedObject that restores `entry` (its own template and overrides). */
export function undoTemplatePatch(po: PO, entry: RolloutHistoryEntry): Array<Record<string, unknown>> {
  const ops: Array<Record<string, unknown>> = [{ op: 'replace', path: '/spec/template', value: entry.template }];
  if (entry.overrides !== undefined) ops.push({ op: po.spec.overrides ? 'replace' : 'add', path: '/spec/overrides', value: entry.overrides });
  else if (po.spec.overrides) ops.push({ op: 'remove', path: '/spec/overrides' });
  return ops;
}

/** JSON patch of a plain (policy-selected) object that restores the spec of `entry`. */
export function undoSourcePatch(entry: RolloutHistoryEntry): Array<Record<string, unknown>> {
  const spec = (entry.template as { spec?: unknown } | undefined)?.spec;
  if (spec === undefined) throw new CliError(`revision ${entry.revision} has no spec to restore`);
  return [{ op: 'replace', path: '/spec', value: spec }];
}
