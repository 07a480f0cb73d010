import { expect } from 'chai';
import { applyJsonPatch, JsonPatchError, jsonEqual, parsePointer } from './jsonpatch.js';

describe('propagation/jsonpatch', () => {
  const doc = { spec: { replicas: 2, template: { spec: { containers: [{ name: 'app', image: 'nginx:1' }] } } }, metadata: { labels: { a: 'b' } } };

  it('replaces a value deep in arrays without touching the input', () => {
    const out = applyJsonPatch(doc, [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'registry.us/nginx:1' }]);
    expect(out.spec.template.spec.containers[0]!.image).to.equal('registry.us/nginx:1');
    expect(doc.spec.template.spec.containers[0]!.image).to.equal('nginx:1');
  });

  it('adds members, appends with "-" and inserts at an index', () => {
    const out = applyJsonPatch(doc, [
      { op: 'add', path: '/metadata/annotations', value: { x: 'y' } },
      { op: 'add', path: '/spec/template/spec/containers/-', value: { name: 'side', image: 'busybox' } },
      { op: 'add', path: '/spec/template/spec/containers/0', value: { name: 'first', image: 'a' } },
    ]) as unknown as { metadata: { annotations: Record<string, string> }; spec: { template: { spec: { containers: { name: string }[] } } } };
    expect(out.metadata.annotations).to.deep.equal({ x: 'y' });
    expect(out.spec.template.spec.containers.map((c) => c.name)).to.deep.equal(['first', 'app', 'side']);
  });

  it('unescapes ~1 and ~0 in pointers (label keys with slashes)', () => {
    expect(parsePointer('/metadata/labels/canopy.dev~1region')).to.deep.equal(['metadata', 'labels', 'canopy.dev/region']);
    expect(parsePointer('/a~0b')).to.deep.equal(['a~b']);
    const out = applyJsonPatch(doc, [{ op: 'add', path: '/metadata/labels/topology.kubernetes.io~1region', value: 'us-1' }]);
    expect(out.metadata.labels).to.deep.equal({ a: 'b', 'topology.kubernetes.io/region': 'us-1' });
  });

  it('removes members and array elements', () => {
    const out = applyJsonPatch(doc, [
      { op: 'remove', path: '/metadata/labels/a' },
      { op: 'remove', path: '/spec/template/spec/containers/0' },
    ]);
    expect(out.metadata.labels).to.deep.equal({});
    expect(out.spec.template.spec.containers).to.deep.equal([]);
  });

  it('fails with the index and reason of the first operation that does not apply', () => {
    const run = () =>
      applyJsonPatch(doc, [
        { op: 'replace', path: '/spec/replicas', value: 3 },
        { op: 'replace', path: '/spec/missing', value: 1 },
      ]);
    expect(run).to.throw(JsonPatchError, /patch 1 \(replace \/spec\/missing\): member "missing" does not exist/);
    expect(() => applyJsonPatch(doc, [{ op: 'remove', path: '/spec/template/spec/containers/5' }])).to.throw(/out of range/);
    expect(() => applyJsonPatch(doc, [{ op: 'add', path: '/nope/deeper', value: 1 }])).to.throw(/does not exist/);
    expect(() => applyJsonPatch(doc, [{ op: 'move', path: '/spec' }])).to.throw(/unsupported operation "move"/);
    expect(() => applyJsonPatch(doc, [{ op: 'add', path: '/x' }])).to.throw(/value is required/);
  });

  it('test succeeds on equal values and fails otherwise', () => {
    expect(() => applyJsonPatch(doc, [{ op: 'test', path: '/spec/replicas', value: 2 }])).not.to.throw();
    expect(() => applyJsonPatch(doc, [{ op: 'test', path: '/spec/replicas', value: 3 }])).to.throw(/value differs/);
  });

  it('compares JSON structurally', () => {
    expect(jsonEqual({ a: [1, { b: 2 }], c: null }, { c: null, a: [1, { b: 2 }] })).to.equal(true);
    expect(jsonEqual({ a: [1, 2] }, { a: [2, 1] })).to.equal(false);
    expect(jsonEqual({ a: 1 }, { a: 1, b: undefined })).to.equal(false);
  });
});
