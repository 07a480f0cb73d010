/**
 * Broken trees through the real apiserver: a parent cycle (made with the
 * admission webhook out of the way, as a webhook outage or a bypass would)
 * halts propagation without deleting anything, and a deleted workspace takes
 * its home namespace and the copies it made with it while its children are
 * kept with ParentMissing.
 */

import { expect } from 'chai';
import { testEnv, uniqueName } from '../../../test/e2e/env.js';
import { ApiClient, isNotFound, Resources, type KubeObject } from '../../runtime/index.js';
import { LABEL_MANAGED_BY, treeLabel } from '../../crds/labels.js';
import { DEFAULT_CONFIGURATION_NAME } from '../../webhooks/index.js';
import {
  condition,
  copies,
  deleteWorkspaces,
  eventually,
  getWorkspace,
  roleBinding,
  sameEntries,
  waitForWorkspace,
  waitReady,
  workspace,
} from '../../../test/support/workspace.js';

type Subjects = KubeObject & { subjects?: Array<{ name: string }> };

describe('workspace lifecycle (e2e)', function () {
  this.timeout(300_000);
  let admin: ApiClient;
  before(() => {
    admin = new ApiClient(testEnv().host.kubeConfig());
  });

  const subjectsOf = async (name: string, ns: string) =>
    ((await admin.tryGet<Subjects>(Resources.RoleBinding, name, ns))?.subjects ?? []).map((s) => s.name).join(',');

  /**
   * Makes `a` the child of `c`. The admission webhook refuses cycles, so when
   * its configuration is installed it is deleted for the moment of the patch
   * (as an outage or a bypass would) and put back afterwards; the webhook
   * re-applies it periodically, so the patch is retried until it lands.
   */
  async function closeCycleBypassingAdmission(a: string, c: string): Promise<void> {
    const resource = await admin.resourceFor('admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration');
    const saved = await admin.tryGet(resource, DEFAULT_CONFIGURATION_NAME);
    if (!saved) {
      await admin.patch(Resources.Workspace, a, undefined, { spec: { parent: c } }, 'merge');
      return;
    }
    const {
      resourceVersion: _rv,
      uid: _uid,
      creationTimestamp: _ct,
      generation: _g,
      managedFields: _mf,
      ...metadata
    } = saved.metadata as Record<string, unknown>;
    try {
      await eventually(
        `parent cycle through ${a} and ${c} admitted without the webhook`,
        async () => {
          try {
            await admin.delete(resource, DEFAULT_CONFIGURATION_NAME);
          } catch (err) {
            if (!isNotFound(err)) throw err;
          }
          await admin.patch(Resources.Workspace, a, undefined, { spec: { parent: c } }, 'merge');
          return true;
        },
        (done) => done,
        60_000,
      );
    } finally {
      await admin.create(resource, { ...saved, metadata }).catch(() => {}); // or the webhook re-applied it meanwhile
    }
  }

  it('a parent cycle is reported on every member, halts propagation into it and deletes nothing', async () => {
    const a = uniqueName('cyc-a');
    const b = `${a}-b`;
    const c = `${a}-c`;
    const other = uniqueName('healthy');
    const otherChild = `${other}-child`;
    try {
      await admin.create(Resources.Workspace, workspace(a));
      await admin.create(Resources.Workspace, workspace(b, { parent: a }));
      await admin.create(Resources.Workspace, workspace(c, { parent: b }));
      await admin.create(Resources.Workspace, workspace(other));
      await admin.create(Resources.Workspace, workspace(otherChild, { parent: other }));
      await Promise.all([a, b, c, other, otherChild].map((n) => waitReady(admin, n)));
      await admin.create(Resources.RoleBinding, roleBinding('ops', a, ['v1']));
      await eventually(
        'copies below a',
        () => copies(admin, 'RoleBinding', 'ops', [b, c]),
        (m) => m.size === 2,
      );

      await closeCycleBypassingAdmission(a, c);

      for (const member of [a, b, c]) {
        const ws = await waitForWorkspace(admin, member, 'CycleDetected', (w) => condition(w, 'CycleDetected')?.status === 'True');
        expect(condition(ws, 'CycleDetected')!.message).to.contain([a, b, c].sort().join(', '));
        expect(condition(ws, 'Ready')!.status).to.equal('False');
        expect(ws.status!.path).to.equal(undefined);
      }
      // Nothing was deleted: copies and tree labels stay as they were.
      expect((await copies(admin, 'RoleBinding', 'ops', [b, c])).size).to.equal(2);
      expect((await admin.get(Resources.Namespace, c)).metadata!.labels![treeLabel(a)]).to.equal('2');

      // A change at the source is not carried into the cycle. The healthy tree,
      // changed afterwards, shows the operator has processed later events.
      await admin.patch(Resources.RoleBinding, 'ops', a, { subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'v2' }] }, 'merge');
      await admin.create(Resources.RoleBinding, roleBinding('marker', other, ['m']));
      await eventually(
        'the healthy tree still propagates',
        () => copies(admin, 'RoleBinding', 'marker', [otherChild]),
        (m) => m.size === 1,
      );
      expect(await subjectsOf('ops', b)).to.equal('v1');
      expect(await subjectsOf('ops', c)).to.equal('v1');

      // Breaking the cycle resumes propagation.
      await admin.patch(Resources.Workspace, a, undefined, { spec: { parent: null } }, 'merge');
      await eventually(
        'copies catch up once the cycle is broken',
        () => Promise.all([subjectsOf('ops', b), subjectsOf('ops', c)]),
        (s) => s.every((x) => x === 'v2'),
      );
      for (const member of [a, b, c]) await waitForWorkspace(admin, member, 'cycle cleared', (w) => condition(w, 'CycleDetected')?.status === 'False');
    } finally {
      await admin.patch(Resources.Workspace, a, undefined, { spec: { parent: null } }, 'merge').catch(() => {});
      await deleteWorkspaces(admin, [a, b, c, other, otherChild]);
    }
  });

  it('deleting a workspace removes its home namespace and its copies; its children stay with ParentMissing', async () => {
    const top = uniqueName('del');
    const mid = `${top}-mid`;
    const leaf = `${top}-leaf`;
    try {
      await admin.create(Resources.Workspace, workspace(top));
      await admin.create(Resources.Workspace, workspace(mid, { parent: top, owners: [{ kind: 'User', name: 'erin' }] }));
      await admin.create(Resources.Workspace, workspace(leaf, { parent: mid }));
      await Promise.all([top, mid, leaf].map((n) => waitReady(admin, n)));
      await admin.create(Resources.RoleBinding, roleBinding('from-top', top, ['t']));
      await admin.create(Resources.RoleBinding, roleBinding('from-mid', mid, ['m']));
      await eventually(
        'copies in leaf',
        () => copies(admin, 'RoleBinding', 'from-top', [leaf]),
        (m) => m.size === 1,
      );
      await eventually(
        'copies in leaf',
        () => copies(admin, 'RoleBinding', 'from-mid', [leaf]),
        (m) => m.size === 1,
      );
      await eventually(
        'owners ClusterRoleBinding',
        () => admin.tryGet(Resources.ClusterRoleBinding, `canopy:workspace:${mid}`),
        (crb) => crb?.metadata?.labels?.[LABEL_MANAGED_BY] === 'canopy',
      );

      await admin.delete(Resources.Workspace, mid);
      await eventually(
        `workspace ${mid} gone`,
        () => getWorkspace(admin, mid),
        (w) => w === undefined,
      );

      const orphan = await waitForWorkspace(admin, leaf, 'ParentMissing', (w) => condition(w, 'ParentMissing')?.status === 'True');
      expect(condition(orphan, 'ParentMissing')!.message).to.contain(`"${mid}" does not exist`);
      // The deleted workspace's copies are gone; what came from above it stays (propagation into the orphan is halted).
      expect((await copies(admin, 'RoleBinding', 'from-mid', [leaf])).size).to.equal(0);
      expect(sameEntries(await copies(admin, 'RoleBinding', 'from-top', [leaf]), new Map([[leaf, top]]))).to.equal(true);
      const home = await admin.tryGet(Resources.Namespace, mid);
      expect(home === undefined || home.metadata?.deletionTimestamp !== undefined, 'home namespace deleted').to.equal(true);
      expect(await admin.tryGet(Resources.ClusterRoleBinding, `canopy:workspace:${mid}`)).to.equal(undefined);
      expect(await admin.tryGet(Resources.ClusterRole, `canopy:workspace:${mid}`)).to.equal(undefined);

      // Re-parenting the orphan heals it.
      await admin.patch(Resources.Workspace, leaf, undefined, { spec: { parent: top } }, 'merge');
      await waitForWorkspace(admin, leaf, 'healed', (w) => condition(w, 'ParentMissing')?.status === 'False' && w.status?.path === `root:${top}:${leaf}`);
    } finally {
      await deleteWorkspaces(admin, [top, mid, leaf]);
    }
  });
});
