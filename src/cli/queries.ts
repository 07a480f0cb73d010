import { LABEL_WORKSPACE } from '../crds/labels.js';
import { selectPolicy } from '../reconcilers/placement/select-policy.js';
import { objectsOnClusters, type ClusterQuery, type ObjectOnClusters, type ObjectPlacementRecord } from '../reconcilers/placement/visibility.js';
import type { Cluster, PlacedObject, PlacementPolicy, ScheduleInput } from '../reconcilers/placement/types.js';
import { workspaceContextFor } from '../reconcilers/placement/workspace-context.js';
import type { Snapshot } from './snapshot.js';

function namespaceLabels(snapshot: Snapshot, namespace: string | undefined): Readonly<Record<string, string>> | undefined {
  return snapshot.namespaces.find((n) => n.metadata?.name === namespace)?.metadata?.labels;
}

/** The workspace a namespace belongs to (its canopy.dev/workspace label). */
export function workspaceOf(snapshot: Snapshot, namespace: string | undefined): string | undefined {
  return namespaceLabels(snapshot, namespace)?.[LABEL_WORKSPACE];
}

function records(snapshot: Snapshot): ObjectPlacementRecord[] {
  return snapshot.objects.map((po) => {
    const template = po.spec.template as { apiVersion?: string; kind?: string; metadata?: { name?: string } } | undefined;
    const workspace = workspaceOf(snapshot, po.metadata.namespace);
    return {
      object: {
        apiVersion: template?.apiVersion ?? '',
        kind: template?.kind ?? '',
        namespace: po.metadata.namespace,
        name: template?.metadata?.name ?? po.metadata.name!,
      },
      placement: (po.status?.placement ?? []).map((p) => ({ cluster: p.cluster, replicas: p.replicas })),
      ...(workspace ? { workspace } : {}),
    };
  });
}

/** "Which apps run on clusters matching this query?" (e.g. region eu, or label compliance/pci). */
export function whoRunsWhere(snapshot: Snapshot, query: ClusterQuery, workspace?: string): ObjectOnClusters[] {
  return objectsOnClusters(records(snapshot), snapshot.clusters as unknown as Cluster[], query).filter((r) => !workspace || r.workspace === workspace);
}

export interface ScheduleInputs {
  readonly inputs: ScheduleInput[];
  /** Objects the CLI cannot re-decide: their policy asks an external policy engine or external plugins. */
  readonly externallyDecided: string[];
}

/**
 * What the operator's placement reconciler feeds the engine for each
 * PropagatedObject: its template, the policy that selects it (or the pinned
 * one), every cluster, and its workspace's effective constraints.
 */
export function scheduleInputs(snapshot: Snapshot): ScheduleInputs {
  const clusters = snapshot.clusters as unknown as Cluster[];
  const policies = snapshot.policies as unknown as (PlacementPolicy & { metadata: { name: string } })[];
  const inputs: ScheduleInput[] = [];
  const externallyDecided: string[] = [];
  for (const po of snapshot.objects) {
    const template = po.spec.template as PlacedObject | undefined;
    if (!template?.kind) continue;
    const object: PlacedObject = {
      ...template,
      metadata: { ...template.metadata, name: template.metadata?.name ?? po.metadata.name!, namespace: po.metadata.namespace },
    };
    const labels = namespaceLabels(snapshot, po.metadata.namespace);
    const pinned = po.spec.placementRef?.name;
    const policy = pinned ? policies.find((p) => p.metadata.name === pinned) : selectPolicy(object, policies, { name: po.metadata.namespace!, labels })?.policy;
    if (!policy) continue;
    if (policy.spec.policyEngine || (policy.spec.plugins ?? []).length > 0) {
      externallyDecided.push(`${object.kind} ${po.metadata.namespace}/${object.metadata.name}`);
      continue;
    }
    const workspace = workspaceContextFor(labels, (n) => snapshot.workspaces.find((w) => w.metadata.name === n));
    inputs.push({ object, policy, clusters, ...(workspace.context ? { workspace: workspace.context } : {}), currentPlacement: po.status?.placement });
  }
  return { inputs, externallyDecided };
}
