/**
 * Two ways around the tenant boundary, tried as a workspace owner with their
 * own token: running a privileged workload one level up, in the workspace's
 * home namespace (attack 5), and naming a logical cluster so that its
 * namespaces are the system's (reserved names).
 */
import { expect } from 'chai';
import { waitUntil } from '../../../controlplane/launcher/index.js';
import { Resources, type KubeObject } from '../../../src/runtime/index.js';
import { LABEL_WORKSPACE } from '../../../src/crds/labels.js';
import { create, deleteIfExists, logicalClusterObject, waitGone, workspaceObject } from '../../support/logicalcluster.js';
import { acquireAdmission } from '../../support/admission.js';
import { testEnv, uniqueName } from '../env.js';
import { adminOf, closeAdmissionClients, expectOnNoMember, onceAllowed, privilegedDeployment, refusal, userOnHost } from './admission-support.js';

function lcObject(name: string, spec: Record<string, unknown>): KubeObject {
  return logicalClusterObject(name, spec) as KubeObject;
}

/** A Deployment that passes baseline, the default level: what an owner ordinarily runs at home. */
function ordinaryDeployment(name: string) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: name } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
    },
  };
}

describe('admission: home namespaces and reserved names (attack 5)', function () {
  this.timeout(240_000);
  const home = uniqueName('adm-home');
  const lcs: string[] = [];
  let release: (() => Promise<void>) | undefined;

  before(async () => {
    release = await acquireAdmission();
    // The platform team's workspace for dave; nobody set a pod-security level, so the default applies.
    await create(adminOf('host'), Resources.Workspace, workspaceObject(home, { owners: [{ kind: 'User', name: 'dave' }] }));
    const ready = await waitUntil(60_000, 250, async () => {
      const ns = await adminOf('host').tryGet(Resources.Namespace, home);
      return ns?.metadata?.labels?.[LABEL_WORKSPACE] === home;
    });
    if (!ready) throw new Error(`home namespace ${home} was not created`);
  });

  after(async () => {
    const host = adminOf('host');
    for (const lc of lcs) await deleteIfExists(host, Resources.LogicalCluster, lc);
    for (const lc of lcs) await waitGone(host, lc).catch(() => undefined);
    await deleteIfExists(host, Resources.Workspace, home);
    await release?.();
    closeAdmissionClients();
  });

  it('refuses a privileged hostPID Deployment in the workspace home namespace, and nothing reaches a member', async () => {
    const name = uniqueName('escape');
    const dave = userOnHost('dave');
    const { code, message } = await refusal(
      onceAllowed('dave deploys at home', () => dave.create(Resources.Deployment, { ...privilegedDeployment(name), metadata: { name, namespace: home } })),
    );
    expect(code).to.equal(403);
    expect(message).to.contain(
      `denied the request: spec.template.spec.hostNetwork: hostNetwork: true is not allowed in the home namespace of workspace "${home}" (pod security level baseline, set by the default)`,
    );
    expect(await adminOf('host').tryGet(Resources.Deployment, name, home)).to.equal(undefined);
    await expectOnNoMember(Resources.Deployment, home, name);
  });

  it('refuses hostPID alone as well: every host namespace is closed at home', async () => {
    const name = uniqueName('pid');
    const deployment = ordinaryDeployment(name);
    const spec = { ...deployment.spec, template: { ...deployment.spec.template, spec: { ...deployment.spec.template.spec, hostPID: true } } };
    const { code, message } = await refusal(
      onceAllowed('dave deploys at home', () => userOnHost('dave').create(Resources.Deployment, { ...deployment, metadata: { name, namespace: home }, spec })),
    );
    expect(code).to.equal(403);
    expect(message).to.contain(`spec.template.spec.hostPID: hostPID: true is not allowed in the home namespace of workspace "${home}"`);
    await expectOnNoMember(Resources.Deployment, home, name);
  });

  it('admits an ordinary Deployment in the home namespace', async () => {
    const name = uniqueName('web');
    const created = await onceAllowed('dave deploys at home', () =>
      userOnHost('dave').create(Resources.Deployment, { ...ordinaryDeployment(name), metadata: { name, namespace: home } }),
    );
    expect(created.metadata?.namespace).to.equal(home);
  });

  describe('reserved names', () => {
    it('refuses a logical cluster named kube-*, and no such namespace appears anywhere', async () => {
      const name = `kube-${home.slice(-6)}`;
      const { code, message } = await refusal(
        onceAllowed('dave creates logical clusters', () => userOnHost('dave').create(Resources.LogicalCluster, lcObject(name, { workspace: home }))),
      );
      expect(code).to.equal(403);
      expect(message).to.contain(
        `denied the request: metadata.name: namespaces starting with "kube-" are reserved for Kubernetes, so "${name}" cannot be used`,
      );
      for (const cluster of ['host', ...testEnv().members.map((m) => m.name)]) {
        expect(await adminOf(cluster).tryGet(Resources.Namespace, name), `namespace ${name} on ${cluster}`).to.equal(undefined);
      }
    });

    it('refuses a logical cluster whose namespaces would materialize as "default" or "kube-system"', async () => {
      const dave = userOnHost('dave');
      const named = await refusal(
        onceAllowed('dave creates logical clusters', () => dave.create(Resources.LogicalCluster, lcObject('default', { workspace: home }))),
      );
      expect(named.code).to.equal(403);
      expect(named.message).to.contain('denied the request: metadata.name: namespace "default" is reserved for the system');
      const suffixed = await refusal(dave.create(Resources.LogicalCluster, lcObject('kube', { workspace: home, namespaces: ['system'] })));
      expect(suffixed.code).to.equal(403);
      expect(suffixed.message).to.contain('denied the request: spec.namespaces: namespace "kube-system" is reserved for the system');
      expect(await adminOf('host').tryGet(Resources.LogicalCluster, 'kube')).to.equal(undefined);
    });

    it("refuses a logical cluster named after the operator's namespace", async () => {
      const { code, message } = await refusal(
        onceAllowed('dave creates logical clusters', () =>
          userOnHost('dave').create(Resources.LogicalCluster, lcObject('canopy', { workspace: home, namespaces: ['system'] })),
        ),
      );
      expect(code).to.equal(403);
      expect(message).to.contain('spec.namespaces: namespace "canopy-system" is reserved for the Canopy operator');
    });

    it('refuses a child workspace named like a system namespace', async () => {
      const name = `kube-${home.slice(-6)}-ws`;
      const { code, message } = await refusal(
        onceAllowed('dave creates workspaces', () => userOnHost('dave').create(Resources.Workspace, workspaceObject(name, { parent: home }) as KubeObject)),
      );
      expect(code).to.equal(403);
      expect(message).to.contain(
        `denied the request: metadata.name: namespaces starting with "kube-" are reserved for Kubernetes, so "${name}" cannot be used; a workspace's name becomes its home namespace`,
      );
      expect(await adminOf('host').tryGet(Resources.Namespace, name)).to.equal(undefined);
    });

    it('admits a logical cluster with an ordinary name', async () => {
      const name = uniqueName('shop');
      lcs.push(name);
      const created = await onceAllowed('dave creates logical clusters', () =>
        userOnHost('dave').create(Resources.LogicalCluster, lcObject(name, { workspace: home })),
      );
      expect(created.metadata?.name).to.equal(name);
    });
  });
});
