/**
 * A seeded random history against the real apiserver: workspaces created,
 * moved and deleted, sources created, edited and deleted (with select and
 * none annotations), namespaces relabelled and spec.propagate toggled, all
 * without waiting for the operator in between. Afterwards the copies in the
 * cluster must be exactly what an independent checker, written here from the
 * rules alone, derives from the final tree and sources — and hold the
 * sources' content.
 */

import { expect } from 'chai';
import { testEnv, uniqueName } from '../../../test/e2e/env.js';
import { ApiClient, isNotFound, Resources, type KubeObject, type ResourceRef } from '../../runtime/index.js';
import { LABEL_INHERITED_FROM, treeLabel } from '../../crds/labels.js';
import { deleteWorkspaces, eventually, workspace } from '../../../test/support/workspace.js';
import { mulberry32 } from '../../../test/support/random.js';

type Kind = 'RoleBinding' | 'ConfigMap';
interface Source {
  kind: Kind;
  name: string;
  value: string;
  select?: string;
  none?: boolean;
}

const SEED = Number(process.env.CANOPY_RANDOM_SEED ?? 20261121);
const STEPS = 100;
const OBJECTS: ReadonlyArray<{ kind: Kind; name: string }> = [
  { kind: 'RoleBinding', name: 'r1' },
  { kind: 'RoleBinding', name: 'r2' },
  { kind: 'ConfigMap', name: 'c1' },
];

/** The world as the test wrote it, and the rules applied to it literally. */
class Model {
  readonly parents = new Map<string, string>();
  readonly propagatesConfigMaps = new Set<string>();
  readonly prod = new Set<string>();
  /** `${ns}|${kind}/${name}` → source. */
  readonly sources = new Map<string, Source>();

  chain(ws: string): string[] {
    const out = [ws];
    for (let p = this.parents.get(ws)!; p !== ''; p = this.parents.get(p)!) out.unshift(p);
    return out;
  }

  subtree(ws: string): Set<string> {
    const out = new Set([ws]);
    let grew = true;
    while (grew) {
      grew = false;
      for (const [child, parent] of this.parents) {
        if (out.has(parent) && !out.has(child)) {
          out.add(child);
          grew = true;
        }
      }
    }
    return out;
  }

  labelsOf(ws: string): Record<string, string> {
    const labels: Record<string, string> = { 'kubernetes.io/metadata.name': ws };
    if (this.prod.has(ws)) labels.env = 'prod';
    const chain = this.chain(ws);
    chain.forEach((a, i) => {
      labels[treeLabel(a)] = String(chain.length - 1 - i);
    });
    return labels;
  }

  reaches(source: Source, ws: string): boolean {
    if (source.none) return false;
    if (!source.select) return true;
    const labels = this.labelsOf(ws);
    const eq = source.select.indexOf('=');
    return eq < 0 ? labels[source.select] !== undefined : labels[source.select.slice(0, eq)] === source.select.slice(eq + 1);
  }

  /** Expected copies: `${ns}|${kind}/${name}` → the namespace copied from. */
  expected(): Map<string, string> {
    const out = new Map<string, string>();
    for (const ws of this.parents.keys()) {
      const chain = this.chain(ws);
      for (const { kind, name } of OBJECTS) {
        const id = `${kind}/${name}`;
        if (this.sources.has(`${ws}|${id}`)) continue; // its own object: never overwritten
        for (let i = chain.length - 2; i >= 0; i--) {
          const ancestor = chain[i]!;
          const source = this.sources.get(`${ancestor}|${id}`);
          if (!source) continue;
          const typeOk = kind === 'RoleBinding' || chain.slice(0, i + 1).some((a) => this.propagatesConfigMaps.has(a));
          if (typeOk && this.reaches(source, ws)) {
            out.set(`${ws}|${id}`, ancestor);
            break;
          }
        }
      }
    }
    return out;
  }
}

