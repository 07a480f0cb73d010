/**
 * Routes each webhook path to its validators and turns their verdicts into
 * AdmissionReviews. The validators are pure; what needs I/O happens here, and
 * only when it can change the answer:
 *
 * - a referenced Workspace or Namespace the cache does not have yet (created
 *   a moment ago) is fetched live before validating, so a fresh parent is
 *   never reported missing;
 * - whether the requester is a cluster admin is asked (SubjectAccessReview,
 *   cached) only when an ownership rule or an author check denied, since
 *   admins bypass nothing else;
 * - a PropagatedObject is placed on members with their admin credential, so
 *   whether its author could have created the object themselves is asked of
 *   the host's authorizer (author-access.ts), unless the author is the
 *   operator (its generated PropagatedObjects copy plain objects the host
 *   already admitted, RBAC escalation checks included) or a cluster admin.
 *   An authorizer that cannot be asked means no (fail closed).
 */
import {
  logicalClusterReferences,
  LogicalClusterRules,
  validateLogicalCluster,
  validateLogicalClusterStatus,
  type LogicalClusterStatusView,
} from '../reconcilers/logicalcluster/validator.js';
import type { PlacedObject, PlacementPolicy } from '../reconcilers/placement/types.js';
import {
  placedObjectOf,
  policySelects,
  validatePlacedObject,
  validatePlacementPolicy,
  validatePropagatedObject,
  type PlacementView,
  type PropagatedObjectLike,
} from '../reconcilers/placement/validator.js';
import type { KubeObject } from '../runtime/index.js';
import { TreeLabelRules, validateNamespaceTreeLabels } from '../reconcilers/workspace/tree-label-validator.js';
import {
  ClusterPropagatedObjectRules,
  validateClusterPropagatedObject,
  type ClusterPropagatedObjectLike,
} from '../reconcilers/propagation/cluster-scoped-validator.js';
import { validateWorkspace, workspaceReferences, WorkspaceRules } from '../reconcilers/workspace/validator.js';
import { requesterOf, reviewFor, type AdmissionRequest, type AdmissionReview } from './admission.js';
import { mutatingWebhookPath, webhookPath, type WebhookId } from './configuration.js';
import { podTemplateDependencies } from '../reconcilers/propagation/references.js';
import { finalizerReview } from './finalizers.js';
import {
  AccessRules,
  checkFailed,
  dependencyAccessChecks,
  guessPlural,
  placementAccessChecks,
  placementRefCheck,
  refuse,
  type AccessAttributes,
  type AccessCheck,
} from '../admission/author-access.js';
import { podLimits, validateWorkload, type WorkloadLike } from '../admission/pods.js';
import type { AdmissionInput, Requester } from '../admission/request.js';
import type { ReservedNamespaces } from '../admission/reserved-names.js';
import { checkPropagatedTemplate, templateChanged, type TemplatedObject } from './template-check.js';
import type { LogicalClusterView, NamespaceLike, WorkspaceLike } from '../admission/tree.js';
import { allow, deny, firstDenial, type Verdict } from '../admission/verdict.js';
import type { AdmissionHandler } from './server.js';

/** What the dispatcher needs from the running operator. */
export interface AdmissionBackend {
  readonly view: PlacementView;
  /** Makes sure these Workspaces are in the view if they exist (live read on a cache miss). */
  ensureWorkspaces(names: readonly string[]): Promise<void>;
  /** Makes sure this Namespace is in the view if it exists. */
  ensureNamespace(name: string): Promise<void>;
  /** Whether the requester is a cluster administrator. */
  isAdmin(requester: Pick<Requester, 'username' | 'groups'>): Promise<boolean>;
  /** Whether the authorizer allows the requester this (SubjectAccessReview); throws when it cannot be asked. */
  canI(requester: Requester, attributes: AccessAttributes): Promise<boolean>;
  /** The resource of a kind (discovery). */
  resourceOf(apiVersion: string, kind: string): Promise<PlacedResource>;
  /** A live read of one namespaced object (a sourceRef's source), undefined when it does not exist. */
  readObject(apiVersion: string, kind: string, namespace: string, name: string): Promise<KubeObject | undefined>;
  /** The operator's own user name, when known: its writes skip the author checks. */
  readonly operatorUsername?: string | undefined;
  /** Namespace names no Workspace or LogicalCluster may take. */
  readonly reserved?: ReservedNamespaces;
}

export interface PlacedResource {
  readonly group: string;
  readonly resource: string;
  readonly namespaced: boolean;
}

export interface VerdictRecord {
  readonly webhook: WebhookId;
  readonly operation: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace: string | undefined;
  readonly verdict: Verdict;
  /** `group/version` of the object, for an Event regarding it. */
  readonly apiVersion: string;
  /** The existing object's uid (updates and deletes); absent for a create. */
  readonly uid: string | undefined;
  /** Who asked. */
  readonly user: string;
  /** A dry run must leave no trace, not even an Event (sideEffects: NoneOnDryRun). */
  readonly dryRun: boolean;
}

