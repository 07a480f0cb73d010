/**
 * The gateway may impersonate exactly the logical clusters' own
 * ServiceAccounts, nothing else. Before its first forwarded request for a
 * logical cluster on an apiserver, it applies there, in the logical cluster's
 * first namespace, a Role `canopy-gateway-impersonate` (verb impersonate on
 * serviceaccounts, resourceNames: the logical cluster's ServiceAccount) and a
 * RoleBinding of it to its own identity, learned with a SelfSubjectReview on
 * that apiserver (the host's ServiceAccount, or whoever the member's
 * kubeconfig names). Creating a Role that grants impersonate takes
 * `escalate` on roles, which the operator's ClusterRole already holds for the
 * tenant Roles; no cluster-wide impersonate is granted to anyone.
 *
 * The objects carry the managed-by label but not the logical cluster's
 * ownership label, so the reconciler's pruning leaves them alone; they go
 * with the namespace when the logical cluster is deleted.
 */
import { LRUCache } from 'lru-cache';
import { LABEL_MANAGED_BY, MANAGED_BY_VALUE } from '../crds/labels.js';
import { apply, Resources, type ApiClient, type Logger } from '../runtime/index.js';

export const IMPERSONATE_ROLE = 'canopy-gateway-impersonate';

export interface Subject {
  readonly kind: 'ServiceAccount' | 'User';
  readonly name: string;
  readonly namespace?: string;
  readonly apiGroup?: string;
}

/** The RBAC subject of a user name. */
export function subjectOf(username: string): Subject {
  const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(username);
  if (sa) return { kind: 'ServiceAccount', namespace: sa[1]!, name: sa[2]! };
  return { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: username };
}

/** The Role and RoleBinding that let `gateway` impersonate ServiceAccount `namespace/serviceAccount`. */
export function impersonationObjects(namespace: string, serviceAccount: string, gateway: Subject): [Record<string, unknown>, Record<string, unknown>] {
  const metadata = { name: IMPERSONATE_ROLE, namespace, labels: { [LABEL_MANAGED_BY]: MANAGED_BY_VALUE } };
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata,
      rules: [{ apiGroups: [''], resources: ['serviceaccounts'], verbs: ['impersonate'], resourceNames: [serviceAccount] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: IMPERSONATE_ROLE },
      subjects: [gateway],
    },
  ];
}

export class ImpersonationGrants {
  private readonly selves = new Map<string, Promise<string | undefined>>();
  private readonly done = new LRUCache<string, Promise<void>>({ max: 10_000, ttl: 10 * 60_000 });

  constructor(private readonly logger: Logger) {}

  /** Makes sure the gateway's identity on `client` may impersonate `namespace/serviceAccount` (applied once per ten minutes at most). */
  ensure(key: string, client: ApiClient, namespace: string, serviceAccount: string): Promise<void> {
    const id = `${key}|${namespace}|${serviceAccount}`;
    let pending = this.done.get(id);
    if (!pending) {
      pending = this.apply(key, client, namespace, serviceAccount);
      this.done.set(id, pending);
      pending.catch(() => this.done.delete(id));
    }
    return pending;
  }

  private async apply(key: string, client: ApiClient, namespace: string, serviceAccount: string): Promise<void> {
    const self = await this.self(key, client);
    if (!self) return; // no SelfSubjectReview: impersonation rights must come from elsewhere
    const [role, binding] = impersonationObjects(namespace, serviceAccount, subjectOf(self));
    await apply(client, role as never, { resource: Resources.Role, fieldManager: 'canopy-gateway' });
    await apply(client, binding as never, { resource: Resources.RoleBinding, fieldManager: 'canopy-gateway' });
    // The authorizer's RBAC cache follows within moments; wait until the right is effective so the first request does not fail.
    for (let attempt = 0; attempt < 40; attempt++) {
      const review = await client.request<{ status?: { allowed?: boolean } }>('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SelfSubjectAccessReview',
          spec: { resourceAttributes: { namespace, verb: 'impersonate', resource: 'serviceaccounts', name: serviceAccount } },
        },
      });
      if (review.status?.allowed) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    this.logger.warn({ namespace, serviceAccount }, 'the gateway impersonation grant is not effective yet');
  }

  private self(key: string, client: ApiClient): Promise<string | undefined> {
    let pending = this.selves.get(key);
    if (!pending) {
      pending = client
        .request<{ status?: { userInfo?: { username?: string } } }>('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
          body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
        })
        .then((r) => r.status?.userInfo?.username);
      this.selves.set(key, pending);
      pending.catch(() => this.selves.delete(key));
    }
    return pending;
  }
}
