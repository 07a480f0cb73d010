import type { KubeObject } from '../controllers/index.js';
import type { PropagatedObject } from '../crds/propagatedobject.js';
import type { Snapshot } from './snapshot.js';

type PO = PropagatedObject & KubeObject;

/** The PropagatedObject for `name` in `namespace`: itself, or the one generated for a plain object of that name. */
export function findPropagatedObject(snapshot: Snapshot, namespace: string, name: string, kind?: string): PO | undefined {
  const inNamespace = snapshot.objects.filter((o) => o.metadata.namespace === namespace);
  const own = inNamespace.find((o) => o.metadata.name === name && !kind);
  if (own) return own;
  return inNamespace.find((o) => {
    const template = o.spec.template as { kind?: string; metadata?: { name?: string } } | undefined;
    return template?.metadata?.name === name && (!kind || template.kind?.toLowerCase() === kind.toLowerCase());
  });
}

/** `kubectl-canopy explain`: where an object runs and why, where it does not and why. */
export function renderExplain(po: PO): string {
  const template = po.spec.template as { apiVersion?: string; kind?: string; metadata?: { name?: string } } | undefined;
  const lines = [`${template?.kind ?? 'object'} ${po.metadata.namespace}/${template?.metadata?.name ?? po.metadata.name} (PropagatedObject ${po.metadata.name})`];
  lines.push(`policy: ${po.status?.policy ?? '(none)'}`);
  for (const type of ['Scheduled', 'Synced', 'Ready']) {
    const c = po.status?.conditions?.find((x) => x.type === type);
    if (c) lines.push(`${type}: ${c.status} (${c.reason}) ${c.message}`);
  }
  const sync = new Map((po.status?.clusters ?? []).map((c) => [c.cluster, c]));
  lines.push('', 'runs on:');
  if ((po.status?.placement ?? []).length === 0) lines.push('  (nowhere)');
  for (const p of po.status?.placement ?? []) {
    const s = sync.get(p.cluster);
    const replicas = p.replicas !== undefined ? ` ${p.replicas} replica(s)` : '';
    const state = s ? ` — ${s.state ?? 'Pending'}${s.message ? `: ${s.message}` : ''}` : '';
    lines.push(`  ${p.cluster}${replicas}: ${p.reason ?? ''}${state}`);
  }
  lines.push('', 'not on:');
  if ((po.status?.excluded ?? []).length === 0) lines.push('  (no cluster excluded)');
  for (const e of po.status?.excluded ?? []) lines.push(`  ${e.cluster}: ${e.plugin ? `[${e.plugin}] ` : ''}${e.reason}`);
  return lines.join('\n') + '\n';
}
