import { expect } from 'chai';
import { ApiClient, silentLogger } from '../../runtime/index.js';
import { kubeConfigFor } from '../../../controlplane/launcher/index.js';
import { ConflictRegistry } from './conflicts.js';
import { withHash } from './content.js';
import { objectKey } from './objects.js';
import { refFromKey } from './reconciler.js';
import { entryOf, ObjectIndex, ObjectTracker } from './tracker.js';

const RB = 'rbac.authorization.k8s.io/v1';
const KEY = objectKey({ apiVersion: RB, kind: 'RoleBinding', name: 'admins' });

function tracked(namespace: string, labels: Record<string, string> = {}, rv = '1', hash = 'h') {
  return withHash({ apiVersion: RB, kind: 'RoleBinding', metadata: { name: 'admins', namespace, uid: `uid-${namespace}`, resourceVersion: rv, labels } }, hash);
}
const copyLabels = (from: string) => ({ 'canopy.dev/inherited-from': from, 'canopy.dev/managed-by': 'canopy' });

describe('propagated-object index', () => {
  it('keeps sources apart from copies and finds copies by where they came from', () => {
    const index = new ObjectIndex();
    index.upsert(entryOf(tracked('acme')));
    index.upsert(entryOf(tracked('team', copyLabels('acme'))));
    index.upsert(entryOf(tracked('app', copyLabels('acme'))));
    expect([...index.sources.keys()]).to.deep.equal(['acme']);
    expect([...index.existing.keys()].sort()).to.deep.equal(['acme', 'app', 'team']);
    expect(index.copiesFrom('acme').sort()).to.deep.equal([
      ['app', KEY],
      ['team', KEY],
    ]);
    // A copy turned into the user's own object by hand becomes a possible source.
    index.upsert(entryOf(tracked('team', {})));
    expect(index.copiesFrom('acme')).to.deep.equal([['app', KEY]]);
    expect(index.sources.get('team')?.get(KEY)).to.not.equal(undefined);
    index.remove('app', KEY);
    expect(index.copiesFrom('acme')).to.deep.equal([]);
  });
});

describe('writes in flight', () => {
  // Never contacted: nothing here starts an informer.
  const client = new ApiClient(kubeConfigFor({ clusterName: 'none', server: 'https://127.0.0.1:9', caPem: '', userName: 'u', token: 't' }));

  it('records a write at once when nothing else happened meanwhile', () => {
    const tracker = new ObjectTracker(client, silentLogger());
    tracker.beginWrite('team', KEY);
    expect(tracker.isPending('team', KEY)).to.equal(true);
    expect(tracker.endWrite('team', KEY, tracked('team', copyLabels('acme'), '5'))).to.equal(true);
    expect(tracker.isPending('team', KEY)).to.equal(false);
    expect(tracker.index.get('team', KEY)?.resourceVersion).to.equal('5');
  });

  it('keeps what the watch said and asks for another look when another version arrived during the write', () => {
    const tracker = new ObjectTracker(client, silentLogger());
    tracker.index.upsert(entryOf(tracked('team', copyLabels('acme'), '5')));
    tracker.beginWrite('team', KEY);
    (tracker as unknown as { handle(e: unknown): void }).handle({
      type: 'update',
      object: tracked('team', { edited: 'by-hand' }, '7'),
      old: tracked('team', copyLabels('acme'), '5'),
    });
    expect(tracker.endWrite('team', KEY, tracked('team', copyLabels('acme'), '6'))).to.equal(false);
    expect(tracker.index.get('team', KEY)?.resourceVersion).to.equal('7');
  });
});

describe('conflict registry', () => {
  const source = { apiVersion: RB, kind: 'RoleBinding', name: 'admins', namespace: 'acme' };

  it('clears what a plan evaluated and no longer found, and says which namespaces changed', () => {
    const registry = new ConflictRegistry();
    const changed: string[] = [];
    registry.onChange((ns) => changed.push(ns));
    registry.settle(['team', 'app'], undefined, [{ namespace: 'team', key: KEY, source }]);
    expect(registry.in('team')).to.have.length(1);
    expect(changed).to.deep.equal(['team']);
    // A plan for another key leaves it alone; one for this key that found nothing clears it.
    registry.settle(['team'], 'ConfigMap/other', []);
    expect(registry.in('team')).to.have.length(1);
    registry.settle(['team'], KEY, []);
    expect(registry.in('team')).to.have.length(0);
    expect(changed).to.deep.equal(['team', 'team']);
  });
});

describe('work-queue keys', () => {
  it('turn object keys back into references with the same key', () => {
    for (const ref of [
      { apiVersion: RB, kind: 'RoleBinding', name: 'admins', namespace: 'acme' },
      { apiVersion: 'v1', kind: 'ConfigMap', name: 'settings', namespace: 'acme' },
      { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', name: 'deny', namespace: 'acme' },
    ]) {
      expect(objectKey(refFromKey('acme', objectKey(ref)))).to.equal(objectKey(ref));
    }
  });
});

describe('write pool', () => {
  it('never runs more than its concurrency at once, and runs everything in order', async () => {
    const { WritePool } = await import('./copy-writer.js');
    const pool = new WritePool(3);
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        pool
          .run(async () => {
            started.push(i);
            peak = Math.max(peak, ++running);
            await new Promise((r) => setTimeout(r, 1 + (i % 3)));
            running--;
            if (i === 7) throw new Error('seven');
            return i;
          })
          .catch((err: Error) => err.message),
      ),
    );
    expect(peak).to.equal(3);
    expect(started).to.deep.equal(Array.from({ length: 20 }, (_, i) => i));
    expect(results[7]).to.equal('seven');
    expect(results[19]).to.equal(19);
  });
});
