/**
 * The audit trail of one object's life: a Deployment placed by a
 * PlacementPolicy (a PropagatedObject pinned to it) is placed, propagated to
 * a member, moved when that member's apiserver goes down, and an update to it
 * is denied by the webhook. Each step must be visible twice: as an
 * events.k8s.io/v1 Event regarding the PropagatedObject, and as a JSON line in
 * the operator's log naming the object, the decision and the reason.
 *
 * A private control plane (host + two members), so one member can be stopped
 * without disturbing other suites; the operator runs as its own process.
 */
import { expect } from 'chai';
import { waitUntil, type LocalEnvironment } from '../../../controlplane/launcher/index.js';
import { ApiClient, EventsV1, Resources, type EventV1, type KubeObject } from '../../../src/runtime/index.js';
import { startOperatorProcess, startPrivatePlane, type OperatorProcess } from './hostile-operator.js';

const WORKSPACE = 'audit';
const NAME = 'web';
const FIRST = 'us-1';
const SECOND = 'eu-1';
const ALLOWED_REGISTRY = 'registry.example.com/';

interface Condition {
  type: string;
  status: string;
  reason?: string;
}
type PropagatedObjectView = KubeObject & { status?: { placement?: { cluster: string }[]; conditions?: Condition[] } };
interface AuditLine {
  object?: { kind?: string; namespace?: string; name?: string };
  decision?: string;
  reason?: string;
  msg?: string;
}

const template = (image: string): KubeObject =>
  ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: NAME },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: NAME } },
      template: {
        metadata: { labels: { app: NAME } },
        spec: {
          containers: [
            {
              name: NAME,
              image,
              securityContext: {
                allowPrivilegeEscalation: false,
                runAsNonRoot: true,
                capabilities: { drop: ['ALL'] },
                seccompProfile: { type: 'RuntimeDefault' },
              },
            },
          ],
        },
      },
    },
  }) as KubeObject;

