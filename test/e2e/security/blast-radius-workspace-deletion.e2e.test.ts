import { expect } from 'chai';
import { ApiClient, apply, Resources, type KubeObject } from '../../../src/runtime/index.js';
import { Waiter } from '../../support/waiter.js';
import { testEnv, uniqueName } from '../env.js';

type Condition = { type: string; status: string; reason: string; message: string };
type PropagatedObjectView = KubeObject & { status?: { conditions?: Condition[] } };

const EU = ['eu-1', 'eu-2'];

/**
 * Attack 8 (blast radius), workspace deletion: a workspace owner deleting
 * their Workspace takes its home namespace, and every PropagatedObject in
 * it, along. The member copies are not removed at once: they stay for the
 * grace of the policy that placed them (counted from the PropagatedObject's
 * deletion), the PropagatedObject's Synced condition says so, and then they
 * go with the namespace. Every step is the owner's own request.
 */
describe('security: blast radius of a workspace deletion (e2e)', function () {
  this.timeout(180_000);
  const owner = 'carol';
  // Root workspaces are the cluster admin's: the owner deletes a team workspace of their subtree.
  const root = uniqueName('bw-org');
  const workspace = uniqueName('bw-team');
  const policy = uniqueName('bw-eu');
  const name = uniqueName('web');
  let admin: ApiClient;
  let tenant: ApiClient;
  const member = (cluster: string) => new ApiClient(testEnv().cluster(cluster).kubeConfig());
  const copyUids = async (): Promise<Record<string, string | undefined>> =>
    Object.fromEntries(await Promise.all(EU.map(async (c) => [c, (await member(c).tryGet(Resources.Deployment, name, workspace))?.metadata?.uid] as const)));

  const waiter = new Waiter();
  const until = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs?: number): Promise<T> => waiter.until(what, probe, timeoutMs);

  before(async () => {
    admin = new ApiClient(testEnv().host.kubeConfig());
    tenant = new ApiClient(testEnv().host.userKubeConfig(owner));
    await apply(admin, {
      apiVersion: 'canopy.dev/v1alpha1',
      kind: 'Workspace',
      metadata: { name: root },
      spec: { owners: [{ kind: 'User', name: owner }] },
    } as KubeObject);
    await apply(admin, { apiVersion: 'canopy.dev/v1alpha1', kind: 'Workspace', metadata: { name: workspace }, spec: { parent: root } } as KubeObject);
    await apply(admin, {
      apiVersion: 'canopy.dev/v1alpha1',
      kind: 'PlacementPolicy',
      metadata: { name: policy },
      spec: {
        priority: 700,
        resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', workspace, labelSelector: { matchLabels: { tier: 'web' } } }],
        clusterSelector: { matchLabels: { 'canopy.dev/geo': 'eu' } },
        deselectionGraceSeconds: 8,
      },
    } as KubeObject);
  });

  after(async () => {
    await admin.delete(Resources.PlacementPolicy, policy).catch(() => undefined);
    await admin.delete(Resources.Workspace, workspace).catch(() => undefined);
    await admin.delete(Resources.Workspace, root).catch(() => undefined);
  });

  it('keeps the member copies through the grace after the owner deletes the Workspace, says so, then removes them', async () => {
    await waiter.whenAllowed('the owner may create Deployments in the home namespace', () =>
      tenant.create(Resources.Deployment, {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name, namespace: workspace, labels: { app: name, tier: 'web' } },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: name } },
          template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } },
        },
      } as KubeObject),
    );
    const before = await until(
      `copies on ${EU.join(' and ')}`,
      async () => {
        const uids = await copyUids();
        return Object.values(uids).every((u) => u !== undefined) ? uids : undefined;
      },
      90_000,
    );

    await tenant.delete(Resources.Workspace, workspace);
    const held = await until('the PropagatedObject, deleted with the namespace, says its copies are kept', async () => {
      const p = await admin.tryGet<PropagatedObjectView>(Resources.PropagatedObject, `${name}-deployment`, workspace);
      const synced = p?.status?.conditions?.find((c) => c.type === 'Synced');
      return p?.metadata?.deletionTimestamp && synced?.reason === 'DeletionGrace' ? synced : undefined;
    });
    // While status says they are kept, they are: the same copies on both clusters.
    expect(await copyUids()).to.deep.equal(before);
    expect(held.status).to.equal('False');
    expect(held.message).to.match(
      new RegExp(`^namespace ${workspace} is being deleted with its workspace; the member copies are kept until \\S+ \\(grace 8 s\\), then removed`),
    );

    await until('both copies removed after the grace', async () => (Object.values(await copyUids()).every((u) => u === undefined) ? true : undefined));
    await until('the home namespace gone', async () => ((await admin.tryGet(Resources.Namespace, workspace)) ? undefined : true));
  });
});
