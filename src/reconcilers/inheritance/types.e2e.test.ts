/**
 * A spec.propagate type the operator has no rights on: the workspace says so
 * (naming the verbs and the aggregated ClusterRole that fixes it), and once
 * such a ClusterRole exists the type propagates without a restart.
 */

import { expect } from 'chai';
import { testEnv, uniqueName } from '../../../test/e2e/env.js';
import { ApiClient, Resources, type KubeObject } from '../../runtime/index.js';
import { copiesOf, deleteWorkspaces, eventually, waitForWorkspace, waitReady, workspace, condition } from '../../../test/support/workspace.js';

describe('workspace propagated types (e2e)', function () {
  this.timeout(300_000);
  let admin: ApiClient;
  before(() => {
    admin = new ApiClient(testEnv().host.kubeConfig());
  });

  it('reports a type the operator may not write, and propagates it once an aggregated ClusterRole grants it', async () => {
    const root = uniqueName('deploys');
    const child = `${root}-child`;
    const grant = `canopy-e2e-${root}`;
    try {
      await admin.create(Resources.Workspace, workspace(root, { propagate: [{ apiVersion: 'apps/v1', kind: 'Deployment' }] }));
      await admin.create(Resources.Workspace, workspace(child, { parent: root }));
      await waitReady(admin, child);
      const denied = await waitForWorkspace(admin, root, 'the missing rights reported', (w) => condition(w, 'Propagating')?.reason === 'Forbidden');
      const message = condition(denied, 'Propagating')!.message;
      expect(message).to.contain('create');
      expect(message).to.contain('deployments.apps');
      expect(message).to.contain('canopy.dev/aggregate-to-operator: "true"');
      expect(condition(denied, 'Ready')!.status).to.equal('False');

      await admin.create(Resources.Deployment, {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'tooling', namespace: root },
        spec: {
          replicas: 0,
          selector: { matchLabels: { app: 'tooling' } },
          template: { metadata: { labels: { app: 'tooling' } }, spec: { containers: [{ name: 't', image: 'tooling:1' }] } },
        },
      } as KubeObject);
      await admin.create(Resources.ClusterRole, {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: grant, labels: { 'canopy.dev/aggregate-to-operator': 'true' } },
        rules: [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] }],
      } as KubeObject);

      await waitForWorkspace(admin, root, 'the type available', (w) => condition(w, 'Propagating')?.status === 'True', 120_000);
      await eventually(
        'Deployment copied',
        () => copiesOf(admin, Resources.Deployment, 'tooling', [child]),
        (m) => m.get(child) === root,
        60_000,
      );
    } finally {
      await deleteWorkspaces(admin, [root, child]);
      await admin.delete(Resources.ClusterRole, grant).catch(() => {});
    }
  });
});
