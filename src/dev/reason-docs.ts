/**
 * What each condition and Event reason means and what to do about it: the
 * hand-written half of docs/troubleshooting.md (src/dev/reasons.ts finds the
 * reasons in the code; test/unit/docs.test.ts fails when one found
 * there is missing here, or one here is no longer set anywhere).
 */

export interface ReasonDoc {
  /** Where it shows: kind and condition type, or "Event on …". */
  readonly where: string;
  readonly meaning: string;
  /** What to do; omitted when the reason reports health and asks for nothing. */
  readonly action?: string;
}

export const REASON_DOCS: Readonly<Record<string, ReasonDoc>> = {
  // ------------------------------------------------------------------ workspaces
  Ready: {
    where: 'Workspace, LogicalCluster, Cluster, PropagatedObject `Ready` = True; Event on a Cluster',
    meaning:
      'The object is fully reconciled: the workspace home namespace exists and the tree is whole; the logical cluster is served; the member cluster answered its health probe; every copy reports ready.',
  },
  InCycle: {
    where: 'Workspace `CycleDetected` = True',
    meaning: 'This workspace is part of a parent cycle (a is the parent of b, b of a). Propagation into the cycle stops; copies already there stay.',
    action: 'Set `spec.parent` of one workspace of the cycle to a workspace outside it, or clear it.',
  },
  AncestorInCycle: {
    where: 'Workspace `CycleDetected` = True',
    meaning: 'An ancestor of this workspace is in a parent cycle, so this workspace has no root and receives nothing new.',
    action: 'Break the cycle named in the message.',
  },
  NoCycle: { where: 'Workspace `CycleDetected` = False', meaning: 'The workspace and its ancestors form no cycle.' },
  CycleDetected: {
    where: 'Workspace `Ready` = False',
    meaning: 'The workspace or an ancestor is in a parent cycle (see the `CycleDetected` condition).',
    action: 'Break the cycle; `kubectl get ws` shows every workspace of it as not ready.',
  },
  ParentMissing: {
    where: 'Workspace `ParentMissing` = True and `Ready` = False',
    meaning: 'The workspace named in `spec.parent` does not exist. Propagation into this workspace is halted.',
    action: 'Create the parent, or point `spec.parent` at an existing workspace, or clear it.',
  },
  AncestorParentMissing: {
    where: 'Workspace `ParentMissing` = True',
    meaning: 'An ancestor names a parent that does not exist, so this workspace is cut off from the root.',
    action: "Fix the ancestor's `spec.parent` (the message names it).",
  },
  ParentExists: { where: 'Workspace `ParentMissing` = False', meaning: 'Every ancestor up to the root exists.' },
  ObjectInTheWay: {
    where: 'Workspace `PropagationConflict` = True',
    meaning: 'An object not made by Canopy (no `canopy.dev/managed-by: canopy`) stands where a propagated copy would go. Canopy never overwrites it.',
    action: 'Rename or delete that object (the message lists them) to receive the copy.',
  },
  NoConflicts: { where: 'Workspace `PropagationConflict` = False', meaning: 'Nothing stands in the way of propagated copies.' },
  Propagating: { where: 'Workspace `Propagating` = True', meaning: 'Every type the workspace propagates can be copied into its subtree.' },
  Halted: {
    where: 'Workspace `Propagating` = False',
    meaning: 'The workspace is not part of a well-formed tree (cycle or missing parent): nothing new is propagated into it.',
    action: 'Fix the tree; see `CycleDetected` and `ParentMissing`.',
  },
  NotAcceptable: {
    where: 'Gateway answer (HTTP 406 Status) to `/openapi/v3/...`',
    meaning: 'The client accepts only protobuf for an OpenAPI v3 document; the gateway narrows those documents as JSON and serves them as JSON only.',
    action: 'Ask for `application/json` (kubectl, helm and client-go do).',
  },
  Forbidden: {
    where: 'Workspace `Propagating`/`Ready` = False; Cluster `Ready` = False',
    meaning:
      'On a workspace: the operator has no rights on a type listed in `spec.propagate`. On a cluster: the member apiserver refused `/readyz` to the identity in the kubeconfig Secret (HTTP 403).',
    action:
      'Workspace: grant the type with a ClusterRole labelled `canopy.dev/aggregate-to-operator: "true"`. Cluster: grant that identity `get` on the non-resource URLs `/readyz` and `/version`.',
  },
  UnknownType: {
    where: 'Workspace `Propagating`/`Ready` = False',
    meaning: 'A type in `spec.propagate` is not served by the host apiserver (misspelt kind, or its CRD is not installed).',
    action: 'Fix the apiVersion/kind, or install the CRD.',
  },
  ClusterScopedType: {
    where: 'Workspace `Propagating`/`Ready` = False',
    meaning: 'A type in `spec.propagate` is cluster-scoped; only namespaced objects can be copied down a tree.',
    action: 'Remove it from `spec.propagate`.',
  },
  InvalidSelector: {
    where: 'Workspace `Propagating`/`Ready` = False',
    meaning: 'A propagated source object carries a malformed selector annotation, so it is not propagated.',
    action: 'Fix the annotation named in the message.',
  },
  NamespaceTaken: {
    where: 'Workspace `Ready` = False',
    meaning: 'A namespace with the workspace name exists and was not made for this workspace (no `canopy.dev/workspace` label).',
    action: 'Delete or label that namespace, or rename the workspace.',
  },
  HomeNamespaceTerminating: {
    where: 'Workspace `Ready` = False',
    meaning: 'The home namespace is being deleted; it is created again once it is gone.',
    action: 'Wait; if it stays, look for finalizers on objects in that namespace.',
  },
  HomeNamespaceCreated: { where: 'Event on a Workspace', meaning: 'The home namespace was created.' },
  HomeNamespaceDeleted: { where: 'Event on a Workspace', meaning: 'The workspace was deleted and its home namespace with it.' },
  WithinQuota: { where: 'Workspace `QuotaWithinLimits` = True', meaning: "The subtree's ResourceQuota usage is within the workspace's effective quota." },
  QuotaExceeded: {
    where: 'Workspace `QuotaWithinLimits` = False; LogicalCluster `Ready` = False (phase Failed)',
    meaning:
      "On a workspace: the subtree uses more than the workspace's quota (usually the quota was lowered afterwards). On a logical cluster: its `constraints.quota.hard` does not fit in what the workspace has left.",
    action: "Lower the logical clusters' quotas, delete some, or raise `spec.quota` of the workspace.",
  },

  // ------------------------------------------------------------ logical clusters
  Binding: {
    where: 'LogicalCluster `Ready` (phase Initializing)',
    meaning: 'A member cluster was chosen (cluster mode) and the namespaces are being created there.',
  },
  Bound: {
    where: 'LogicalCluster `Bound` = True; Event on a LogicalCluster',
    meaning: 'The logical cluster is bound to the member cluster named in the message.',
  },
  WaitingForInitializers: {
    where: 'LogicalCluster `Initialized` = False and `Ready` = False (phase Initializing); Event on a LogicalCluster',
    meaning:
      "Initializers named in `status.initializers` (from the workspaces' `spec.initializers`) have not all removed their names yet. The namespaces exist; the kubeconfig is issued after the last one. The message names each pending initializer and how long it has waited.",
    action:
      'Check that each named initializer is running and bound to the `canopy-initializer` ClusterRole (its logs say why it has not finished). An administrator can remove a stuck name from `status.initializers` by hand (docs/extending.md).',
  },
  InitializersDone: {
    where: 'LogicalCluster `Initialized` = True',
    meaning: 'Every initializer the logical cluster was created with has removed its name; the kubeconfig has been issued.',
  },
  BoundClusterMissing: {
    where: 'LogicalCluster `Ready` = False (phase Failed)',
    meaning: 'The member cluster this logical cluster is bound to is no longer registered. Bindings never move by themselves.',
    action: 'Register the Cluster again under the same name, or delete and recreate the logical cluster.',
  },
  NoSuitableCluster: {
    where: 'LogicalCluster `Ready` = False (phase Failed)',
    meaning:
      'No registered cluster can take this logical cluster: each was rejected (not ready, taint not tolerated, constraints, already bound). The message gives the reason per cluster.',
    action: 'Register or fix a cluster, or relax the constraints or tolerations.',
  },
  AsRequested: { where: 'LogicalCluster `CapabilitiesNarrowed` = False', meaning: 'Every requested capability is granted.' },
  ExceedsWorkspaceAllowance: {
    where: 'LogicalCluster `CapabilitiesNarrowed` = True',
    meaning: 'Some requested capabilities go beyond what the workspace allows; they were dropped (the message lists them).',
    action: 'Ask a workspace owner to widen the allowance, or request less.',
  },
  InvalidSpec: {
    where: 'LogicalCluster `Ready` = False (phase Failed); PropagatedObject `Synced` = False',
    meaning:
      'The spec cannot be acted on: a logical cluster name or `spec.namespaces` entry is not a DNS label, or a PropagatedObject has neither `spec.template` nor `spec.sourceRef`.',
    action: 'Fix the spec as the message says.',
  },
  InvalidCapabilities: {
    where: 'LogicalCluster `Ready` = False (phase Failed)',
    meaning: '`spec.capabilities.preset` names a preset Canopy does not know.',
    action: 'Use `viewer`, `developer` or `admin`.',
  },
  WorkspaceNotFound: {
    where: 'LogicalCluster `Ready` = False (phase Pending)',
    meaning: 'The workspace in `spec.workspace` does not exist.',
    action: 'Create it. `spec.workspace` is immutable, so to move the logical cluster recreate it.',
  },
  WorkspaceNotReady: {
    where: 'LogicalCluster `Ready` = False (phase Pending)',
    meaning: 'The workspace is not part of a well-formed tree (cycle or missing parent).',
    action: 'Fix the workspace tree; see the workspace conditions.',
  },
  ConstraintsTooWide: {
    where: 'LogicalCluster `Ready` = False (phase Failed)',
    meaning: "The logical cluster's constraints allow more than its workspace's effective constraints.",
    action: 'Narrow them to what the workspace allows (the message says which).',
  },
  ConstraintsUnsatisfiable: {
    where: 'LogicalCluster `Ready` = False (phase Failed)',
    meaning: 'The constraints, combined with those inherited from the workspace tree, contradict each other: no cluster could ever satisfy them.',
    action: 'Remove the contradiction named in the message.',
  },
  MaxLogicalClustersExceeded: {
    where: 'LogicalCluster `Ready` = False (phase Failed)',
    meaning: 'The workspace (or an ancestor) already has as many logical clusters as its `maxLogicalClusters`.',
    action: 'Delete one, or raise the limit on the workspace.',
  },
  CostBudgetExceeded: {
    where: 'LogicalCluster `Ready` = False (phase Failed)',
    meaning: "The logical cluster's worst-case monthly cost would take the workspace over its cost budget.",
    action: 'Lower its quota, choose cheaper clusters, or raise the budget.',
  },
  CostUnbounded: {
    where: 'LogicalCluster `Ready` = False (phase Failed)',
    meaning: 'The workspace has a cost budget, but the cost of this logical cluster has no upper bound (no quota, or a candidate cluster without a price).',
    action: 'Set `constraints.quota.hard` for the priced resources, or price the clusters.',
  },
  NamespaceConflict: {
    where: 'LogicalCluster `Ready` (phase Initializing); PropagatedObject `Synced` = False; Event',
    meaning:
      'A namespace Canopy needs on a member cluster exists and belongs to someone else (not labelled for this logical cluster or workspace). Canopy never takes it over.',
    action: 'Delete or rename that namespace on the member cluster.',
  },
  NamespaceTerminating: {
    where: 'LogicalCluster `Ready` (phase Initializing)',
    meaning: 'A namespace of the logical cluster is still being deleted from an earlier life; it is created again once it is gone.',
    action: 'Wait; if it stays, look for finalizers in that namespace.',
  },
  ClusterUnreachable: {
    where: 'LogicalCluster `Ready`/`CleanupBlocked`; PropagatedObject `Synced` = False',
    meaning:
      'A member cluster did not answer. Work there is retried; propagated copies elsewhere are applied, and placement moves them after the failover toleration.',
    action: "Check the Cluster's `Ready` condition and the network path to its apiserver.",
  },
  ApplyFailed: {
    where: 'LogicalCluster `Ready` (phase Initializing); PropagatedObject `Synced` = False',
    meaning: 'The member apiserver refused a write (validation, quota, admission). The message carries its answer; it is retried.',
    action: 'Fix the object or the member cluster as the message says.',
  },
  CleanupBlocked: {
    where: 'LogicalCluster `CleanupBlocked` = True (phase Terminating); Event on a LogicalCluster',
    meaning: 'Deletion waits for a member cluster that does not answer; the finalizer is released after the timeout named in the message.',
    action: 'Bring the cluster back, or wait for the timeout and clean the namespaces up there by hand.',
  },
  DeletingNamespaces: {
    where: 'LogicalCluster `Ready` (phase Terminating)',
    meaning: "The logical cluster's namespaces are being deleted; the finalizer goes when they are gone.",
  },

  // ------------------------------------------------------------------- clusters
  Unreachable: {
    where: 'Cluster `Ready` = False; Warning Event on a Cluster',
    meaning:
      'The member apiserver could not be reached. After `spec.failoverAfterSeconds` the cluster is tainted `canopy.dev/unreachable:NoExecute` and workloads move elsewhere.',
    action: 'Check the server URL in the kubeconfig Secret and the network path.',
  },
  Recovered: { where: 'Event on a Cluster', meaning: 'The cluster answers again; the unreachable taint was removed.' },
  ProbeTimeout: {
    where: 'Cluster `Ready` = False',
    meaning: 'The member apiserver did not answer `/readyz` in time.',
    action: "Check the network path and the apiserver's load.",
  },
  CertificateInvalid: {
    where: 'Cluster `Ready` = False',
    meaning: "TLS failed: the kubeconfig's certificate-authority-data does not match the member's serving certificate.",
    action: 'Put the right CA into the kubeconfig Secret.',
  },
  Unauthorized: {
    where: 'Cluster `Ready` = False',
    meaning: 'The member apiserver rejected the credentials in the kubeconfig Secret (HTTP 401).',
    action: 'Renew the token or client certificate in the Secret.',
  },
  NotReady: {
    where: 'Cluster `Ready` = False; PropagatedObject `Ready` = False',
    meaning: 'On a cluster: `/readyz` answered but not ready. On a PropagatedObject: some copies do not report ready yet (the message names the clusters).',
    action: "Look at the member cluster's health, or at the workload there.",
  },
  SecretRefMissing: {
    where: 'Cluster `Ready` = False; LogicalCluster `Ready` (phase Initializing) when bound to that cluster',
    meaning: '`spec.kubeconfigSecretRef` lacks a name or a namespace.',
    action: 'Set both.',
  },
  SecretNotFound: {
    where: 'Cluster `Ready` = False; LogicalCluster `Ready` (phase Initializing) when bound to that cluster',
    meaning: 'The kubeconfig Secret named in `spec.kubeconfigSecretRef` does not exist.',
    action: 'Create it (`kubectl canopy join` does both).',
  },
  KeyNotFound: {
    where: 'Cluster `Ready` = False; LogicalCluster `Ready` (phase Initializing) when bound to that cluster',
    meaning: 'The kubeconfig Secret has no data under the key named in `spec.kubeconfigSecretRef.key` (default `kubeconfig`).',
    action: 'Store the kubeconfig under that key.',
  },
  InvalidKubeconfig: {
    where: 'Cluster `Ready` = False; LogicalCluster `Ready` (phase Initializing) when bound to that cluster',
    meaning: 'The Secret holds something that is not a usable kubeconfig (syntax, no current context, no server).',
    action: 'Replace it with a working kubeconfig for the member.',
  },
  KubeconfigRefused: {
    where: 'Cluster `Ready` = False; LogicalCluster `Ready` (phase Initializing) when bound to that cluster',
    meaning:
      'The kubeconfig runs an exec or auth-provider plugin or reads local files, which the operator refuses by default (it would run code or read files in its pod).',
    action: 'Use a token or client certificate embedded in the kubeconfig, or start the operator with `--allow-member-kubeconfig-plugins=true`.',
  },
  ClusterNotFound: {
    where: 'Cluster `Ready` = False; LogicalCluster `Ready` (phase Initializing)',
    meaning: 'The Cluster object was deleted while the operator was using it, or a logical cluster is bound to a Cluster that no longer exists.',
    action: 'Register the Cluster again under the same name, or recreate the logical cluster.',
  },
  AssumedForPlanning: {
    where: 'Internal: never written to a status',
    meaning:
      'A cluster registered moments ago and not probed yet is treated as ready while placement plans a first decision (it then waits; see `AwaitingClusterHealth`).',
  },

  // ------------------------------------------------------------------ placement
  Scheduled: {
    where: 'PropagatedObject `Scheduled` = True; Event on a PropagatedObject',
    meaning: 'Placement chose clusters; `status.placement` lists them. Also the Event when a later decision adds clusters and drops none.',
  },
  Moved: {
    where: 'Event on a PropagatedObject',
    meaning:
      'A new placement decision dropped a cluster the object ran on (a failover, a taint, a label or policy edit); the message names the clusters before and after, and why each dropped one no longer qualifies.',
    action: 'Nothing, if the move was expected; otherwise `kubectl canopy explain` the object and look at the dropped cluster.',
  },
  Unschedulable: {
    where: 'PropagatedObject `Scheduled` = False',
    meaning: 'The filters left no cluster (selectors, taints, capacity, constraints), or the workspace constraints cannot be met by any cluster.',
    action: '`kubectl canopy explain` shows why each cluster was rejected.',
  },
  Invalid: {
    where: 'PropagatedObject `Scheduled` = False',
    meaning: 'The object asks for a cluster that the policy or the workspace forbids (e.g. a pinned cluster outside the allowed set).',
    action: 'Remove the pin or change the policy.',
  },
  PolicyEngineFailed: {
    where: 'PropagatedObject `Scheduled` = False',
    meaning: 'The external policy engine of the PlacementPolicy failed and its `failurePolicy` is `Fail`, so the object stays unscheduled.',
    action: 'Fix the engine (the message names its URL), or set `failurePolicy: Ignore`.',
  },
  PluginFailed: {
    where: 'PropagatedObject `Scheduled` = False',
    meaning:
      'An external placement plugin of the PlacementPolicy (`spec.plugins[]`) gave no usable answer (unreachable, refused address, timeout, non-2xx, malformed or oversized answer) and its `failurePolicy` is `Fail`, so nothing is placed.',
    action:
      'The message names the plugin, its URL and why; fix the plugin, or set its `failurePolicy: Ignore`. A failed answer is asked again after at most 5 seconds.',
  },
  AwaitingClusterHealth: {
    where: 'PropagatedObject `Scheduled` = False; Event on a PropagatedObject',
    meaning: 'A first decision would choose a cluster registered moments ago; placement waits for its first health probe.',
  },
  Deselected: {
    where: 'PropagatedObject `Scheduled` = False; Event on the source object',
    meaning: "No PlacementPolicy selects the object any more. Its copies are kept for the policy's deselection grace, then removed.",
    action: 'Select it again within the grace to keep everything as it is.',
  },
  NoTemplate: { where: 'PropagatedObject `Scheduled` = False', meaning: '`spec.template` is empty: nothing to place yet.' },
  NoPolicy: {
    where: 'PropagatedObject `Scheduled` = False',
    meaning: 'No PlacementPolicy selects the object.',
    action: 'Add a `resourceSelector` for it to a policy, or set `spec.placementRef`.',
  },
  PolicyNotFound: {
    where: 'PropagatedObject `Scheduled` = False',
    meaning: '`spec.placementRef` names a PlacementPolicy that does not exist (or is being deleted).',
    action: 'Create the policy or fix the name.',
  },
  WorkspaceUnavailable: {
    where: 'PropagatedObject `Scheduled` = False',
    meaning: 'The workspace of the namespace, or one of its ancestors, is missing or in a cycle; placement waits until the tree is whole.',
    action: 'Fix the workspace tree.',
  },

  // ---------------------------------------------------------------- propagation
  Synced: { where: 'PropagatedObject `Synced` = True', meaning: 'The object is applied on every cluster placement chose.' },
  Propagated: { where: 'Event on a PropagatedObject', meaning: 'A copy was created on the member clusters the message names.' },
  CopyRemoved: {
    where: 'Event on a PropagatedObject',
    meaning: 'The copy was removed from the member clusters the message names, since placement no longer chooses them.',
  },
  AdmissionDenied: {
    where: 'Event on the object a request was about (Workspace, LogicalCluster, PlacementPolicy, PropagatedObject, a workload, a namespace)',
    meaning: 'The admission webhook refused a create, update or delete; the message names the user, the field and the rule. Dry runs leave no Event.',
    action: 'Fix the field the message names, or ask the workspace owner to widen the constraint it breaks.',
  },
  NotScheduled: {
    where: 'PropagatedObject `Synced` = False',
    meaning: 'Placement has not chosen any cluster; nothing is applied. The message carries the `Scheduled` reason.',
    action: 'See the `Scheduled` condition.',
  },
  NoEligibleCluster: {
    where: 'PropagatedObject `Synced` = False',
    meaning: 'Placement found no eligible cluster, but copies already run: Canopy deletes nothing while no alternative exists.',
    action: 'See the `Scheduled` condition; make a cluster eligible again.',
  },
  Conflict: {
    where: 'PropagatedObject `Synced` = False',
    meaning: 'On a member cluster an object of the same name exists without `canopy.dev/managed-by=canopy`; Canopy leaves it untouched.',
    action: 'Remove it, or label it `canopy.dev/managed-by=canopy` to hand it over.',
  },
  ConstraintViolation: {
    where: 'PropagatedObject `Synced` = False',
    meaning: "The object breaks its logical cluster's or workspace's constraints; nothing is applied until it complies (copies already running stay).",
    action: 'Change the object as the message says.',
  },
  SourceNotFound: {
    where: 'PropagatedObject `Synced` = False',
    meaning: 'The object named in `spec.sourceRef` does not exist, or the host does not serve its kind. Member clusters are left as they are.',
    action: 'Create the source, or fix the reference.',
  },
  AwaitingKind: {
    where: 'PropagatedObject or ClusterPropagatedObject `Synced` = False',
    meaning:
      'A member does not serve the kind yet, usually a custom resource whose CustomResourceDefinition (placed by a ClusterPropagatedObject) is not Established there yet; applied as soon as it is, without error backoff.',
    action: 'Place the CRD on those clusters with a ClusterPropagatedObject, or wait for it to become Established.',
  },
  AwaitingDependents: {
    where: 'ClusterPropagatedObject `status.clusters[].message` (removal waits)',
    meaning:
      'A CustomResourceDefinition is kept on a member while custom resources of it that Canopy placed are still there, so removal runs in the reverse order of arrival.',
    action: 'Delete the PropagatedObjects of those custom resources (or move them off the cluster); the CRD then goes.',
  },
  AwaitingReplacement: {
    where: 'PropagatedObject `Synced` = False',
    meaning: 'The object is moving: old copies stay until the replacement on the new cluster reports ready.',
  },
  PendingRemoval: {
    where: 'PropagatedObject `Synced` = False',
    meaning: 'Applied where placement chose, but a copy on a cluster no longer chosen could not be removed yet (usually unreachable); retried.',
    action: 'Bring the cluster back, or unregister it.',
  },
  Deleting: {
    where: 'PropagatedObject `Synced` = False',
    meaning: 'The PropagatedObject is being deleted and its copies are being removed from member clusters.',
    action:
      'If a cluster never answers, the finalizer is released after `--finalizer-timeout` (or at once with the annotation `canopy.dev/force-finalize=true`).',
  },
  DeletionGrace: {
    where: 'PropagatedObject `Synced` = False',
    meaning: 'The object was deselected or its source deleted; its copies are held for the grace period before removal.',
  },
  Settling: {
    where: 'PropagatedObject per-cluster status (a wait, not a condition reason)',
    meaning: 'A cluster that just came back still holds a copy it no longer should; the copy is kept a few seconds while placement catches up.',
  },
  RolloutHeld: {
    where: 'PropagatedObject per-cluster status (a wait, not a condition reason)',
    meaning: 'A Rolling or Staged rollout has not released this cluster yet: its copy keeps the previous revision until the rollout reaches it.',
    action: '`kubectl canopy rollout status <object>` says what the rollout waits for.',
  },
  Progressing: {
    where: 'PropagatedObject `RolloutProgressing` = True',
    meaning: 'A Rolling or Staged rollout is updating the clusters named in `status.rollout.waitingFor`.',
  },
  Waiting: {
    where: 'PropagatedObject `RolloutProgressing` = True',
    meaning: "A Staged rollout finished a stage and waits that stage's `waitSeconds` before the next one starts.",
  },
  WaitingForApproval: {
    where: 'PropagatedObject `RolloutProgressing` = True',
    meaning: 'The next stage of a Staged rollout has `approval: Manual` and has not been approved for this revision.',
    action: '`kubectl canopy rollout approve <object> --stage <name>` (or the annotation `canopy.dev/rollout-approved-stage: <name>@<revision>`).',
  },
  Paused: {
    where: 'PropagatedObject `RolloutProgressing` = True',
    meaning:
      'The rollout is paused by the annotation `canopy.dev/rollout-paused=true`; clusters already updated keep the new revision, the others the previous one.',
    action: '`kubectl canopy rollout resume <object>`.',
  },
  Complete: {
    where: 'PropagatedObject `RolloutProgressing` = False',
    meaning: 'Every placed cluster runs the current revision and is Ready for it.',
  },
  Stopped: {
    where: 'PropagatedObject `RolloutProgressing` = False',
    meaning: 'The rollout stopped; `RolloutStopped` says where and why.',
    action: 'See `RolloutStopped`.',
  },
  ProgressDeadlineExceeded: {
    where: 'PropagatedObject `RolloutStopped` = True',
    meaning:
      'A cluster that received the new revision did not become Ready for it within `progressDeadlineSeconds`; the rollout stopped there, and clusters not reached yet keep the previous revision.',
    action: 'Fix the object (a new revision starts a new rollout) or `kubectl canopy rollout undo <object>`; the message names the cluster and the generation.',
  },
  NotStopped: { where: 'PropagatedObject `RolloutStopped` = False', meaning: 'The rollout is not stopped.' },
  FinalizerForced: {
    where: 'Warning Event on a PropagatedObject',
    meaning: 'The finalizer was released at once because of the annotation `canopy.dev/force-finalize=true`; copies may remain on the clusters named.',
    action: 'Check those clusters once reachable and remove what is left.',
  },
  FinalizerTimedOut: {
    where: 'Warning Event on a PropagatedObject',
    meaning: 'The finalizer was released after waiting `--finalizer-timeout` for unreachable clusters; copies may remain there.',
    action: 'Check those clusters once reachable and remove what is left.',
  },
  PropagatedObjectNameTaken: {
    where: 'Warning Event on the source object',
    meaning: 'A PropagatedObject with the name Canopy would generate exists and was not generated for this object, so it is not placed.',
    action: 'Rename one of them.',
  },
};
