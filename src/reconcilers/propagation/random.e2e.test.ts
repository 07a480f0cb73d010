/**
 * A seeded random history of a tenant's Deployments against the real
 * apiservers: created, relabelled from one policy to another or to none,
 * scaled, given a new image, deleted and created again, and one of the two
 * policies deleted and re-created — all without waiting for the operator in
 * between. Afterwards every member must hold exactly the
 * copies that an independent model, written here from the two policies
 * alone, derives from the final Deployments (with their replicas and image),
 * each selected Deployment's PropagatedObject must be Synced, and no other
 * PropagatedObject may be left. The members' pods are scheduled by
 * kube-scheduler and made Ready by kwok, so a copy that moves hands over as
 * soon as its replacement is Ready rather than after the handover timeout.
 */
import { expect } from 'chai';
import { mulberry32 } from '../../../test/support/random.js';
import { uniqueName } from '../../../test/e2e/env.js';
import { apply, isNotFound, Resources, type KubeObject } from '../../runtime/index.js';
import { LABEL_MANAGED_BY, MANAGED_BY_VALUE } from '../../crds/labels.js';
import {
  client,
  condition,
  deleteIgnoringMissing,
  deployment,
  Deployments,
  eventually,
  PropagatedObjects,
  removeTenant,
  tenantNamespace,
  type PropagatedObjectView,
} from '../../../test/support/propagation.js';

type Route = 'even' | 'eu' | 'none';
interface Desired {
  route: Route;
  replicas: number;
  image: string;
}
type CopyView = KubeObject & { spec?: { replicas?: number; template?: { spec?: { containers?: Array<{ image?: string }> } } } };

const SEED = Number(process.env.CANOPY_RANDOM_SEED ?? 20261122);
const STEPS = 60;
const NAMES = ['a', 'b', 'c', 'd', 'e', 'f'];
const MEMBERS = ['eu-1', 'eu-2', 'us-1'];
const ROUTES: readonly Route[] = ['even', 'eu', 'none'];
const REPLICAS = [2, 4, 6];
const IMAGES = ['nginx:1.26', 'nginx:1.27', 'nginx:1.28'];

/**
 * The rules, literally: `route=even` is divided evenly over eu-1 and us-1;
 * `route=eu` is duplicated onto every EU cluster (eu-1, eu-2) while that
 * policy exists (the history deletes and re-creates it); anything else is not
 * placed.
 */
function expectedCopies(world: ReadonlyMap<string, Desired>, euPolicy: boolean, member: string): Record<string, { replicas: number; image: string }> {
  const out: Record<string, { replicas: number; image: string }> = {};
  for (const [name, d] of world) {
    if (d.route === 'even' && (member === 'eu-1' || member === 'us-1')) out[name] = { replicas: d.replicas / 2, image: d.image };
    if (d.route === 'eu' && euPolicy && (member === 'eu-1' || member === 'eu-2')) out[name] = { replicas: d.replicas, image: d.image };
  }
  return out;
}

