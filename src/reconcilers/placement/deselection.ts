/**
 * What happens to a generated PropagatedObject whose source no PlacementPolicy
 * selects any more. A label or policy edit is easy to get wrong and quick to
 * revert, so it does not take every member copy down at once: the
 * PropagatedObject is marked (annotation: since when), keeps its copies and
 * its placement for the grace the policy that last selected it set, and is
 * deleted (its finalizer then removes the copies) only when the grace ends.
 * Selected again within the grace, the mark goes and nothing moved.
 *
 * Deleting the source, by contrast, is its owner's intent: the copies go at
 * once, as they do for a PropagatedObject a user deletes.
 *
 * Pure: the generator (which marks and deletes) and the placement reconciler
 * (which says so in `Scheduled`) both decide from the same annotations.
 */
import { DEFAULT_DESELECTION_GRACE_SECONDS, MAX_DESELECTION_GRACE_SECONDS } from '../../crds/placementpolicy.js';
import { ANNOTATION_SOURCE, LABEL_MANAGED_BY, MANAGED_BY_VALUE } from '../../crds/labels.js';

/** On a generated PropagatedObject no policy selects any more: when that was noticed (RFC 3339). */
export const ANNOTATION_DESELECTED_SINCE = 'propagation.canopy.dev/deselected-since';
/**
 * On every generated PropagatedObject: the deselection grace (seconds) of the
 * policy that selected it last, recorded while it was selected, because once
 * deselected no policy is there to ask (it may have been edited or deleted).
 */
export const ANNOTATION_DESELECTION_GRACE = 'propagation.canopy.dev/deselection-grace-seconds';

type Annotations = Readonly<Record<string, string>> | undefined;

/** Replicas' clocks differ a little: a mark this far ahead is still taken as Canopy's own. */
const CLOCK_SKEW_MS = 60_000;

/** The grace a policy sets (the schema defaults it; objects read before the default existed fall back here). */
export function policyGraceSeconds(policy: { readonly spec: object }): number {
  return clampGrace((policy.spec as { deselectionGraceSeconds?: unknown }).deselectionGraceSeconds);
}

/** The grace recorded on a PropagatedObject; a missing or hand-edited value is brought back into the schema's bounds. */
export function recordedGraceSeconds(annotations: Annotations): number {
  const raw = annotations?.[ANNOTATION_DESELECTION_GRACE];
  return clampGrace(raw === undefined || raw.trim() === '' ? undefined : Number(raw));
}

function clampGrace(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) return DEFAULT_DESELECTION_GRACE_SECONDS;
  return Math.min(MAX_DESELECTION_GRACE_SECONDS, Math.max(0, Math.floor(value)));
}

export type DeselectionDecision =
  /** Not marked yet (or the mark is unusable): record `since` and look again when the grace ends. */
  | { readonly action: 'mark'; readonly since: string; readonly until: Date; readonly requeueAfterMs: number }
  /** Marked and within the grace: keep everything, look again when it ends. */
  | { readonly action: 'keep'; readonly until: Date; readonly requeueAfterMs: number }
  /** The grace is over (or zero): delete the PropagatedObject. */
  | { readonly action: 'delete' };

/**
 * The decision for a generated PropagatedObject whose (still existing)
 * source no policy selects. A mark in the future cannot have been written by
 * Canopy: it is replaced, so nobody extends the grace by editing it.
 */
export function decideDeselection(annotations: Annotations, now: number): DeselectionDecision {
  const graceMs = recordedGraceSeconds(annotations) * 1000;
  const since = deselectedSince(annotations);
  if (since === undefined || since > now + CLOCK_SKEW_MS) {
    if (graceMs === 0) return { action: 'delete' };
    return { action: 'mark', since: new Date(now).toISOString(), until: new Date(now + graceMs), requeueAfterMs: graceMs };
  }
  const until = since + graceMs;
  if (now >= until) return { action: 'delete' };
  return { action: 'keep', until: new Date(until), requeueAfterMs: until - now };
}

/** When the mark says the object was deselected (ms since epoch), if it is marked with a valid time. */
export function deselectedSince(annotations: Annotations): number | undefined {
  const raw = annotations?.[ANNOTATION_DESELECTED_SINCE];
  if (!raw) return undefined;
  const t = Date.parse(raw);
  return Number.isFinite(t) ? t : undefined;
}

/**
 * The `Scheduled` message of a marked PropagatedObject, or undefined when it
 * is not marked: which object, which clusters keep their copies, until when.
 */
export function deselectedMessage(
  po: {
    readonly metadata?: { readonly labels?: Annotations; readonly annotations?: Annotations };
    readonly status?: { readonly clusters?: readonly { readonly cluster: string }[] };
  },
  object: { readonly kind: string; readonly metadata?: { readonly name?: string } },
): string | undefined {
  // Only Canopy marks the PropagatedObjects it generated; the same annotation on one a user wrote means nothing.
  if (po.metadata?.labels?.[LABEL_MANAGED_BY] !== MANAGED_BY_VALUE || po.metadata?.annotations?.[ANNOTATION_SOURCE] === undefined) return undefined;
  const annotations = po.metadata?.annotations;
  const since = deselectedSince(annotations);
  if (since === undefined) return undefined;
  const grace = recordedGraceSeconds(annotations);
  const until = new Date(since + grace * 1000).toISOString();
  const clusters = [...new Set((po.status?.clusters ?? []).map((c) => c.cluster))].sort();
  const kept =
    clusters.length > 0
      ? `copies on ${clusters.join(', ')} are kept until ${until} (grace ${grace} s), then removed`
      : `nothing was placed; it is removed at ${until} (grace ${grace} s)`;
  return `no PlacementPolicy selects ${object.kind} ${object.metadata?.name ?? ''} any more; ${kept}. Select it again before then to keep it where it runs`;
}

/**
 * Whether an update added, changed or removed the mark: the placement
 * reconciler, which otherwise wakes only for spec changes, must then say so
 * (or stop saying so) in `Scheduled`.
 */
export function deselectionMarkChanged(event: {
  readonly type: string;
  readonly old?: { readonly metadata?: { readonly annotations?: Annotations } };
  readonly object: { readonly metadata?: { readonly annotations?: Annotations } };
}): boolean {
  return (
    event.type === 'update' &&
    event.old?.metadata?.annotations?.[ANNOTATION_DESELECTED_SINCE] !== event.object.metadata?.annotations?.[ANNOTATION_DESELECTED_SINCE]
  );
}
