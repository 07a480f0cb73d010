/**
 * The syncer is a deputy: it applies PropagatedObjects on every member with
 * that member's admin credential. Tried as tenants with their own tokens:
 * a PropagatedObject may carry nothing its author could not have run or
 * created in its namespace on the control plane (pod security, registries,
 * RBAC), overrides included, and may pin only a PlacementPolicy that would
 * select it anyway or that the author may `use`.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { expect } from 'chai';
import { Resources } from '../../../src/runtime/index.js';
import { create, deleteIfExists, logicalClusterObject, waitForPhase, waitGone, workspaceObject } from '../../support/logicalcluster.js';
import { acquireAdmission } from '../../support/admission.js';
import { eventually } from '../../support/propagation.js';
import { uniqueName } from '../env.js';
import {
  adminOf,
  closeAdmissionClients,
  expectNoPropagatedObject,
  expectOnNoMember,
  grant,
  onceAllowed,
  privilegedDeployment,
  propagatedObject,
  refusal,
  remove,
  restrictedDeployment,
  userOnHost,
} from './admission-support.js';

const RBAC = 'rbac.authorization.k8s.io';

describe('admission: no escalation through the syncer (attacks 1, 2 and 6)', function () {
  this.timeout(300_000);
  const ws = uniqueName('adm-ws');
  const dev = uniqueName('adm-dev'); // alice: developer capabilities, no RBAC
  const ops = uniqueName('adm-ops'); // carol: admin capabilities (Roles and RoleBindings)
  const pci = uniqueName('adm-pci');
  const deps = uniqueName('adm-deps'); // dave: may write Deployments and PropagatedObjects, may not read Secrets
  const useRole = `${pci}-use`;
  let release: (() => Promise<void>) | undefined;

  before(async () => {
    release = await acquireAdmission();
    const host = adminOf('host');
    await create(
      host,
      Resources.Workspace,
      workspaceObject(ws, { constraints: { podSecurity: 'restricted', allowedRegistries: ['docker.io/library', 'registry.acme.io'] } }),
    );
    await create(
      host,
      Resources.LogicalCluster,
      logicalClusterObject(dev, { workspace: ws, capabilities: { preset: 'developer' }, owners: [{ kind: 'User', name: 'alice' }] }),
    );
    await create(
      host,
      Resources.LogicalCluster,
      logicalClusterObject(ops, { workspace: ws, capabilities: { preset: 'admin' }, owners: [{ kind: 'User', name: 'carol' }] }),
    );
    // A policy written for someone else's payments workloads: it tolerates the PCI cluster's taint.
    await create(host, Resources.PlacementPolicy, {
      apiVersion: 'canopy.dev/v1alpha1',
      kind: 'PlacementPolicy',
      metadata: { name: pci },
      spec: {
        resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', labelSelector: { matchLabels: { team: 'payments' } } }],
        tolerations: [{ key: 'compliance/pci', operator: 'Exists', effect: 'NoSchedule' }],
      },
    } as KubernetesObject);
    await create(
      host,
      Resources.LogicalCluster,
      logicalClusterObject(deps, {
        workspace: ws,
        capabilities: {
          rules: [
            { apiGroups: ['canopy.dev'], resources: ['propagatedobjects'], verbs: ['create', 'get', 'list', 'watch'] },
            { apiGroups: ['apps'], resources: ['deployments'], verbs: ['create', 'get', 'list', 'watch'] },
          ],
        },
        owners: [{ kind: 'User', name: 'dave' }],
      }),
    );
    await waitForPhase(host, dev, 'Ready');
    await waitForPhase(host, ops, 'Ready');
    await waitForPhase(host, deps, 'Ready');
    await create(host, Resources.Secret, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db-password', namespace: deps },
      stringData: { password: 'hunter2' },
    } as KubernetesObject);
  });

  after(async () => {
    const host = adminOf('host');
    for (const lc of [dev, ops, deps]) await deleteIfExists(host, Resources.LogicalCluster, lc);
    for (const lc of [dev, ops, deps]) await waitGone(host, lc).catch(() => undefined);
    await deleteIfExists(host, Resources.Workspace, ws);
    await remove(Resources.PlacementPolicy, pci);
    await remove(Resources.ClusterRoleBinding, useRole);
    await remove(Resources.ClusterRole, useRole);
    await release?.();
    closeAdmissionClients();
  });

  describe('attack 1: pod security and registries hold for PropagatedObject templates', () => {
    it('refuses a privileged Deployment template, and nothing reaches a member', async () => {
      const name = uniqueName('root');
      const alice = userOnHost('alice');
      const { code, message } = await refusal(
        onceAllowed('alice writes PropagatedObjects', () =>
          alice.create(Resources.PropagatedObject, propagatedObject(dev, name, { template: privilegedDeployment(name) })),
        ),
      );
      expect(code).to.equal(403);
      expect(message).to.contain(
        'denied the request: spec.template.spec.template.spec.hostNetwork: hostNetwork: true is not allowed in logical cluster ' +
          `"${dev}" (pod security level restricted, set by workspace ${ws})`,
      );
      await expectNoPropagatedObject(dev, name);
      await expectOnNoMember(Resources.Deployment, dev, name);
    });

    it('refuses a compliant template whose override adds hostNetwork on one cluster', async () => {
      const name = uniqueName('ovr');
      const overrides = [{ clusters: ['eu-1'], patches: [{ op: 'add', path: '/spec/template/spec/hostNetwork', value: true }] }];
      const { code, message } = await refusal(
        onceAllowed('alice writes PropagatedObjects', () =>
          userOnHost('alice').create(Resources.PropagatedObject, propagatedObject(dev, name, { template: restrictedDeployment(name), overrides })),
        ),
      );
      expect(code).to.equal(403);
      expect(message).to.contain(
        'denied the request: spec.overrides[0]: applied wherever it applies, it makes the placed object break a limit of this namespace: ',
      );
      expect(message).to.contain('spec.template.spec.template.spec.hostNetwork: hostNetwork: true is not allowed');
      await expectNoPropagatedObject(dev, name);
      await expectOnNoMember(Resources.Deployment, dev, name);
    });

    it('refuses an override that swaps in an image from a registry the workspace does not allow', async () => {
      const name = uniqueName('img');
      const overrides = [
        {
          clusterSelector: { matchLabels: { 'canopy.dev/geo': 'us' } },
          patches: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'quay.io/evil/miner:1' }],
        },
      ];
      const { code, message } = await refusal(
        onceAllowed('alice writes PropagatedObjects', () =>
          userOnHost('alice').create(Resources.PropagatedObject, propagatedObject(dev, name, { template: restrictedDeployment(name), overrides })),
        ),
      );
      expect(code).to.equal(403);
      expect(message).to.contain(
        `image "quay.io/evil/miner:1" is not from a registry allowed in logical cluster "${dev}" (allowed: docker.io/library, registry.acme.io, set by workspace ${ws})`,
      );
      await expectNoPropagatedObject(dev, name);
    });

    it('admits a compliant template with a harmless override', async () => {
      const name = uniqueName('ok');
      const overrides = [{ clusters: ['eu-1'], patches: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'registry.acme.io/web:2' }] }];
      const created = await onceAllowed('alice writes PropagatedObjects', () =>
        userOnHost('alice').create(Resources.PropagatedObject, propagatedObject(dev, name, { template: restrictedDeployment(name), overrides })),
      );
      expect(created.metadata?.name).to.equal(name);
    });
  });

  describe('attack 2: RBAC objects only as their author could create them', () => {
    it('refuses a RoleBinding to cluster-admin from a tenant whose capabilities forbid RoleBindings', async () => {
      const name = uniqueName('takeover');
      const binding = {
        apiVersion: `${RBAC}/v1`,
        kind: 'RoleBinding',
        metadata: { name },
        roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'cluster-admin' },
        subjects: [{ apiGroup: RBAC, kind: 'User', name: 'alice' }],
      };
      const { code, message } = await refusal(
        onceAllowed('alice writes PropagatedObjects', () =>
          userOnHost('alice').create(Resources.PropagatedObject, propagatedObject(dev, name, { template: binding })),
        ),
      );
      expect(code).to.equal(403);
      expect(message).to.contain(
        `denied the request: spec.template.kind: user "alice" may not create rolebindings.${RBAC} in namespace "${dev}", so a PropagatedObject may not place one there either`,
      );
      await expectNoPropagatedObject(dev, name);
      await expectOnNoMember(Resources.RoleBinding, dev, name);
    });

    it('refuses a tenant with RBAC capabilities binding cluster-admin: that needs bind on it', async () => {
      const name = uniqueName('admin-binding');
      const binding = {
        apiVersion: `${RBAC}/v1`,
        kind: 'RoleBinding',
        metadata: { name },
        roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'cluster-admin' },
        subjects: [{ apiGroup: RBAC, kind: 'User', name: 'carol' }],
      };
      const { code, message } = await refusal(
        onceAllowed('carol writes PropagatedObjects', () =>
          userOnHost('carol').create(Resources.PropagatedObject, propagatedObject(ops, name, { template: binding })),
        ),
      );
      expect(code).to.equal(403);
      expect(message).to.contain(
        `denied the request: spec.template.roleRef: user "carol" may not bind clusterrole "cluster-admin" in namespace "${ops}" (RBAC verb bind on clusterroles.${RBAC}), so a PropagatedObject may not place a RoleBinding to it`,
      );
      await expectNoPropagatedObject(ops, name);
      await expectOnNoMember(Resources.RoleBinding, ops, name);
    });

    it('admits a RoleBinding to a Role the platform team lets the tenant bind', async () => {
      await grant(`${ops}-bind-reader`, 'carol', [{ apiGroups: [RBAC], resources: ['roles'], verbs: ['bind'], resourceNames: ['app-reader'] }], ops);
      const name = uniqueName('reader-binding');
      const binding = {
        apiVersion: `${RBAC}/v1`,
        kind: 'RoleBinding',
        metadata: { name },
        roleRef: { apiGroup: RBAC, kind: 'Role', name: 'app-reader' },
        subjects: [{ apiGroup: RBAC, kind: 'User', name: 'carol' }],
      };
      // Until RBAC has the grant (and the few seconds an answer is cached), the bind check still says no.
      const created = await onceAllowed(
        'carol binds app-reader through a PropagatedObject',
        () => userOnHost('carol').create(Resources.PropagatedObject, propagatedObject(ops, name, { template: binding })),
        /may not bind role "app-reader"/,
      );
      expect(created.metadata?.name).to.equal(name);
    });
  });

  describe('dependencies that follow a workload: only what the author may read', () => {
    it('refuses a template that uses a Secret its author may not read, and admits one that does not', async () => {
      const name = uniqueName('exfil');
      const deployment = restrictedDeployment(name);
      const pod = (deployment.spec['template'] as { spec: { containers: Array<Record<string, unknown>> } }).spec;
      pod.containers[0]!['envFrom'] = [{ secretRef: { name: 'db-password' } }];
      const dave = userOnHost('dave');
      const { code, message } = await refusal(
        onceAllowed('dave writes PropagatedObjects', () => dave.create(Resources.PropagatedObject, propagatedObject(deps, name, { template: deployment }))),
      );
      expect(code).to.equal(403);
      expect(message).to.contain(
        `denied the request: spec.template.spec: the pod template uses Secret "db-password", which user "dave" may not read in namespace "${deps}"; ` +
          'it would be copied to every cluster the workload runs on, so the PropagatedObject is refused',
      );
      await expectNoPropagatedObject(deps, name);
      await expectOnNoMember(Resources.Secret, deps, 'db-password');

      const plain = uniqueName('plain');
      const created = await dave.create(Resources.PropagatedObject, propagatedObject(deps, plain, { template: restrictedDeployment(plain) }));
      expect(created.metadata?.name).to.equal(plain);
    });
  });

  describe('attack 6: placementRef only for a policy that selects the object, or with `use`', () => {
    it('refuses pinning a PCI policy that does not select the object, then admits it once `use` is granted', async () => {
      const name = uniqueName('pin');
      const po = () => propagatedObject(dev, name, { template: restrictedDeployment(name), placementRef: { name: pci } });
      const { code, message } = await refusal(
        onceAllowed('alice writes PropagatedObjects', () => userOnHost('alice').create(Resources.PropagatedObject, po())),
      );
      expect(code).to.equal(403);
      expect(message).to.contain(
        `denied the request: spec.placementRef.name: PlacementPolicy "${pci}" does not select this Deployment and user "alice" may not use it; ` +
          `either change the object (or the policy's resourceSelectors) so the policy selects it, or have an administrator grant the verb "use" on placementpolicies.canopy.dev "${pci}"`,
      );
      await expectNoPropagatedObject(dev, name);
      await expectOnNoMember(Resources.Deployment, dev, name);

      await grant(useRole, 'alice', [{ apiGroups: ['canopy.dev'], resources: ['placementpolicies'], verbs: ['use'], resourceNames: [pci] }]);
      const created = await onceAllowed(
        'alice pins the policy she may use',
        () => userOnHost('alice').create(Resources.PropagatedObject, po()),
        /may not use it/,
      );
      expect((created as { spec?: Record<string, unknown> }).spec).to.deep.include({ placementRef: { name: pci } });
    });

    it('admits pinning a policy whose selectors select the object anyway, without `use`', async () => {
      const name = uniqueName('payments');
      const template = restrictedDeployment(name);
      template.metadata = { ...template.metadata, labels: { app: name, team: 'payments' } };
      // bob has no `use` on anything: the policy selecting the object is reason enough.
      await grant(
        `${dev}-bob`,
        'bob',
        [
          { apiGroups: ['canopy.dev'], resources: ['propagatedobjects'], verbs: ['create'] },
          { apiGroups: ['apps'], resources: ['deployments'], verbs: ['create'] },
        ],
        dev,
      );
      const created = await onceAllowed('bob writes PropagatedObjects', () =>
        userOnHost('bob').create(Resources.PropagatedObject, propagatedObject(dev, name, { template, placementRef: { name: pci } })),
      );
      expect(created.metadata?.name).to.equal(name);

      // The policy goes first, then the object: its deletion still finishes (the finalizer's release is not judged again).
      const host = adminOf('host');
      await eventually('the syncer holds its finalizer', async () =>
        (await host.tryGet(Resources.PropagatedObject, name, dev))?.metadata?.finalizers?.length ? true : undefined,
      );
      await remove(Resources.PlacementPolicy, pci);
      await host.delete(Resources.PropagatedObject, name, dev);
      await eventually('the PropagatedObject is gone', async () => ((await host.tryGet(Resources.PropagatedObject, name, dev)) ? undefined : true));
    });
  });
});
