import { expect } from 'chai';
import type { PropagatedObject } from '../crds/propagatedobject.js';
import { placedViewRequest, placementList, placementsOfAll, placementTable, wantsTable } from './placed-view.js';

const q = (s = '') => new URLSearchParams(s);

function po(namespace: string, name: string, status: PropagatedObject['status'], kind = 'Deployment'): PropagatedObject {
  return {
    apiVersion: 'canopy.dev/v1alpha1',
    kind: 'PropagatedObject',
    metadata: { name, namespace, creationTimestamp: '2026-01-01T00:00:00Z' as unknown as Date },
    spec: { template: { apiVersion: kind === 'Deployment' ? 'apps/v1' : 'v1', kind, metadata: { name: `${name}-obj` } } },
    status,
  };
}

describe('gateway placed view (view.canopy.dev/v1 placements)', () => {
  it('routes only list (all namespaces or one) and discovery; refuses names, watches and writes with 405', () => {
    expect(placedViewRequest(['api', 'v1', 'pods'], 'GET', q())).to.deep.equal({ kind: 'none' });
    expect(placedViewRequest(['apis', 'view.canopy.dev'], 'GET', q())).to.deep.equal({ kind: 'group' });
    expect(placedViewRequest(['apis', 'view.canopy.dev', 'v1'], 'GET', q())).to.deep.equal({ kind: 'resources' });
    expect(placedViewRequest(['apis', 'view.canopy.dev', 'v1', 'placements'], 'GET', q())).to.deep.equal({ kind: 'list' });
    expect(placedViewRequest(['apis', 'view.canopy.dev', 'v1', 'namespaces', 'a-web', 'placements'], 'GET', q())).to.deep.equal({
      kind: 'list',
      namespace: 'a-web',
    });
    const refused = (segments: string[], method = 'GET', query = q()) => {
      const r = placedViewRequest(segments, method, query);
      return r.kind === 'refused' ? r.status.code : r.kind;
    };
    expect(refused(['apis', 'view.canopy.dev', 'v1', 'placements'], 'POST')).to.equal(405);
    expect(refused(['apis', 'view.canopy.dev', 'v1', 'placements', 'x'])).to.equal(405);
    expect(refused(['apis', 'view.canopy.dev', 'v1', 'placements'], 'GET', q('watch=true'))).to.equal(405);
    expect(refused(['apis', 'view.canopy.dev', 'v1', 'namespaces', 'a', 'placements'], 'DELETE')).to.equal(405);
    expect(refused(['apis', 'view.canopy.dev', 'v2', 'placements'])).to.equal(404);
    expect(refused(['apis', 'view.canopy.dev', 'v1', 'pods'])).to.equal(404);
  });

  it('makes one placement per cluster chosen or still holding a copy, ready when synced with every replica ready', () => {
    const items = placementsOfAll([
      po('b-web', 'web', {
        placement: [{ cluster: 'eu-1' }, { cluster: 'us-1' }, { cluster: 'ap-1' }],
        clusters: [
          { cluster: 'eu-1', state: 'Synced', replicas: 2, readyReplicas: 2 },
          { cluster: 'us-1', state: 'Synced', replicas: 2, readyReplicas: 1 },
          { cluster: 'old-1', state: 'Deleting' },
        ],
      }),
      po('a-web', 'cfg', { placement: [{ cluster: 'eu-1' }], clusters: [{ cluster: 'eu-1', state: 'Failed', message: 'denied' }] }, 'ConfigMap'),
      po('a-web', 'unscheduled', undefined, 'ConfigMap'),
    ]);
    expect(items.map((p) => [p.metadata.namespace, p.object.name, p.cluster, p.state, p.ready])).to.deep.equal([
      ['a-web', 'cfg-obj', 'eu-1', 'Failed', false],
      ['b-web', 'web-obj', 'ap-1', 'Pending', false],
      ['b-web', 'web-obj', 'eu-1', 'Synced', true],
      ['b-web', 'web-obj', 'old-1', 'Deleting', false],
      ['b-web', 'web-obj', 'us-1', 'Synced', false],
    ]);
    expect(items[0]!.message).to.equal('denied');
    expect(items[0]!.object).to.deep.equal({ apiVersion: 'v1', kind: 'ConfigMap', name: 'cfg-obj' });
    expect(items[4]).to.include({ replicas: 2, readyReplicas: 1, propagatedObject: 'web' });
    expect(items[2]!.metadata.name).to.equal('web.eu-1');
  });

  it('answers kubectl with a Table (namespace on each row object) and other clients with a PlacementList', () => {
    expect(wantsTable('application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json')).to.equal(true);
    expect(wantsTable('application/json')).to.equal(false);
    const items = placementsOfAll([
      po('a-web', 'web', { placement: [{ cluster: 'eu-1' }], clusters: [{ cluster: 'eu-1', state: 'Synced', replicas: 3, readyReplicas: 3 }] }),
    ]);
    const table = placementTable(items, new Date('2026-01-01T02:00:00Z')) as {
      columnDefinitions: { name: string }[];
      rows: { cells: unknown[]; object: { metadata: { namespace: string } } }[];
    };
    expect(table.columnDefinitions.slice(0, 6).map((c) => c.name)).to.deep.equal(['Name', 'Kind', 'Cluster', 'Ready', 'Status', 'Age']);
    expect(table.rows[0]!.cells.slice(0, 6)).to.deep.equal(['web-obj', 'Deployment', 'eu-1', '3/3', 'Synced', '2h']);
    expect(table.rows[0]!.object.metadata.namespace).to.equal('a-web');
    const list = placementList(items) as { kind: string; items: unknown[] };
    expect(list.kind).to.equal('PlacementList');
    expect(list.items).to.have.length(1);
  });
});
