/**
 * Deleting a Workspace deletes its home namespace, and the namespace
 * controller then deletes every PropagatedObject in it: without more, every
 * member copy of everything the workspace's owners placed from there would
 * go at once. A PropagatedObject whose deletion comes with its home
 * namespace terminating keeps its copies (and keeps them in sync) for the
 * deselection grace recorded on it, counted from its deletion timestamp;
 * then the syncer removes them as for any deletion.
 *
 * Who deleted the PropagatedObject cannot be told from the object (the
 * namespace controller's DELETE and a user's look the same): a deletion made
 * while its home namespace is terminating is treated as part of that
 * namespace's deletion, whoever made it. A PropagatedObject deleted while
 * its namespace is active is removed at once, as its author meant;
 * logical-cluster namespaces are not held (deleting a LogicalCluster removes
 * what it placed, as its owner meant); `canopy.dev/force-finalize` skips the
 * grace.
 *
 * Pure: the syncer asks before it treats the object as being deleted.
 */
import { LABEL_LOGICAL_CLUSTER, LABEL_WORKSPACE } from '../../crds/labels.js';
import { recordedGraceSeconds } from '../placement/deselection.js';
import { forceRequested, timestampText } from '../../runtime/finalizer-timeout.js';

interface Meta {
  readonly name?: string;
  readonly deletionTimestamp?: unknown;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface WorkspaceDeletionHold {
  /** When the copies go (the grace counted from the PropagatedObject's deletion). */
  readonly until: Date;
  readonly remainingMs: number;
  readonly message: string;
}

/** Whether a PropagatedObject being deleted keeps its copies a while longer because its workspace's home namespace is going. */
export function workspaceDeletionHold(
  po: { readonly metadata?: Meta },
  namespace: { readonly metadata?: Meta } | undefined,
  now: number,
): WorkspaceDeletionHold | undefined {
  const deleted = Date.parse(timestampText(po.metadata?.deletionTimestamp) ?? '');
  if (!Number.isFinite(deleted) || !namespace?.metadata?.deletionTimestamp) return undefined;
  const labels = namespace.metadata.labels ?? {};
  // A home namespace: named after its workspace, and not a logical cluster's.
  if (labels[LABEL_WORKSPACE] !== namespace.metadata.name || labels[LABEL_LOGICAL_CLUSTER] !== undefined) return undefined;
  if (forceRequested(po.metadata?.annotations)) return undefined;
  const graceSeconds = recordedGraceSeconds(po.metadata?.annotations);
  const until = deleted + graceSeconds * 1000;
  if (now >= until) return undefined;
  const at = new Date(until);
  return {
    until: at,
    remainingMs: until - now,
    message: `namespace ${namespace.metadata.name} is being deleted with its workspace; the member copies are kept until ${at.toISOString()} (grace ${graceSeconds} s), then removed. Annotate canopy.dev/force-finalize=true to remove them now`,
  };
}
