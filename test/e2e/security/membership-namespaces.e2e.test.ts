/**
 * Attack 4, guarded membership: a namespace joins a tenant only when Canopy
 * created it for that tenant. Performed as 'dave', a non-admin who may create
 * and relabel namespaces on the host (a common grant to platform tooling):
 * he cannot label a namespace into another tenant's workspace or logical
 * cluster, neither at creation nor afterwards. And a namespace that carries
 * such labels anyway (written by an administrator) is ignored unless the
 * LogicalCluster's spec lists it: no tree labels, no propagated Secret, no
 * owners' RoleBinding.
 */
import { expect } from 'chai';
import { waitUntil } from '../../../controlplane/launcher/index.js';
import { ApiClient, ApiError, Resources, type KubeObject } from '../../../src/runtime/index.js';
import { LABEL_INHERITED_FROM, LABEL_LOGICAL_CLUSTER, LABEL_MANAGED_BY, LABEL_WORKSPACE, treeLabel } from '../../../src/crds/labels.js';
import { logicalClusterObject, waitForPhase, workspaceObject } from '../../support/logicalcluster.js';
import { OWNERS_ROLE_BINDING } from '../../../src/reconcilers/workspace/owner-rbac.js';
import { acquireAdmission } from '../../support/admission.js';
import { testEnv, uniqueName } from '../env.js';

const RBAC = 'rbac.authorization.k8s.io/v1';

/** The apiserver's refusal of a call that must fail. */
async function refused(call: Promise<unknown>): Promise<{ code: number; message: string }> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ApiError)) throw new Error(`expected the apiserver to refuse, got ${err === undefined ? 'success' : String(err)}`);
  return { code: err.code, message: err.body?.message ?? err.message };
}

