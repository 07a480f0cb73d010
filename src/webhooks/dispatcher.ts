/**
 * Routes each webhook path to its validators and turns their verdicts into
 * AdmissionReviews. The validators are pure; what needs I/O happens here, and
 * only when it can change the answer:
 *
 * - a referenced Workspace or Namespace the cache does not have yet (created
 *   a moment ago) is fetched live before validating, so a fresh parent is
 *   never reported missing;
 * - whether the requester is a cluster admin is asked (SubjectAccessReview,
 *   cached) only when an ownership rule denied, since admins bypass nothing
 *   else.
 */
import { logicalClusterReferences, LogicalClusterRules, validateLogicalCluster } from '../reconcilers/logicalcluster/validator.js';
import type { PlacedObject, PlacementPolicy } from '../reconcilers/placement/types.js';
import {
  validatePlacedObject,
  validatePlacementPolicy,
  validatePropagatedObject,
  type PlacementView,
  type PropagatedObjectLike,
} from '../reconcilers/placement/validator.js';
import { TreeLabelRules, validateNamespaceTreeLabels } from '../reconcilers/workspace/treeLabelValidator.js';
import { validateWorkspace, workspaceReferences, WorkspaceRules } from '../reconcilers/workspace/validator.js';
import { requesterOf, reviewFor, type AdmissionRequest, type AdmissionReview } from './admission.js';
import { mutatingWebhookPath, webhookPath, type WebhookId } from './configuration.js';
import { finalizerReview } from './finalizers.js';
import { validateWorkload, type WorkloadLike } from './pods.js';
import type { AdmissionInput, Requester } from './request.js';
import type { LogicalClusterLike, NamespaceLike, WorkspaceLike } from './tree.js';
import { firstDenial, type Verdict } from './verdict.js';
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
}

export interface VerdictRecord {
  readonly webhook: WebhookId;
  readonly operation: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace: string | undefined;
  readonly verdict: Verdict;
}

const OWNERSHIP_RULES: ReadonlySet<string> = new Set([WorkspaceRules.ownership, LogicalClusterRules.ownership, TreeLabelRules.managedByCanopy]);
const MASTERS = 'system:masters';

type Validate = (request: AdmissionRequest, requester: Requester) => Verdict;

export class AdmissionDispatcher {
  constructor(
    private readonly backend: AdmissionBackend,
    private readonly onVerdict: (record: VerdictRecord) => void = () => {},
  ) {}

  /** Path → handler, for the webhook server: every validating webhook, and the finalizers mutation (no I/O, never denies). */
  handlers(): Map<string, AdmissionHandler> {
    const ids: WebhookId[] = ['workspaces', 'logicalclusters', 'placementpolicies', 'propagatedobjects', 'pods', 'placed-objects', 'namespaces'];
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
    });
    return reviewFor(request.uid, verdict);
  }

  async decide(webhook: WebhookId, request: AdmissionRequest): Promise<Verdict> {
    const view = this.backend.view;
    switch (webhook) {
      case 'workspaces': {
        await this.backend.ensureWorkspaces(workspaceReferences(input<WorkspaceLike>(request, requesterOf(request))).workspaces);
        return this.withOwnership(request, (r, who) => validateWorkspace(input(r, who), view));
      }
      case 'logicalclusters': {
        await this.backend.ensureWorkspaces(logicalClusterReferences(input<LogicalClusterLike>(request, requesterOf(request))).workspaces);
        return this.withOwnership(request, (r, who) => validateLogicalCluster(input(r, who), view));
      }
      case 'placementpolicies':
        return validatePlacementPolicy(input<PlacementPolicy>(request, requesterOf(request)));
      case 'propagatedobjects':
        if (request.namespace) await this.backend.ensureNamespace(request.namespace);
        return validatePropagatedObject(input<PropagatedObjectLike>(request, requesterOf(request)), view);
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