describe('audit trail: one object placed, propagated, moved and denied, each step an Event and a log line (private control plane)', function () {
  this.timeout(600_000);
  let env: LocalEnvironment;
  let host: ApiClient;
  let operator: OperatorProcess;

  before(async function () {
    this.timeout(300_000);
    env = await startPrivatePlane([SECOND, FIRST], { nodes: false });
    host = new ApiClient(env.host.kubeConfig());
    // The member that fails is noticed within seconds, not the default 30.
    await host.patch(Resources.Cluster, FIRST, undefined, { spec: { failoverAfterSeconds: 2, probeIntervalSeconds: 1 } }, 'merge');
    operator = startOperatorProcess(env, 'audit-operator');
    const port = await operator.healthPort;
    expect(
      await waitUntil(120_000, 250, async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200),
      'the operator never became ready',
    ).to.equal(true);
  });

  after(async function () {
    this.timeout(120_000);
    await operator?.stop();
    host?.close();
    if (env && !env.cluster(FIRST).apiServerRunning)
      await env
        .cluster(FIRST)
        .startApiServer()
        .catch(() => undefined);
    await env?.stop();
  });

  /** The Event with this reason regarding the PropagatedObject (events.k8s.io/v1), once it is there. */
  const eventFor = async (reason: string, regarding: { kind: string; name: string }, note: (text: string) => boolean = () => true): Promise<EventV1> => {
    let found: EventV1 | undefined;
    const seen = await waitUntil(60_000, 250, async () => {
      const events = await host.listAll<EventV1>(EventsV1, { namespace: WORKSPACE });
      found = events.find((e) => e.reason === reason && e.regarding.kind === regarding.kind && e.regarding.name === regarding.name && note(e.note));
      return found !== undefined;
    });
    const all = (await host.listAll<EventV1>(EventsV1, { namespace: WORKSPACE })).map((e) => `${e.regarding.kind}/${e.regarding.name} ${e.reason}: ${e.note}`);
    expect(seen, `no ${reason} Event regarding ${regarding.kind} ${regarding.name}; Events: ${all.join(' | ')}`).to.equal(true);
    return found!;
  };

  /** The operator's JSON log line for this decision on the object, once it is flushed. */
  const logLineFor = async (decision: string, name: string, reason: (text: string) => boolean = () => true): Promise<AuditLine> => {
    let found: AuditLine | undefined;
    const seen = await waitUntil(30_000, 250, async () => {
      found = (operator.logLines() as AuditLine[]).find(
        (l) => l.decision === decision && l.object?.name === name && l.object.namespace === WORKSPACE && typeof l.reason === 'string' && reason(l.reason),
      );
      return found !== undefined;
    });
    expect(seen, `no log line with decision ${decision} naming ${WORKSPACE}/${name} in ${operator.logPath}`).to.equal(true);
    return found!;
  };

  it('shows every placement decision, propagation, move and denial as an Event and a structured log line', async () => {
    await host.create(Resources.Workspace, {
      apiVersion: 'canopy.dev/v1alpha1',
      kind: 'Workspace',
      metadata: { name: WORKSPACE },
      spec: { constraints: { allowedRegistries: [ALLOWED_REGISTRY] } },
    } as KubeObject);
    expect(await waitUntil(60_000, 200, async () => (await host.tryGet(Resources.Namespace, WORKSPACE)) !== undefined), 'home namespace').to.equal(true);
    await host.create(Resources.PlacementPolicy, {
      apiVersion: 'canopy.dev/v1alpha1',
      kind: 'PlacementPolicy',
      metadata: { name: 'audit-one' },
      spec: {
        resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', workspace: WORKSPACE }],
        preferences: [{ weight: 100, clusterSelector: { matchLabels: { 'canopy.dev/geo': 'us' } } }],
        replicas: { maxClusters: 1 },
        failover: { enabled: true, tolerationSeconds: 0 },
        deselectionGraceSeconds: 0,
      },
    } as KubeObject);
    const po = {
      apiVersion: 'canopy.dev/v1alpha1',
      kind: 'PropagatedObject',
      metadata: { name: NAME, namespace: WORKSPACE },
      spec: { template: template(`${ALLOWED_REGISTRY}web:1`), placementRef: { name: 'audit-one' } },
    } as KubeObject;
    await host.create(Resources.PropagatedObject, po);
    const regarding = { kind: 'PropagatedObject', name: NAME };
    const placedOn = async (cluster: string): Promise<boolean> => {
      const current = await host.tryGet<PropagatedObjectView>(Resources.PropagatedObject, NAME, WORKSPACE);
      return (current?.status?.placement ?? []).map((p) => p.cluster).join() === cluster;
    };

    // 1. Placed: the decision, why, where.
    expect(await waitUntil(60_000, 250, () => placedOn(FIRST)), `never placed on ${FIRST}`).to.equal(true);
    const scheduled = await eventFor('Scheduled', regarding);
    expect(scheduled.type).to.equal('Normal');
    expect(scheduled.note, 'the Scheduled Event names the cluster').to.include(FIRST);
    await logLineFor('Scheduled', NAME, (r) => r.includes(FIRST));

    // 2. Propagated: the copy is on the member.
    const member = new ApiClient(env.cluster(FIRST).kubeConfig());
    try {
      expect(
        await waitUntil(60_000, 250, async () => (await member.tryGet(Resources.Deployment, NAME, WORKSPACE)) !== undefined),
        `no copy on ${FIRST}`,
      ).to.equal(true);
    } finally {
      member.close();
    }
    const propagated = await eventFor('Propagated', regarding, (n) => n.includes(FIRST));
    expect(propagated.regarding.uid, 'the Event regards this very object').to.be.a('string').and.not.equal('');
    await logLineFor('Propagated', NAME, (r) => r.includes(FIRST));

    // 3. Moved: the member's apiserver stops; the object moves and says from where, to where and why.
    await env.cluster(FIRST).stopApiServer();
    expect(await waitUntil(120_000, 250, () => placedOn(SECOND)), `never moved to ${SECOND}`).to.equal(true);
    const moved = await eventFor('Moved', regarding);
    expect(moved.note, 'names both clusters').to.include(FIRST).and.include(SECOND);
    expect(moved.note, 'says why the first one was dropped').to.match(/unreachable|taint|NotReady/i);
    await logLineFor('Moved', NAME, (r) => r.includes(FIRST) && r.includes(SECOND));
    await eventFor('Propagated', regarding, (n) => n.includes(SECOND));
    await logLineFor('Propagated', NAME, (r) => r.includes(SECOND));
    await env.cluster(FIRST).startApiServer();

    // 4. Denied: an update to an image outside the workspace's registries.
    const current = await host.get<KubeObject & { spec: Record<string, unknown> }>(Resources.PropagatedObject, NAME, WORKSPACE);
    let refusal = '';
    try {
      await host.replace(Resources.PropagatedObject, { ...current, spec: { ...current.spec, template: template('evil.example.net/web:1') } });
    } catch (err) {
      refusal = (err as Error).message;
    }
    expect(refusal, 'the update is refused by the webhook').to.include('denied the request');
    const denied = await eventFor('AdmissionDenied', regarding);
    expect(denied.type).to.equal('Warning');
    expect(denied.regarding.uid, 'the denial regards the existing object').to.equal(current.metadata?.uid);
    expect(denied.note, 'names who and why')
      .to.include('admin')
      .and.match(/registr/i);
    await logLineFor('AdmissionDenied', NAME, (r) => /registr/i.test(r));

    // A dry run is judged the same, and leaves no Event behind (sideEffects: NoneOnDryRun).
    const before = (await host.listAll<EventV1>(EventsV1, { namespace: WORKSPACE })).filter((e) => e.reason === 'AdmissionDenied');
    const dryRun = await host
      .request('PUT', `/apis/canopy.dev/v1alpha1/namespaces/${WORKSPACE}/propagatedobjects/${NAME}`, {
        body: { ...current, spec: { ...current.spec, template: template('other.example.net/web:1') } },
        query: { dryRun: 'All' },
      })
      .then(
        () => 'admitted',
        (err: Error) => err.message,
      );
    expect(dryRun).to.include('denied the request');
    await new Promise((r) => setTimeout(r, 2000));
    const after = (await host.listAll<EventV1>(EventsV1, { namespace: WORKSPACE })).filter((e) => e.reason === 'AdmissionDenied');
    expect(
      after.map((e) => e.note),
      'no Event for a dry run',
    ).to.deep.equal(before.map((e) => e.note));
  });
});
