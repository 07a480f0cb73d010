import { LABEL_WORKSPACE } from '../crds/labels.js';
import { selectPolicy } from '../reconcilers/propagation/select-policy.js';
import { affectedIfLabelRemoved, objectsOnClusters, type ClusterQuery, type ObjectPlacementRecord, type PlacedObject, type PlacementPolicy, type ScheduleInput } from '../reconcilers/placement/index.js';
import { workspaceContextFor } from '../reconcilers/placement/workspace-context.js';
import type { Cluster } from '../reconcilers/placement/types.js';
import type { Snapshot } from './snapshot.js';

function namespaceLabels(snapshot: Snapshot, namespace: string | undefined): Readonly<Record<string, string>> | undefined {
  return snapshot.namespaces.find((n) => n.metadata?.name === namespace)?.metadata?.labels;
}

function records(snapshot: Snapshot): ObjectPlacementRecord[] {
  return snapshot.objects.map((po) => {
    const template = po.spec.template as { apiVersion?: string; kind?: string; metadata?: { name?: string } } | undefined;
    const workspace = namespaceLabels(snapshot, po.metadata.namespace)?.[LABEL_WORKSPACE];
    return {
      object: { apiVersion: template?.apiVersion ?? '', kind: template?.kind ?? '', namespace: po.metadata.namespace, name: template?.metadata?.name ?? po.metadata.name! },
      placement: (po.status?.placement ?? []).map((p) => ({ cluster: p.cluster, replicas: p.replicas })),
      ...(workspace ? { workspace } : {}),
    };
  });
}

/** "Which apps run on clusters matching this query?" (e.g. region eu, or label compliance/pci). */
export function whoRunsWhere(snapshot: Snapshot, query: ClusterQuery, workspace?: string): string {
  const rows = objectsOnClusters(records(snapshot), snapshot.clusters as unknown as Cluster[], query).filter((r) => !workspace || r.workspace === workspace);
  if (rows.length === 0) return 'no object runs on a matching cluster\n';
  return rows.map((r) => `${r.workspace ?? '-'}\t${r.object.kind} ${r.object.namespace}/${r.object.name}\t${r.clusters.map((c) => c.cluster + (c.replicas !== undefined ? `(${c.replicas})` : '')).join(', ')}`).join('\n') + '\n';
}

/** "Which tenants are affected if cluster X loses label L?" — the engine is re-run with the label removed. */
export function ifLabelRemoved(snapshot: Snapshot, cluster: string, label: string): string {
  const clusters = snapshot.clusters as unknown as Cluster[];
  const policies = snapshot.policies as unknown as (PlacementPolicy & { metadata: { name: string } })[];
  const inputs: ScheduleInput[] = [];
  for (const po of snapshot.objects) {
    const template = po.spec.template as PlacedObject | undefined;
    if (!template?.kind) continue;
    const object: PlacedObject = { ...template, metadata: { ...template.metadata, name: template.metadata?.name ?? po.metadata.name!, namespace: po.metadata.namespace } };
    const labels = namespaceLabels(snapshot, po.metadata.namespace);
    const pinned = po.spec.placementRef?.name;
    const policy = pinned ? policies.find((p) => p.metadata.name === pinned) : selectPolicy(object, policies, { name: po.metadata.namespace!, labels })?.policy;
    if (!policy) continue;
    const workspace = workspaceContextFor(labels, (n) => snapshot.workspaces.find((w) => w.metadata.name === n));
    inputs.push({ object, policy, clusters, workspace: workspace.context, currentPlacement: po.status?.placement });
  }
  const changes = affectedIfLabelRemoved(inputs, cluster, label).filter((c) => c.losesCluster);
  if (changes.length === 0) return `no object would lose ${cluster} if it lost label ${label}\n`;
  return (
    changes
      .map((c) => {
        const after = c.after.length > 0 ? `moves to ${c.after.map((p) => p.cluster).join(', ')}` : `${c.conditionAfter.reason}: ${c.conditionAfter.message}`;
        const ws = namespaceLabels(snapshot, c.object.namespace)?.[LABEL_WORKSPACE] ?? '-';
        return `${ws}\t${c.object.kind} ${c.object.namespace}/${c.object.name}\t${after}`;
      })
      .join('\n') + '\n'
  );
}
