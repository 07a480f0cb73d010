/**
 * Uninstalling takes the operator's own objects along: the webhook
 * configurations and the generated certificate's Secret name the
 * installation's ClusterRole as owner, and when it is deleted (what
 * `helm uninstall` does) the real kube-controller-manager's garbage
 * collector removes them. A fail-closed validating webhook left behind
 * with nothing answering would refuse writes to Canopy's kinds.
 */
import { expect } from 'chai';
import { waitUntil } from '../../controlplane/launcher/index.js';
import { testEnv } from '../../test/e2e/env.js';
import { ApiClient, Resources, type KubeObject, type ResourceRef } from '../runtime/index.js';
import { startWebhook, type WebhookInstance } from '../../test/support/admission.js';
import { InstallationOwner } from './installation-owner.js';

const VALIDATING: ResourceRef = {
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'ValidatingWebhookConfiguration',
  plural: 'validatingwebhookconfigurations',
  namespaced: false,
};
const MUTATING: ResourceRef = {
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'MutatingWebhookConfiguration',
  plural: 'mutatingwebhookconfigurations',
  namespaced: false,
};
const NAMESPACE = 'canopy-system';

describe("uninstall: the operator's own objects follow the installation's ClusterRole", function () {
  this.timeout(180_000);
  const id = Math.random().toString(36).slice(2, 7);
  const ownerName = `canopy-installation-${id}`;
  const validating = `canopy-validating-owned-${id}`;
  const mutating = `canopy-mutating-owned-${id}`;
  const secretName = `canopy-webhook-tls-owned-${id}`;
  let admin: ApiClient;
  let instance: WebhookInstance | undefined;

  const start = (ownerClusterRole?: string): Promise<WebhookInstance> =>
    startWebhook({
      configurationName: validating,
      mutatingConfigurationName: mutating,
      webhooks: ['workspaces'],
      mutatingWebhooks: ['finalizers'],
      objectSelector: { matchLabels: { 'canopy.dev/admission-test': `owned-${id}` } },
      certificates: { secretName },
      ...(ownerClusterRole ? { ownerClusterRole } : {}),
    });
  const ownerUids = async (resource: ResourceRef, name: string, namespace?: string): Promise<string[] | undefined> => {
    const object = await admin.tryGet(resource, name, namespace);
    return object ? (object.metadata?.ownerReferences ?? []).map((r) => r.uid) : undefined;
  };

  before(() => {
    admin = new ApiClient(testEnv().host.kubeConfig());
  });

  afterEach(async () => {
    await instance?.stop();
    instance = undefined;
  });

  after(async () => {
    for (const [resource, name, namespace] of [
      [VALIDATING, validating],
      [MUTATING, mutating],
      [Resources.Secret, secretName, NAMESPACE],
      [Resources.ClusterRole, ownerName],
    ] as const) {
      await admin.delete(resource, name, namespace).catch(() => undefined);
    }
    admin.close();
  });

  it('looks the owner up by name: undefined while the ClusterRole does not exist, its uid once it does', async () => {
    const owner = new InstallationOwner(admin, ownerName);
    expect(await owner.reference()).to.equal(undefined);
    const role = await admin.create(Resources.ClusterRole, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: ownerName },
      rules: [],
    } as KubeObject);
    expect(await owner.reference()).to.deep.equal({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      name: ownerName,
      uid: role.metadata!.uid,
    });
  });

  it('a certificate Secret written without an owner is adopted once the owner is known', async () => {
    instance = await start();
    expect(await ownerUids(Resources.Secret, secretName, NAMESPACE), 'written without owner').to.deep.equal([]);
    expect(await ownerUids(VALIDATING, validating)).to.deep.equal([]);
    await instance.stop();
    instance = await start(ownerName);
    const uid = (await admin.get(Resources.ClusterRole, ownerName)).metadata!.uid!;
    expect(await ownerUids(Resources.Secret, secretName, NAMESPACE), 'Secret adopted').to.deep.equal([uid]);
  });

  it('names the ClusterRole on both configurations and the Secret; deleting it has the garbage collector remove all three', async () => {
    instance ??= await start(ownerName);
    const uid = (await admin.get(Resources.ClusterRole, ownerName)).metadata!.uid!;
    expect(await ownerUids(VALIDATING, validating)).to.deep.equal([uid]);
    expect(await ownerUids(MUTATING, mutating)).to.deep.equal([uid]);
    expect(await ownerUids(Resources.Secret, secretName, NAMESPACE)).to.deep.equal([uid]);

    // What `helm uninstall` does: the operator's pods go, and the release's ClusterRole is deleted.
    await instance.stop();
    instance = undefined;
    await admin.delete(Resources.ClusterRole, ownerName);
    const allGone = await waitUntil(90_000, 250, async () =>
      (
        await Promise.all([admin.tryGet(VALIDATING, validating), admin.tryGet(MUTATING, mutating), admin.tryGet(Resources.Secret, secretName, NAMESPACE)])
      ).every((o) => o === undefined),
    );
    expect(allGone, 'configurations and Secret removed by the garbage collector').to.equal(true);
  });
});
