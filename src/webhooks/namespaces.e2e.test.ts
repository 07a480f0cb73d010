/**
 * The namespaces webhook's scope through the real kube-apiserver: it guards
 * hierarchy labels, so the apiserver must ask it about nothing else — not
 * about namespaces without such labels, and not about the operator's own
 * relabelling (a workspace move relabels a whole subtree).
 */
import { expect } from 'chai';
import { waitUntil } from '../../controlplane/launcher/index.js';
import { testEnv, testOperator, uniqueName } from '../../test/e2e/env.js';
import { ApiClient, Resources, type KubeObject } from '../runtime/index.js';

const CANOPY = 'canopy.dev/v1alpha1';

describe('namespaces webhook scope (real apiserver)', function () {
  this.timeout(120_000);

  /** How many namespace reviews the shared operator's webhook has answered. */
  async function namespaceReviews(): Promise<number> {
    const metrics = await testOperator().manager.metrics.registry.getSingleMetricAsString('controller_runtime_webhook_requests_total');
    return metrics
      .split('\n')
      .filter((line) => line.includes('webhook="/validate/namespaces"'))
      .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
  }

  it('is not asked about the operator relabelling a namespace into its tree, nor about namespaces without hierarchy labels', async () => {
    const admin = new ApiClient(testEnv().host.kubeConfig());
    const parent = uniqueName('scope');
    const child = `${parent}-child`;
    try {
      const before = await namespaceReviews();
      await admin.create(Resources.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: `${parent}-plain`, labels: { team: 'x' } } });
      await admin.create(Resources.Workspace, { apiVersion: CANOPY, kind: 'Workspace', metadata: { name: parent }, spec: {} } as KubeObject);
      await admin.create(Resources.Workspace, { apiVersion: CANOPY, kind: 'Workspace', metadata: { name: child }, spec: { parent } } as KubeObject);
      // The operator creates the child's namespace and labels it into the tree.
      const labelled = await waitUntil(
        60_000,
        250,
        async () => (await admin.tryGet(Resources.Namespace, child))?.metadata?.labels?.[`${parent}.tree.canopy.dev/depth`] === '1',
      );
      expect(labelled, 'child namespace labelled into the tree').to.equal(true);
      expect(await namespaceReviews()).to.equal(before);
      // Control: an administrator's write of a hierarchy label is reviewed (and admitted).
      await admin.create(Resources.Namespace, {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: `${parent}-by-admin`, labels: { [`${parent}.tree.canopy.dev/depth`]: '1' } },
      });
      expect(await namespaceReviews()).to.equal(before + 1);
    } finally {
      await admin.delete(Resources.Namespace, `${parent}-by-admin`).catch(() => undefined);
      await admin.delete(Resources.Workspace, child).catch(() => undefined);
      await admin.delete(Resources.Workspace, parent).catch(() => undefined);
      await admin.delete(Resources.Namespace, `${parent}-plain`).catch(() => undefined);
      admin.close();
    }
  });
});
