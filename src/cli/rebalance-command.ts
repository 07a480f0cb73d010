import { ANNOTATION_REBALANCE_REQUESTED_AT } from '../crds/labels.js';
import type { ApiClient } from '../runtime/http.js';
import { Resources } from '../runtime/resources.js';
import { CliError } from './errors.js';
import { findExplainTarget, notPlacedMessage } from './explain-command.js';
import { withSession, type GlobalOptions } from './session.js';
import { loadSnapshot } from './snapshot.js';

/** What `kubectl canopy rebalance` was pointed at. */
export type RebalanceTarget =
  | { readonly kind: 'PlacementPolicy'; readonly name: string }
  | { readonly kind: 'ClusterPropagatedObject'; readonly name: string }
  /** A PropagatedObject, or a plain object a policy placed (resolved as explain resolves it). */
  | { readonly kind: 'object'; readonly target: string };

const POLICY_NAMES: ReadonlySet<string> = new Set(['placementpolicy', 'placementpolicies', 'plp', 'policy']);
const CLUSTER_SCOPED_NAMES: ReadonlySet<string> = new Set(['clusterpropagatedobject', 'clusterpropagatedobjects', 'cpobj']);

export function rebalanceTarget(target: string): RebalanceTarget {
  const slash = target.indexOf('/');
  const typed =
    slash > 0
      ? target
          .slice(0, slash)
          .toLowerCase()
          .replace(/\.canopy\.dev$/, '')
      : undefined;
  const name = slash > 0 ? target.slice(slash + 1) : target;
  if (!name) throw new CliError(`rebalance needs a name: ${target}`);
  if (typed && POLICY_NAMES.has(typed)) return { kind: 'PlacementPolicy', name };
  if (typed && CLUSTER_SCOPED_NAMES.has(typed)) return { kind: 'ClusterPropagatedObject', name };
  return { kind: 'object', target };
}

/** The merge patch that asks for a rebalance at `now`. */
export function rebalancePatch(now: Date): Record<string, unknown> {
  return { metadata: { annotations: { [ANNOTATION_REBALANCE_REQUESTED_AT]: now.toISOString() } } };
}

const EFFECT = 'placement decides again once, ignoring stability and failback holds; any move is make-before-break';

/**
 * Asks placement to decide the target again (annotation
 * `canopy.dev/rebalance-requested-at`), with `client`'s credentials: on a
 * PlacementPolicy, for every object it places.
 */
export async function rebalanceAction(client: ApiClient, namespace: string, target: string, now = new Date(), kind?: string): Promise<string> {
  const parsed = rebalanceTarget(target);
  const patch = rebalancePatch(now);
  if (parsed.kind === 'PlacementPolicy') {
    await client.patch(Resources.PlacementPolicy, parsed.name, undefined, patch, 'merge');
    return `placementpolicy/${parsed.name}: rebalance requested for every object it places; ${EFFECT}\n`;
  }
  if (parsed.kind === 'ClusterPropagatedObject') {
    await client.patch(Resources.ClusterPropagatedObject, parsed.name, undefined, patch, 'merge');
    return `clusterpropagatedobject/${parsed.name}: rebalance requested; ${EFFECT}\n`;
  }
  const snapshot = await loadSnapshot(client, { namespace, parts: ['objects'] });
  const po = findExplainTarget(snapshot, namespace, parsed.target, kind);
  if (!po) throw new CliError(notPlacedMessage(namespace, parsed.target));
  await client.patch(Resources.PropagatedObject, po.metadata.name ?? '', namespace, patch, 'merge');
  return `${namespace}/${po.metadata.name}: rebalance requested; ${EFFECT}\n`;
}

/** `kubectl canopy rebalance <object|policy>`. */
export async function runRebalance(options: GlobalOptions, target: string, flags: { readonly kind?: string }): Promise<string> {
  return withSession(options, (session) => rebalanceAction(session.client, session.namespace, target, new Date(), flags.kind));
}
