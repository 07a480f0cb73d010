/**
 * The operator's ClusterRole limits writes to its webhook configurations to
 * their default names (canopy-validating, canopy-mutating). Suites that run
 * extra webhook instances under other names, as the operator's
 * ServiceAccount, grant those names the way an installation that renames its
 * configurations would: a ClusterRole labelled
 * canopy.dev/aggregate-to-operator with the names.
 */
import { createHash } from 'node:crypto';
import { AuthorizationV1Api, type KubernetesObject } from '@kubernetes/client-node';
import { waitUntil } from '../../controlplane/launcher/index.js';
import { applyManifests } from '../../src/dev/manifests.js';
import { SYSTEM_NAMESPACE } from '../../src/dev/register.js';
import { testEnv } from './env.js';

const OPERATOR = `system:serviceaccount:${SYSTEM_NAMESPACE}:canopy-operator`;
const DEFAULT_NAMES = new Set(['canopy-validating', 'canopy-mutating']);

export async function allowWebhookConfigurationNames(names: readonly (string | undefined)[]): Promise<void> {
  const extra = [...new Set(names.filter((n): n is string => n !== undefined && !DEFAULT_NAMES.has(n)))].sort();
  if (extra.length === 0) return;
  const admin = testEnv().host.kubeConfig();
  const name = `canopy-e2e-webhook-names-${createHash('sha256').update(extra.join(',')).digest('hex').slice(0, 10)}`;
  await applyManifests(admin, [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name, labels: { 'canopy.dev/aggregate-to-operator': 'true' } },
      rules: [
        {
          apiGroups: ['admissionregistration.k8s.io'],
          resources: ['validatingwebhookconfigurations', 'mutatingwebhookconfigurations'],
          verbs: ['get', 'update', 'patch'],
          resourceNames: extra,
        },
      ],
    } as KubernetesObject,
  ]);
  const authz = admin.makeApiClient(AuthorizationV1Api);
  const granted = await waitUntil(30_000, 200, async () => {
    const answers = await Promise.all(
      extra.map((n) =>
        authz.createSubjectAccessReview({
          body: {
            spec: {
              user: OPERATOR,
              resourceAttributes: { group: 'admissionregistration.k8s.io', resource: 'validatingwebhookconfigurations', verb: 'patch', name: n },
            },
          },
        }),
      ),
    );
    return answers.every((a) => a.status?.allowed === true);
  });
  if (!granted) throw new Error(`ClusterRole ${name} was not aggregated into canopy-operator within 30 s`);
}