describe('propagation: a seeded random history of Deployments ends with exactly the copies the policies call for (e2e)', function () {
  this.timeout(300_000);
  let tenant: { namespace: string; workspace: string };
  const policies = [uniqueName('even'), uniqueName('eu')];
  const world = new Map<string, Desired>();
  const objectName = (n: string) => `rnd-${n}`;
  /** A policy for the tenant's Deployments labelled `route=<route>`. */
  const routePolicy = (name: string, route: Route, placement: Record<string, unknown>): KubeObject =>
    ({
      apiVersion: 'canopy.dev/v1alpha1',
      kind: 'PlacementPolicy',
      metadata: { name },
      // No deselection grace: the model removes a deselected Deployment's copies at once (the grace has its own suite).
      spec: {
        priority: 600,
        resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', workspace: tenant.workspace, labelSelector: { matchLabels: { route } } }],
        deselectionGraceSeconds: 0,
        ...placement,
      },
    }) as KubeObject;
  const euPolicy = (): KubeObject =>
    routePolicy(policies[1]!, 'eu', { clusterSelector: { matchLabels: { 'canopy.dev/geo': 'eu' } }, replicas: { strategy: 'Duplicate' } });

  before(async () => {
    tenant = await tenantNamespace('rnd');
    await apply(
      client('host'),
      routePolicy(policies[0]!, 'even', {
        replicas: {
          strategy: 'Divide',
          weights: [
            { cluster: 'eu-1', weight: 1 },
            { cluster: 'us-1', weight: 1 },
          ],
        },
      }),
    );
    await apply(client('host'), euPolicy());
    // Earlier suites stop and taint members; the model assumes all three Ready and untainted.
    await eventually(
      'every member Ready and untainted',
      async () => {
        const clusters = await client('host').listAll<
          KubeObject & { spec?: { taints?: unknown[] }; status?: { conditions?: Array<{ type: string; status: string }> } }
        >(Resources.Cluster);
        const fine = MEMBERS.every((m) => {
          const c = clusters.find((x) => x.metadata?.name === m);
          return c !== undefined && (c.spec?.taints ?? []).length === 0 && c.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True');
        });
        return fine ? true : undefined;
      },
      120_000,
    );
  });

  after(async () => {
    for (const name of NAMES) await deleteIgnoringMissing('host', Deployments, objectName(name), tenant.namespace);
    for (const policy of policies) await deleteIgnoringMissing('host', Resources.PlacementPolicy, policy);
    await removeTenant(tenant);
  });

  it(`seed ${SEED}: ${STEPS} steps, then the members match the model`, async () => {
    const random = mulberry32(SEED);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const write = async (name: string, d: Desired): Promise<void> => {
      const labels: Record<string, string> = d.route === 'none' ? {} : { route: d.route };
      await apply(client('host'), {
        ...deployment(objectName(name), d.replicas, labels, d.image),
        metadata: { name: objectName(name), namespace: tenant.namespace, labels: { app: objectName(name), ...labels } },
      });
    };
    const history: string[] = [];
    let euPolicyExists = true;
    for (let step = 0; step < STEPS; step++) {
      if (random() < 0.08) {
        if (euPolicyExists) await client('host').delete(Resources.PlacementPolicy, policies[1]!);
        else await apply(client('host'), euPolicy());
        euPolicyExists = !euPolicyExists;
        history.push(`${euPolicyExists ? 'create' : 'delete'} the eu policy`);
        continue;
      }
      const name = pick(NAMES);
      const current = world.get(name);
      if (!current) {
        const created = { route: pick(ROUTES), replicas: pick(REPLICAS), image: pick(IMAGES) };
        await write(name, created);
        world.set(name, created);
        history.push(`create ${name} ${JSON.stringify(created)}`);
      } else {
        const action = pick(['route', 'replicas', 'image', 'delete'] as const);
        if (action === 'delete') {
          await client('host')
            .delete(Deployments, objectName(name), tenant.namespace)
            .catch((err: unknown) => {
              if (!isNotFound(err)) throw err;
            });
          world.delete(name);
        } else {
          const next = {
            ...current,
            ...(action === 'route' ? { route: pick(ROUTES) } : action === 'replicas' ? { replicas: pick(REPLICAS) } : { image: pick(IMAGES) }),
          };
          await write(name, next);
          world.set(name, next);
        }
        history.push(`${action} ${name}${action === 'delete' ? '' : ` ${JSON.stringify(world.get(name))}`}`);
      }
      // Sometimes a breath, so the operator sees some intermediate states and not others.
      if (random() < 0.3) await new Promise((r) => setTimeout(r, Math.floor(random() * 300)));
    }

    const wroteAt = performance.now();
    const actual = async (member: string): Promise<Record<string, { replicas: number; image: string }>> => {
      const copies = await client(member).listAll<CopyView>(Deployments, {
        namespace: tenant.namespace,
        labelSelector: `${LABEL_MANAGED_BY}=${MANAGED_BY_VALUE}`,
      });
      return Object.fromEntries(
        copies
          .filter((c) => c.metadata?.deletionTimestamp === undefined)
          .map((c) => [
            c.metadata!.name!.replace(/^rnd-/, ''),
            { replicas: c.spec?.replicas ?? -1, image: c.spec?.template?.spec?.containers?.[0]?.image ?? '' },
          ]),
      );
    };
    const selected = [...world]
      .filter(([, d]) => d.route === 'even' || (d.route === 'eu' && euPolicyExists))
      .map(([n]) => `${objectName(n)}-deployment`)
      .sort();
    let last = '';
    const settled = await eventually(
      'the members hold exactly the modelled copies and every selected Deployment is Synced',
      async () => {
        const members = Object.fromEntries(await Promise.all(MEMBERS.map(async (m) => [m, await actual(m)] as const)));
        const pos = await client('host').listAll<PropagatedObjectView>(PropagatedObjects, { namespace: tenant.namespace });
        const synced = pos
          .filter((po) => condition(po, 'Synced')?.status === 'True')
          .map((po) => po.metadata!.name!)
          .sort();
        last = JSON.stringify({ members, pos: pos.map((po) => `${po.metadata?.name}:${condition(po, 'Synced')?.reason ?? '-'}`) });
        const matches = MEMBERS.every((m) => JSON.stringify(members[m]) === JSON.stringify(sorted(expectedCopies(world, euPolicyExists, m))));
        const allSynced = JSON.stringify(synced) === JSON.stringify(selected) && pos.length === selected.length;
        return matches && allSynced ? true : undefined;
      },
      180_000,
      500,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\nmodel: ${JSON.stringify(Object.fromEntries(world))}\nlast seen: ${last}\nhistory:\n  ${history.join('\n  ')}`);
    });
    expect(settled).to.equal(true);
    console.log(
      `      settled ${((performance.now() - wroteAt) / 1000).toFixed(1)} s after the last write; ${world.size} Deployments left, ${selected.length} placed; the eu policy deleted or re-created ${history.filter((h) => h.endsWith('the eu policy')).length} times`,
    );
  });
});

function sorted<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}
