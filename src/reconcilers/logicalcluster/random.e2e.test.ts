/**
 * A seeded random history of logical clusters against the real apiserver:
 * created, their namespaces added and removed, capabilities, quota and pod
 * security changed, deleted and created again — without waiting for the
 * operator in between. Then each survivor is compared with a twin created
 * fresh with the survivor's final spec: both must hold the same objects with
 * the same content (names aside), so nothing a change removed lingers and
 * nothing it added is missing. A deleted logical cluster leaves nothing.
 */
import { expect } from 'chai';
import { mulberry32 } from '../../../test/support/random.js';
import { testEnv, uniqueName } from '../../../test/e2e/env.js';
import { ApiClient, apply, isNotFound, Resources, type KubeObject, type ResourceRef } from '../../runtime/index.js';
import { LABEL_LOGICAL_CLUSTER } from '../../crds/labels.js';
import { deleteIfExists, logicalClusterObject, waitForPhase, waitGone, workspaceObject } from '../../../test/support/logicalcluster.js';

const SEED = Number(process.env.CANOPY_RANDOM_SEED ?? 20261122);
const STEPS = 40;
const SLOTS = 4;
const SUFFIXES = ['a', 'b', 'c'];
const PRESETS = ['viewer', 'developer', 'admin'];
const QUOTAS: ReadonlyArray<Record<string, string> | undefined> = [undefined, { cpu: '1' }, { cpu: '2', memory: '2Gi' }];
const POD_SECURITY: ReadonlyArray<string | undefined> = [undefined, 'baseline', 'restricted'];

/** The kinds a logical cluster is made of, and the part of each that a spec decides. */
const KINDS: ReadonlyArray<{ resource: ResourceRef; content: (o: Record<string, unknown>) => unknown }> = [
  {
    resource: Resources.Namespace,
    content: (o) =>
      Object.entries((o['metadata'] as { labels?: Record<string, string> }).labels ?? {})
        .filter(([k]) => k.startsWith('pod-security.kubernetes.io/'))
        .sort(),
  },
  { resource: Resources.ResourceQuota, content: (o) => o['spec'] },
  { resource: Resources.LimitRange, content: (o) => o['spec'] },
  { resource: Resources.NetworkPolicy, content: (o) => o['spec'] },
  { resource: Resources.Role, content: (o) => o['rules'] },
  { resource: Resources.RoleBinding, content: (o) => [o['roleRef'], o['subjects']] },
  { resource: Resources.ServiceAccount, content: () => null },
  { resource: Resources.Secret, content: (o) => o['type'] },
];

/** Every object labelled for the logical cluster, as `Kind ns/name content`, its own name replaced by `<lc>`. */
async function fingerprint(client: ApiClient, name: string): Promise<string[]> {
  const out: string[] = [];
  for (const { resource, content } of KINDS) {
    for (const o of await client.listAll(resource, { labelSelector: `${LABEL_LOGICAL_CLUSTER}=${name}` })) {
      if (o.metadata?.deletionTimestamp) continue; // terminating: on its way out
      const line = `${resource.kind} ${o.metadata?.namespace ?? ''}/${o.metadata?.name} ${JSON.stringify(content(o as unknown as Record<string, unknown>))}`;
      out.push(line.replaceAll(name, '<lc>'));
    }
  }
  return out.sort();
}

describe('LogicalCluster: a seeded random history ends like a fresh logical cluster with the same spec (e2e)', function () {
  this.timeout(600_000);
  const id = uniqueName('lcr').slice(-5);
  const workspace = `lcr-${id}`;
  const slot = (i: number) => `lcr-${id}-${i}`;
  const twin = (i: number) => `lct-${id}-${i}`;
  let host: ApiClient;
  const final = new Map<number, Record<string, unknown>>();

  before(async () => {
    host = new ApiClient(testEnv().host.kubeConfig());
    await host.create(Resources.Workspace, workspaceObject(workspace) as KubeObject);
  });

  after(async () => {
    for (let i = 0; i < SLOTS; i++) {
      await deleteIfExists(host, Resources.LogicalCluster, slot(i));
      await deleteIfExists(host, Resources.LogicalCluster, twin(i));
    }
    for (let i = 0; i < SLOTS; i++) {
      await waitGone(host, slot(i)).catch(() => undefined);
      await waitGone(host, twin(i)).catch(() => undefined);
    }
    await deleteIfExists(host, Resources.Workspace, workspace);
    host.close();
  });

  it(`seed ${SEED}: ${STEPS} steps, then every survivor matches its fresh twin and the deleted leave nothing`, async () => {
    const random = mulberry32(SEED);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const randomSpec = (): Record<string, unknown> => {
      const namespaces = SUFFIXES.filter(() => random() < 0.5);
      const quota = pick(QUOTAS);
      const podSecurity = pick(POD_SECURITY);
      const constraints = { ...(quota ? { quota: { hard: quota } } : {}), ...(podSecurity ? { podSecurity } : {}) };
      return {
        workspace,
        ...(namespaces.length > 0 ? { namespaces } : {}),
        capabilities: { preset: pick(PRESETS) },
        ...(Object.keys(constraints).length > 0 ? { constraints } : {}),
      };
    };
    const history: string[] = [];
    for (let step = 0; step < STEPS; step++) {
      const i = Math.floor(random() * SLOTS);
      const current = final.get(i);
      if (current && random() < 0.25) {
        await host.delete(Resources.LogicalCluster, slot(i)).catch((err: unknown) => {
          if (!isNotFound(err)) throw err;
        });
        final.delete(i);
        history.push(`delete ${i}`);
        // A logical cluster is gone only once its finalizer ran; the same name can be used again after that.
        await waitGone(host, slot(i), 120_000);
      } else {
        const spec = randomSpec();
        // Apply by this test's field manager: fields left out are removed, as with kubectl apply.
        await apply(host, logicalClusterObject(slot(i), spec) as KubeObject, { resource: Resources.LogicalCluster, fieldManager: 'random-history' });
        final.set(i, spec);
        history.push(`${current ? 'update' : 'create'} ${i} ${JSON.stringify(spec)}`);
      }
      if (random() < 0.3) await new Promise((r) => setTimeout(r, Math.floor(random() * 500)));
    }

    for (const [i, spec] of final) await host.create(Resources.LogicalCluster, logicalClusterObject(twin(i), spec) as KubeObject);
    const context = `\nhistory:\n  ${history.join('\n  ')}`;
    for (const i of final.keys()) {
      await waitForPhase(host, slot(i), 'Ready', 180_000).catch((err: Error) => Promise.reject(new Error(`${err.message}${context}`)));
      await waitForPhase(host, twin(i), 'Ready', 180_000);
    }
    for (let i = 0; i < SLOTS; i++) {
      const survivor = await fingerprint(host, slot(i));
      if (!final.has(i)) {
        expect(survivor, `slot ${i} was deleted; left behind:${context}`).to.deep.equal([]);
        continue;
      }
      // Namespaces a change removed terminate in the background: wait until the survivor matches rather than read once.
      let fresh = await fingerprint(host, twin(i));
      let now = survivor;
      const deadline = Date.now() + 120_000;
      while (JSON.stringify(now) !== JSON.stringify(fresh) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 500));
        [now, fresh] = await Promise.all([fingerprint(host, slot(i)), fingerprint(host, twin(i))]);
      }
      expect(now, `slot ${i} (final spec ${JSON.stringify(final.get(i))}) differs from a fresh logical cluster with that spec${context}`).to.deep.equal(fresh);
    }
    console.log(`      ${history.length} steps; ${final.size} survivors matched their twins`);
  });
});