const OWNERSHIP_RULES: ReadonlySet<string> = new Set([
  WorkspaceRules.ownership,
  LogicalClusterRules.ownership,
  TreeLabelRules.managedByCanopy,
  ClusterPropagatedObjectRules.adminOnly,
]);
const MASTERS = 'system:masters';

type Validate = (request: AdmissionRequest, requester: Requester) => Verdict;

export class AdmissionDispatcher {
  constructor(
    private readonly backend: AdmissionBackend,
    private readonly onVerdict: (record: VerdictRecord) => void = () => {},
  ) {}

  /** Path → handler, for the webhook server: every validating webhook, and the finalizers mutation (no I/O, never denies). */
  handlers(): Map<string, AdmissionHandler> {
    const ids: WebhookId[] = [
      'workspaces',
      'logicalclusters',
      'logicalcluster-status',
      'placementpolicies',
      'propagatedobjects',
      'clusterpropagatedobjects',
      'pods',
      'placed-objects',
      'namespaces',
    ];
    const handlers = new Map<string, AdmissionHandler>(ids.map((id) => [webhookPath(id), (request: AdmissionRequest) => this.review(id, request)]));
    handlers.set(mutatingWebhookPath('finalizers'), (request) => Promise.resolve(finalizerReview(request)));
    return handlers;
  }

  async review(webhook: WebhookId, request: AdmissionRequest): Promise<AdmissionReview> {
    const verdict = await this.decide(webhook, request);
    this.onVerdict({
      webhook,
      operation: request.operation,
      kind: request.kind.kind,
      name: request.name ?? '',
      namespace: request.namespace,
      verdict,
      apiVersion: request.kind.group ? `${request.kind.group}/${request.kind.version}` : request.kind.version,
      uid: ((request.oldObject ?? request.object) as { metadata?: { uid?: string } } | undefined)?.metadata?.uid,
      user: request.userInfo.username ?? '',
      dryRun: request.dryRun === true,
    });
    return reviewFor(request.uid, verdict);
  }

  async decide(webhook: WebhookId, request: AdmissionRequest): Promise<Verdict> {
    const view = this.backend.view;
    switch (webhook) {
      case 'workspaces': {
        await this.backend.ensureWorkspaces(workspaceReferences(input<WorkspaceLike>(request, requesterOf(request))).workspaces);
        return this.withOwnership(request, (r, who) => validateWorkspace(input(r, who), view, this.backend.reserved));
      }
      case 'logicalclusters': {
        await this.backend.ensureWorkspaces(logicalClusterReferences(input<LogicalClusterView>(request, requesterOf(request))).workspaces);
        return this.withOwnership(request, (r, who) => validateLogicalCluster(input(r, who), view, undefined, this.backend.reserved));
      }
      case 'logicalcluster-status':
        return validateLogicalClusterStatus(input<LogicalClusterStatusView>(request, requesterOf(request)), this.backend.operatorUsername);
      case 'placementpolicies':
        return validatePlacementPolicy(input<PlacementPolicy>(request, requesterOf(request)));
      case 'propagatedobjects': {
        if (request.namespace) await this.backend.ensureNamespace(request.namespace);
        const po = input<PropagatedObjectLike & TemplatedObject>(request, requesterOf(request));
        const verdict = firstDenial([() => validatePropagatedObject(po, view), () => this.templateLimits(po)]);
        if (!verdict.allowed) return verdict;
        const access = await this.authorAccess(po);
        return access.allowed ? verdict : access;
      }
      case 'clusterpropagatedobjects':
        return this.withOwnership(request, (r, who) => validateClusterPropagatedObject(input<ClusterPropagatedObjectLike>(r, who)));
      case 'pods': {
        if (request.namespace) await this.backend.ensureNamespace(request.namespace);
        const who = requesterOf(request);
        const workload = input<WorkloadLike>(request, who);
        const withKind = workload.object ? { ...workload, object: { ...workload.object, kind: request.kind.kind } } : workload;
        return firstDenial([() => validateWorkload(withKind, view), () => validatePlacedObject(input<PlacedObject>(request, who), view)]);
      }
      case 'placed-objects':
        if (request.namespace) await this.backend.ensureNamespace(request.namespace);
        return validatePlacedObject(input<PlacedObject>(request, requesterOf(request)), view);
      case 'namespaces':
        return this.withOwnership(request, (r, who) => validateNamespaceTreeLabels(input<NamespaceLike>(r, who)));
    }
  }