describe('workspace propagation, seeded random history (e2e)', function () {
  this.timeout(600_000);
  let admin: ApiClient;
  before(() => {
    admin = new ApiClient(testEnv().host.kubeConfig());
  });

  it(`ends with exactly the copies the rules call for (seed ${SEED})`, async () => {
    const random = mulberry32(SEED);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const prefix = uniqueName('rnd');
    const model = new Model();
    const everCreated: string[] = [];
    let counter = 0;
    const resource = (kind: Kind): ResourceRef => Resources[kind];
    const body = (kind: Kind, name: string, ns: string, source: Source): KubeObject & Record<string, unknown> => {
      const annotations: Record<string, string> = {};
      if (source.select) annotations['propagate.canopy.dev/select'] = source.select;
      if (source.none) annotations['propagate.canopy.dev/none'] = 'true';
      const metadata = { name, namespace: ns, annotations };
      return kind === 'RoleBinding'
        ? {
            apiVersion: 'rbac.authorization.k8s.io/v1',
            kind,
            metadata,
            roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
            subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: source.value }],
          }
        : { apiVersion: 'v1', kind, metadata, data: { value: source.value } };
    };
    const log: string[] = [];

    try {
      for (let step = 0; step < STEPS; step++) {
        const alive = [...model.parents.keys()];
        const roll = random();
        if (alive.length < 3 || (roll < 0.2 && alive.length < 10)) {
          const name = `${prefix}-w${counter++}`;
          const parent = alive.length === 0 || random() < 0.2 ? '' : pick(alive);
          await admin.create(Resources.Workspace, workspace(name, parent ? { parent } : {}));
          model.parents.set(name, parent);
          everCreated.push(name);
          log.push(`create ${name} under ${parent || 'root'}`);
        } else if (roll < 0.3) {
          const ws = pick(alive);
          const inside = model.subtree(ws);
          const parent = pick(['', ...alive.filter((w) => !inside.has(w))]);
          if (parent === model.parents.get(ws)) continue;
          await admin.patch(Resources.Workspace, ws, undefined, { spec: { parent: parent || null } }, 'merge');
          model.parents.set(ws, parent);
          log.push(`move ${ws} under ${parent || 'root'}`);
        } else if (roll < 0.36) {
          const leaves = alive.filter((w) => ![...model.parents.values()].includes(w));
          const ws = pick(leaves);
          await admin.delete(Resources.Workspace, ws);
          model.parents.delete(ws);
          model.propagatesConfigMaps.delete(ws);
          model.prod.delete(ws);
          for (const key of [...model.sources.keys()]) if (key.startsWith(`${ws}|`)) model.sources.delete(key);
          log.push(`delete ${ws}`);
        } else if (roll < 0.42) {
          const ws = pick(alive);
          const on = !model.propagatesConfigMaps.has(ws);
          await admin.patch(Resources.Workspace, ws, undefined, { spec: { propagate: on ? [{ apiVersion: 'v1', kind: 'ConfigMap' }] : null } }, 'merge');
          if (on) model.propagatesConfigMaps.add(ws);
          else model.propagatesConfigMaps.delete(ws);
          log.push(`propagate ConfigMaps ${on ? 'on' : 'off'} at ${ws}`);
        } else if (roll < 0.5) {
          const ws = pick(alive);
          const prod = !model.prod.has(ws);
          try {
            await admin.patch(Resources.Namespace, ws, undefined, { metadata: { labels: { env: prod ? 'prod' : null } } }, 'merge');
          } catch (err) {
            if (isNotFound(err)) continue; // its home namespace is not there yet
            throw err;
          }
          if (prod) model.prod.add(ws);
          else model.prod.delete(ws);
          log.push(`env=prod ${prod ? 'on' : 'off'} at ${ws}`);
        } else {
          const ws = pick(alive);
          const { kind, name } = pick(OBJECTS);
          const id = `${ws}|${kind}/${name}`;
          const existing = model.sources.get(id);
          if (existing && random() < 0.3) {
            await admin.delete(resource(kind), name, ws).catch((err: unknown) => {
              if (!isNotFound(err)) throw err;
            });
            model.sources.delete(id);
            log.push(`delete ${kind} ${name} in ${ws}`);
            continue;
          }
          const choice = random();
          const source: Source = { kind, name, value: `v${step}` };
          if (choice < 0.15) source.select = 'env=prod';
          else if (choice < 0.25) source.select = treeLabel(pick(alive));
          else if (choice < 0.3) source.none = true;
          const object = body(kind, name, ws, source);
          try {
            // A source written over whatever stands there: a copy becomes the user's own object.
            await admin.create(resource(kind), object).catch(async (err: unknown) => {
              if ((err as { code?: number }).code !== 409) throw err;
              await admin.replace(resource(kind), object);
            });
          } catch (err) {
            if (isNotFound(err)) continue; // its home namespace is not there yet
            throw err;
          }
          model.sources.set(id, source);
          log.push(`${existing ? 'update' : 'create'} ${kind} ${name} in ${ws}${source.select ? ` select ${source.select}` : ''}${source.none ? ' none' : ''}`);
        }
      }

      const alive = new Set(model.parents.keys());
      const expected = model.expected();
      const actual = async (): Promise<Map<string, string>> => {
        const out = new Map<string, string>();
        for (const kind of ['RoleBinding', 'ConfigMap'] as const) {
          for (const object of await admin.listAll(resource(kind), { labelSelector: LABEL_INHERITED_FROM })) {
            const ns = object.metadata!.namespace!;
            if (alive.has(ns)) out.set(`${ns}|${kind}/${object.metadata!.name}`, object.metadata!.labels![LABEL_INHERITED_FROM]!);
          }
        }
        return out;
      };
      const describe = (m: Map<string, string>) => [...m].map(([k, v]) => `${k}<-${v}`).sort();
      try {
        await eventually(
          'the copies to match the independent checker',
          actual,
          (got) => JSON.stringify(describe(got)) === JSON.stringify(describe(expected)),
          180_000,
        );
      } catch (err) {
        const got = describe(await actual());
        const want = describe(expected);
        throw new Error(
          `${(err as Error).message.slice(0, 200)}\nmissing: ${want.filter((x) => !got.includes(x)).join(' ')}\nunexpected: ${got.filter((x) => !want.includes(x)).join(' ')}\nhistory:\n  ${log.join('\n  ')}`,
        );
      }
      // Every copy holds its source's content.
      for (const [id, from] of expected) {
        const [ns, rest] = id.split('|') as [string, string];
        const [kind, name] = rest.split('/') as [Kind, string];
        const copy = await admin.get<KubeObject & { subjects?: Array<{ name: string }>; data?: Record<string, string> }>(resource(kind), name, ns);
        const value = kind === 'RoleBinding' ? copy.subjects?.[0]?.name : copy.data?.value;
        expect(value, `content of ${id}`).to.equal(model.sources.get(`${from}|${rest}`)!.value);
      }
      expect(expected.size, 'the history produced copies to check').to.be.greaterThan(0);
    } finally {
      // Leaves first: deleting in reverse depth order never orphans a live workspace.
      const depth = (ws: string) => (model.parents.has(ws) ? model.chain(ws).length : 0);
      const order = [...everCreated].sort((a, b) => depth(a) - depth(b));
      await deleteWorkspaces(admin, order);
    }
  });
});
