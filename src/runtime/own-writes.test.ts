import { expect } from 'chai';
import type { KubeObject } from './object.js';
import { OwnWrites } from './own-writes.js';

const object = (rv: string, uid = 'u1', value = rv): KubeObject & { data: { value: string } } => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'a', namespace: 'ns', uid, resourceVersion: rv },
  data: { value },
});

describe('OwnWrites (read-your-writes)', () => {
  it('returns the recorded write while the cache is older, then the cache once it caught up', () => {
    const writes = new OwnWrites();
    writes.record('configmaps', object('12', 'u1', 'written'));
    expect(writes.freshest('configmaps', object('10'))?.data.value).to.equal('written');
    expect(writes.freshest('configmaps', object('12', 'u1', 'cached'))?.data.value).to.equal('cached');
    // Caught up: the record is gone, even an older cache view is returned as is from now on.
    expect(writes.size).to.equal(0);
  });

  it('never returns a write for another incarnation of the object (same name, other uid)', () => {
    const writes = new OwnWrites();
    writes.record('configmaps', object('12', 'old-uid', 'written'));
    expect(writes.freshest('configmaps', object('10', 'new-uid', 'cached'))?.data.value).to.equal('cached');
  });

  it('trusts a write only for its time to live, and keeps the newest of two writes', () => {
    let now = 1_000;
    const writes = new OwnWrites(500, () => now);
    writes.record('configmaps', object('12', 'u1', 'first'));
    writes.record('configmaps', object('11', 'u1', 'older answer'));
    expect(writes.freshest('configmaps', object('10'))?.data.value).to.equal('first');
    now += 501;
    expect(writes.freshest('configmaps', object('10', 'u1', 'cached'))?.data.value).to.equal('cached');
  });

  it('past 1,000 records drops the expired ones, oldest first, and keeps every fresh one', () => {
    let now = 0;
    const writes = new OwnWrites(500, () => now);
    const named = (name: string, rv: string) => ({ ...object(rv), metadata: { ...object(rv).metadata, name } });
    for (let i = 0; i < 600; i++) writes.record('configmaps', named(`old-${i}`, '5'));
    now = 400;
    // Re-written later: moves to the fresh end, so it survives the prune below.
    writes.record('configmaps', named('old-0', '6'));
    for (let i = 0; i < 600; i++) writes.record('configmaps', named(`new-${i}`, '7'));
    now = 600; // the first 600 writes (except old-0's rewrite) are past their 500 ms
    writes.record('configmaps', named('trigger', '8'));
    expect(writes.size).to.equal(602);
    expect(writes.freshest('configmaps', named('old-0', '1'))?.metadata?.resourceVersion).to.equal('6');
    expect(writes.freshest('configmaps', named('new-599', '1'))?.metadata?.resourceVersion).to.equal('7');
  });

  it('ignores opaque resourceVersions and deleted objects', () => {
    const writes = new OwnWrites();
    writes.record('configmaps', object('not-a-number'));
    expect(writes.size).to.equal(0);
    writes.record('configmaps', object('12'));
    expect(writes.freshest('configmaps', undefined)).to.equal(undefined);
  });

  it('overlays an intended write until it is settled, and only by its own token', () => {
    const writes = new OwnWrites();
    const cached = object('10', 'u1', 'cached');
    const first = writes.intend('configmaps', cached, (o) => ({ ...o, data: { value: 'first' } }));
    const second = writes.intend('configmaps', cached, (o) => ({ ...o, data: { value: 'second' } }));
    expect((writes.freshest('configmaps', cached) as typeof cached).data.value).to.equal('second');
    expect((writes.freshest('configmaps', cached, { intents: false }) as typeof cached).data.value).to.equal('cached');
    writes.settle('configmaps', cached, first); // an older intent's write landing does not cancel the newer one
    expect(writes.hasIntent('configmaps', cached)).to.equal(true);
    writes.settle('configmaps', cached, second);
    expect(writes.hasIntent('configmaps', cached)).to.equal(false);
    expect((writes.freshest('configmaps', cached) as typeof cached).data.value).to.equal('cached');
    writes.intend('configmaps', cached, (o) => ({ ...o, data: { value: 'third' } }));
    writes.dropIntent('configmaps', { metadata: { name: 'a', namespace: 'ns' } });
    expect(writes.hasIntent('configmaps', cached)).to.equal(false);
  });

  it("knows the echo of its own write from anyone else's change", () => {
    const writes = new OwnWrites();
    writes.record('configmaps', object('12', 'u1', 'written'));
    expect(writes.isEcho('configmaps', object('12'))).to.equal(true);
    expect(writes.isEcho('configmaps', object('13'))).to.equal(false); // someone changed it after
    expect(writes.isEcho('configmaps', object('12', 'other-uid'))).to.equal(false);
    expect(writes.isEcho('secrets', object('12'))).to.equal(false);
  });

  it('tells listeners who wrote what', () => {
    const writes = new OwnWrites();
    const seen: string[] = [];
    const stop = writes.onRecord((resource, stored, writer) => seen.push(`${writer} ${resource} ${stored.metadata?.resourceVersion}`));
    writes.record('configmaps', object('12'), 'placement');
    stop();
    writes.record('configmaps', object('13'), 'placement');
    expect(seen).to.deep.equal(['placement configmaps 12']);
  });
});