  /** Runs a validator as a non-admin first; asks whether the requester is an admin only if ownership denied. */
  private async withOwnership(request: AdmissionRequest, validate: Validate): Promise<Verdict> {
    const requester = requesterOf(request);
    if (requester.groups.includes(MASTERS)) return validate(request, { ...requester, admin: true });
    const verdict = validate(request, requester);
    if (verdict.allowed || !OWNERSHIP_RULES.has(verdict.denial.rule)) return verdict;
    if (!(await this.backend.isAdmin(requester))) return verdict;
    return validate(request, { ...requester, admin: true });
  }

  /** The pod rules of the PropagatedObject's namespace, on its template and on every cluster's rendering of it. */
  private templateLimits(po: AdmissionInput<PropagatedObjectLike & TemplatedObject>): Verdict {
    const object = po.object;
    if (po.operation === 'DELETE' || !object || !templateChanged(po.oldObject, object)) return allow();
    // A spec.sourceRef needs nothing here: its source was admitted in this same namespace under these same rules.
    const limits = podLimits(object.metadata.namespace ?? po.namespace ?? '', this.backend.view);
    if (!limits) return allow();
    const clusters = this.backend.view.clusters().map((c) => ({ name: c.metadata.name ?? '', ...(c.metadata.labels ? { labels: c.metadata.labels } : {}) }));
    return checkPropagatedTemplate(object, limits, clusters);
  }

  /** Could the author have created what the PropagatedObject places, and may they pin its policy? */
  private async authorAccess(po: AdmissionInput<PropagatedObjectLike>): Promise<Verdict> {
    const object = po.object;
    if (po.operation === 'DELETE' || !object) return allow();
    if (po.oldObject && JSON.stringify(po.oldObject.spec) === JSON.stringify(object.spec)) return allow(); // labels, finalizers
    const who = po.requester;
    const operator = this.backend.operatorUsername;
    if (who.groups.includes(MASTERS) || (operator !== undefined && who.username === operator)) return allow();
    const namespace = object.metadata.namespace ?? po.namespace ?? '';
    const placed = object.spec.template ?? object.spec.sourceRef;
    const apiVersion = placed?.apiVersion ?? '';
    const kind = placed?.kind ?? '';
    if (!placed || !kind) return allow(); // the schema requires one of them; nothing to place, nothing to check
    const field = object.spec.template ? ('spec.template' as const) : ('spec.sourceRef' as const);
    const checks: AccessCheck[] = [];
    try {
      const resource = await this.backend.resourceOf(apiVersion, kind);
      const ref = object.spec.sourceRef;
      const needsSource = ref !== undefined && (kind === 'RoleBinding' || object.spec.placementRef !== undefined);
      const source = needsSource && ref ? await this.backend.readObject(ref.apiVersion, ref.kind, namespace, ref.name) : undefined;
      if (ref && kind === 'RoleBinding' && resource.group === 'rbac.authorization.k8s.io' && !source) {
        return deny(
          AccessRules.bind,
          'spec.sourceRef.name',
          `RoleBinding "${ref.name}" does not exist in namespace "${namespace}"; create it before the PropagatedObject that places it, so the role it binds can be checked`,
        );
      }
      const body = (object.spec.template ?? source) as { roleRef?: { kind?: string; name?: string } } | undefined;
      checks.push(...placementAccessChecks({ field, group: resource.group, kind, resource: resource.resource, ...(body ? { object: body } : {}) }, namespace));
      // What follows the workload to the members (a sourceRef's source was created here by someone who could).
      if (object.spec.template?.kind) checks.push(...dependencyAccessChecks(podTemplateDependencies(object.spec.template as { kind: string }), namespace));
      const pinned = object.spec.placementRef?.name;
      if (pinned) {
        const policy = this.backend.view.placementPolicy(pinned);
        const target = placedObjectOf(object, namespace, source);
        if (!policy || !target || !policySelects(policy, target, this.backend.view)) checks.push(placementRefCheck(pinned, kind));
      }
    } catch {
      // Discovery or the source's live read failed: the question cannot even be put, so the answer is no.
      const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
      return checkFailed(placementAccessChecks({ field, group, kind, resource: guessPlural(kind) }, namespace)[0]!);
    }
    for (const check of checks) {
      let allowed: boolean;
      try {
        allowed = await this.backend.canI(who, check.attributes);
      } catch {
        return checkFailed(check);
      }
      if (allowed) continue;
      let admin = false;
      try {
        admin = await this.backend.isAdmin(who);
      } catch {
        return checkFailed(check);
      }
      return admin ? allow() : refuse(check, who);
    }
    return allow();
  }
}

function input<T>(request: AdmissionRequest, requester: Requester): AdmissionInput<T> {
  return {
    operation: request.operation,
    object: (request.object ?? undefined) as T | undefined,
    oldObject: (request.oldObject ?? undefined) as T | undefined,
    requester,
    ...(request.namespace ? { namespace: request.namespace } : {}),
    ...(request.dryRun ? { dryRun: true } : {}),
  };
}