describe('security: guarded membership (attack 4)', function () {
  this.timeout(300_000);
  const ws = uniqueName('victim');
  const lc = `${ws}-shop`;
  const lcLate = `${ws}-late`;
  const writerRole = `${ws}-namespace-writer`;
  const daveOwn = `${ws}-dave`;
  const daveForged = `${ws}-dave-forged`;
  const adminForged = `${ws}-forged`;
  let admin: ApiClient;
  let dave: ApiClient;
  let release: () => Promise<void> = () => Promise.resolve();

  const membershipLabels = { [LABEL_WORKSPACE]: ws, [LABEL_LOGICAL_CLUSTER]: lc };
  const namespace = (name: string, labels: Record<string, string> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
  const secret = (name: string): KubeObject =>
    ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: ws }, stringData: { password: 'tenant-only' } }) as KubeObject;

  async function onNoMember(ns: string): Promise<void> {
    for (const member of testEnv().members) {
      const client = ApiClient.for(member.kubeConfig());
      expect(await client.tryGet(Resources.Namespace, ns), `namespace ${ns} on ${member.name}`).to.equal(undefined);
    }
  }

  async function eventually(what: string, test: () => Promise<boolean>): Promise<void> {
    expect(await waitUntil(90_000, 250, test), what).to.equal(true);
  }

  before(async () => {
    admin = ApiClient.for(testEnv().host.kubeConfig());
    dave = ApiClient.for(testEnv().host.userKubeConfig('dave'));
    release = await acquireAdmission();
    await admin.create(Resources.ClusterRole, {
      apiVersion: RBAC,
      kind: 'ClusterRole',
      metadata: { name: writerRole },
      rules: [{ apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch'] }],
    } as KubeObject);
    await admin.create(Resources.ClusterRoleBinding, {
      apiVersion: RBAC,
      kind: 'ClusterRoleBinding',
      metadata: { name: writerRole },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: writerRole },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'dave' }],
    } as KubeObject);
    // The victim tenant: a workspace whose home namespace holds a Secret propagated to its logical cluster.
    await admin.create(
      Resources.Workspace,
      workspaceObject(ws, { owners: [{ kind: 'User', name: 'alice' }], propagate: [{ apiVersion: 'v1', kind: 'Secret' }] }) as KubeObject,
    );
    await admin.create(Resources.LogicalCluster, logicalClusterObject(lc, { workspace: ws }) as KubeObject);
    await waitForPhase(admin, lc, 'Ready');
    await eventually(`home namespace ${ws}`, async () => (await admin.tryGet(Resources.Namespace, ws)) !== undefined);
    await admin.create(Resources.Secret, secret('shared-creds'));
    // Positive control: the legitimate namespace has joined (tree labels, the copy, the owners' RoleBinding).
    await eventually(`${lc} joined ${ws}`, async () => {
      const [ns, copy, owners] = await Promise.all([
        admin.tryGet(Resources.Namespace, lc),
        admin.tryGet(Resources.Secret, 'shared-creds', lc),
        admin.tryGet(Resources.RoleBinding, OWNERS_ROLE_BINDING, lc),
      ]);
      return ns?.metadata?.labels?.[treeLabel(ws)] === '1' && copy?.metadata?.labels?.[LABEL_INHERITED_FROM] === ws && owners !== undefined;
    });
  });

  after(async () => {
    for (const name of [daveOwn, daveForged, adminForged, lcLate]) await admin.delete(Resources.Namespace, name).catch(() => undefined);
    for (const name of [lc, lcLate]) await admin.delete(Resources.LogicalCluster, name).catch(() => undefined);
    await waitUntil(
      90_000,
      500,
      async () => (await admin.tryGet(Resources.LogicalCluster, lc)) === undefined && (await admin.tryGet(Resources.LogicalCluster, lcLate)) === undefined,
    );
    await admin.delete(Resources.Workspace, ws).catch(() => undefined);
    await admin.delete(Resources.ClusterRoleBinding, writerRole).catch(() => undefined);
    await admin.delete(Resources.ClusterRole, writerRole).catch(() => undefined);
    await release();
  });

  it("refuses a non-admin's namespace created with another tenant's membership labels", async () => {
    const refusal = await refused(dave.create(Resources.Namespace, namespace(daveForged, membershipLabels)));
    expect(refusal.code).to.equal(403);
    expect(refusal.message).to.contain('denied the request');
    expect(refusal.message).to.contain(`metadata.labels["${LABEL_LOGICAL_CLUSTER}"]: membership labels`);
    expect(refusal.message).to.contain('dave may not add them');
    expect(await admin.tryGet(Resources.Namespace, daveForged)).to.equal(undefined);
    // Nor by claiming only the workspace, or Canopy's managed-by mark.
    expect((await refused(dave.create(Resources.Namespace, namespace(daveForged, { [LABEL_WORKSPACE]: ws })))).code).to.equal(403);
    expect((await refused(dave.create(Resources.Namespace, namespace(daveForged, { [LABEL_MANAGED_BY]: 'canopy' })))).code).to.equal(403);
    await onNoMember(daveForged);

    // The legitimate request: a namespace of his own, with his own labels.
    const own = await dave.create(Resources.Namespace, namespace(daveOwn, { team: 'dave' }));
    expect(own.metadata?.labels?.['team']).to.equal('dave');
  });

  it('refuses labelling an existing namespace into a tenant, and admits every other label change', async () => {
    if (!(await admin.tryGet(Resources.Namespace, daveOwn))) await dave.create(Resources.Namespace, namespace(daveOwn, { team: 'dave' }));
    const refusal = await refused(dave.patch(Resources.Namespace, daveOwn, undefined, { metadata: { labels: membershipLabels } }, 'merge'));
    expect(refusal.code).to.equal(403);
    expect(refusal.message).to.contain('membership labels');
    expect(refusal.message).to.contain('dave may not add them');
    const treeRefusal = await refused(dave.patch(Resources.Namespace, daveOwn, undefined, { metadata: { labels: { [treeLabel(ws)]: '1' } } }, 'merge'));
    expect(treeRefusal.code).to.equal(403);
    expect(treeRefusal.message).to.contain('hierarchy labels');
    const unchanged = await admin.get(Resources.Namespace, daveOwn);
    expect(unchanged.metadata?.labels?.[LABEL_WORKSPACE]).to.equal(undefined);
    expect(unchanged.metadata?.labels?.[LABEL_LOGICAL_CLUSTER]).to.equal(undefined);
    await onNoMember(daveOwn);

    const relabelled = await dave.patch(Resources.Namespace, daveOwn, undefined, { metadata: { labels: { team: 'dave-2' } } }, 'merge');
    expect(relabelled.metadata?.labels?.['team']).to.equal('dave-2');
    // Nor may he pull the tenant's own namespace out of its tree.
    const release = await refused(dave.patch(Resources.Namespace, lc, undefined, { metadata: { labels: { [LABEL_LOGICAL_CLUSTER]: null } } }, 'merge'));
    expect(release.code).to.equal(403);
    expect(release.message).to.contain('dave may not remove them');
  });

  it('ignores a namespace labelled into a logical cluster whose spec does not list it, even one an admin labelled', async () => {
    await admin.create(Resources.Namespace, namespace(adminForged, membershipLabels));
    // A fresh source, created after the forged namespace: once it reached the listed namespace, the
    // propagator has planned the whole subtree with the forged namespace already in the cache.
    await admin.create(Resources.Secret, secret('after-forgery'));
    await eventually(
      `after-forgery copied into ${lc}`,
      async () => (await admin.tryGet(Resources.Secret, 'after-forgery', lc))?.metadata?.labels?.[LABEL_INHERITED_FROM] === ws,
    );
    const forged = await admin.get(Resources.Namespace, adminForged);
    expect(Object.keys(forged.metadata?.labels ?? {}).filter((k) => k.endsWith('.tree.canopy.dev/depth'))).to.deep.equal([]);
    expect(await admin.tryGet(Resources.Secret, 'shared-creds', adminForged)).to.equal(undefined);
    expect(await admin.tryGet(Resources.Secret, 'after-forgery', adminForged)).to.equal(undefined);
    expect(await admin.tryGet(Resources.RoleBinding, OWNERS_ROLE_BINDING, adminForged)).to.equal(undefined);
    await onNoMember(adminForged);
  });

  it('lets a namespace that appears before its LogicalCluster join once the LogicalCluster lists it', async () => {
    // The informers may deliver the namespace first; the LogicalCluster's arrival must re-judge it.
    await admin.create(Resources.Namespace, namespace(lcLate, { [LABEL_WORKSPACE]: ws, [LABEL_LOGICAL_CLUSTER]: lcLate, [LABEL_MANAGED_BY]: 'canopy' }));
    expect((await admin.get(Resources.Namespace, lcLate)).metadata?.labels?.[treeLabel(ws)]).to.equal(undefined);
    await admin.create(Resources.LogicalCluster, logicalClusterObject(lcLate, { workspace: ws }) as KubeObject);
    await eventually(`${lcLate} joined ${ws}`, async () => {
      const [ns, copy] = await Promise.all([admin.tryGet(Resources.Namespace, lcLate), admin.tryGet(Resources.Secret, 'shared-creds', lcLate)]);
      return ns?.metadata?.labels?.[treeLabel(ws)] === '1' && copy?.metadata?.labels?.[LABEL_INHERITED_FROM] === ws;
    });
  });
});
