import { expect } from 'chai';
import { eventRequests, generationChanged, ownerRequests } from './controller.js';
import type { KubeObject } from './object.js';
import { parseKey, requestKey } from './object.js';
import { Resources, resourcePath } from './resources.js';

const child = (namespace: string | undefined, refs: Array<{ apiVersion: string; kind: string; name: string; controller?: boolean }>): KubeObject => ({
  metadata: { name: 'child', namespace, ownerReferences: refs.map((r) => ({ uid: `uid-${r.name}`, ...r })) },
});

describe('controller triggers', () => {
  it('maps a child to its controlling owner of the reconciled kind only', () => {
    const rb = child('team-a', [
      { apiVersion: 'canopy.dev/v1alpha1', kind: 'Workspace', name: 'not-controller' },
      { apiVersion: 'canopy.dev/v1alpha1', kind: 'Workspace', name: 'acme', controller: true },
    ]);
    expect(ownerRequests(rb, Resources.Workspace)).to.deep.equal([{ name: 'acme' }]);
    expect(ownerRequests(rb, Resources.LogicalCluster)).to.deep.equal([]);
    const wrongGroup = child('team-a', [{ apiVersion: 'other.io/v1', kind: 'Workspace', name: 'x', controller: true }]);
    expect(ownerRequests(wrongGroup, Resources.Workspace)).to.deep.equal([]);
  });

  it('puts a namespaced owner in its child namespace and accepts another version of the group', () => {
    const cm = child('apps', [{ apiVersion: 'apps/v1beta2', kind: 'Deployment', name: 'web', controller: true }]);
    expect(ownerRequests(cm, Resources.Deployment)).to.deep.equal([{ namespace: 'apps', name: 'web' }]);
  });

  it('maps both sides of an update so a moved object wakes old and new owners', () => {
    const map = (o: KubeObject) => (o.metadata?.labels?.ws ? [{ name: o.metadata.labels.ws }] : []);
    const old = { metadata: { name: 'ns', labels: { ws: 'a' } } };
    const now = { metadata: { name: 'ns', labels: { ws: 'b' } } };
    expect(eventRequests({ type: 'update', object: now, old }, map)).to.deep.equal([{ name: 'b' }, { name: 'a' }]);
    expect(eventRequests({ type: 'delete', object: old }, map)).to.deep.equal([{ name: 'a' }]);
  });

  it('round-trips queue keys and builds REST paths', () => {
    expect(requestKey({ namespace: 'ns', name: 'n' })).to.equal('ns/n');
    expect(requestKey({ name: 'cluster-scoped' })).to.equal('cluster-scoped');
    expect(parseKey('ns/n')).to.deep.equal({ namespace: 'ns', name: 'n' });
    expect(parseKey('ws')).to.deep.equal({ name: 'ws' });
    expect(resourcePath(Resources.ConfigMap, 'ns', 'x')).to.equal('/api/v1/namespaces/ns/configmaps/x');
    expect(resourcePath(Resources.Workspace, undefined, 'acme', 'status')).to.equal('/apis/canopy.dev/v1alpha1/workspaces/acme/status');
    expect(resourcePath(Resources.Namespace, 'ignored')).to.equal('/api/v1/namespaces');
    expect(resourcePath(Resources.Deployment)).to.equal('/apis/apps/v1/deployments');
  });

  it('generationChanged ignores updates that did not change the spec', () => {
    const v1 = { metadata: { name: 'w', generation: 1, resourceVersion: '10' } };
    const statusOnly = { metadata: { name: 'w', generation: 1, resourceVersion: '11' } };
    const specChange = { metadata: { name: 'w', generation: 2, resourceVersion: '12' } };
    expect(generationChanged({ type: 'update', object: statusOnly, old: v1 })).to.equal(false);
    expect(generationChanged({ type: 'update', object: specChange, old: statusOnly })).to.equal(true);
    expect(generationChanged({ type: 'add', object: v1 })).to.equal(true);
    expect(generationChanged({ type: 'delete', object: v1 })).to.equal(true);
    expect(generationChanged({ type: 'update', object: { metadata: { name: 'cm' } }, old: { metadata: { name: 'cm' } } }), 'no generation: always').to.equal(
      true,
    );
  });
});
