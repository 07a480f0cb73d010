/**
 * Fail closed: when the webhook is down, the apiserver refuses the Canopy
 * requests it covers, and nothing else. A separate webhook instance (its own
 * configuration name, limited by an objectSelector to this test's objects)
 * is stopped and restarted, so the rest of the cluster is never blocked.
 */
import { expect } from 'chai';
import { testEnv } from '../../test/e2e/env.js';
import type { KubeObject } from '../runtime/index.js';
import { Actor, deleteConfiguration, errorCode, errorMessage, startWebhook, waitForEnforcement, type WebhookInstance } from '../../test/support/admission.js';

describe('admission fails closed', function () {
  this.timeout(300_000);
  const id = Math.random().toString(36).slice(2, 7);
  const configurationName = `canopy-validating-failclosed-${id}`;
  const secretName = `canopy-webhook-tls-failclosed-${id}`;
  const label = { 'canopy.dev/admission-test': id };
  const options = {
    configurationName,
    certificates: { secretName },
    webhooks: ['workspaces', 'logicalclusters', 'placementpolicies'] as const,
    objectSelector: { matchLabels: label },
  };
  let admin: Actor;
  let instance: WebhookInstance | undefined;

  const workspace = (name: string, spec: Record<string, unknown>, labels: Record<string, string> = label): KubeObject =>
    ({ apiVersion: 'canopy.dev/v1alpha1', kind: 'Workspace', metadata: { name, labels }, spec }) as KubeObject;

  before(async () => {
    admin = new Actor('admin', testEnv().host.kubeConfig());
    instance = await startWebhook({ ...options, webhooks: [...options.webhooks] });
    await waitForEnforcement(workspace(`probe-${id}`, { parent: `missing-${id}` }));
  });

  after(async () => {
    await instance?.stop();
    await deleteConfiguration(configurationName);
    await admin?.deleteIfExists({ apiVersion: 'v1', kind: 'Secret', name: secretName, namespace: 'canopy-system' });
    await admin?.deleteIfExists({ apiVersion: 'v1', kind: 'ConfigMap', name: `unrelated-${id}`, namespace: 'kube-system' });
  });

  async function outcome(request: () => Promise<unknown>): Promise<{ code: number; message: string }> {
    try {
      await request();
      return { code: 200, message: '' };
    } catch (err) {
      return { code: errorCode(err), message: errorMessage(err) };
    }
  }

  it('judges requests while serving', async () => {
    const bad = await outcome(() => admin.create(workspace(`bad-${id}`, { parent: `missing-${id}` }), { dryRun: true }));
    expect(bad.code).to.equal(403);
    expect(bad.message).to.contain(`spec.parent: parent workspace "missing-${id}" does not exist`);
    const good = await outcome(() => admin.create(workspace(`good-${id}`, {}), { dryRun: true }));
    expect(good).to.deep.equal({ code: 200, message: '' });
  });

  it('refuses the Canopy requests it covers while down, and nothing else', async () => {
    await instance!.stop();
    instance = undefined;
    const covered: [string, KubeObject][] = [
      ['Workspace', workspace(`good-${id}`, {})],
      [
        'LogicalCluster',
        {
          apiVersion: 'canopy.dev/v1alpha1',
          kind: 'LogicalCluster',
          metadata: { name: `lc-${id}`, labels: label },
          spec: { workspace: `any-${id}` },
        } as KubeObject,
      ],
      [
        'PlacementPolicy',
        {
          apiVersion: 'canopy.dev/v1alpha1',
          kind: 'PlacementPolicy',
          metadata: { name: `pp-${id}`, labels: label },
          spec: { resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment' }] },
        } as KubeObject,
      ],
    ];
    for (const [kind, object] of covered) {
      const result = await outcome(() => admin.create(object, { dryRun: true }));
      expect(result.code, `${kind}: ${result.message}`).to.equal(500);
      expect(result.message, kind).to.match(/failed calling webhook "[a-z]+\.validate\.canopy\.dev"/);
    }
    // Not covered: the same kind without the test label, and an unrelated object in kube-system.
    const unlabelled = await outcome(() => admin.create(workspace(`free-${id}`, {}, {}), { dryRun: true }));
    expect(unlabelled, unlabelled.message).to.deep.equal({ code: 200, message: '' });
    const configMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `unrelated-${id}`, namespace: 'kube-system' },
      data: { ok: 'yes' },
    } as KubeObject;
    const unrelated = await outcome(() => admin.create(configMap));
    expect(unrelated, unrelated.message).to.deep.equal({ code: 200, message: '' });
  });

  it('serves again after a restart, with the same certificate Secret', async () => {
    instance = await startWebhook({ ...options, webhooks: [...options.webhooks] });
    await waitForEnforcement(workspace(`probe-${id}`, { parent: `missing-${id}` }));
    const good = await outcome(() => admin.create(workspace(`good-${id}`, {}), { dryRun: true }));
    expect(good, good.message).to.deep.equal({ code: 200, message: '' });
    const bad = await outcome(() => admin.create(workspace(`bad-${id}`, { parent: `missing-${id}` }), { dryRun: true }));
    expect(bad.code).to.equal(403);
  });
});
