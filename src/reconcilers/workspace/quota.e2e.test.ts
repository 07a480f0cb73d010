/**
 * Hierarchical quota through the real apiserver: a workspace's quota.hard
 * caps what the logical clusters of its whole subtree may claim (refused at
 * admission with the budget and what is left), and status.quotaUsed sums the
 * ResourceQuota usage of every namespace below.
 */

import { expect } from 'chai';
import { testEnv, uniqueName } from '../../../test/e2e/env.js';
import { ApiClient, Resources, type KubeObject } from '../../runtime/index.js';
import { API_VERSION } from '../../crds/index.js';
import { acquireAdmission } from '../../../test/support/admission.js';
import { condition, deleteWorkspaces, eventually, waitForWorkspace, waitReady, workspace } from '../../../test/support/workspace.js';

function logicalCluster(name: string, ws: string, hard: Record<string, string>): KubeObject {
  return { apiVersion: API_VERSION, kind: 'LogicalCluster', metadata: { name }, spec: { workspace: ws, constraints: { quota: { hard } } } } as KubeObject;
}

describe('workspace hierarchical quota (e2e)', function () {
  this.timeout(300_000);
  let admin: ApiClient;
  let release: (() => Promise<void>) | undefined;
  before(async () => {
    admin = new ApiClient(testEnv().host.kubeConfig());
    release = await acquireAdmission();
  });
  after(async () => {
    await release?.();
  });

  it('refuses a logical cluster beyond the remaining budget and sums usage over the subtree', async () => {
    const org = uniqueName('budget');
    const team = `${org}-team`;
    const first = `${org}-one`;
    const second = `${org}-two`;
    try {
      await admin.create(Resources.Workspace, workspace(org, { constraints: { quota: { hard: { 'requests.cpu': '2', 'requests.memory': '4Gi' } } } }));
      await admin.create(Resources.Workspace, workspace(team, { parent: org }));
      await Promise.all([org, team].map((n) => waitReady(admin, n)));

      await admin.create(Resources.LogicalCluster, logicalCluster(first, team, { 'requests.cpu': '1500m', 'requests.memory': '1Gi' }));
      let refused = '';
      await admin.create(Resources.LogicalCluster, logicalCluster(second, team, { 'requests.cpu': '1', 'requests.memory': '1Gi' })).catch((err: Error) => {
        refused = err.message;
      });
      expect(refused, refused).to.contain(`workspace ${org} limits requests.cpu to 2 over its subtree`);
      expect(refused, refused).to.contain('at most 500m is left');

      // Usage: a pod in the logical cluster's namespace, counted by its ResourceQuota, summed up the tree.
      await eventually(
        `logical cluster ${first} ready`,
        () => admin.tryGet<KubeObject & { status?: { phase?: string } }>(Resources.LogicalCluster, first),
        (lc) => lc?.status?.phase === 'Ready',
        120_000,
      );
      const pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'worker', namespace: first },
        spec: {
          automountServiceAccountToken: false,
          containers: [
            {
              name: 'app',
              image: 'registry.example.com/app:1',
              resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '250m', memory: '64Mi' } },
              securityContext: {
                allowPrivilegeEscalation: false,
                runAsNonRoot: true,
                capabilities: { drop: ['ALL'] },
                seccompProfile: { type: 'RuntimeDefault' },
              },
            },
          ],
        },
      };
      // The namespace's default ServiceAccount appears a moment after the namespace.
      await eventually(
        'pod admitted',
        () => admin.create(Resources.Pod, pod as KubeObject).then(() => true),
        (ok) => ok,
      );

      const top = await waitForWorkspace(admin, org, 'usage counted', (w) => w.status?.quotaUsed?.['requests.cpu'] === '250m');
      expect(top.status!.quotaUsed!['requests.memory']).to.equal('64Mi');
      const within = condition(top, 'QuotaWithinLimits')!;
      expect(within.status).to.equal('True');
      expect(within.message).to.contain('1500m allotted to logical clusters of 2');
      const below = await waitForWorkspace(admin, team, 'usage counted', (w) => w.status?.quotaUsed?.['requests.cpu'] === '250m');
      expect(below.status!.effectiveConstraints!.quota!.hard!['requests.cpu']).to.equal('2');
    } finally {
      await admin.delete(Resources.LogicalCluster, first).catch(() => {});
      await eventually(
        'logical cluster gone',
        () => admin.tryGet(Resources.LogicalCluster, first),
        (lc) => lc === undefined,
        120_000,
      );
      await deleteWorkspaces(admin, [org, team]);
    }
  });
});
