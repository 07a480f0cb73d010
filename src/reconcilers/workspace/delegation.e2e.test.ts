/**
 * Delegated administration through the real apiserver, RBAC and the
 * admission webhook together: alice owns one workspace and has no other
 * rights; she builds and runs her subtree and can do nothing outside it.
 */

import { expect } from 'chai';
import { testEnv, uniqueName } from '../../../test/e2e/env.js';
import { ApiClient, isForbidden, Resources, type KubeObject } from '../../runtime/index.js';
import { API_VERSION } from '../../crds/index.js';
import { LABEL_MANAGED_BY } from '../../crds/labels.js';
import { acquireAdmission } from '../../../test/support/admission.js';
import { deleteWorkspaces, eventually, roleBinding, waitReady, workspace } from '../../../test/support/workspace.js';

/** The apiserver's refusal of `call`: status code and message. */
async function refusal(call: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await call;
  } catch (err) {
    const e = err as { code?: number; message?: string };
    return { code: e.code ?? 0, message: e.message ?? String(err) };
  }
  throw new Error('the apiserver allowed a call that should have been refused');
}

/** Retries `call` while RBAC has not caught up with the operator (403), then returns its result. */
async function onceAllowed<T>(what: string, call: () => Promise<T>): Promise<T> {
  let result: T | undefined;
  await eventually(
    what,
    async () => {
      try {
        result = await call();
        return true;
      } catch (err) {
        if (isForbidden(err) && !/denied the request/.test((err as Error).message)) return false;
        throw err;
      }
    },
    (done) => done,
    60_000,
  );
  return result as T;
}

describe('workspace delegated administration (e2e)', function () {
  this.timeout(300_000);
  let admin: ApiClient;
  let alice: ApiClient;
  let release: (() => Promise<void>) | undefined;
  before(async () => {
    admin = new ApiClient(testEnv().host.kubeConfig());
    alice = new ApiClient(testEnv().host.userKubeConfig('alice'));
    release = await acquireAdmission();
  });
  after(async () => {
    await release?.();
  });

  it('an owner creates and manages workspaces and logical clusters in her subtree, and nothing elsewhere', async () => {
    const acme = uniqueName('acme');
    const team = `${acme}-team`;
    const shop = `${acme}-shop`;
    const other = uniqueName('other');
    try {
      await admin.create(Resources.Workspace, workspace(acme, { owners: [{ kind: 'User', name: 'alice' }] }));
      await admin.create(Resources.Workspace, workspace(other, { owners: [{ kind: 'User', name: 'bob' }] }));
      await Promise.all([acme, other].map((n) => waitReady(admin, n)));

      // Without Canopy's grants alice could not even create a workspace; with them, under her own one:
      await onceAllowed('alice creates a child workspace', () => alice.create(Resources.Workspace, workspace(team, { parent: acme })));
      await waitReady(admin, team);

      // ...but not at the root, and not under someone else's workspace (refused by admission).
      const root = await refusal(alice.create(Resources.Workspace, workspace(uniqueName('mine'))));
      expect(root.message).to.contain('may not create root workspace');
      const elsewhere = await refusal(alice.create(Resources.Workspace, workspace(uniqueName('sneak'), { parent: other })));
      expect(elsewhere.message).to.contain(`under "${other}"`);
      // Moving her workspace under another tree is refused too.
      const move = await refusal(alice.patch(Resources.Workspace, team, undefined, { spec: { parent: other } }, 'merge'));
      expect(move.message).to.contain('may not move workspace');

      // A logical cluster in her subtree, then managing it.
      await onceAllowed('alice creates a logical cluster', () =>
        alice.create(Resources.LogicalCluster, {
          apiVersion: API_VERSION,
          kind: 'LogicalCluster',
          metadata: { name: shop },
          spec: { workspace: team },
        } as KubeObject),
      );
      await onceAllowed('alice edits her logical cluster', () =>
        alice.patch(Resources.LogicalCluster, shop, undefined, { spec: { owners: [{ kind: 'User', name: 'carol' }] } }, 'merge'),
      );
      await onceAllowed('alice edits her child workspace', () =>
        alice.patch(Resources.Workspace, team, undefined, { spec: { owners: [{ kind: 'User', name: 'dave' }] } }, 'merge'),
      );

      // admin in every namespace of her subtree: a RoleBinding in the child's home namespace...
      await onceAllowed('alice writes RBAC in her subtree', () => alice.create(Resources.RoleBinding, roleBinding('devs', team, ['dev'])));
      // ...and nothing outside it.
      expect((await refusal(alice.create(Resources.RoleBinding, roleBinding('devs', other, ['dev'])))).code).to.equal(403);
      expect((await refusal(alice.delete(Resources.Workspace, other))).code).to.equal(403);
      expect((await refusal(alice.patch(Resources.Workspace, other, undefined, { spec: { owners: [] } }, 'merge'))).code).to.equal(403);
      expect((await refusal(alice.listAll(Resources.Namespace))).code).to.equal(403);

      // What Canopy created for this carries managed-by.
      // The new owner is bound once the workspace is reconciled again (asynchronously).
      const crb = await eventually(
        'the owners binding to list alice and dave',
        () => admin.get<KubeObject & { subjects?: Array<{ name: string }> }>(Resources.ClusterRoleBinding, `canopy:workspace:${team}`),
        (binding) =>
          (binding.subjects ?? [])
            .map((s) => s.name)
            .sort()
            .join(',') === 'alice,dave',
      );
      expect(crb.metadata!.labels![LABEL_MANAGED_BY]).to.equal('canopy');
      const rb = await admin.get(Resources.RoleBinding, 'canopy-workspace-owners', team);
      expect(rb.metadata!.labels![LABEL_MANAGED_BY]).to.equal('canopy');

      // She may delete what is below her workspace.
      await alice.delete(Resources.LogicalCluster, shop);
      await eventually(
        'logical cluster gone',
        () => admin.tryGet(Resources.LogicalCluster, shop),
        (lc) => lc === undefined,
        120_000,
      );
      await alice.delete(Resources.Workspace, team);
      await eventually(
        'child workspace gone',
        () => admin.tryGet(Resources.Workspace, team),
        (w) => w === undefined,
        90_000,
      );
      expect(await admin.tryGet(Resources.ClusterRoleBinding, `canopy:workspace:${team}`)).to.equal(undefined);
      expect(await admin.tryGet(Resources.ClusterRole, `canopy:workspace:${team}`)).to.equal(undefined);
    } finally {
      await admin.delete(Resources.LogicalCluster, shop).catch(() => {});
      await eventually(
        'logical cluster gone',
        () => admin.tryGet(Resources.LogicalCluster, shop),
        (lc) => lc === undefined,
        120_000,
      );
      await deleteWorkspaces(admin, [acme, other, team]);
    }
    for (const name of [acme, other]) {
      expect(await admin.tryGet(Resources.ClusterRole, `canopy:workspace:${name}`), `ClusterRole of ${name} removed`).to.equal(undefined);
    }
  });
});
