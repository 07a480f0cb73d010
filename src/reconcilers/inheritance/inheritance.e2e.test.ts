/**
 * Propagation through the real apiserver with the shared operator: HNC's
 * introductory scenario, copies kept in sync, re-parenting and conflicts.
 */

import { expect } from 'chai';
import { testEnv, uniqueName } from '../../../test/e2e/env.js';
import { ApiClient, Resources, type KubeObject } from '../../runtime/index.js';
import { LABEL_INHERITED_FROM, LABEL_MANAGED_BY, treeLabel } from '../../crds/labels.js';
import {
  condition,
  copies,
  deleteWorkspaces,
  eventually,
  roleBinding,
  sameEntries,
  waitForWorkspace,
  waitReady,
  workspace,
} from '../../../test/support/workspace.js';

describe('workspace propagation (e2e)', function () {
  this.timeout(240_000);
  let admin: ApiClient;
  before(() => {
    admin = new ApiClient(testEnv().host.kubeConfig());
  });

  it("HNC's scenario: a RoleBinding in team-a reaches its child, and one tree label selects both namespaces", async () => {
    const teamA = uniqueName('team-a');
    const svc1 = `svc1-${teamA}`;
    try {
      await admin.create(Resources.Workspace, workspace(teamA));
      await waitReady(admin, teamA);
      await admin.create(Resources.RoleBinding, roleBinding('sres', teamA, ['sre-alice', 'sre-bob']));
      await admin.create(Resources.Workspace, workspace(svc1, { parent: teamA }));

      const copy = await eventually(
        `RoleBinding sres copied into ${svc1}`,
        () => admin.tryGet<KubeObject & { subjects?: Array<{ name: string }> }>(Resources.RoleBinding, 'sres', svc1),
        (rb) => rb?.metadata?.labels?.[LABEL_INHERITED_FROM] === teamA,
      );
      expect(copy!.metadata!.labels![LABEL_MANAGED_BY]).to.equal('canopy');
      expect(copy!.subjects!.map((s) => s.name)).to.deep.equal(['sre-alice', 'sre-bob']);

      const child = await eventually(
        `tree labels on ${svc1}`,
        () => admin.get(Resources.Namespace, svc1),
        (ns) => ns.metadata?.labels?.[treeLabel(teamA)] === '1',
      );
      expect(child.metadata!.labels![treeLabel(svc1)]).to.equal('0');
      const parent = await admin.get(Resources.Namespace, teamA);
      expect(parent.metadata!.labels![treeLabel(teamA)]).to.equal('0');

      // What a NetworkPolicy namespaceSelector `team-a.tree.canopy.dev/depth Exists` covers:
      const selected = await admin.listAll(Resources.Namespace, { labelSelector: treeLabel(teamA) });
      expect(selected.map((ns) => ns.metadata!.name).sort()).to.deep.equal([svc1, teamA].sort());

      const ws = await waitForWorkspace(admin, svc1, 'path reported', (w) => w.status?.path !== undefined);
      expect(ws.status!.path).to.equal(`root:${teamA}:${svc1}`);
      expect(ws.status!.depth).to.equal(1);
      const top = await waitForWorkspace(admin, teamA, 'child listed', (w) => (w.status?.children ?? []).includes(svc1));
      expect(top.status!.children).to.deep.equal([svc1]);
    } finally {
      await deleteWorkspaces(admin, [teamA, svc1]);
    }
  });

  it("reaches logical clusters' namespaces, which sit one level below their workspace", async () => {
    const org = uniqueName('lcorg');
    const team = `${org}-team`;
    const shop = `${org}-shop`;
    try {
      await admin.create(Resources.Workspace, workspace(org));
      await admin.create(Resources.Workspace, workspace(team, { parent: org }));
      await Promise.all([org, team].map((n) => waitReady(admin, n)));
      await admin.create(Resources.RoleBinding, roleBinding('auditors', org, ['audit']));
      await admin.create(Resources.LogicalCluster, {
        apiVersion: 'canopy.dev/v1alpha1',
        kind: 'LogicalCluster',
        metadata: { name: shop },
        spec: { workspace: team, namespaces: ['web', 'db'] },
      } as KubeObject);
      const namespaces = [`${shop}-web`, `${shop}-db`];
      await eventually(
        'copies in both logical-cluster namespaces',
        () => copies(admin, 'RoleBinding', 'auditors', namespaces),
        (m) => m.size === 2 && [...m.values()].every((from) => from === org),
      );
      const ns = await eventually(
        'tree labels on the logical-cluster namespace',
        () => admin.get(Resources.Namespace, `${shop}-db`),
        (n) => n.metadata?.labels?.[treeLabel(org)] === '2',
      );
      expect(ns.metadata!.labels![treeLabel(team)]).to.equal('1');
      expect(ns.metadata!.labels![treeLabel(`${shop}-db`)]).to.equal('0');
      const selected = await admin.listAll(Resources.Namespace, { labelSelector: treeLabel(team) });
      expect(selected.map((n) => n.metadata!.name).sort()).to.deep.equal([team, ...namespaces].sort());
      const ws = await waitForWorkspace(admin, team, 'logical cluster counted', (w) => w.status?.logicalClusters === 1);
      expect(ws.status!.logicalClusters).to.equal(1);
    } finally {
      await admin.delete(Resources.LogicalCluster, shop).catch(() => {});
      await eventually(
        'logical cluster gone',
        () => admin.tryGet(Resources.LogicalCluster, shop),
        (lc) => lc === undefined,
        120_000,
      );
      await deleteWorkspaces(admin, [org, team]);
    }
  });

  it('keeps copies in sync: source update, hand edit, hand delete, source delete', async () => {
    const root = uniqueName('org');
    const mid = `${root}-mid`;
    const leaf = `${root}-leaf`;
    const below = [mid, leaf];
    try {
      await admin.create(Resources.Workspace, workspace(root));
      await admin.create(Resources.Workspace, workspace(mid, { parent: root }));
      await admin.create(Resources.Workspace, workspace(leaf, { parent: mid }));
      await Promise.all([root, mid, leaf].map((n) => waitReady(admin, n)));
      await admin.create(Resources.RoleBinding, roleBinding('viewers', root, ['ann']));
      await eventually(
        'copies everywhere below',
        () => copies(admin, 'RoleBinding', 'viewers', below),
        (m) => m.size === 2,
      );

      const subjects = async (ns: string) =>
        ((await admin.tryGet<KubeObject & { subjects?: Array<{ name: string }> }>(Resources.RoleBinding, 'viewers', ns))?.subjects ?? [])
          .map((s) => s.name)
          .join(',');

      // Source update: every copy follows.
      await admin.patch(Resources.RoleBinding, 'viewers', root, { subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'ben' }] }, 'merge');
      await eventually(
        'copies updated',
        () => Promise.all(below.map(subjects)),
        (s) => s.every((x) => x === 'ben'),
      );

      // A copy edited by hand (a subject and an extra label) is put back exactly.
      await admin.patch(
        Resources.RoleBinding,
        'viewers',
        leaf,
        { metadata: { labels: { sneaky: 'yes' } }, subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'mallory' }] },
        'merge',
      );
      const restored = await eventually(
        'hand-edited copy restored',
        () => admin.get(Resources.RoleBinding, 'viewers', leaf),
        (rb) => (rb as { subjects?: Array<{ name: string }> }).subjects?.[0]?.name === 'ben' && rb.metadata?.labels?.sneaky === undefined,
      );
      expect(restored.metadata!.labels![LABEL_INHERITED_FROM]).to.equal(root);

      // A copy deleted by hand comes back.
      await admin.delete(Resources.RoleBinding, 'viewers', mid);
      await eventually(
        'deleted copy recreated',
        () => copies(admin, 'RoleBinding', 'viewers', [mid]),
        (m) => m.get(mid) === root,
      );

      // Source deleted: every copy goes.
      await admin.delete(Resources.RoleBinding, 'viewers', root);
      await eventually(
        'copies removed',
        () => copies(admin, 'RoleBinding', 'viewers', below),
        (m) => m.size === 0,
      );
    } finally {
      await deleteWorkspaces(admin, [root, mid, leaf]);
    }
  });

  it('propagates spec.propagate types and honours the none and select annotations', async () => {
    const root = uniqueName('cfg');
    const prod = `${root}-prod`;
    const dev = `${root}-dev`;
    try {
      await admin.create(Resources.Workspace, workspace(root, { propagate: [{ apiVersion: 'v1', kind: 'ConfigMap' }] }));
      await admin.create(Resources.Workspace, workspace(prod, { parent: root }));
      await admin.create(Resources.Workspace, workspace(dev, { parent: root }));
      await Promise.all([root, prod, dev].map((n) => waitReady(admin, n)));
      await admin.patch(Resources.Namespace, prod, undefined, { metadata: { labels: { env: 'prod' } } }, 'merge');
      const configMap = (name: string, annotations: Record<string, string> = {}) => ({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name, namespace: root, annotations },
        data: { hello: name },
      });
      await admin.create(Resources.ConfigMap, configMap('everywhere'));
      await admin.create(Resources.ConfigMap, configMap('prod-only', { 'propagate.canopy.dev/select': 'env=prod' }));
      await admin.create(Resources.ConfigMap, configMap('local', { 'propagate.canopy.dev/none': 'true' }));

      await eventually(
        'ConfigMap everywhere copied',
        () => copies(admin, 'ConfigMap', 'everywhere', [prod, dev]),
        (m) => m.size === 2,
      );
      await eventually(
        'prod-only only in prod',
        () => copies(admin, 'ConfigMap', 'prod-only', [prod, dev]),
        (m) => sameEntries(m, new Map([[prod, root]])),
      );
      // The system's own per-namespace ConfigMap is never a source.
      const rootCa = await admin.tryGet(Resources.ConfigMap, 'kube-root-ca.crt', prod);
      expect(rootCa?.metadata?.labels?.[LABEL_INHERITED_FROM]).to.equal(undefined);
      expect((await copies(admin, 'ConfigMap', 'local', [prod, dev])).size).to.equal(0);

      // Relabelling a namespace moves select-limited copies.
      await admin.patch(Resources.Namespace, prod, undefined, { metadata: { labels: { env: null } } }, 'merge');
      await admin.patch(Resources.Namespace, dev, undefined, { metadata: { labels: { env: 'prod' } } }, 'merge');
      await eventually(
        'prod-only follows the label',
        () => copies(admin, 'ConfigMap', 'prod-only', [prod, dev]),
        (m) => sameEntries(m, new Map([[dev, root]])),
      );
    } finally {
      await deleteWorkspaces(admin, [root, prod, dev]);
    }
  });

  it('re-parenting moves exactly the right copies', async () => {
    const a = uniqueName('a');
    const b = uniqueName('b');
    const team = `${a}-team`;
    const app = `${a}-app`;
    try {
      for (const ws of [workspace(a), workspace(b), workspace(team, { parent: a }), workspace(app, { parent: team })])
        await admin.create(Resources.Workspace, ws);
      await Promise.all([a, b, team, app].map((n) => waitReady(admin, n)));
      await admin.create(Resources.RoleBinding, roleBinding('from-a', a, ['x']));
      await admin.create(Resources.RoleBinding, roleBinding('from-b', b, ['y']));
      await admin.create(Resources.RoleBinding, roleBinding('shared', a, ['x']));
      await admin.create(Resources.RoleBinding, roleBinding('shared', b, ['y']));
      await admin.create(Resources.RoleBinding, roleBinding('from-team', team, ['z']));
      await eventually(
        'copies from a',
        () => copies(admin, 'RoleBinding', 'from-a', [team, app]),
        (m) => m.size === 2,
      );
      await eventually(
        'copies from team',
        () => copies(admin, 'RoleBinding', 'from-team', [app]),
        (m) => m.size === 1,
      );

      await admin.patch(Resources.Workspace, team, undefined, { spec: { parent: b } }, 'merge');

      await eventually(
        'a no longer reaches the moved subtree',
        () => copies(admin, 'RoleBinding', 'from-a', [team, app]),
        (m) => m.size === 0,
      );
      await eventually(
        'b now reaches it',
        () => copies(admin, 'RoleBinding', 'from-b', [team, app]),
        (m) =>
          sameEntries(
            m,
            new Map([
              [team, b],
              [app, b],
            ]),
          ),
      );
      await eventually(
        'same-named object re-pointed to b',
        () => copies(admin, 'RoleBinding', 'shared', [team, app]),
        (m) =>
          sameEntries(
            m,
            new Map([
              [team, b],
              [app, b],
            ]),
          ),
      );
      // Copies from inside the moved subtree are untouched.
      expect(sameEntries(await copies(admin, 'RoleBinding', 'from-team', [app]), new Map([[app, team]]))).to.equal(true);
      const appNs = await eventually(
        'tree labels follow the move',
        () => admin.get(Resources.Namespace, app),
        (ns) => ns.metadata?.labels?.[treeLabel(b)] === '2',
      );
      expect(appNs.metadata!.labels![treeLabel(a)]).to.equal(undefined);
      const moved = await waitForWorkspace(admin, app, 'new path', (w) => w.status?.path === `root:${b}:${team}:${app}`);
      expect(moved.status!.depth).to.equal(2);
    } finally {
      await deleteWorkspaces(admin, [a, b, team, app]);
    }
  });

  it("never overwrites a user's own object: it reports PropagationConflict and copies once it is gone", async () => {
    const root = uniqueName('conf');
    const child = `${root}-child`;
    try {
      await admin.create(Resources.Workspace, workspace(root));
      await admin.create(Resources.Workspace, workspace(child, { parent: root }));
      await Promise.all([root, child].map((n) => waitReady(admin, n)));
      await admin.create(Resources.RoleBinding, roleBinding('deployers', child, ['mine']));
      await admin.create(Resources.RoleBinding, roleBinding('deployers', root, ['theirs']));

      const ws = await waitForWorkspace(admin, child, 'conflict reported', (w) => condition(w, 'PropagationConflict')?.status === 'True');
      expect(condition(ws, 'PropagationConflict')!.message).to.contain(`RoleBinding deployers in namespace ${child}`);
      const mine = await admin.get<KubeObject & { subjects?: Array<{ name: string }> }>(Resources.RoleBinding, 'deployers', child);
      expect(mine.subjects!.map((s) => s.name)).to.deep.equal(['mine']);
      expect(mine.metadata!.labels?.[LABEL_INHERITED_FROM]).to.equal(undefined);

      await admin.delete(Resources.RoleBinding, 'deployers', child);
      await eventually(
        'copy arrives once the user object is gone',
        () => copies(admin, 'RoleBinding', 'deployers', [child]),
        (m) => m.get(child) === root,
      );
      await waitForWorkspace(admin, child, 'conflict cleared', (w) => condition(w, 'PropagationConflict')?.status === 'False');
    } finally {
      await deleteWorkspaces(admin, [root, child]);
    }
  });
});
