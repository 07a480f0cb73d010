import type { KubeObject } from '../runtime/index.js';
import type { PropagatedObject } from '../crds/propagatedobject.js';
import type { Snapshot } from './snapshot.js';
import { rolloutLines, rolloutOf } from './rollout.js';

export type PO = PropagatedObject & KubeObject;

/** The PropagatedObject for `name` in `namespace`: itself, or the one generated for a plain object of that name. */
export function findPropagatedObject(snapshot: Pick<Snapshot, 'objects'>, namespace: string, name: string, kind?: string): PO | undefined {
  const inNamespace = snapshot.objects.filter((o) => o.metadata.namespace === namespace);
  const own = inNamespace.find((o) => o.metadata.name === name && !kind);
  if (own) return own;
  return inNamespace.find((o) => {
    const template = o.spec.template as { kind?: string; metadata?: { name?: string } } | undefined;
    return template?.metadata?.name === name && (!kind || template.kind?.toLowerCase() === kind.toLowerCase());
  });
}

type Context = Partial<Pick<Snapshot, 'clusters' | 'policies'>>;

/** "NotReady (Unreachable)" for a chosen cluster that is not Ready now, when the Clusters could be read. */
function clusterHealth(context: Context, name: string): string {
  const cluster = context.clusters?.find((c) => c.metadata.name === name);
  const ready = cluster?.status?.conditions?.find((c) => c.type === 'Ready');
  return ready && ready.status !== 'True' ? ` [cluster NotReady: ${ready.reason}]` : '';
}

/** `kubectl-canopy explain`: where an object runs and why, where it does not and why. */
export function renderExplain(po: PO, context: Context = {}): string {
  const template = po.spec.template as { apiVersion?: string; kind?: string; metadata?: { name?: string } } | undefined;
  const lines = [
    `${template?.kind ?? 'object'} ${po.metadata.namespace}/${template?.metadata?.name ?? po.metadata.name} (PropagatedObject ${po.metadata.name})`,
  ];
  const policy = context.policies?.find((p) => p.metadata.name === po.status?.policy);
  lines.push(`policy: ${po.status?.policy ?? '(none)'}${policy ? ` (priority ${policy.spec.priority ?? 0})` : ''}`);
  for (const type of ['Scheduled', 'Synced', 'Ready']) {
    const c = po.status?.conditions?.find((x) => x.type === type);
    if (c) lines.push(`${type}: ${c.status} (${c.reason}) ${c.message}`);
  }
  // Where a Rolling or Staged rollout stands and what it waits for (nothing for strategy All).
  const rollout = rolloutLines(po);
  if (rollout.length > 0) lines.push(...rollout);
  const sync = new Map((po.status?.clusters ?? []).map((c) => [c.cluster, c]));
  lines.push('', 'runs on:');
  if ((po.status?.placement ?? []).length === 0) lines.push('  (nowhere)');
  for (const p of po.status?.placement ?? []) {
    const s = sync.get(p.cluster);
    const replicas = p.replicas !== undefined ? ` ${p.replicas} replica(s)` : '';
    const state = s ? ` — ${s.state ?? 'Pending'}${s.message ? `: ${s.message}` : ''}` : '';
    lines.push(`  ${p.cluster}${replicas}: ${p.reason ?? ''}${state}${clusterHealth(context, p.cluster)}`);
  }
  lines.push('', 'not on:');
  if ((po.status?.excluded ?? []).length === 0) lines.push('  (no cluster excluded)');
  for (const e of po.status?.excluded ?? []) lines.push(`  ${e.cluster}: ${e.plugin ? `[${e.plugin}] ` : ''}${e.reason}`);
  return `${lines.join('\n')}\n`;
}

/** The same answer as data, for `-o json|yaml`. */
export function explainData(po: PO, context: Context = {}): Record<string, unknown> {
  const template = po.spec.template as { apiVersion?: string; kind?: string; metadata?: { name?: string } } | undefined;
  return {
    object: { apiVersion: template?.apiVersion, kind: template?.kind, namespace: po.metadata.namespace, name: template?.metadata?.name ?? po.metadata.name },
    propagatedObject: po.metadata.name,
    policy: po.status?.policy ?? null,
    conditions: (po.status?.conditions ?? []).map((c) => ({ type: c.type, status: c.status, reason: c.reason, message: c.message })),
    placement: po.status?.placement ?? [],
    excluded: po.status?.excluded ?? [],
    clusters: (po.status?.clusters ?? []).map((c) => ({ ...c, ...(clusterHealth(context, c.cluster) ? { clusterReady: false } : {}) })),
    ...(rolloutOf(po) ? { rollout: rolloutOf(po) } : {}),
  };
}
