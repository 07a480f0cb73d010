import { expect } from 'chai';
import { ApiClient, apply, EventsV1, Resources, type EventV1, type KubeObject } from '../../../src/runtime/index.js';
import { ANNOTATION_DESELECTED_SINCE } from '../../../src/reconcilers/placement/deselection.js';
import { Waiter } from '../../support/waiter.js';
import { testEnv, uniqueName } from '../env.js';

type Condition = { type: string; status: string; reason: string; message: string };
type PropagatedObjectView = KubeObject & { status?: { conditions?: Condition[]; clusters?: Array<{ cluster: string }> } };

const EU = ['eu-1', 'eu-2'];

/**
 * Attack 8 (blast radius), deselection: a workspace owner's label edit that
 * takes a placed Deployment out of every PlacementPolicy does not take its
 * member copies down at once. They are kept for the policy's
 * deselectionGraceSeconds, status says so, and then they go; selected again
 * within the grace, nothing moved. Every step is the owner's own request.
 */
describe('security: blast radius of a deselection (e2e)', function () {
  this.timeout(180_000);
  const owner = 'dave';
  const workspace = uniqueName('br-ws');
  const shortPolicy = uniqueName('br-short');
  const longPolicy = uniqueName('br-long');
  let admin: ApiClient;
  let tenant: ApiClient;
  const member = (cluster: string) => new ApiClient(testEnv().cluster(cluster).kubeConfig());

  const deploymentOf = (name: string, tier: string): KubeObject & Record<string, unknown> => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: workspace, labels: { app: name, tier } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } },
    },
  });
  const relabel = (name: string, tier: string) => tenant.patch(Resources.Deployment, name, workspace, { metadata: { labels: { tier } } }, 'merge');
  const po = (name: string) => admin.tryGet<PropagatedObjectView>(Resources.PropagatedObject, `${name}-deployment`, workspace);
  const scheduled = (p: PropagatedObjectView | undefined) => p?.status?.conditions?.find((c) => c.type === 'Scheduled');
  const copyUids = async (name: string): Promise<Record<string, string | undefined>> =>
    Object.fromEntries(await Promise.all(EU.map(async (c) => [c, (await member(c).tryGet(Resources.Deployment, name, workspace))?.metadata?.uid] as const)));

  const waiter = new Waiter();
  const until = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs?: number): Promise<T> => waiter.until(what, probe, timeoutMs);

  /** The owner places a Deployment and waits for its copies on eu-1 and eu-2. */
  async function placed(name: string, tier: string): Promise<Record<string, string | undefined>> {
    // RBAC catches up with the workspace's owner binding.
    await waiter.whenAllowed('the owner may create Deployments in the home namespace', () => tenant.create(Resources.Deployment, deploymentOf(name, tier)));
    return until(
      `copies of ${name} on ${EU.join(' and ')}`,
      async () => {
        const uids = await copyUids(name);
        return Object.values(uids).every((u) => u !== undefined) ? uids : undefined;
      },
      90_000,
    );
  }

  before(async () => {
    admin = new ApiClient(testEnv().host.kubeConfig());
    tenant = new ApiClient(testEnv().host.userKubeConfig(owner));
    // The platform team: a workspace owned by the tenant, and two policies placing its web tiers on both EU clusters.
    await apply(admin, {
      apiVersion: 'canopy.dev/v1alpha1',
      kind: 'Workspace',
      metadata: { name: workspace },
      spec: { owners: [{ kind: 'User', name: owner }] },
    } as KubeObject);
    const policy = (name: string, tier: string, graceSeconds: number) =>
      apply(admin, {
        apiVersion: 'canopy.dev/v1alpha1',
        kind: 'PlacementPolicy',
        metadata: { name },
        spec: {
          priority: 700,
          resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', workspace, labelSelector: { matchLabels: { tier } } }],
          clusterSelector: { matchLabels: { 'canopy.dev/geo': 'eu' } },
          deselectionGraceSeconds: graceSeconds,
        },
      } as KubeObject);
    await policy(shortPolicy, 'web', 6);
    await policy(longPolicy, 'api', 600);
  });

  after(async () => {
    for (const name of [shortPolicy, longPolicy]) await admin.delete(Resources.PlacementPolicy, name).catch(() => undefined);
    await admin.delete(Resources.Workspace, workspace).catch(() => undefined);
  });

  it('keeps the copies through the grace after a label edit, says so in Scheduled, then removes them', async () => {
    const name = uniqueName('web');
    const before = await placed(name, 'web');
    const generated = await po(name);

    await relabel(name, 'batch');
    const marked = await until('Scheduled=False Deselected', async () => {
      const p = await po(name);
      return scheduled(p)?.reason === 'Deselected' ? p : undefined;
    });
    // While status says they are kept, they are: the same copies, on both clusters.
    expect(await copyUids(name)).to.deep.equal(before);
    expect(marked.metadata?.uid, 'the PropagatedObject itself is kept').to.equal(generated?.metadata?.uid);
    expect(marked.metadata?.annotations?.[ANNOTATION_DESELECTED_SINCE]).to.be.a('string');
    const condition = scheduled(marked)!;
    expect(condition.status).to.equal('False');
    expect(condition.message).to.match(
      new RegExp(`^no PlacementPolicy selects Deployment ${name} any more; copies on eu-1, eu-2 are kept until \\S+ \\(grace 6 s\\), then removed`),
    );
    const event = await until('an Event on the Deployment saying it was deselected', async () => {
      const events = await admin.listAll<EventV1>(EventsV1, { namespace: workspace });
      return events.find((e) => e.reason === 'Deselected' && e.regarding.kind === 'Deployment' && e.regarding.name === name);
    });
    expect(event.note).to.match(/its copies are kept until \S+, then removed$/);

    // The grace over: the PropagatedObject goes and its finalizer removes both copies.
    await until('the PropagatedObject is removed after the grace', async () => ((await po(name)) ? undefined : true));
    await until('both copies removed', async () => (Object.values(await copyUids(name)).every((u) => u === undefined) ? true : undefined));
    // The owner's Deployment itself is untouched: only its placement ended.
    expect((await tenant.get(Resources.Deployment, name, workspace)).metadata?.labels?.['tier']).to.equal('batch');
  });

  it('selected again within the grace: the mark goes and nothing moved', async () => {
    const name = uniqueName('api');
    const before = await placed(name, 'api');
    const generated = await po(name);

    await relabel(name, 'batch');
    await until('Scheduled=False Deselected', async () => (scheduled(await po(name))?.reason === 'Deselected' ? true : undefined));
    await relabel(name, 'api');
    const reselected = await until('Scheduled=True and the mark gone', async () => {
      const p = await po(name);
      return scheduled(p)?.status === 'True' && p?.metadata?.annotations?.[ANNOTATION_DESELECTED_SINCE] === undefined ? p : undefined;
    });
    expect(reselected.metadata?.uid, 'the same PropagatedObject').to.equal(generated?.metadata?.uid);
    expect(reselected.metadata?.deletionTimestamp).to.equal(undefined);
    expect(await copyUids(name), 'the same copies on the same clusters').to.deep.equal(before);
    expect((reselected.status?.clusters ?? []).map((c) => c.cluster).sort()).to.deep.equal(EU);
  });

  it("the owner deleting the Deployment removes its copies at once (no grace: that is the owner's intent)", async () => {
    // Under the policy with a 600 s grace: removal well within it shows no grace applied.
    const name = uniqueName('api');
    await placed(name, 'api');
    await tenant.delete(Resources.Deployment, name, workspace);
    await until('both copies removed', async () => (Object.values(await copyUids(name)).every((u) => u === undefined) ? true : undefined));
    // The finalizer is released right after the member deletes answered: within the wait, far inside the grace.
    await until('the PropagatedObject gone', async () => ((await po(name)) ? undefined : true));
  });
});
